"""Panels this app adds to the home page and the organizer area (see project/panels.py)."""

from __future__ import annotations

from django.utils import timezone

from . import conf
from .access import is_organizer, scope_to_organizer
from .models import Household, MottoRevision, Resident


def register_panel(request) -> dict | None:
    """What waits for organizers in the register: join requests to approve, unusual joins, mottos to review."""
    if not is_organizer(request.user):
        return None
    members = scope_to_organizer(Resident.objects.pending(), request.user, grid_path="household__building__grid")
    mottos = scope_to_organizer(
        MottoRevision.objects.pending(), request.user, grid_path="motto__household__building__grid"
    )
    unusual = scope_to_organizer(
        Household.objects.with_unusual_joins(
            since=timezone.now() - conf.unusual_join_window(), accounts=conf.unusual_join_accounts()
        ).select_related("building"),
        request.user,
        grid_path="building__grid",
    )
    return {
        "template": "families/panel_register.html",
        "members_waiting": members.count(),
        "mottos_waiting": mottos.count(),
        "unusual_joins": list(unusual[: conf.unusual_joins_shown()]),
    }


def motto_wall_panel(request) -> dict:
    """The newest mottos on the wall (one query), or an explanation of what will appear."""
    from .models import FamilyMotto

    return {"template": "families/panel_mottos.html", "mottos": list(FamilyMotto.objects.on_wall()[:3])}


HOME_PANELS = (motto_wall_panel,)
ORGANIZER_PANELS = (register_panel,)
