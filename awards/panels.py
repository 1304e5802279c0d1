"""Panels this app adds to the home page, the organizer area, "my page" and the header (project/registry.py)."""

from __future__ import annotations

import re
from functools import lru_cache

from django.db.models import Count, Q
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from families.access import scope_to_organizer, verified_membership
from project import registry
from project.publiccache import cached_fragment

from .freshness import ROUNDS
from .models import AwardRound, Honour, Nomination, NominationStatus, Objection, Phase, Vote

ACTIVE_PHASES = (Phase.UPCOMING, Phase.NOMINATING, Phase.REVIEWING, Phase.WAITING, Phase.VOTING, Phase.PUBLICITY)


@registry.home_panel(order=10)
def open_rounds(request) -> dict:
    now = timezone.now()
    rounds = []
    running = AwardRound.objects.visible_to(request.user).visible().unfinished()
    community = registry.home_community(request)
    if community is not None:  # a community's home: its own rounds and the street's, which its residents join too
        running = running.filter(Q(community=community) | Q(community__isnull=True))
    for round in running[:20]:
        phase = round.phase(now)
        if phase in ACTIVE_PHASES or phase in (Phase.COUNTING, Phase.PUBLISHING):
            round.phase_now = phase
            round.phase_now_label = Phase(phase).label
            rounds.append(round)
    return {"template": "awards/panel_rounds.html", "rounds": rounds[:5]}


@registry.home_panel(order=20)
def latest_honours(request) -> dict:
    honours = Honour.objects.for_board()
    community = registry.home_community(request)
    if community is not None:
        honours = honours.in_community(community)
    honours = list(honours[:6])
    return {"template": "awards/panel_honours.html", "honours": honours}


@registry.organizer_panel(order=10)
def organizer_work(request) -> dict:
    waiting = scope_to_organizer(
        Nomination.objects.filter(status=NominationStatus.SUBMITTED, round__published_at__isnull=True), request.user
    ).count()
    desk = AwardRound.objects.for_organizer(request.user)
    objections = Objection.objects.filter(
        answered_at__isnull=True, round__published_at__isnull=True, round__in=desk.values("pk")
    ).count()
    now = timezone.now()
    needing = []
    for round in desk.unfinished().annotate(
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
    """My latest nominations, and my ballot in rounds still running: my votes and those a housemate cast for the
    whole household (two queries, and the ballot's lines from a fragment shared by every reader)."""
    membership = verified_membership(request.user)
    if membership is None:
        return None
    voted = Vote.objects.filter(
        household_id=membership.household_id,
        unit_key__in=[f"r{membership.pk}", f"h{membership.household_id}"],  # never a housemate's own vote
    ).current()
    ids = list(dict.fromkeys(voted.values_list("nomination_id", flat=True)))
    lines = dict(_shared_lines(cached_fragment("awards:ballot-lines", ROUNDS, _ballot_lines)))
    missing = [pk for pk in ids if str(pk) not in lines]  # voted for, and no longer shortlisted: drawn here
    if missing:
        lines.update(_LINE.findall(_ballot_lines(Nomination.objects.filter(pk__in=missing))))
    order = {int(pk): position for position, pk in enumerate(lines)}
    return {
        "template": "awards/me_panel.html",
        "membership": membership,
        "nominations": list(Nomination.objects.filter(nominator=membership).recent()),
        "ballot": mark_safe("".join(lines[str(pk)] for pk in sorted(ids, key=order.__getitem__))),  # noqa: S308
    }


_LINE = re.compile(r"<!--line:(\d+)-->(.*?)<!--/line-->", re.S)


@lru_cache(maxsize=4)
def _shared_lines(shared: str) -> tuple[tuple[str, str], ...]:
    """The shared ballot lines as (nomination id, line): parsed once per process for each version of them (the
    same string comes back until the rounds change), rather than searched again by every request."""
    return tuple(_LINE.findall(shared))


def _ballot_lines(nominations=None) -> str:
    """A line for each nomination that can be on a ballot (shortlisted, in a round not yet published), in the
    order of the rounds and their categories."""
    if nominations is None:
        nominations = Nomination.objects.filter(round__published_at__isnull=True, status=NominationStatus.SHORTLISTED)
    nominations = nominations.select_related("round", "entry__category", "building", "household", "resident")
    return render_to_string(
        "awards/includes/ballot_lines.html", {"nominations": nominations.order_by("round", "entry", "id")}
    )


@registry.section("families.building")
def building_honours(request, building) -> dict:
    """The honours this building and its households won (one query), on the building's page."""
    return {
        "template": "awards/building_honours.html",
        "honours": list(Honour.objects.for_board().filter(building=building)[:50]),
    }


registry.nav_item("awards/board/nav_item.html", order=10)
registry.nav_item("awards/nav_items.html", order=20)


# Readable names for this app's actions in the audit log and on the round desk, and for their details.
registry.audit_labels(
    {
        "awards.category_created": gettext_lazy("Award category added"),
        "awards.category_changed": gettext_lazy("Award category changed"),
        "awards.round_created": gettext_lazy("Selection created"),
        "awards.round_timeline_changed": gettext_lazy("Selection's timeline changed"),
        "awards.round_category_added": gettext_lazy("Category added to the selection"),
        "awards.round_category_changed": gettext_lazy("Category of the selection changed"),
        "awards.voting_closed": gettext_lazy("Voting closed early"),
        "awards.taken_forward": gettext_lazy("Communities' winners taken forward (推荐上报)"),
        "awards.nomination_shortlisted": gettext_lazy("Nomination shortlisted"),
        "awards.nomination_rejected": gettext_lazy("Nomination not accepted"),
        "awards.nomination_merged": gettext_lazy("Nominations merged"),
        "awards.nomination_linked": gettext_lazy("Nominee found in the register"),
        "awards.citation_edited": gettext_lazy("Citation edited"),
        "awards.paper_tally_entered": gettext_lazy("Paper ballots entered"),
        "awards.winners_confirmed": gettext_lazy("Winners confirmed"),
        "awards.winners_confirmed_with_override": gettext_lazy("Winners confirmed with a change to the count"),
        "awards.objection_answered": gettext_lazy("Objection answered"),
        "awards.round_published": gettext_lazy("Honours published"),
        "awards.honour_withdrawn": gettext_lazy("Honour withdrawn"),
    }
)
registry.audit_detail_names(
    {
        "announced": gettext_lazy("Announced"),
        "answer": gettext_lazy("Answer"),
        "categories": gettext_lazy("Categories"),
        "category": gettext_lazy("Category"),
        "changed": gettext_lazy("Changed"),
        "closed": gettext_lazy("Closed at"),
        "counts": gettext_lazy("Counts"),
        "detail": gettext_lazy("Detail"),
        "honours": gettext_lazy("Certificates"),
        "merged_into": gettext_lazy("Merged into nomination"),
        "nomination": gettext_lazy("Nomination"),
        "objection": gettext_lazy("Objection"),
        "planned_close": gettext_lazy("Planned close"),
        "resident": gettext_lazy("Resident"),
        "round": gettext_lazy("Selection"),
        "seconds_added": gettext_lazy("Seconds added"),
        "self_nomination_allowed": gettext_lazy("Self-nomination allowed"),
        "timeline": gettext_lazy("Timeline"),
        "typed_name": gettext_lazy("Typed name"),
        "vote_unit": gettext_lazy("Who votes"),
        "votes_per_voter": gettext_lazy("Votes per voter"),
        "winners": gettext_lazy("Winners"),
    }
)
