"""Panels this app adds to the home page and the organizer area (see project/panels.py)."""

from __future__ import annotations

from .access import is_organizer, scope_to_organizer
from .models import MottoRevision, Resident


def register_panel(request) -> dict | None:
    """What waits for organizers in the register: members to approve and mottos to review."""
    if not is_organizer(request.user):
        return None
    members = scope_to_organizer(Resident.objects.pending(), request.user, grid_path="household__building__grid")
    mottos = scope_to_organizer(
        MottoRevision.objects.pending(), request.user, grid_path="motto__household__building__grid"
    )
    return {
        "template": "families/panel_register.html",
        "members_waiting": members.count(),
        "mottos_waiting": mottos.count(),
    }


def motto_wall_panel(request) -> dict:
    """The newest mottos on the wall (one query), or an explanation of what will appear."""
    from .models import FamilyMotto

    return {"template": "families/panel_mottos.html", "mottos": list(FamilyMotto.objects.on_wall()[:3])}


HOME_PANELS = (motto_wall_panel,)
ORGANIZER_PANELS = (register_panel,)
