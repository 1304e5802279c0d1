"""Numbers about rounds that other pages (the dashboard, the round page) show; aggregate queries only."""

from __future__ import annotations

from django.db.models import Count

from families.models import Building, Resident

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
    eligible = dict(
        Resident.objects.verified().values_list("household__building_id").annotate(n=Count("id")).order_by()
    )
    return [(name, voters.get(pk, 0), eligible.get(pk, 0)) for pk, name in Building.objects.values_list("pk", "name")]


def turnout_total(rows: list[tuple[str, int, int]]) -> tuple[int, int]:
    """Voters so far and eligible voters over all buildings."""
    return sum(r[1] for r in rows), sum(r[2] for r in rows)
