"""Panels this app adds to the home page and the organizer area (see project/panels.py)."""

from __future__ import annotations

from django.http import HttpRequest

from families.access import scope_to_organizer

from .models import Activity, CorrectionRequest, Redemption, Signup


def upcoming_activities(request: HttpRequest) -> dict:
    """Up to five activities that still take sign-ups (the template explains an empty list)."""
    activities = list(Activity.objects.for_list().upcoming().with_open_places().order_by("starts_at", "pk")[:5])
    return {"template": "activities/panel_upcoming.html", "activities": activities}


def waiting_for_organizers(request: HttpRequest) -> dict:
    """What waits, counted for the organizer's grids (a grid worker) or the whole community."""
    user = request.user
    return {
        "template": "activities/panel_organizer.html",
        "hours_to_confirm": scope_to_organizer(Signup.objects.hours_to_confirm(), user).count(),
        "corrections": scope_to_organizer(
            CorrectionRequest.objects.filter(status=CorrectionRequest.Status.PENDING), user
        ).count(),
        "redemptions": scope_to_organizer(Redemption.objects.filter(status=Redemption.Status.WAITING), user).count(),
    }


HOME_PANELS = (upcoming_activities,)
ORGANIZER_PANELS = (waiting_for_organizers,)
