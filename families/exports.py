"""The register's export (names and phones, one row per person), registered with the core's exports: written at
once when small, in the background when large (project/exports.py)."""

from __future__ import annotations

from types import SimpleNamespace

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from project import exports

from .access import scope_to_organizer
from .filters import HouseholdFilter
from .models import Household
from .register_io import EXPORT_HEADERS, export_rows

# The register page's filters the export follows, so "export what I see" works.
FILTERS = ("grid", "building", "joined", "q")


def households_for(user, filters: dict):
    """The households ``user`` may export (a grid worker: their grids), narrowed by the register page's filters."""
    households = scope_to_organizer(
        Household.objects.select_related("building__grid__community", "building__grid__parent"),
        user,
        grid_path="building__grid",
    )
    filterset = HouseholdFilter(filters or None, queryset=households, request=SimpleNamespace(user=user))
    if filterset.is_bound and filterset.is_valid():
        households = filterset.qs
    return households


def register_table(params: dict, user) -> exports.Table:
    """The register as ``user`` may export it, with the audit line of the download."""
    from .services import record_register_export

    filters = {key: value for key, value in params.get("filters", {}).items() if key in FILTERS}
    households = households_for(user, filters)
    record_register_export(actor=user, fmt=params.get("fmt", ""), filters=filters)
    total = households.count()
    # As organizers walk the register: grid by grid, building by building, door by door.
    households = households.order_by("building__grid__name", "building__name", "door_label").prefetch_related(
        "residents"
    )
    return exports.Table(
        headers=EXPORT_HEADERS,
        rows=export_rows(households.iterator(chunk_size=2000)),
        title=f"{_('Household register')}-{timezone.localdate():%Y-%m-%d}",
        sheet_title=str(_("Register")),
        total=total,
    )


exports.register("families.register", label=_("The register (households and residents)"), build=register_table)
