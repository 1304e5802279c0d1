"""Pagination over a list whose size is already known (kept in a shared fragment or on a row)."""

from __future__ import annotations

from django.db.models import QuerySet


class CountedQuerySet:
    """A queryset for Django's ``Paginator`` with its count given: the paginator takes ``count()`` from here
    instead of running ``COUNT(*)``, and a page's slice stays a lazy queryset, read only if iterated.

    For lists whose count is shared between readers (``publiccache.cached_fragment``), so a page served from
    shared fragments runs no query for its length or its rows."""

    def __init__(self, queryset: QuerySet, count: int):
        self.queryset = queryset
        self._count = count

    def count(self) -> int:
        return self._count

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, index):
        return self.queryset[index]
