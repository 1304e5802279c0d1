"""Pagination over a list whose size is already known (kept in a shared fragment or on a row)."""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import QuerySet


class CountedQuerySet:
    """A queryset for Django's ``Paginator`` with its count given: the paginator takes ``count()`` from here
    instead of running ``COUNT(*)``, and a page's slice stays a lazy queryset, read only if iterated.

    ``rows`` is the queryset, or a function that builds it: then it is built only when a page's rows are read,
    so a page served from shared fragments (``publiccache.cached_fragment``) builds and runs nothing."""

    def __init__(self, rows: QuerySet | Callable[[], QuerySet], count: int):
        self._rows = rows
        self._count = count

    def count(self) -> int:
        return self._count

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, index):
        if isinstance(index, slice) and callable(self._rows):
            return _Slice(self, index)  # the paginator slices every page it makes, whether it is read or not
        return self._built()[index]

    def _built(self) -> QuerySet:
        if callable(self._rows):
            self._rows = self._rows()
        return self._rows


class _Slice:
    """A page's slice of a ``CountedQuerySet`` not yet built: its length is known from the count, and the
    queryset is built and sliced only when the page's rows are read."""

    def __init__(self, source: CountedQuerySet, index: slice):
        self._source = source
        self._index = index

    def __len__(self) -> int:
        start, stop, _step = self._index.indices(self._source.count())
        return max(0, stop - start)

    def __iter__(self):
        return iter(self._source._built()[self._index])
