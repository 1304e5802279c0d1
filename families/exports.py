"""The register's export (names and phones, one row per person), registered with the core's exports: written at
once when small, in the background when large (project/exports.py); and a building's join slips on paper (PDF),
written in the background."""

from __future__ import annotations

from types import SimpleNamespace

from django.db.models import Case, Value, When
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from project import exports, pdf
from project.access import is_organizer
from project.codes import qr_svg

from .access import scope_to_organizer
from .filters import HouseholdFilter
from .models import Building, Household
from .register_io import EXPORT_HEADERS, export_rows

# The rows in the order of the file's own columns: community (the street's order), first-level grid, second-level
# grid, building, door; so an export read back and exported again is the same file, whatever order rows were added.
EXPORT_ORDER = (
    "building__grid__community__sort_order",
    "building__grid__community__name",
    Coalesce("building__grid__parent__name", "building__grid__name"),
    Case(When(building__grid__parent__isnull=True, then=Value("")), default="building__grid__name"),
    "building__name",
    "door_label",
    "pk",
)

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
    households = households.order_by(*EXPORT_ORDER).prefetch_related("residents")
    return exports.Table(
        headers=EXPORT_HEADERS,
        rows=export_rows(households.iterator(chunk_size=2000)),
        title=f"{_('Household register')}-{timezone.localdate():%Y-%m-%d}",
        sheet_title=str(_("Register")),
        total=total,
    )


exports.register("families.register", label=_("The register (households and residents)"), build=register_table)


# --- Join slips on paper ----------------------------------------------------------------

# A4 portrait, two columns of four slips (templates/families/paper/join_slips.html draws the same grid, in mm).
SLIPS_PER_SHEET = 8
SLIP_WIDTH_MM, SLIP_HEIGHT_MM, SLIP_COLUMNS = 91, 67, 2


def slips_building(user, building_id) -> Building:
    """The building whose slips ``user`` may print: an organizer's, in their grids; anything else is refused
    (the parameters of a background job come from the asker, so a grid worker could name any building)."""
    try:
        building_id = int(building_id)
    except (TypeError, ValueError):
        building_id = None
    building = None
    if building_id is not None and 0 < building_id < 2**31 and is_organizer(user):  # a key the database can hold
        building = (
            scope_to_organizer(Building.objects.select_related("grid__community"), user, grid_path="grid")
            .filter(pk=building_id)
            .first()
        )
    if building is None:
        raise exports.ExportRefused(gettext("You cannot print the join slips of this building."))
    return building


def _sheet(building: Building, households: list[Household], *, join_url: str, join_qr: str):
    slips = [
        {
            "household": household,
            "left": (index % SLIP_COLUMNS) * SLIP_WIDTH_MM,
            "top": (index // SLIP_COLUMNS) * SLIP_HEIGHT_MM,
        }
        for index, household in enumerate(households)
    ]
    rows = SLIPS_PER_SHEET // SLIP_COLUMNS
    context = {
        "building": building,
        "slips": slips,
        "join_url": join_url,
        "join_qr": join_qr,
        "community_name": building.grid.community.name,
        "cuts_across": [row * SLIP_HEIGHT_MM for row in range(rows + 1)],
        "cuts_down": [column * SLIP_WIDTH_MM for column in range(SLIP_COLUMNS + 1)],
    }
    return pdf.render("families/paper/join_slips.html", context, language=pdf.PAPER_LANGUAGE, size="a4")


def join_slips_paper(params: dict, user) -> pdf.Paper:
    """A building's join slips as A4 sheets of eight (one document a sheet), for an organizer whose grids hold
    the building; the codes are those of the moment the file is written, and the audit log says who wrote it."""
    from .services import record_join_slips_printed

    building = slips_building(user, params.get("building"))
    households = list(building.households.order_by("door_label"))
    if not households:
        raise exports.ExportRefused(gettext("This building has no households yet."))
    record_join_slips_printed(actor=user, building=building, slips=len(households))
    join_url = pdf.absolute_url(reverse("families:join"), params.get("origin") or pdf.site_origin())
    join_qr = mark_safe(qr_svg(join_url, label=""))  # noqa: S308 - markup drawn by qrcode from our own address
    sheets = [households[start : start + SLIPS_PER_SHEET] for start in range(0, len(households), SLIPS_PER_SHEET)]
    return pdf.Paper(
        title=f"{gettext('Join slips')}-{building.name}-{timezone.localdate():%Y-%m-%d}",
        documents=(_sheet(building, sheet, join_url=join_url, join_qr=join_qr) for sheet in sheets),
        total=len(sheets),
    )


exports.register("families.join_slips", label=_("Join slips (PDF)"), build=join_slips_paper, paper=True)
