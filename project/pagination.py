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
        if callable(self._rows):
            self._rows = self._rows()
        return self._rows[index]
