"""A fixed-window rate limit kept in the shared cache, so it holds across processes."""

from __future__ import annotations

import ipaddress
import math
import re
from dataclasses import dataclass

from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from .errors import ServiceError

# The key of requests whose client address cannot be told (a proxy is configured but its header is missing):
# they share one strict bucket rather than escaping the limit.
UNKNOWN_CLIENT = "unknown"


def client_ip(request: HttpRequest) -> str:
    """The client's address for rate limits, by the very rule allauth's login limits use.

    One rule for both, read from ``ALLAUTH_TRUSTED_PROXY_COUNT`` and
    ``ALLAUTH_TRUSTED_CLIENT_IP_HEADER`` (set from the environment, see the
    README's settings): without a configured proxy, the socket address
    (``REMOTE_ADDR``), whatever ``X-Real-IP`` or ``X-Forwarded-For`` a client
    sends; with a trusted header, that header; with a proxy count N, the Nth
    entry of ``X-Forwarded-For`` from the right. The answer comes from the
    account adapter's documented ``get_client_ip``, so it cannot drift from
    allauth's. IPv6 addresses count per network (``ALLAUTH_RATE_LIMIT_IPV6_PREFIX``,
    a /64 by default), as allauth's do, so rotating addresses inside one
    allocation does not reset a limit.
    """
    from allauth import app_settings as allauth_settings
    from allauth.account.adapter import get_adapter

    try:
        ip = get_adapter(request).get_client_ip(request)
    except PermissionDenied:
        return UNKNOWN_CLIENT
    address = ipaddress.ip_address(ip)  # the adapter returns only addresses it could parse
    if isinstance(address, ipaddress.IPv6Address):
        prefix = allauth_settings.RATE_LIMIT_IPV6_PREFIX
        return str(ipaddress.IPv6Network(f"{address}/{prefix}", strict=False).network_address)
    return str(address)


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


_DURATION = re.compile(r"(\d*)([smhd])")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def allauth_wait_minutes(action: str) -> int:
    """At most how many minutes a client refused by allauth's limits on ``action`` waits (at least 1).

    The longest window among the action's rates, read from allauth's settings
    (``"1/30s/key,3/m/ip"`` → 1 minute), so the message follows the configuration.
    """
    from allauth.account import app_settings

    longest = 60
    for rate in (app_settings.RATE_LIMITS.get(action) or "").split(","):
        parts = rate.strip().split("/")
        match = _DURATION.fullmatch(parts[1].strip()) if len(parts) > 1 else None
        if match:
            longest = max(longest, int(match.group(1) or 1) * _UNIT_SECONDS[match.group(2)])
    return math.ceil(longest / 60)


class TooManyAttempts(ServiceError):
    """A limit is reached: the write is refused before it is tried, and the page answers 429."""

    status = 429


@dataclass(frozen=True)
class Limit:
    """``limit`` attempts per ``window_seconds`` for one ``key`` (an account, a client address) of one ``scope``.

    A service that limits an action checks its limits before it tries
    (``refuse_if_reached``) and counts what the limit is about (``count``):
    wrong codes, or every try. The limits of one action live in that service
    only, with their numbers in the app's ``conf.py``; the client's address
    comes in as an argument (``client_ip`` in the view).
    """

    scope: str
    key: str
    limit: int
    window_seconds: int

    def reached(self) -> bool:
        return is_limited(self.scope, self.key, limit=self.limit, window_seconds=self.window_seconds)

    def count(self) -> int:
        return record_attempt(self.scope, self.key, window_seconds=self.window_seconds)


def refuse_if_reached(limits: list[Limit], message: str) -> None:
    """Raise ``TooManyAttempts(message)`` if any of ``limits`` is used up (counts nothing)."""
    if any(limit.reached() for limit in limits):
        raise TooManyAttempts(message)


def count_all(limits: list[Limit]) -> None:
    for limit in limits:
        limit.count()
