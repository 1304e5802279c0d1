"""Cached public pages, and the one registry that says when each goes stale.

Anonymous GET responses (and shared fragments of signed-in pages) are cached in
the shared cache. Each cached page belongs to one or more *page families* (the
honour board, the activity lists, one activity's page, the leaderboards, the
motto wall, the home page, ...), and each family has its own version, which is
part of the page's key. Apps say which of their models each family shows::

    # <app>/freshness.py, imported at start-up by project.registry.autodiscover
    BOARD = publiccache.family("board")
    ACTIVITY = publiccache.family("activity", per_object=True)
    publiccache.watch(Honour, BOARD, HOME)
    publiccache.watch(Signup, ACTIVITY_LISTS, ACTIVITY.of("activity_id"), HOME)
    publiccache.watch(Resident, NAMES)      # every family that shows names

Saving or deleting a watched row (``post_save``/``post_delete``, one handler
here) bumps only its families' versions, once the transaction commits. A write
that sends no signal (``QuerySet.update()``, ``bulk_create``, raw SQL) calls
``changed(Model)`` itself; nothing else invalidates pages. A per-object family
(one activity's page) is versioned per object as well: ``ACTIVITY.of("pk")``
names the object's id (an attribute of a watched row, or a keyword of the
view's URL), so a sign-up refreshes that activity's page and the lists, not the
honour board nor the other activities' pages. ``changed(Model)`` without a row
refreshes a per-object family for every object.

The key of a cached page is the scheme and host (pages may hold absolute URLs),
the language, the text size, the path, and ONLY the page's known query
parameters (``query=``), sorted and normalised. Unknown parameters are ignored:
the view is called with a request that holds only the known ones (its
``GET`` and ``QUERY_STRING`` are rewritten), so ``?junk=1`` gets the same copy as
the bare URL and can neither make a new entry nor reach the cached page (the
footer's links repeat the path). Free-text parameters (a search) that would make
one entry per value are listed in ``uncached=``: such a request is answered
without the cache. A known parameter still takes any value (``?page=`` 1 to
N): those entries are bounded by what the pages accept and by the cache's own
eviction (Redis ``maxmemory``, the database cache's ``MAX_ENTRIES``).

Public pages carry no forms and no CSRF token (the language and text-size
switches are links), so one cached copy serves every anonymous visitor of the
same scheme and host. Fragments are rendered without the request and hold no
absolute URL.

A reader's own page ("my page") is kept the same way, per reader (``personal_fragment``): per-object
families scoped to a resident, a household or an account (``MY_PAGE.of("resident_id")``) say which rows
appear on whose page, so a sign-up refreshes its resident's page and no one else's.

Each process also keeps the last pages and fragments it served in its own memory, under the
same versioned key, and remembers each version it read for a second. That copy
can never outlive a bump made in another process by more than the second (a
bump made here is seen at once), and it spares the shared cache's network round
trip, which profiling showed to be most of a cached page's cost.
"""

from __future__ import annotations

import pickle
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import wraps
from urllib.parse import urlencode

from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.db import models, transaction
from django.db.models.signals import post_delete, post_save
from django.http import QueryDict
from django.utils.translation import get_language

DEFAULT_TIMEOUT = 300
VERSION_PREFIX = "public-version"
# Each process re-reads a shared version at most this often, so a cached page
# costs one cache read, not two. A change made by another process reaches this
# one within the second; a change made here is seen at once.
VERSION_MEMO_SECONDS = 1.0
MEMO_SIZE = 4096
_memo: dict[str, tuple[int, float]] = {}
_memo_lock = threading.Lock()
# The process's own copies: key -> (expires at, pickled response). Pickled, so
# every request gets its own response object for middleware to add headers to.
LOCAL_PAGES = 64
_local: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
# Readers' own pages (personal_fragment), apart: many readers' pages must not evict the shared copies.
LOCAL_PERSONAL_PAGES = 64
_personal: OrderedDict[str, tuple[float, str]] = OrderedDict()
_local_lock = threading.Lock()
# A known parameter's value is cut to this length: a cache key is not a place for essays.
QUERY_VALUE_LENGTH = 64


# --- The registry: page families and the models they show -------------------------


@dataclass(frozen=True, eq=False)
class Family:
    """A set of pages that show the same data and go stale together."""

    name: str
    shows_names: bool
    per_object: bool

    def of(self, attribute: str) -> Scoped:
        """One object's page of a per-object family: ``attribute`` is a watched row's attribute holding the
        object's id (``"activity_id"``), or, for ``cache_public_page``, the URL keyword (``"pk"``)."""
        if not self.per_object:
            raise ImproperlyConfigured(f"The page family {self.name!r} is not per object.")
        return Scoped(self, attribute)

    def version_key(self, object_id=None) -> str:
        return f"{VERSION_PREFIX}:{self.name}" if object_id is None else f"{VERSION_PREFIX}:{self.name}:{object_id}"


@dataclass(frozen=True)
class Scoped:
    family: Family
    attribute: str


class _Names:
    """Every family that shows residents' or households' names (consent reaches them all)."""

    def __repr__(self) -> str:
        return "NAMES"


NAMES = _Names()
_FAMILIES: dict[str, Family] = {}
_WATCHED: dict[type[models.Model], tuple[Family | Scoped | _Names, ...]] = {}


def family(name: str, *, shows_names: bool = True, per_object: bool = False) -> Family:
    """Declare a page family (once, in the owning app's ``freshness.py``). ``shows_names``: its pages may show
    people's or households' names, so a consent change must refresh it."""
    if name in _FAMILIES:
        raise ImproperlyConfigured(f"The page family {name!r} is declared twice.")
    _FAMILIES[name] = Family(name, shows_names, per_object)
    return _FAMILIES[name]


def families() -> list[Family]:
    return list(_FAMILIES.values())


def watch(model: type[models.Model], *shown_on: Family | Scoped | _Names) -> None:
    """Say that rows of ``model`` appear on the pages of ``shown_on``: saving or deleting one refreshes them."""
    if not shown_on:
        raise ImproperlyConfigured(f"watch({model.__name__}) names no page family.")
    _WATCHED[model] = _WATCHED.get(model, ()) + shown_on
    uid = f"publiccache:{model._meta.label}"
    post_save.connect(_row_changed, sender=model, weak=False, dispatch_uid=uid)
    post_delete.connect(_row_changed, sender=model, weak=False, dispatch_uid=uid)


def watched() -> dict[type[models.Model], tuple[Family | Scoped | _Names, ...]]:
    """Every watched model and what it is shown on (the walk test goes through all of them)."""
    return dict(_WATCHED)


def families_showing(model: type[models.Model]) -> set[Family]:
    """The families whose pages show rows of ``model``."""
    found: set[Family] = set()
    for shown in _WATCHED.get(model, ()):
        if isinstance(shown, _Names):
            found.update(f for f in _FAMILIES.values() if f.shows_names)
        else:
            found.add(shown.family if isinstance(shown, Scoped) else shown)
    return found


def _row_changed(sender, instance, raw: bool = False, **kwargs) -> None:
    if not raw:  # loading fixtures is not a change anyone has seen
        changed(instance)


def changed(target: models.Model | type[models.Model]) -> None:
    """Refresh every page that shows ``target`` (a row, or a whole model) once the transaction commits.

    Signals call this for ``save()`` and ``delete()``. A service that writes a watched model without them
    (``QuerySet.update()``, ``bulk_create``, raw SQL) calls it once with the model."""
    model = target if isinstance(target, type) else type(target)
    model = model._meta.concrete_model
    if model not in _WATCHED:
        raise ImproperlyConfigured(f"{model._meta.label} is not watched by the public cache.")
    keys: set[str] = set()
    for shown in _WATCHED[model]:
        if isinstance(shown, Scoped) and not isinstance(target, type):
            keys.add(shown.family.version_key(getattr(target, shown.attribute)))
        else:
            keys.update(family.version_key() for family in _families_named(shown))
    transaction.on_commit(lambda: expire(sorted(keys)))


def _families_named(shown: Family | Scoped | _Names) -> list[Family]:
    if isinstance(shown, _Names):
        return [family for family in _FAMILIES.values() if family.shows_names]
    return [shown.family if isinstance(shown, Scoped) else shown]


# --- Versions ----------------------------------------------------------------------


def _fresh_version() -> int:
    """A starting version no earlier one can equal, should the key be evicted or the cache cleared."""
    return time.time_ns() // 1000


def versions(keys: list[str], *, fresh: bool = False) -> list[int]:
    """The current version of each key: from this process's memo when read within the second, otherwise all
    the stale ones in one round trip to the shared cache (``fresh``: all of them from the shared cache)."""
    now = time.monotonic()
    with _memo_lock:
        known = {
            key: _memo[key][0]
            for key in keys
            if not fresh and key in _memo and now - _memo[key][1] < VERSION_MEMO_SECONDS
        }
    missing = [key for key in keys if key not in known]
    if missing:
        read = cache.get_many(missing)
        for key in missing:
            if key not in read:
                cache.add(key, _fresh_version(), timeout=None)
                read[key] = cache.get(key) or _fresh_version()
        with _memo_lock:
            if len(_memo) > MEMO_SIZE:
                _memo.clear()
            _memo.update((key, (read[key], now)) for key in missing)
        known.update(read)
    return [known[key] for key in keys]


def expire(keys: Iterable[str]) -> None:
    """Make every page under these version keys stale now, in every process (each within its memo's second)."""
    now = time.monotonic()
    for key, version in _incr_existing(list(keys)).items():
        if version is None:  # the key was evicted: start afresh rather than reuse an old number
            version = _fresh_version()
            cache.set(key, version, timeout=None)
        with _memo_lock:
            _memo[key] = (version, now)


def _incr_existing(keys: list[str]) -> dict[str, int | None]:
    """Each key's version plus one, or None where the key is missing: in one round trip where the cache can
    (``project.cache.RedisCache.incr_existing``), else one ``incr`` a key."""
    if hasattr(cache, "incr_existing"):
        return cache.incr_existing(keys)
    bumped: dict[str, int | None] = {}
    for key in keys:
        try:
            bumped[key] = cache.incr(key)
        except ValueError:
            bumped[key] = None
    return bumped


def expire_all() -> None:
    """Make every cached public page stale (an operator's lever; services name what changed instead)."""
    expire(family.version_key() for family in _FAMILIES.values())


def forget_process_state() -> None:
    """Drop this process's memo and page copies (tests, or after clearing the shared cache)."""
    with _memo_lock:
        _memo.clear()
    with _local_lock:
        _local.clear()
        _personal.clear()


def clear() -> None:
    """Empty the shared cache and this process's copies."""
    cache.clear()
    forget_process_state()


def _version_tag(shown: Iterable[Family | Scoped], url_kwargs: dict | None = None, *, fresh: bool = False) -> str:
    """``board=17.activity=9/42=3``: the versions a page or fragment depends on, in one string."""
    names, keys = [], []
    for item in shown:
        family = item.family if isinstance(item, Scoped) else item
        names.append(family.name)
        keys.append(family.version_key())
        if isinstance(item, Scoped):
            object_id = (url_kwargs or {})[item.attribute]
            names.append(f"{family.name}/{object_id}")
            keys.append(family.version_key(object_id))
    return ".".join(f"{name}={version}" for name, version in zip(names, versions(keys, fresh=fresh), strict=True))


def _as_tuple(shown: Family | Scoped | Iterable[Family | Scoped]) -> tuple[Family | Scoped, ...]:
    found = (shown,) if isinstance(shown, Family | Scoped) else tuple(shown)
    if not found:
        raise ImproperlyConfigured("A cached public page or fragment names the page families it shows.")
    return found


# --- Pages and fragments -------------------------------------------------------------


def _local_get(key: str, store: OrderedDict | None = None) -> bytes | str | None:
    """This process's copy under ``key``: a pickled page, or a fragment's text."""
    store = _local if store is None else store
    now = time.monotonic()
    with _local_lock:
        item = store.get(key)
        if item is None:
            return None
        if item[0] <= now:
            del store[key]
            return None
        store.move_to_end(key)
    return item[1]


def _local_put(key: str, blob: bytes | str, timeout: int, store: OrderedDict | None = None) -> None:
    store, size = (_local, LOCAL_PAGES) if store is None else (store, LOCAL_PERSONAL_PAGES)
    with _local_lock:
        store[key] = (time.monotonic() + timeout, blob)
        store.move_to_end(key)
        while len(store) > size:
            store.popitem(last=False)


def cached_fragment(
    name: str, shown: Family | Iterable[Family], render: Callable[[], str], timeout: int = DEFAULT_TIMEOUT
) -> str:
    """A piece of a public page showing ``shown``, rendered by ``render()`` once per version of those families
    and per language, and shared by every visitor, signed in or not: it must hold nothing personal. Signed-in
    pages are not cached whole (their header is the visitor's own), so this is how they share the public work."""
    key = f"fragment:{_version_tag(_as_tuple(shown))}:{get_language()}:{name}"
    # This process's copy first, as for pages: as fresh as the version read (within the memo's second), and it
    # spares the shared cache's round trip and the decoding of a large fragment (200 ballot cards).
    html = _local_get(key)
    if html is None:
        html = cache.get_or_set(key, render, timeout)
        _local_put(key, html, timeout)
    return html


def personal_fragment(
    owner: str,
    name: str,
    shown: Iterable[Family | Scoped],
    ids: dict,
    render: Callable[[], str | tuple[str, int]],
) -> str:
    """A piece of one reader's own page ("my page"), rendered by ``render()`` once per version of ``shown`` and
    kept between that reader's requests: the same registry refreshes it, through per-object families scoped to
    the reader (``MY_PAGE.of("resident_id")``, with ``ids={"resident_id": 5}`` naming whose).

    ``owner`` (``"u42"``, the signed-in user) is part of the key, so no other reader can be given it. Its
    versions are read from the shared cache every time, not from the memo: whichever process answers, a reader
    sees their own change on their next page. The copy is kept in the shared cache and, under the same
    versioned key (so exactly as fresh), in this process's memory apart from the shared pages' copies (many
    readers' pages must not evict those): a ballot of 200 cards is not fetched and decoded again on each
    reload. ``render`` may return ``(html, seconds)`` when what it shows goes stale with time (an activity that
    ends): the copy lives no longer."""
    key = f"personal:{owner}:{_version_tag(_as_tuple(shown), ids, fresh=True)}:{get_language()}:{name}"
    html = _local_get(key, _personal)
    if html is not None:
        return html
    kept = cache.get(key)  # (until when, on the clock, the html)
    if kept is None or kept[0] <= time.time():
        html, timeout = render(), DEFAULT_TIMEOUT
        if isinstance(html, tuple):
            html, timeout = html[0], min(timeout, int(html[1]))
        if timeout <= 0:
            return html
        kept = (time.time() + timeout, html)
        cache.set(key, kept, timeout)
    until, html = kept
    if (left := until - time.time()) > 0:  # this process's copy lives no longer than the shared one
        _local_put(key, html, left, _personal)
    return html


def _normalised(value: str) -> str:
    value = " ".join(value.split())[:QUERY_VALUE_LENGTH]
    return str(int(value)) if value.isascii() and value.isdigit() else value  # page=02 is page=2


def known_query(request, query: Iterable[str]) -> str:
    """The request's known parameters only, normalised (whitespace, leading zeros) and sorted: the one query
    string the cached copy is made for. Empty values are dropped, as a form's empty field is."""
    pairs = sorted(
        (name, normalised)
        for name in set(query)
        for value in request.GET.getlist(name)
        if (normalised := _normalised(value))
    )
    return urlencode(pairs)


def cache_public_page(
    *shown: Family | Scoped, query: Iterable[str] = (), uncached: Iterable[str] = (), timeout: int = DEFAULT_TIMEOUT
):
    """Cache a view's response for anonymous visitors (GET/HEAD, status 200) under the versions of the page
    families it ``shown``s, with only its known ``query`` parameters (see the module's docstring)."""
    shown = _as_tuple(shown)
    query, uncached = tuple(query), tuple(uncached)

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method not in ("GET", "HEAD") or request.user.is_authenticated:
                return view(request, *args, **kwargs)
            if any(request.GET.get(name) for name in uncached):
                return view(request, *args, **kwargs)
            from .context_processors import text_size

            # The view sees exactly the request the key describes: no unknown parameter reaches the copy.
            query_string = known_query(request, query)
            request.GET = QueryDict(query_string)
            request.META["QUERY_STRING"] = query_string
            # Pages may hold absolute URLs (the feed, certificates' QR codes): one copy per scheme and host, so a
            # page made for one name of the site never sends readers of another to it.
            site = f"{request.scheme}://{request.get_host()}"
            key = (
                f"public:{_version_tag(shown, kwargs)}:{get_language()}:{text_size(request)}:"
                f"{site}{request.path}?{query_string}"
            )
            blob = _local_get(key)
            if blob is not None:
                return pickle.loads(blob)  # noqa: S301 - bytes this process pickled itself, never input
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

        wrapper.public_families = shown
        wrapper.public_query = query
        return wrapper

    return decorator


HOME = family("home")
