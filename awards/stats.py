"""Numbers about rounds that other pages (the dashboard, the round page) show; aggregate queries only."""

from __future__ import annotations

from django.db.models import Count

from families.models import Building

from .models import AwardRound, Vote


def turnout_by_building(round: AwardRound) -> list[tuple[str, int, int]]:
    """(building name, residents who have voted so far, verified residents) per building, in three queries.

    A resident counts as a voter once they cast any vote in the round (in
    household-mode categories, the member who cast the household's vote).
    """
    voters = dict(
        Vote.objects.filter(round=round)
        .values_list("building_id")
        .annotate(n=Count("voter_id", distinct=True))
        .order_by()
    )
    eligible = dict(round.voters().values_list("household__building_id").annotate(n=Count("id")).order_by())
    buildings = Building.objects.all()
    if not round.is_street_round:  # a community's round: its buildings only
        buildings = buildings.filter(grid__community_id=round.community_id)
    return [(name, voters.get(pk, 0), eligible.get(pk, 0)) for pk, name in buildings.values_list("pk", "name")]


def turnout_total(rows: list[tuple[str, int, int]]) -> tuple[int, int]:
    """Voters so far and eligible voters over all buildings."""
    return sum(r[1] for r in rows), sum(r[2] for r in rows)
