"""A fixed-window rate limit kept in the shared cache, so it holds across processes."""

from __future__ import annotations

from django.core.cache import cache
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    # Behind our reverse proxy REMOTE_ADDR is the proxy; the proxy sets X-Real-IP.
    return request.META.get("HTTP_X_REAL_IP") or request.META.get("REMOTE_ADDR", "")


def is_limited(scope: str, key: str, *, limit: int, window_seconds: int) -> bool:
    """True when ``key`` has already used up ``limit`` attempts in this window (does not count)."""
    return (cache.get(f"rl:{scope}:{key}") or 0) >= limit


def record_attempt(scope: str, key: str, *, window_seconds: int) -> int:
    """Count one attempt for ``key``; returns the count in the current window."""
    cache_key = f"rl:{scope}:{key}"
    if cache.add(cache_key, 1, timeout=window_seconds):
        return 1
    try:
        return cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.set(cache_key, 1, timeout=window_seconds)
        return 1


def reset(scope: str, key: str) -> None:
    cache.delete(f"rl:{scope}:{key}")
