"""Honours' part of the report workbooks (``project.reports``): award rounds published in the period, and results.

A community's sheet lists, per category, the rounds it held and the street's
rounds published in the period; its numbers count nominations of its own
buildings, households and residents only. The street's sheet has a row per
community: the rounds it published, and its nominations and winners in any
round (its own and the street's).
"""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from project import reports
from project.reports import Scope, Table

from .models import AwardRound, Nomination, NominationStatus, RoundCategory

# Withdrawn, declined and merged nominations were never counted as such.
COUNTED = (NominationStatus.SUBMITTED, NominationStatus.SHORTLISTED, NominationStatus.REJECTED)


def _published(scope: Scope):
    return AwardRound.objects.filter(scope.period.moments("published_at"))


@reports.measure("awards", title=gettext_lazy("Award rounds and results"), order=40)
def awards(scope: Scope) -> Table:
    counted = Q(status__in=COUNTED)
    if scope.street:
        rounds = dict(
            _published(scope)
            .filter(community__isnull=False)
            .order_by()
            .values("community_id")
            .annotate(n=Count("pk"))
            .values_list("community_id", "n")
        )
        counts = scope.grouped(
            Nomination.objects.filter(round__in=_published(scope)),
            "building__grid",
            nominations=Count("pk", filter=counted),
            winners=Count("pk", filter=Q(is_winner=True)),
            street_winners=Count("pk", filter=Q(is_winner=True, round__community__isnull=True)),
        )
        rows = scope.per_unit(counts, [lambda c: 0, "nominations", "winners", "street_winners"])
        for unit, row in zip(scope.units(), rows, strict=True):
            row[1] = rounds.get(unit.id, 0)
        headers = [
            _("Community"),
            _("Rounds published (rounds)"),
            _("Nominations (nominations)"),
            _("Winners (winners)"),
            _("Of them in the street's rounds (winners)"),
        ]
        return Table(headers, rows, scope.totals(rows, width=len(headers)))
    ours = Q(nominations__building__grid__community_id=scope.place.id)
    entries = (
        RoundCategory.objects.filter(
            Q(round__community_id=scope.place.id) | Q(round__community__isnull=True), round__in=_published(scope)
        )
        .select_related("round", "category")
        .annotate(
            nominated=Count("nominations", filter=ours & Q(nominations__status__in=COUNTED)),
            won=Count("nominations", filter=ours & Q(nominations__is_winner=True)),
        )
        .order_by("round__published_at", "round_id", "category__sort_order", "category__name")
    )
    winners = defaultdict(list)
    for nomination in (
        Nomination.objects.filter(
            round__in=_published(scope), is_winner=True, building__grid__community_id=scope.place.id
        )
        .select_related("building", "household", "resident")
        .order_by("pk")
    ):
        winners[nomination.entry_id].append(nomination.target_name)
    street = reports.street_place().name
    rows = [
        [
            entry.round.title,
            scope.place.name if entry.round.community_id else street,
            entry.category.name,
            timezone.localtime(entry.round.published_at).date(),
            entry.nominated,
            entry.won,
            "、".join(winners[entry.pk]),
        ]
        for entry in entries
    ]
    headers = [
        _("Round"),
        _("Held by"),
        _("Category"),
        _("Published"),
        _("Nominations (nominations)"),
        _("Winners (winners)"),
        _("Winners' names"),
    ]
    totals = [_("Total"), "", "", "", sum(row[4] for row in rows), sum(row[5] for row in rows), ""]
    return Table(headers, rows, totals)
