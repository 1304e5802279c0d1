"""Volunteer activities, sign-ups and attendance; the append-only points ledger and its cached balances; the store.

Hours are kept as whole *half hours* (an integer) everywhere: credit is counted
in half hours, so integers keep every sum exact on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import functools
import re
from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Count, F, Q
from django.utils import timezone, translation
from django.utils.translation import get_language, gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from families.models import Building, Grid, Household, Resident
from project.codes import DIGIT_ALPHABET, new_code
from project.images import PHOTO_FIELD_KWARGS

from . import conf


def new_checkin_code() -> str:
    """Six digits read aloud at the venue (project.codes: no 0 or 1)."""
    return new_code(6, DIGIT_ALPHABET)


def new_pickup_code() -> str:
    """Eight characters without look-alikes, shown at the store counter (project.codes)."""
    return new_code(8)


def hours_text(half_hours: int | None) -> str:
    """Half hours as hours for people: 7 → "3.5", 8 → "4"."""
    half_hours = half_hours or 0
    return f"{half_hours // 2}.5" if half_hours % 2 else str(half_hours // 2)


class ActivityType(models.Model):
    """A kind of activity: 环境整治, 助老, 文明劝导, 便民服务, and others organizers add."""

    name = models.CharField(_("name (Chinese)"), max_length=40, unique=True)
    name_en = models.CharField(_("name (English)"), max_length=60, blank=True)
    sort_order = models.PositiveIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        ordering = ["sort_order", "name"]
        verbose_name = _("activity type")
        verbose_name_plural = _("activity types")

    def __str__(self) -> str:
        if self.name_en and (get_language() or "").startswith("en"):
            return self.name_en
        return self.name


class ActivityQuerySet(models.QuerySet):
    def with_recount(self) -> ActivityQuerySet:
        """Annotate ``recounted_confirmed`` and ``recounted_waiting`` from the sign-ups themselves, to check the
        counts kept on the row (``services.signup_count_differences``)."""
        return self.annotate(
            recounted_confirmed=Count("signups", filter=Q(signups__status="confirmed")),
            recounted_waiting=Count("signups", filter=Q(signups__status="waitlisted")),
        )

    def for_list(self) -> ActivityQuerySet:
        return self.filter(cancelled_at__isnull=True).select_related("type", "community")

    def upcoming(self, at=None) -> ActivityQuerySet:
        return self.filter(ends_at__gte=at or timezone.now())

    def with_open_places(self) -> ActivityQuerySet:
        """Activities that still take sign-ups: before the deadline and not full."""
        return self.filter(signup_deadline__gt=timezone.now(), capacity__gt=F("confirmed_count"))

    def open_to_community(self, community_id: int | None) -> ActivityQuerySet:
        """What residents of one community may join: the street's activities, their community's, and other
        communities' activities open to the whole street (``Activity.open_to`` for one activity)."""
        return self.filter(Q(community__isnull=True) | Q(community_id=community_id) | Q(open_to_street=True))

    def in_organizer_place(self, community_ids: frozenset[int] | None) -> ActivityQuerySet:
        """What an organizer whose place lies in ``community_ids`` (None: the street) sees: the street's
        activities and their communities'. Another community's activity is not there, so it is a 404."""
        if community_ids is None:
            return self
        return self.filter(Q(community__isnull=True) | Q(community_id__in=community_ids))


class Activity(models.Model):
    type = models.ForeignKey(ActivityType, on_delete=models.PROTECT, related_name="activities", verbose_name=_("type"))
    title = models.CharField(_("title"), max_length=100)
    # Who hosts it: a community, or, empty, the street office. A community's activity is open to its own residents
    # unless ``open_to_street``; the street's is open to every resident of the street.
    community = models.ForeignKey(
        "families.Community",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="activities",
        verbose_name=_("hosted by"),
        help_text=_("Empty: hosted by the street office, open to all."),
    )
    open_to_street = models.BooleanField(
        _("open to the whole street"),
        default=False,
        help_text=_("A community's activity that residents of other communities may sign up for too."),
    )
    description = models.TextField(_("description"), max_length=4000, blank=True)
    place = models.CharField(_("place"), max_length=120)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    capacity = models.PositiveIntegerField(_("places"), help_text=_("How many volunteers are needed."))
    signup_deadline = models.DateTimeField(_("sign-up deadline"), help_text=_("Before the start."))
    points_per_hour = models.PositiveIntegerField(_("points per confirmed hour"), default=10)
    checkin_code = models.CharField(
        _("check-in code"),
        max_length=6,
        default=new_checkin_code,
        help_text=_("Read out at the venue; volunteers type it to check in and out."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("organizer")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    cancelled_at = models.DateTimeField(_("called off"), null=True, blank=True)
    cancel_reason = models.CharField(_("why it was called off"), max_length=200, blank=True)
    # Kept by the services in the same transaction as each sign-up change, under the activity's row lock, so that
    # lists read them instead of counting sign-ups; ``services.signup_count_differences`` checks them.
    confirmed_count = models.PositiveIntegerField(_("confirmed sign-ups"), default=0, editable=False)
    waitlist_count = models.PositiveIntegerField(_("sign-ups on the waiting list"), default=0, editable=False)

    objects = ActivityQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at", "pk"]
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        indexes = [
            models.Index(fields=["starts_at"]),
            models.Index(fields=["ends_at"]),
            # The lists' count of activities not called off that have not ended, read from the index alone.
            models.Index(fields=["ends_at"], condition=Q(cancelled_at__isnull=True), name="activity_live_ends_at"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="activity_ends_after_start"),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="activity_capacity_at_least_one"),
            models.CheckConstraint(
                condition=Q(signup_deadline__lte=F("starts_at")), name="activity_deadline_before_start"
            ),
            models.CheckConstraint(condition=Q(points_per_hour__lte=1000), name="activity_points_per_hour_sane"),
        ]

    def __str__(self) -> str:
        return f"{timezone.localtime(self.starts_at):%Y-%m-%d} {self.title}"

    @property
    def length_half_hours(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 1800)

    @property
    def length_text(self) -> str:
        return hours_text(self.length_half_hours)

    def checkin_window(self) -> tuple:
        grace = timedelta(minutes=conf.checkin_grace_minutes())
        return self.starts_at - grace, self.ends_at + grace

    def checkin_open(self, at=None) -> bool:
        at = at or timezone.now()
        opens, closes = self.checkin_window()
        return opens <= at <= closes and self.cancelled_at is None

    def signup_open(self, at=None) -> bool:
        return (at or timezone.now()) < self.signup_deadline and self.cancelled_at is None

    def cancel_closes_at(self):
        return self.starts_at - timedelta(hours=conf.cancel_closes_hours())

    def is_past(self, at=None) -> bool:
        return self.ends_at < (at or timezone.now())

    def hours_waiting(self, *, grid_ids: frozenset[int] | None = None) -> dict:
        """What "confirm all hours" would credit: the volunteers with hours waiting, their hours and points.

        The points follow the activity's rule as ``services.confirm_hours``
        credits them; hours past a volunteer's daily limit are not credited, so
        these are the most it credits. ``grid_ids``: only the volunteers of
        these grids (what a grid worker's "confirm all" confirms).
        """
        half_hours = points = volunteers = 0
        waiting = Signup.objects.filter(activity=self).awaiting_confirmation()
        if grid_ids is not None:
            waiting = waiting.filter(resident__household__building__grid__in=grid_ids)
        for signup in waiting.select_related("activity"):
            proposed = signup.proposed_half_hours()
            if proposed < 1:
                continue
            volunteers += 1
            half_hours += proposed
            points += proposed * self.points_per_hour // 2
        return {"volunteers": volunteers, "hours": hours_text(half_hours), "points": points}

    def places_left(self) -> int:
        return max(0, self.capacity - self.confirmed_count)

    @property
    def host_text(self) -> str:
        """Who hosts the activity and who may join it, in one line (``open_to`` is the rule it describes)."""
        if self.community_id is None:
            return gettext("Hosted by the street office · open to all")
        hosted = gettext("Hosted by %(community)s") % {"community": self.community}
        if self.open_to_street:
            return f"{hosted} · {gettext('open to the whole street')}"
        return f"{hosted} · {gettext('for residents of %(community)s') % {'community': self.community}}"

    def open_to(self, community_id: int | None) -> bool:
        """Whether residents of this community may sign up: the reach rule (``open_to_community`` for many)."""
        return self.open_to_everyone() or self.community_id == community_id

    def open_to_everyone(self) -> bool:
        """Whether residents of every community may sign up (the street's, or open to the whole street)."""
        return self.community_id is None or self.open_to_street


class SignupQuerySet(models.QuerySet):
    def live(self) -> SignupQuerySet:
        return self.exclude(status=Signup.Status.CANCELLED)

    def confirmed(self) -> SignupQuerySet:
        return self.filter(status=Signup.Status.CONFIRMED)

    def awaiting_confirmation(self) -> SignupQuerySet:
        """Sign-ups with a place whose hours are not confirmed yet and who were not marked absent."""
        return self.filter(status=Signup.Status.CONFIRMED, hours_confirmed_at__isnull=True).exclude(
            attendance__in=[Signup.Attendance.ABSENT, Signup.Attendance.NO_SHOW]
        )

    def hours_to_confirm(self) -> SignupQuerySet:
        """Confirmed sign-ups of finished activities whose hours the organizer has not confirmed yet."""
        return self.filter(
            status=Signup.Status.CONFIRMED,
            hours_confirmed_at__isnull=True,
            activity__ends_at__lt=timezone.now(),
            activity__cancelled_at__isnull=True,
        ).exclude(attendance__in=[Signup.Attendance.ABSENT, Signup.Attendance.NO_SHOW])

    def served(self, resident: Resident, start, end) -> SignupQuerySet:
        """A resident's sign-ups with confirmed hours for activities that began between the days ``start`` and
        ``end`` (both included, in local time), oldest first: the lines of a volunteer service record."""
        range_start = timezone.make_aware(datetime.combine(start, datetime.min.time()))
        range_end = timezone.make_aware(datetime.combine(end + timedelta(days=1), datetime.min.time()))
        return (
            self.filter(
                resident=resident,
                hours_confirmed_at__isnull=False,
                confirmed_half_hours__gt=0,
                activity__starts_at__gte=range_start,
                activity__starts_at__lt=range_end,
            )
            .select_related("activity__type")
            .order_by("activity__starts_at", "pk")
        )


class Signup(models.Model):
    """A resident's place on an activity (or on its waiting list), their attendance and their hours."""

    class Status(models.TextChoices):
        CONFIRMED = "confirmed", _("Signed up")
        WAITLISTED = "waitlisted", _("On the waiting list")
        CANCELLED = "cancelled", _("Cancelled")

    class Attendance(models.TextChoices):
        UNKNOWN = "unknown", _("Not yet recorded")
        PRESENT = "present", _("Present")
        ABSENT = "absent", _("Absent (excused)")
        NO_SHOW = "no_show", _("No-show")

    activity = models.ForeignKey(Activity, on_delete=models.PROTECT, related_name="signups", verbose_name=_("activity"))
    resident = models.ForeignKey(
        Resident, on_delete=models.PROTECT, related_name="signups", verbose_name=_("volunteer")
    )
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.CONFIRMED)
    created_at = models.DateTimeField(_("signed up"), default=timezone.now)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    attendance = models.CharField(
        _("attendance"), max_length=10, choices=Attendance.choices, default=Attendance.UNKNOWN
    )
    checked_in_at = models.DateTimeField(_("checked in"), null=True, blank=True)
    checked_out_at = models.DateTimeField(_("checked out"), null=True, blank=True)
    manual_half_hours = models.PositiveIntegerField(_("hours added by hand (half hours)"), null=True, blank=True)
    manual_reason = models.CharField(_("reason for adding hours by hand"), max_length=200, blank=True)
    confirmed_half_hours = models.PositiveIntegerField(_("confirmed hours (half hours)"), null=True, blank=True)
    hours_confirmed_at = models.DateTimeField(_("hours confirmed"), null=True, blank=True)
    hours_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("confirmed by"),
    )
    credit_version = models.PositiveIntegerField(
        _("credit version"), default=0, help_text=_("Goes up each time a correction re-credits these hours.")
    )

    objects = SignupQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("sign-up")
        verbose_name_plural = _("sign-ups")
        constraints = [
            # One live sign-up per person and activity; cancelled ones stay as history.
            models.UniqueConstraint(
                fields=["activity", "resident"],
                condition=~Q(status="cancelled"),
                name="signup_one_live_per_resident",
            ),
        ]
        indexes = [
            models.Index(fields=["activity", "status"]),
            models.Index(fields=["resident", "attendance"]),
        ]

    def __str__(self) -> str:
        return f"{self.resident} · {self.activity}"

    def computed_half_hours(self) -> int:
        """Hours from check-in and check-out, clipped to the activity window, in whole half hours.

        A volunteer the organizer marked present without times is credited the whole activity.
        """
        activity = self.activity
        if self.attendance in (self.Attendance.ABSENT, self.Attendance.NO_SHOW):
            return 0
        if self.checked_in_at and self.checked_out_at:
            start = max(self.checked_in_at, activity.starts_at)
            end = min(self.checked_out_at, activity.ends_at)
            return max(0, int((end - start).total_seconds() // 1800))
        if self.attendance == self.Attendance.PRESENT:
            start = max(self.checked_in_at or activity.starts_at, activity.starts_at)
            end = min(self.checked_out_at or activity.ends_at, activity.ends_at)
            return max(0, int((end - start).total_seconds() // 1800))
        return 0

    def proposed_half_hours(self) -> int:
        """What the organizer is asked to confirm: hours added by hand win over check-in times."""
        if self.manual_half_hours is not None:
            return self.manual_half_hours
        return self.computed_half_hours()

    @property
    def proposed_hours_text(self) -> str:
        return hours_text(self.proposed_half_hours())

    @property
    def confirmed_hours_text(self) -> str:
        return hours_text(self.confirmed_half_hours)

    def can_cancel(self, at=None) -> bool:
        return self.status != self.Status.CANCELLED and (at or timezone.now()) < self.activity.cancel_closes_at()


class CorrectionRequest(models.Model):
    """A volunteer asks the organizer to correct the hours of one sign-up; the answer is kept on the record."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for the organizer")
        ACCEPTED = "accepted", _("Accepted")
        REFUSED = "refused", _("Refused")

    signup = models.ForeignKey(Signup, on_delete=models.PROTECT, related_name="corrections", verbose_name=_("sign-up"))
    requested_half_hours = models.PositiveIntegerField(_("hours asked for (half hours)"))
    reason = models.TextField(_("reason"), max_length=500)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(_("asked"), default=timezone.now)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("decided by")
    )
    decision_note = models.CharField(_("answer"), max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("correction request")
        verbose_name_plural = _("correction requests")
        constraints = [
            models.UniqueConstraint(
                fields=["signup"], condition=Q(status="pending"), name="correction_one_pending_per_signup"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.signup} → {hours_text(self.requested_half_hours)}"

    @property
    def requested_hours_text(self) -> str:
        return hours_text(self.requested_half_hours)


# --- The points ledger ----------------------------------------------------------


class LedgerEntryQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("The points ledger is append-only: write a reversal entry instead.")

    def delete(self):
        raise TypeError("The points ledger is append-only: write a reversal entry instead.")

    def bulk_update(self, *args, **kwargs):
        raise TypeError("The points ledger is append-only: write a reversal entry instead.")

    # bulk_create would skip the balances and leaderboard rows.
    def bulk_create(self, *args, **kwargs):
        raise TypeError("Ledger entries are written one by one through activities.services.record_entry.")


# Every message a ledger line is written with (activities.services). Their translations in the community's language
# are also how lines recorded before messages were kept read back (``describe_ledger_line``).
LEDGER_MESSAGES = (
    gettext_noop("%(hours)s h · %(activity)s"),
    gettext_noop("Points store: %(item)s"),
    gettext_noop("Correction of %(source)s"),
    gettext_noop("Cancelled: %(source)s"),
)


def describe_ledger_line(value: dict) -> str:
    """A ledger line's value (``{"message", "values"}`` or ``{"text"}``) in the reader's language."""
    if "message" in value and value["message"] in LEDGER_MESSAGES:
        values = {
            name: describe_ledger_line(part) if isinstance(part, dict) else part
            for name, part in value.get("values", {}).items()
        }
        try:
            return gettext(value["message"]) % values
        except (KeyError, TypeError, ValueError):
            pass
    text = value.get("text", "")
    for message, pattern in _recorded_phrasings():
        match = pattern.fullmatch(text)
        if match:
            values = match.groupdict()
            if "source" in values:
                values["source"] = {"text": values["source"]}
            return describe_ledger_line({"message": message, "values": values})
    return text


_VALUE_PATTERNS = {"hours": r"\d+(?:\.\d+)?"}  # so "更正：2.5 小时 · …" is a correction, not "更正：2.5" hours


@functools.cache
def _recorded_phrasings() -> list[tuple[str, re.Pattern]]:
    """Each message as the community's language recorded it, as a pattern: "8 小时 · 楼道清理" → hours, activity."""
    phrasings = []
    with translation.override(settings.LANGUAGE_CODE):
        for message in LEDGER_MESSAGES:
            recorded = re.escape(gettext(message))
            pattern = re.sub(
                r"%\\\(([a-z_]+)\\\)s", lambda m: f"(?P<{m[1]}>{_VALUE_PATTERNS.get(m[1], '.+')})", recorded
            )
            phrasings.append((message, re.compile(pattern)))
    return phrasings


class LedgerEntry(models.Model):
    """One line of the points ledger (积分明细). Never changed, never deleted; corrected by reversals.

    Written only by ``activities.services.record_entry``, which updates the
    cached balances and leaderboard aggregates in the same transaction.
    ``building`` and ``grid`` are the household's at the time of the entry, so
    every aggregate can be recomputed from the ledger alone.
    """

    class Kind(models.TextChoices):
        EARNED = "earned", _("Earned")
        AWARDED = "awarded", _("Awarded")
        REDEEMED = "redeemed", _("Redeemed")
        REVERSED = "reversed", _("Reversed")
        ADJUSTED = "adjusted", _("Adjusted")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    amount = models.IntegerField(_("points"), help_text=_("Positive adds points, negative takes them away."))
    half_hours = models.IntegerField(_("confirmed hours (half hours)"), default=0)
    counts_for_ranking = models.BooleanField(
        _("counts on leaderboards"),
        default=True,
        help_text=_("Points earned or awarded (and their reversals) count; spending in the store does not."),
    )
    source = models.CharField(_("source"), max_length=200)
    # What happened, as data (rows from 2026-12 on): an English message of LEDGER_MESSAGES and its values (hours,
    # the activity's or item's id and name, the reversed line's own message), shown in the reader's language.
    # ``source`` keeps the line as recorded, in the community's language.
    message = models.CharField(_("message"), max_length=100, blank=True, default="", db_default="")
    message_values = models.JSONField(_("message values"), default=dict, blank=True, db_default={})
    source_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("source type")
    )
    source_id = models.PositiveBigIntegerField(_("source id"), null=True, blank=True)
    source_object = GenericForeignKey("source_type", "source_id")
    reverses = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversed_by", verbose_name=_("reverses")
    )
    resident = models.ForeignKey(
        Resident, on_delete=models.PROTECT, related_name="ledger_entries", verbose_name=_("resident")
    )
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="+", verbose_name=_("household"))
    building = models.ForeignKey(Building, on_delete=models.PROTECT, related_name="+", verbose_name=_("building"))
    grid = models.ForeignKey(Grid, on_delete=models.PROTECT, related_name="+", verbose_name=_("grid"))
    occurred_on = models.DateField(_("date"), help_text=_("The day of the activity, or of the entry."))
    idempotency_key = models.CharField(_("unique key"), max_length=120, unique=True)
    created_at = models.DateTimeField(_("recorded"), default=timezone.now, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("recorded by")
    )

    objects = LedgerEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("ledger entry")
        verbose_name_plural = _("points ledger")
        indexes = [
            models.Index(fields=["resident", "-created_at"]),
            models.Index(fields=["occurred_on"]),
            models.Index(fields=["source_type", "source_id"]),
        ]

    def __str__(self) -> str:
        return f"{self.occurred_on} {self.get_kind_display()} {self.amount:+d} {self.source}"

    def save(self, *args, **kwargs):
        if self.pk is not None or not self._state.adding:
            raise TypeError("The points ledger is append-only: write a reversal entry instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("The points ledger is append-only: write a reversal entry instead.")

    @property
    def description(self) -> str:
        """The line in the reader's language: its message and values, or for a line written before they were kept,
        its recorded text read back through the known phrasings (the text itself when none fits)."""
        return describe_ledger_line(self.as_value())

    def as_value(self) -> dict:
        """This line as a value inside another line's message (a reversal names what it reverses)."""
        if self.message:
            return {"message": self.message, "values": self.message_values}
        return {"text": self.source}

    @property
    def hours_text(self) -> str:
        sign = "-" if self.half_hours < 0 else ""
        return sign + hours_text(abs(self.half_hours))


class PointsBalance(models.Model):
    """A resident's cached balance, lifetime points and confirmed hours; recomputable from the ledger."""

    resident = models.OneToOneField(
        Resident, on_delete=models.PROTECT, primary_key=True, related_name="points", verbose_name=_("resident")
    )
    balance = models.IntegerField(_("balance"), default=0)
    lifetime_earned = models.IntegerField(_("points earned in all"), default=0)
    half_hours = models.IntegerField(_("confirmed hours (half hours)"), default=0)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("points balance")
        verbose_name_plural = _("points balances")
        constraints = [
            models.CheckConstraint(condition=Q(balance__gte=0), name="points_balance_never_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.resident}: {self.balance}"

    @property
    def hours_text(self) -> str:
        return hours_text(self.half_hours)

    @property
    def stars(self) -> int:
        return conf.star_rank(self.half_hours)

    @property
    def star_range(self) -> range:
        return range(self.stars)


class PointsAggregate(models.Model):
    """Points and hours of one person, household, building, grid or community in one month, quarter, year or
    all time.

    Maintained by ``record_entry`` in the same transaction as each ledger
    entry, so leaderboards read a few rows instead of summing the ledger.
    ``community`` is the community the row counts in (for a community row, itself; otherwise the community of
    the grid of the row's latest entry), so a community's boards read its rows off the same index.
    """

    class Scope(models.TextChoices):
        PERSON = "person", _("People")
        HOUSEHOLD = "household", _("Households")
        BUILDING = "building", _("Buildings")
        GRID = "grid", _("Grids")
        COMMUNITY = "community", _("Communities")

    class Period(models.TextChoices):
        MONTH = "month", _("Month")
        QUARTER = "quarter", _("Quarter")
        YEAR = "year", _("Year")
        ALL = "all", _("All time")

    scope = models.CharField(_("scope"), max_length=10, choices=Scope.choices)
    scope_id = models.PositiveBigIntegerField(_("id"))
    community = models.ForeignKey(
        "families.Community",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        db_index=False,  # the board index below leads with the scope; a community's boards use it
        related_name="+",
        verbose_name=_("community"),
    )
    period_kind = models.CharField(_("period"), max_length=8, choices=Period.choices)
    period_key = models.CharField(_("period key"), max_length=8, help_text=_("2026-11, 2026-Q4, 2026 or all."))
    points = models.IntegerField(_("points"), default=0)
    half_hours = models.IntegerField(_("confirmed hours (half hours)"), default=0)

    class Meta:
        verbose_name = _("leaderboard row")
        verbose_name_plural = _("leaderboard rows")
        constraints = [
            models.UniqueConstraint(
                fields=["scope", "scope_id", "period_kind", "period_key"], name="points_aggregate_unique_row"
            ),
        ]
        # The whole leaderboard order, so the top 50 is read off the index instead of sorting every row.
        indexes = [
            models.Index(
                fields=["scope", "period_kind", "period_key", "-points", "-half_hours", "scope_id"],
                name="points_aggregate_board_order",
            ),
            # A community's boards: the same order within one community.
            models.Index(
                fields=["community", "scope", "period_kind", "period_key", "-points", "-half_hours", "scope_id"],
                name="points_aggregate_place_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.scope}:{self.scope_id} {self.period_key} {self.points}"

    @property
    def hours_text(self) -> str:
        return hours_text(self.half_hours)


def period_keys(day) -> list[tuple[str, str]]:
    """The (period_kind, period_key) rows a day counts towards."""
    return [
        ("month", f"{day.year}-{day.month:02d}"),
        ("quarter", f"{day.year}-Q{(day.month - 1) // 3 + 1}"),
        ("year", str(day.year)),
        ("all", "all"),
    ]


# --- The points store ---------------------------------------------------------


class StoreItemQuerySet(models.QuerySet):
    def open_to_community(self, community_id: int | None) -> StoreItemQuerySet:
        """The stores a resident of this community redeems in: the street's and their own community's."""
        return self.filter(Q(community__isnull=True) | Q(community_id=community_id))

    def in_organizer_place(self, community_ids: frozenset[int] | None) -> StoreItemQuerySet:
        """The items an organizer whose place lies in ``community_ids`` (None: the street) sees."""
        if community_ids is None:
            return self
        return self.filter(Q(community__isnull=True) | Q(community_id__in=community_ids))


class StoreItem(models.Model):
    name = models.CharField(_("name"), max_length=80)
    # Whose store: a community's (its residents redeem), or, empty, the street's (every resident redeems).
    community = models.ForeignKey(
        "families.Community",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="store_items",
        verbose_name=_("store of"),
        help_text=_("Empty: the street office's store."),
    )
    description = models.TextField(_("description"), max_length=1000, blank=True)
    photo = models.CharField(_("photo"), **PHOTO_FIELD_KWARGS)
    price = models.PositiveIntegerField(_("price in points"))
    stock = models.IntegerField(_("in stock"), default=0)
    is_active = models.BooleanField(_("on offer"), default=True)
    sort_order = models.PositiveIntegerField(_("order"), default=0)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = StoreItemQuerySet.as_manager()

    class Meta:
        ordering = ["sort_order", "price", "pk"]
        verbose_name = _("store item")
        verbose_name_plural = _("store items")
        constraints = [
            models.CheckConstraint(condition=Q(stock__gte=0), name="store_item_stock_never_negative"),
            models.CheckConstraint(condition=Q(price__gte=1), name="store_item_price_positive"),
        ]

    def __str__(self) -> str:
        return self.name

    def open_to(self, community_id: int | None) -> bool:
        """Whether a resident of this community may redeem it: the street's store and their own community's."""
        return self.community_id is None or self.community_id == community_id


class Redemption(models.Model):
    """A resident exchanged points for an item; they collect it with the pickup code."""

    class Status(models.TextChoices):
        WAITING = "waiting", _("Ready to collect")
        HANDED_OVER = "handed_over", _("Handed over")
        CANCELLED = "cancelled", _("Cancelled, points returned")

    item = models.ForeignKey(StoreItem, on_delete=models.PROTECT, related_name="redemptions", verbose_name=_("item"))
    resident = models.ForeignKey(
        Resident, on_delete=models.PROTECT, related_name="redemptions", verbose_name=_("resident")
    )
    price = models.PositiveIntegerField(_("points spent"))
    pickup_code = models.CharField(_("pickup code"), max_length=8, unique=True, default=new_pickup_code)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.WAITING)
    created_at = models.DateTimeField(_("redeemed"), default=timezone.now)
    handed_over_at = models.DateTimeField(_("handed over"), null=True, blank=True)
    handed_over_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("handed over by"),
    )
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("cancelled by"),
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("redemption")
        verbose_name_plural = _("redemptions")
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"{self.pickup_code} {self.item}"


class ServiceRecordCounter(models.Model):
    """The last service record number given out in a year; issuing locks this row, so numbers never repeat."""

    year = models.PositiveIntegerField(_("year"), primary_key=True)
    last = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("service record counter")
        verbose_name_plural = _("service record counters")

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class ServiceRecord(models.Model):
    """One issued volunteer service record (志愿服务记录证明), numbered, with what it says kept as issued.

    The PDF is drawn from this row and the public verify page reads it, so an
    edited PDF cannot change what the verify page confirms. Hours confirmed
    later do not change a record already issued: a new one is issued instead.
    """

    NUMBER_PREFIX = "FW"

    number = models.CharField(_("record number"), max_length=20, unique=True)
    resident = models.ForeignKey(
        Resident, on_delete=models.PROTECT, related_name="service_records", verbose_name=_("resident")
    )
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("to"))
    half_hours = models.PositiveIntegerField(_("total hours (half hours)"))
    lines = models.JSONField(
        _("activities"),
        default=list,
        help_text=_("The activities as issued: date, title and hours (in half hours) of each."),
    )
    issuer = models.CharField(_("issued by (body)"), max_length=100)
    issued_at = models.DateTimeField(_("issued"), default=timezone.now)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("asked for by"),
    )

    class Meta:
        ordering = ["-issued_at", "-pk"]
        verbose_name = _("service record")
        verbose_name_plural = _("service records")
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")), name="service_record_period_in_order"
            ),
        ]
        indexes = [models.Index(fields=["resident", "-issued_at"], name="service_record_resident_recent")]

    def __str__(self) -> str:
        return self.number

    @classmethod
    def format_number(cls, year: int, sequence: int) -> str:
        return f"{cls.NUMBER_PREFIX}{year}-{sequence:06d}"

    @property
    def hours_text(self) -> str:
        return hours_text(self.half_hours)

    @property
    def activity_lines(self) -> list[dict]:
        """The kept lines, with their date as a date and hours as text, for templates."""
        return [
            {"date": date.fromisoformat(line["date"]), "title": line["title"], "hours": hours_text(line["half_hours"])}
            for line in self.lines
        ]
