"""Panels this app adds to the home page and the organizer area (see project/panels.py)."""

from __future__ import annotations

from django.db.models import Count, Q
from django.utils import timezone

from families.access import scope_to_organizer

from .models import AwardRound, Honour, Nomination, NominationStatus, Objection, Phase

ACTIVE_PHASES = (Phase.UPCOMING, Phase.NOMINATING, Phase.REVIEWING, Phase.WAITING, Phase.VOTING, Phase.PUBLICITY)


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


def latest_honours(request) -> dict:
    honours = list(Honour.objects.for_board()[:6])
    return {"template": "awards/panel_honours.html", "honours": honours}


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


HOME_PANELS = (open_rounds, latest_honours)
ORGANIZER_PANELS = (organizer_work,)
