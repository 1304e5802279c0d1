"""Panels this app adds to the home page, the organizer area, "my page" and the header (project/registry.py)."""

from __future__ import annotations

from django.db.models import Count, Max, Q
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy

from families.access import scope_to_organizer, verified_membership
from families.models import Resident
from project import registry

from . import conf
from .cards import activity_cards
from .models import Activity, CorrectionRequest, Redemption, Signup, hours_text


@registry.home_panel(order=30)
def upcoming_activities(request: HttpRequest) -> dict:
    """Up to five activities that still take sign-ups (the template explains an empty list): on a community's home,
    those its residents may join; for a verified resident, those they may join (as ``/activities/`` lists)."""
    activities = Activity.objects.for_list().upcoming().with_open_places()
    community = registry.home_community(request)
    membership = verified_membership(request.user) if community is None else None
    if community is not None or membership is not None:
        reach = community.pk if community is not None else membership.community_id
        activities = activities.open_to_community(reach)
    return {
        "template": "activities/panel_upcoming.html",
        "cards": activity_cards(activities.order_by("starts_at", "pk")[:5]),
    }


@registry.organizer_panel(order=20)
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


@registry.me_panel(order=10)
def my_volunteering(request: HttpRequest) -> dict | None:
    """Hours, points, star rank, next sign-ups and waiting redemptions of the reader (two small queries)."""
    membership = verified_membership(request.user)
    if membership is None:
        return None
    # The balance row (absent until the first points) and the waiting redemptions, in one statement.
    mine = (
        Resident.objects.filter(pk=membership.pk)
        .annotate(
            waiting=Count("redemptions", filter=Q(redemptions__status=Redemption.Status.WAITING)),
            balance=Coalesce(Max("points__balance"), 0),
            half_hours=Coalesce(Max("points__half_hours"), 0),
        )
        .values("waiting", "balance", "half_hours")
        .get()
    )
    stars = conf.star_rank(mine["half_hours"])
    now = timezone.now()
    upcoming = list(
        Signup.objects.live()
        .filter(resident=membership, activity__ends_at__gte=now)
        .select_related("activity")
        .only("status", "activity_id", "activity__title", "activity__starts_at", "activity__ends_at")
        .order_by("activity__starts_at")[:5]
    )
    panel = {
        "template": "activities/me_panel.html",
        "hours": hours_text(mine["half_hours"]),
        "balance": mine["balance"],
        "stars": stars,
        "star_range": range(stars),
        "upcoming": upcoming,
        "waiting_redemptions": mine["waiting"],
    }
    if upcoming:  # kept on "my page" between requests: the list changes when one of them ends
        panel["fresh_for"] = int((min(s.activity.ends_at for s in upcoming) - now).total_seconds()) + 1
    return panel


registry.nav_item("activities/nav_items.html", order=30)


# Readable names for this app's actions in the audit log, and for their details.
registry.audit_labels(
    {
        "activities.activity_created": gettext_lazy("Activity added"),
        "activities.activity_changed": gettext_lazy("Activity changed"),
        "activities.activity_called_off": gettext_lazy("Activity called off"),
        "activities.type_added": gettext_lazy("Kind of activity added"),
        "activities.attendance_recorded": gettext_lazy("Attendance recorded"),
        "activities.checkin_code_changed": gettext_lazy("New check-in code"),
        "activities.walk_in_added": gettext_lazy("Walk-in volunteer added"),
        "activities.signup_cancelled": gettext_lazy("Sign-up cancelled"),
        "activities.hours_confirmed": gettext_lazy("Hours confirmed"),
        "activities.hours_added_by_hand": gettext_lazy("Hours added by hand"),
        "activities.correction_accepted": gettext_lazy("Correction of hours accepted"),
        "activities.correction_refused": gettext_lazy("Correction of hours refused"),
        "activities.exported": gettext_lazy("Report exported"),
        "activities.service_record_issued": gettext_lazy("Volunteer service record issued"),
        "points.awarded": gettext_lazy("Points awarded"),
        "points.adjusted": gettext_lazy("Points adjusted"),
        "store.item_created": gettext_lazy("Store item added"),
        "store.item_changed": gettext_lazy("Store item changed"),
        "store.handed_over": gettext_lazy("Store item handed over"),
        "store.redemption_cancelled": gettext_lazy("Exchange cancelled"),
    }
)
registry.audit_detail_names(
    {
        "amount": gettext_lazy("Points"),
        "attendance": gettext_lazy("Attendance"),
        "hours": gettext_lazy("Hours"),
        "points": gettext_lazy("Points"),
        "month": gettext_lazy("Month"),
        "period": gettext_lazy("Period"),
    }
)
