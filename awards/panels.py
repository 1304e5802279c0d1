"""Panels this app adds to the home page, the organizer area, "my page" and the header (project/registry.py)."""

from __future__ import annotations

from django.db.models import Count, Q
from django.utils import timezone

from families.access import scope_to_organizer, verified_membership
from project import registry

from .models import AwardRound, Honour, Nomination, NominationStatus, Objection, Phase, Vote

ACTIVE_PHASES = (Phase.UPCOMING, Phase.NOMINATING, Phase.REVIEWING, Phase.WAITING, Phase.VOTING, Phase.PUBLICITY)


@registry.home_panel(order=10)
def open_rounds(request) -> dict:
    now = timezone.now()
    rounds = []
    for round in AwardRound.objects.visible().unfinished()[:20]:
        phase = round.phase(now)
        if phase in ACTIVE_PHASES or phase in (Phase.COUNTING, Phase.PUBLISHING):
            round.phase_now = phase
            round.phase_now_label = Phase(phase).label
            rounds.append(round)
    return {"template": "awards/panel_rounds.html", "rounds": rounds[:5]}


@registry.home_panel(order=20)
def latest_honours(request) -> dict:
    honours = list(Honour.objects.for_board()[:6])
    return {"template": "awards/panel_honours.html", "honours": honours}


@registry.organizer_panel(order=10)
def organizer_work(request) -> dict:
    waiting = scope_to_organizer(
        Nomination.objects.filter(status=NominationStatus.SUBMITTED, round__published_at__isnull=True), request.user
    ).count()
    objections = Objection.objects.filter(answered_at__isnull=True, round__published_at__isnull=True).count()
    now = timezone.now()
    needing = []
    for round in AwardRound.objects.unfinished().annotate(
        waiting=Count("nominations", filter=Q(nominations__status=NominationStatus.SUBMITTED))
    ):
        phase = round.phase(now)
        if phase in (Phase.COUNTING, Phase.PUBLISHING) or (round.waiting and round.under_review(now)):
            round.phase_now_label = Phase(phase).label
            needing.append(round)
    return {
        "template": "awards/panel_organizer.html",
        "waiting": waiting,
        "objections": objections,
        "rounds": needing,
    }


@registry.me_panel(order=20)
def my_nominations_and_votes(request) -> dict | None:
    """My latest nominations and my household's ballot in rounds still running (two queries)."""
    membership = verified_membership(request.user)
    if membership is None:
        return None
    return {
        "template": "awards/me_panel.html",
        "membership": membership,
        "nominations": list(Nomination.objects.filter(nominator=membership).recent()),
        "votes": list(Vote.objects.filter(household_id=membership.household_id).current()),
    }


@registry.section("families.building")
def building_honours(request, building) -> dict:
    """The honours this building and its households won (one query), on the building's page."""
    return {
        "template": "awards/building_honours.html",
        "honours": list(Honour.objects.for_board().filter(building=building)[:50]),
    }


registry.nav_item("awards/board/nav_item.html", order=10)
registry.nav_item("awards/nav_items.html", order=20)
