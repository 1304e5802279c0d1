"""Cheap numbers for the dashboard: a few aggregate queries each, plain lists back.

Hours and points issued per month come from the maintained leaderboard rows of
the grids (a handful of rows per month), never from summing the whole ledger.
"""

from __future__ import annotations

from datetime import date

from django.db.models import Count, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from families.models import Grid

from .models import LedgerEntry, PointsAggregate


def _month_labels(months: int) -> list[str]:
    today = timezone.localdate()
    index = today.year * 12 + today.month - 1
    return [f"{i // 12}-{i % 12 + 1:02d}" for i in range(index - months + 1, index + 1)]


def _first_day(label: str) -> date:
    return date(int(label[:4]), int(label[5:7]), 1)


def _grid_month_totals(labels: list[str]) -> dict[str, dict]:
    rows = (
        PointsAggregate.objects.filter(scope="grid", period_kind="month", period_key__in=labels)
        .values("period_key")
        .annotate(points=Sum("points"), half_hours=Sum("half_hours"))
    )
    return {row["period_key"]: row for row in rows}


def hours_by_month(months: int = 12) -> list[tuple[str, float]]:
    """Confirmed volunteer hours per month, oldest first: [("2026-11", 132.5), …]."""
    labels = _month_labels(months)
    totals = _grid_month_totals(labels)
    return [(label, (totals.get(label, {}).get("half_hours") or 0) / 2) for label in labels]


def participation_by_grid() -> list[tuple[str, int]]:
    """Distinct volunteers with confirmed hours per grid over the last 12 months: [("第一网格", 41), …]."""
    since = _first_day(_month_labels(12)[0])
    counts = dict(
        LedgerEntry.objects.filter(kind=LedgerEntry.Kind.EARNED, half_hours__gt=0, occurred_on__gte=since)
        .values("grid_id")
        .annotate(volunteers=Count("resident", distinct=True))
        .values_list("grid_id", "volunteers")
    )
    return [(grid.name, counts.get(grid.pk, 0)) for grid in Grid.objects.all()]


def points_by_month(months: int = 12) -> list[tuple[str, int, int]]:
    """Points issued (earned, awarded, adjusted, net of reversals) and redeemed (net of cancellations) per month."""
    labels = _month_labels(months)
    totals = _grid_month_totals(labels)
    redeemed = {
        f"{row['month']:%Y-%m}": -(row["points"] or 0)
        for row in LedgerEntry.objects.filter(counts_for_ranking=False, occurred_on__gte=_first_day(labels[0]))
        .annotate(month=TruncMonth("occurred_on"))
        .values("month")
        .annotate(points=Sum("amount"))
        .order_by()
    }
    return [(label, totals.get(label, {}).get("points") or 0, redeemed.get(label, 0)) for label in labels]
