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


HOME_PANELS = ()
ORGANIZER_PANELS = (register_panel,)
