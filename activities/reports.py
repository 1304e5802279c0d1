"""Volunteering's part of the report workbooks (``project.reports``): hours, activities held, participation, points.

Hours, participation and points are read from the ledger, whose lines carry the
resident's grid at the time: a community's sheet counts its residents' hours
wherever they volunteered. Activities held are those the community hosted (the
street's workbook adds a row for the activities the street hosted).
"""

from __future__ import annotations

from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from families.models import Resident
from project import reports
from project.reports import Scope, Table

from .models import Activity, LedgerEntry, Signup


def _hours(half_hours) -> int | float:
    return reports.number((half_hours or 0) / 2)


def _ledger(scope: Scope):
    return LedgerEntry.objects.filter(scope.period.dates("occurred_on"))


def _volunteered() -> Q:
    """A ledger line of confirmed volunteer hours (a confirmed activity)."""
    return Q(kind=LedgerEntry.Kind.EARNED, half_hours__gt=0)


@reports.measure("hours", title=gettext_lazy("Volunteer hours"), order=10)
def hours(scope: Scope) -> Table:
    """Per unit: the residents with confirmed hours, and the confirmed hours (net of reversals)."""
    counts = scope.grouped(
        _ledger(scope),
        "grid",
        volunteers=Count("resident", distinct=True, filter=_volunteered()),
        half_hours=Sum("half_hours"),
    )
    rows = scope.per_unit(counts, ["volunteers", lambda c: _hours(c.get("half_hours"))])
    headers = [*scope.unit_headers(), _("Volunteers (people)"), _("Volunteer hours (hours)")]
    return Table(headers, rows, scope.totals(rows, width=len(headers)))


@reports.measure("activities", title=gettext_lazy("Activities held"), order=20)
def activities(scope: Scope) -> Table:
    """For a community: each activity it hosted that started in the period (not called off), with its attendance.
    For the street: per host (each community, then the street itself), the activities and their attendance."""
    held = Activity.objects.filter(scope.period.moments("starts_at"), cancelled_at__isnull=True)
    numbers = [_("Signed up (people)"), _("Present (people)"), _("Confirmed hours (hours)")]
    if scope.street:
        counts = {
            row["community_id"]: row
            for row in held.order_by()
            .values("community_id")
            .annotate(held=Count("pk"), signed_up=Sum("confirmed_count"))
        }
        attendance = (
            Signup.objects.filter(activity__in=held, status=Signup.Status.CONFIRMED)
            .order_by()
            .values("activity__community_id")
            .annotate(
                present=Count("pk", filter=Q(attendance=Signup.Attendance.PRESENT)),
                half_hours=Sum("confirmed_half_hours"),
            )
        )
        for row in attendance:
            counts.setdefault(row["activity__community_id"], {}).update(row)
        hosts = [(unit.id, unit.labels[0]) for unit in scope.units()] + [(None, _("Hosted by the street"))]
        rows = [[name, *_activity_numbers(counts.get(host, {}), held=True)] for host, name in hosts]
        headers = [_("Host"), _("Activities held (activities)"), *numbers]
        return Table(headers, rows, scope.totals(rows, width=len(headers)))
    confirmed = Q(signups__status=Signup.Status.CONFIRMED)
    listed = (
        held.filter(community_id=scope.place.id)
        .select_related("type")
        .annotate(
            present=Count("signups", filter=confirmed & Q(signups__attendance=Signup.Attendance.PRESENT)),
            half_hours=Sum("signups__confirmed_half_hours", filter=confirmed),
        )
        .order_by("starts_at", "pk")
    )
    rows = [
        [
            timezone.localtime(activity.starts_at).date(),
            activity.title,
            str(activity.type),
            activity.place,
            *_activity_numbers(
                {"signed_up": activity.confirmed_count, "present": activity.present, "half_hours": activity.half_hours}
            ),
        ]
        for activity in listed
    ]
    headers = [_("Date"), _("Activity"), _("Type"), _("Place"), *numbers]
    totals = [_("Total"), _("%(count)s activities") % {"count": len(rows)}, "", ""]
    totals += [reports.number(sum(row[index] for row in rows)) for index in range(4, 7)]
    return Table(headers, rows, totals)


def _activity_numbers(counts: dict, *, held: bool = False) -> list:
    values = [counts.get("signed_up") or 0, counts.get("present") or 0, _hours(counts.get("half_hours"))]
    return [counts.get("held") or 0, *values] if held else values


@reports.measure("participation", title=gettext_lazy("Participation"), order=30)
def participation(scope: Scope) -> Table:
    """Per unit: residents with at least one confirmed activity in the period (confirmed hours in the ledger) ÷
    verified residents at the period's end (verified by then, in a household living there then)."""
    end = scope.period.end
    participants = scope.grouped(
        _ledger(scope).filter(_volunteered()), "grid", participants=Count("resident", distinct=True)
    )
    at_end = Q(verified_at__isnull=True) | Q(verified_at__date__lte=end)
    living = Q(household__moved_in_on__lte=end) & (
        Q(household__moved_out_on__isnull=True) | Q(household__moved_out_on__gt=end)
    )
    verified = scope.grouped(
        Resident.objects.verified().filter(at_end, living), "household__building__grid", residents=Count("pk")
    )
    rows = [
        [*row, reports.percent(row[-2], row[-1])]
        for row in scope.per_unit(
            {key: {**participants.get(key, {}), **verified.get(key, {})} for key in {*participants, *verified}},
            ["participants", "residents"],
        )
    ]
    headers = [
        *scope.unit_headers(),
        _("Took part (people)"),
        _("Verified residents at the end (people)"),
        _("Participation (%)"),
    ]
    totals = scope.totals(rows, width=len(headers), skip=[len(headers) - 1])
    totals[-1] = reports.percent(totals[-3], totals[-2])
    return Table(headers, rows, totals)


@reports.measure("points", title=gettext_lazy("Points issued and spent"), order=50)
def points(scope: Scope) -> Table:
    """Per unit: points issued (earned for hours, awarded, adjusted, net of reversals) and spent in the stores
    (net of cancelled redemptions), from the ledger."""
    ranked = Q(counts_for_ranking=True)
    counts = scope.grouped(
        _ledger(scope),
        "grid",
        for_hours=Sum("amount", filter=ranked & Q(kind__in=[LedgerEntry.Kind.EARNED, LedgerEntry.Kind.REVERSED])),
        other=Sum("amount", filter=ranked & ~Q(kind__in=[LedgerEntry.Kind.EARNED, LedgerEntry.Kind.REVERSED])),
        spent=Sum("amount", filter=Q(counts_for_ranking=False)),
    )
    issued = lambda c: (c.get("for_hours") or 0) + (c.get("other") or 0)  # noqa: E731
    rows = scope.per_unit(counts, ["for_hours", "other", issued, lambda c: -(c.get("spent") or 0)])
    headers = [
        *scope.unit_headers(),
        _("Issued for hours (points)"),
        _("Awarded or adjusted (points)"),
        _("Issued in all (points)"),
        _("Spent in the stores (points)"),
    ]
    return Table(headers, rows, scope.totals(rows, width=len(headers)))
