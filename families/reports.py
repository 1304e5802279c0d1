"""The register's part of the report workbooks (``project.reports``): the places, and households moved in and out."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Count, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from project import reports
from project.reports import Place, Scope, Table, Unit

from .access import organizer_community_ids
from .models import Community, Grid, Household


def _communities() -> list[Place]:
    return [Place(c.pk, c.name, c.slug) for c in Community.objects.order_by("sort_order", "name")]


def _grids(community_id: int) -> list[Unit]:
    """The community's lowest grids (those holding buildings), a second-level grid under its first-level one."""
    grids = Grid.objects.filter(community_id=community_id, children__isnull=True).select_related("parent")

    def place(grid: Grid) -> tuple:
        top = grid.parent or grid
        return (top.sort_order, top.name, grid.sort_order if grid.parent_id else -1, grid.name)

    return [
        Unit(grid.pk, (grid.parent.name, grid.name) if grid.parent_id else (grid.name, ""))
        for grid in sorted(grids, key=place)
    ]


def _allowed(user) -> frozenset[int] | None:
    """A street organizer every community and the street; a community organizer their communities; anyone else
    (a grid worker) none."""
    return organizer_community_ids(user)


def _street() -> str:
    return getattr(settings, "STREET_NAME", "") or _("The street")


reports.register_places(communities=_communities, grids=_grids, allowed=_allowed, street=_street)


@reports.measure("households", title=gettext_lazy("Households moved in and out"), order=60)
def households(scope: Scope) -> Table:
    """Per unit: households that moved in and moved out during the period, and those living there at its end."""
    period = scope.period
    living = Q(moved_in_on__lte=period.end) & (Q(moved_out_on__isnull=True) | Q(moved_out_on__gt=period.end))
    counts = scope.grouped(
        Household.objects.all(),
        "building__grid",
        moved_in=Count("pk", filter=period.dates("moved_in_on")),
        moved_out=Count("pk", filter=period.dates("moved_out_on")),
        living=Count("pk", filter=living),
    )
    rows = scope.per_unit(counts, ["moved_in", "moved_out", "living"])
    headers = [
        *scope.unit_headers(),
        _("Moved in (households)"),
        _("Moved out (households)"),
        _("Living here at the end (households)"),
    ]
    return Table(headers, rows, scope.totals(rows, width=len(headers)))
