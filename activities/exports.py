"""The 台账 organizers send upward, for one month: hours by grid, activity records and the points ledger.

Rows are generated lazily from ``.iterator()`` over ``values_list`` (no model
instances), so 100,000 ledger lines stream through in a few seconds.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta

from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import LedgerEntry, Signup, hours_text

KINDS = {
    "hours": gettext_lazy("Volunteer hours by grid"),
    "activities": gettext_lazy("Activity records"),
    "ledger": gettext_lazy("Points ledger"),
}


def month_bounds(month_start: date) -> tuple[date, date]:
    following = (month_start.replace(day=28) + timedelta(days=4)).replace(day=1)
    return month_start, following


def _aware(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, datetime.min.time()))


def table(kind: str, month_start: date, *, grid_ids: frozenset[int] | None = None) -> tuple[list[str], Iterator, str]:
    """One export for one month; ``grid_ids`` (a grid worker's grids) keeps the rows of those grids' people."""
    builder = {"hours": hours_by_grid, "activities": activity_records, "ledger": ledger_lines}[kind]
    return builder(month_start, grid_ids=grid_ids)


def _in_grids(queryset, grid_ids: frozenset[int] | None, path: str):
    return queryset if grid_ids is None else queryset.filter(**{f"{path}__in": grid_ids})


def hours_by_grid(month_start: date, *, grid_ids: frozenset[int] | None = None):
    start, end = month_bounds(month_start)
    rows = (
        _in_grids(LedgerEntry.objects.all(), grid_ids, "grid")
        .filter(occurred_on__gte=start, occurred_on__lt=end)
        .exclude(half_hours=0)
        .values("grid__name", "grid__sort_order")
        .annotate(half_hours=Sum("half_hours"), volunteers=Count("resident", distinct=True), points=Sum("amount"))
        .order_by("grid__sort_order", "grid__name")
    )
    headers = [_("Month"), _("Grid"), _("Volunteers"), _("Confirmed hours"), _("Points earned")]

    def generate():
        for row in rows:
            yield [f"{month_start:%Y-%m}", row["grid__name"], row["volunteers"], row["half_hours"] / 2, row["points"]]

    return headers, generate(), str(KINDS["hours"])


def activity_records(month_start: date, *, grid_ids: frozenset[int] | None = None):
    start, end = month_bounds(month_start)
    fields = (
        "activity__starts_at",
        "activity__ends_at",
        "activity__title",
        "activity__type__name",
        "activity__place",
        "resident__full_name",
        "resident__household__building__name",
        "resident__household__building__grid__name",
        "status",
        "attendance",
        "checked_in_at",
        "checked_out_at",
        "confirmed_half_hours",
        "manual_reason",
        "hours_confirmed_at",
        "hours_confirmed_by__username",
    )
    queryset = (
        _in_grids(Signup.objects.all(), grid_ids, "resident__household__building__grid")
        .exclude(status=Signup.Status.CANCELLED)
        .filter(activity__starts_at__gte=_aware(start), activity__starts_at__lt=_aware(end))
        .order_by("activity__starts_at", "activity_id", "pk")
        .values_list(*fields)
    )
    headers = [
        _("Starts"),
        _("Ends"),
        _("Activity"),
        _("Type"),
        _("Place"),
        _("Volunteer"),
        _("Building"),
        _("Grid"),
        _("Sign-up"),
        _("Attendance"),
        _("Checked in"),
        _("Checked out"),
        _("Confirmed hours"),
        _("Reason for hours added by hand"),
        _("Hours confirmed"),
        _("Confirmed by"),
    ]
    statuses, attendances = dict(Signup.Status.choices), dict(Signup.Attendance.choices)

    def generate():
        for row in queryset.iterator(chunk_size=2000):
            row = list(row)
            row[8] = str(statuses.get(row[8], row[8]))
            row[9] = str(attendances.get(row[9], row[9]))
            row[12] = row[12] / 2 if row[12] is not None else None
            yield row

    return headers, generate(), str(KINDS["activities"])


def ledger_lines(month_start: date, *, grid_ids: frozenset[int] | None = None):
    start, end = month_bounds(month_start)
    fields = (
        "pk",
        "created_at",
        "occurred_on",
        "kind",
        "amount",
        "half_hours",
        "resident__full_name",
        "household__display_name",
        "building__name",
        "grid__name",
        "source",
        "idempotency_key",
        "reverses_id",
        "created_by__username",
    )
    queryset = (
        _in_grids(LedgerEntry.objects.all(), grid_ids, "resident__household__building__grid")
        .filter(occurred_on__gte=start, occurred_on__lt=end)
        .order_by("pk")
        .values_list(*fields)
    )
    headers = [
        _("No."),
        _("Written"),
        _("Date"),
        _("Kind"),
        _("Points"),
        _("Hours"),
        _("Resident"),
        _("Household"),
        _("Building"),
        _("Grid"),
        _("Source"),
        _("Unique key"),
        _("Reverses entry"),
        _("Written by"),
    ]
    kinds = {key: str(label) for key, label in LedgerEntry.Kind.choices}

    def generate():
        for row in queryset.iterator(chunk_size=5000):
            row = list(row)
            row[3] = kinds.get(row[3], row[3])
            row[5] = row[5] / 2
            yield row

    return headers, generate(), str(KINDS["ledger"])


__all__ = ["KINDS", "table", "hours_text"]


def row_estimate(kind: str, month_start: date, *, grid_ids: frozenset[int] | None = None) -> int:
    """About how many rows a report of ``kind`` has (one count query): large ones are written in the background."""
    start, end = month_bounds(month_start)
    if kind == "ledger":
        entries = _in_grids(LedgerEntry.objects.all(), grid_ids, "resident__household__building__grid")
        return entries.filter(occurred_on__gte=start, occurred_on__lt=end).count()
    if kind == "activities":
        signups = _in_grids(Signup.objects.all(), grid_ids, "resident__household__building__grid")
        return signups.filter(activity__starts_at__gte=_aware(start), activity__starts_at__lt=_aware(end)).count()
    return 0  # one row per grid


def report(kind: str, params: dict, user):
    """The report ``kind`` of ``params["month"]`` as ``user`` may read it (their grids), with its audit line;
    registered with the core's exports (project.exports), which write it at once or in the background."""
    from families.access import organizer_grid_ids
    from project.exports import Table

    from . import services

    month_start = datetime.strptime(params["month"], "%Y-%m").date()
    grid_ids = organizer_grid_ids(user)
    headers, rows, title = table(kind, month_start, grid_ids=grid_ids)
    services.record_export(actor=user, kind=kind, month=params["month"])
    total = row_estimate(kind, month_start, grid_ids=grid_ids)
    return Table(headers=headers, rows=rows, title=f"{title}-{month_start:%Y-%m}", sheet_title=title, total=total)


def _register() -> None:
    from functools import partial

    from project import exports

    for kind, label in KINDS.items():
        exports.register(f"activities.{kind}", label=label, build=partial(report, kind))


_register()
