"""Cached public pages (honour board, feed, TV, motto wall, leaderboards).

Anonymous GET responses are cached in the shared cache under a key that
includes a site-wide *public version*. Anything that changes what the public may
see (publishing, a correction, a consent given or withdrawn, a motto approved)
calls ``bump_public_version()`` after commit, and every cached public page is
stale at once, so a withdrawal takes effect on cached pages too.

Public pages carry no forms and no CSRF token (the language and text-size
switches are links), so one cached copy serves every anonymous visitor of the
same scheme and host (pages may hold absolute URLs, so each name the site
answers to gets its own copy). Fragments are rendered without the request and
hold no absolute URL.

Each process also keeps the last pages it served in its own memory, under the
same versioned key. That copy can never outlive a bump by more than the version
memo's second, and it spares the shared cache's network round trip, which
profiling showed to be most of a cached page's cost.
"""

from __future__ import annotations

import pickle
import threading
import time
from collections import OrderedDict
from functools import wraps

from django.core.cache import cache
from django.db import transaction
from django.utils.translation import get_language

VERSION_KEY = "public-pages-version"
DEFAULT_TIMEOUT = 300
# Each process re-reads the shared version at most this often, so a cached page
# costs one cache read, not two. A change made by another process reaches this
# one within the second; a change made here is seen at once.
VERSION_MEMO_SECONDS = 1.0
_memo = {"version": None, "read_at": 0.0}
# The process's own copies: key -> (expires at, pickled response). Pickled, so
# every request gets its own response object for middleware to add headers to.
LOCAL_PAGES = 64
_local: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
_local_lock = threading.Lock()


def public_version() -> int:
    now = time.monotonic()
    if _memo["version"] is not None and now - _memo["read_at"] < VERSION_MEMO_SECONDS:
        return _memo["version"]
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, _fresh_version(), timeout=None)
        version = cache.get(VERSION_KEY) or _fresh_version()
    _memo.update(version=version, read_at=now)
    return version


def _fresh_version() -> int:
    """A starting version no earlier one can equal, should the key be evicted or the cache cleared."""
    return time.time_ns() // 1000


def bump_public_version() -> None:
    """Invalidate every cached public page once the current transaction commits."""
    transaction.on_commit(expire_pages)


def expire_pages() -> None:
    """Make every cached public page stale now, in every process (each within its memo's second)."""
    try:
        version = cache.incr(VERSION_KEY)
    except ValueError:  # the key was evicted: start afresh rather than reuse an old number
        version = _fresh_version()
        cache.set(VERSION_KEY, version, timeout=None)
    _memo.update(version=version, read_at=time.monotonic())


def forget_process_state() -> None:
    """Drop this process's memo and page copies (tests, or after clearing the shared cache)."""
    _memo.update(version=None, read_at=0.0)
    with _local_lock:
        _local.clear()


def clear() -> None:
    """Empty the shared cache and this process's copies."""
    cache.clear()
    forget_process_state()


def _local_get(key: str):
    now = time.monotonic()
    with _local_lock:
        item = _local.get(key)
        if item is None:
            return None
        if item[0] <= now:
            del _local[key]
            return None
        _local.move_to_end(key)
    return pickle.loads(item[1])  # noqa: S301 - bytes this process pickled itself, never input


def _local_put(key: str, blob: bytes, timeout: int) -> None:
    with _local_lock:
        _local[key] = (time.monotonic() + timeout, blob)
        _local.move_to_end(key)
        while len(_local) > LOCAL_PAGES:
            _local.popitem(last=False)


def cached_fragment(name: str, render, timeout: int = DEFAULT_TIMEOUT) -> str:
    """A piece of a public page, rendered by ``render()`` once per public version and language and shared
    by every visitor, signed in or not: it must hold nothing personal. Signed-in pages are not cached
    whole (their header is the visitor's own), so this is how they share the public work."""
    return cache.get_or_set(f"fragment:{public_version()}:{get_language()}:{name}", render, timeout)


def cache_public_page(timeout: int = DEFAULT_TIMEOUT):
    """Cache a view's response for anonymous visitors (GET/HEAD, status 200)."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method not in ("GET", "HEAD") or request.user.is_authenticated:
                return view(request, *args, **kwargs)
            from .context_processors import text_size

            # Pages may hold absolute URLs (the feed, certificates' QR codes): one copy per scheme and host, so a
            # page made for one name of the site never sends readers of another to it.
            site = f"{request.scheme}://{request.get_host()}"
            key = f"public:{public_version()}:{get_language()}:{text_size(request)}:{site}{request.get_full_path()}"
            response = _local_get(key)
            if response is not None:
                return response
            response = cache.get(key)
            if response is None:
                response = view(request, *args, **kwargs)
                if response.status_code != 200 or response.streaming or response.cookies:
                    return response
                if hasattr(response, "render") and callable(response.render):
                    response = response.render()
                cache.set(key, response, timeout)
            _local_put(key, pickle.dumps(response, pickle.HIGHEST_PROTOCOL), timeout)
            return response

        return wrapper

    return decorator
