"""Every write that matters in volunteering: sign-ups, attendance, hours, the points ledger and the store.

Views, admin actions, management commands and the demo call these functions;
nothing else writes sign-ups' hours, ledger entries, balances, aggregates or
redemptions. Each runs in ``transaction.atomic``; the row that serialises a
race is locked with ``select_for_update()`` (a no-op on SQLite, whose writers
take the database lock at BEGIN IMMEDIATE), and a database constraint stands
behind it as the last line of defence.

Lock order, everywhere, so two transactions never wait on each other in a
circle: activity → sign-up → correction → redemption → points balance → store item
→ leaderboard rows (upserted in sorted order).
"""

from __future__ import annotations

import secrets
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core import signing
from django.db import IntegrityError, connection, models, transaction
from django.db.models import Count, F, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext as _

from families.access import place_community_ids
from families.models import Grid, Household, Resident
from project import formtokens, publiccache, schedule
from project.errors import ServiceError
from project.images import stored_for_write
from project.models import AuditEntry
from project.notices import notify
from project.ratelimit import Limit, count_all, refuse_if_reached

from . import conf
from .models import (
    Activity,
    ActivityType,
    CorrectionRequest,
    LedgerEntry,
    PointsAggregate,
    PointsBalance,
    Redemption,
    ServiceRecord,
    ServiceRecordCounter,
    Signup,
    StoreItem,
    describe_ledger_line,
    hours_text,
    period_keys,
)

QR_SALT = "activities.checkin"

# The create forms' one-time tokens (project.formtokens): the names their templates' {% form_token %} tags use.
AWARD_POINTS_FORM = "activities.award_points"
MANUAL_HOURS_FORM = "activities.manual_hours"
SIGN_UP_FORM = "activities.sign_up"
WALK_IN_FORM = "activities.walk_in"
ATTEND_FORM = "activities.attend"
CORRECTION_FORM = "activities.correction"
REDEEM_FORM = "activities.redeem"
ACTIVITY_FORM = "activities.activity_new"
ACTIVITY_TYPE_FORM = "activities.type_new"
STORE_ITEM_FORM = "activities.store_item_new"
SERVICE_RECORD_FORM = "activities.service_record"


def _recorded_text(message: str, **params) -> str:
    """Text kept on the record (ledger sources, reasons), in the community's language whoever triggers it."""
    with translation.override(settings.LANGUAGE_CODE):
        return gettext(message) % params if params else gettext(message)


class AlreadyRecorded(ServiceError):
    """The ledger already holds an entry with this idempotency key."""


# --- Places: who may join, redeem and run what ------------------------------------------


def may_host(user, community_id: int | None) -> bool:
    """Whether an organizer may host an activity or keep a store there: the street only a street organizer; a
    community an organizer whose place lies in it."""
    communities = place_community_ids(user)
    return communities is None or (community_id is not None and community_id in communities)


def _refuse_outside_reach(activity: Activity, resident: Resident) -> None:
    """The reach rule, in the one place every sign-up passes: a community's own activity takes its residents only.
    The resident's community is read (fresh) only when the activity is not open to everyone."""
    if activity.open_to_everyone():
        return
    if not activity.open_to(Household.objects.community_id_of(resident.household_id)):
        raise ServiceError(
            _("This activity is for residents of %(community)s only.") % {"community": activity.community}
        )


def _refuse_unless_may_host(actor, community_id: int | None) -> None:
    if not may_host(actor, community_id):
        if community_id is None:
            raise ServiceError(
                _("Only the street office's organizers host for the whole street: choose your community.")
            )
        raise ServiceError(_("You can host only in your own community."))


# --- The ledger: the one entry point -------------------------------------------------


def _lock_balance(resident_id: int) -> PointsBalance:
    # Create the row if it is missing without racing (ON CONFLICT DO NOTHING), then lock it:
    # every write to one resident's points serialises on this row.
    PointsBalance.objects.bulk_create([PointsBalance(resident_id=resident_id)], ignore_conflicts=True)
    return PointsBalance.objects.select_for_update().get(resident_id=resident_id)


AggregateRow = tuple[str, int, str, str, int | None, int, int]  # scope, id, period kind, key, community, points, hours


def _upsert_aggregates(rows: list[AggregateRow]) -> None:
    """Add points and hours to leaderboard rows in one statement (INSERT … ON CONFLICT DO UPDATE).

    Rows are sorted so that concurrent transactions lock them in the same order. A row's community follows its
    latest entry (a household that moved to another community's building counts there from then on).
    """
    if not rows:
        return
    rows = sorted(rows, key=lambda row: row[:4])
    table = connection.ops.quote_name(PointsAggregate._meta.db_table)
    values = ", ".join(["(%s, %s, %s, %s, %s, %s, %s)"] * len(rows))
    params = [value for row in rows for value in row]
    sql = (
        f"INSERT INTO {table} (scope, scope_id, period_kind, period_key, community_id, points, half_hours) "  # noqa: S608 - table name from our model, values are parameters
        f"VALUES {values} ON CONFLICT (scope, scope_id, period_kind, period_key) DO UPDATE SET "
        f"points = {table}.points + excluded.points, half_hours = {table}.half_hours + excluded.half_hours, "
        "community_id = excluded.community_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def aggregate_rows_for(entry: LedgerEntry, *, community_id: int | None) -> list[AggregateRow]:
    """The leaderboard rows one entry adds to: 5 scopes × 4 periods, each in the community of the entry's grid
    (``community_id``), so a community's boards and the street's read the same rows."""
    points = entry.amount if entry.counts_for_ranking else 0
    if not points and not entry.half_hours:
        return []
    scopes = [
        ("person", entry.resident_id),
        ("household", entry.household_id),
        ("building", entry.building_id),
        ("grid", entry.grid_id),
        ("community", community_id),
    ]
    return [
        (scope, scope_id, kind, key, community_id, points, entry.half_hours)
        for scope, scope_id in scopes
        if scope_id is not None
        for kind, key in period_keys(entry.occurred_on)
    ]


def record_entry(
    *,
    resident: Resident,
    kind: str,
    amount: int,
    idempotency_key: str,
    source: str = "",
    message: str = "",
    values: dict | None = None,
    half_hours: int = 0,
    source_object: models.Model | None = None,
    occurred_on: date | None = None,
    created_by=None,
    reverses: LedgerEntry | None = None,
    counts_for_ranking: bool = True,
) -> LedgerEntry:
    """Append one ledger entry and, in the same transaction, update the balance and leaderboard rows.

    Refuses an entry that would take the balance below zero, and a second entry
    with the same ``idempotency_key`` (raises ``AlreadyRecorded``), so the same
    confirmation can never credit twice. A reversal keeps the household,
    building, grid and date of the entry it reverses.

    What happened is kept as data: ``message`` (one of ``LEDGER_MESSAGES``) and its ``values``, which the
    reader sees in their own language; ``source`` is the line as recorded in the community's language (made
    from the message when not given; an organizer's typed reason otherwise).
    """
    if message:
        with translation.override(settings.LANGUAGE_CODE):
            source = source or describe_ledger_line({"message": message, "values": values or {}})
    with transaction.atomic():
        balance = _lock_balance(resident.pk)
        if balance.balance + amount < 0:
            raise ServiceError(_("Not enough points: the balance would go below zero."))
        if reverses is not None:
            household_id, building_id, grid_id = reverses.household_id, reverses.building_id, reverses.grid_id
            community_id = Grid.objects.values_list("community_id", flat=True).get(pk=grid_id)
            occurred_on = reverses.occurred_on
        else:
            household = Household.objects.select_related("building__grid").get(pk=resident.household_id)
            household_id, building_id, grid_id = household.pk, household.building_id, household.building.grid_id
            community_id = household.building.grid.community_id
        entry = LedgerEntry(
            kind=kind,
            amount=amount,
            half_hours=half_hours,
            counts_for_ranking=counts_for_ranking,
            source=source[:200],
            message=message,
            message_values=values or {},
            source_type=ContentType.objects.get_for_model(source_object) if source_object is not None else None,
            source_id=source_object.pk if source_object is not None else None,
            reverses=reverses,
            resident=resident,
            household_id=household_id,
            building_id=building_id,
            grid_id=grid_id,
            occurred_on=occurred_on or timezone.localdate(),
            idempotency_key=idempotency_key,
            created_by=created_by if created_by is not None and created_by.is_authenticated else None,
        )
        try:
            with transaction.atomic():
                entry.save()
        except IntegrityError as exc:
            raise AlreadyRecorded(_("This has already been recorded in the points ledger.")) from exc
        balance.balance += amount
        if counts_for_ranking:
            balance.lifetime_earned += amount
        balance.half_hours += half_hours
        balance.save(update_fields=["balance", "lifetime_earned", "half_hours", "updated_at"])
        _upsert_aggregates(aggregate_rows_for(entry, community_id=community_id))
    return entry


record_entry.alters_data = True


def reverse_entry(
    *, entry: LedgerEntry, idempotency_key: str, message: str = "", source: str = "", created_by=None
) -> LedgerEntry:
    """Undo an entry by appending its opposite (the entry itself is never touched). ``message`` names what the
    reversal is ("Correction of %(source)s"), with the reversed line as its source."""
    return record_entry(
        resident=entry.resident,
        kind=LedgerEntry.Kind.REVERSED,
        amount=-entry.amount,
        half_hours=-entry.half_hours,
        source=source,
        message=message,
        values={"source": entry.as_value()} if message else None,
        source_object=entry.source_object,
        idempotency_key=idempotency_key,
        created_by=created_by,
        reverses=entry,
        counts_for_ranking=entry.counts_for_ranking,
    )


def award_points(
    *, resident: Resident, amount: int, reason: str, actor, kind: str = "awarded", token: str | None = None
) -> LedgerEntry:
    """An organizer awards (positive) or adjusts (either sign) points, with a reason, on the record.

    ``token`` is the form's one-time token: a resent form raises
    ``formtokens.AlreadySubmitted``, and the ledger entry's unique key is
    derived from it, so the ledger itself refuses a second entry for one form
    (without a token, from a command or the demo, every call is a new entry).
    """
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("Please give a reason."))
    if kind not in (LedgerEntry.Kind.AWARDED, LedgerEntry.Kind.ADJUSTED) or amount == 0:
        raise ServiceError(_("Enter a number of points other than zero."))
    if kind == LedgerEntry.Kind.AWARDED and amount < 0:
        raise ServiceError(_("Awarded points must be positive; use an adjustment to take points away."))
    with transaction.atomic():
        claim = formtokens.claim(token=token, user=actor, form_name=AWARD_POINTS_FORM)
        entry = record_entry(
            resident=resident,
            kind=kind,
            amount=amount,
            source=reason,
            idempotency_key=f"points:form:{token}" if token else f"{kind}:{secrets.token_hex(12)}",
            created_by=actor,
        )
        AuditEntry.objects.log(actor=actor, action=f"points.{kind}", target=entry, details={"amount": amount})
        claim.done(entry, url=reverse("activities:organize_volunteer", args=[resident.pk]))
    return entry


# --- Sign-ups ---------------------------------------------------------------------


def no_show_block_until(resident: Resident, at: datetime | None = None) -> datetime | None:
    """When a resident with repeated no-shows may sign up again, or None if they may now."""
    at = at or timezone.now()
    limit = conf.no_show_limit()
    recent = list(
        Signup.objects.filter(
            resident=resident,
            attendance=Signup.Attendance.NO_SHOW,
            activity__starts_at__gte=at - timedelta(days=conf.no_show_window_days()),
            activity__starts_at__lte=at,
        )
        .order_by("-activity__starts_at")
        .values_list("activity__starts_at", flat=True)[:limit]
    )
    if limit < 1 or len(recent) < limit:
        return None
    until = recent[0] + timedelta(days=conf.no_show_block_days())
    return until if until > at else None


def sign_up(
    *, activity: Activity | int, resident: Resident, at: datetime | None = None, token: str | None = None
) -> Signup:
    """Put a resident on an activity (or the id of one), or on its waiting list when it is full (once per form
    ``token``). A missing activity raises ``Activity.DoesNotExist``.

    Inside the transaction, in order: the claim of the form token (a resend stops here), the no-show block, the
    activity read with its lock, the reach rule (a query only for a community's own activity), the insert (the
    unique constraint on live sign-ups refuses a second one), and the counts on the activity's row.
    """
    at = at or timezone.now()
    activity_id = activity.pk if isinstance(activity, Activity) else activity
    with transaction.atomic():
        claim = formtokens.claim(token=token, user=resident.user, form_name=SIGN_UP_FORM)
        blocked_until = no_show_block_until(resident, at)
        if blocked_until is not None:
            raise ServiceError(
                _("After repeated no-shows you can sign up again from %(date)s.")
                % {"date": timezone.localtime(blocked_until).strftime("%Y-%m-%d")}
            )
        # Lock the activity row: sign-ups and cancellations of one activity take turns, so
        # counting the confirmed places and inserting the new one is a single step.
        activity = Activity.objects.select_for_update().get(pk=activity_id)
        if activity.cancelled_at is not None:
            raise ServiceError(_("This activity has been called off."))
        if not activity.signup_open(at):
            raise ServiceError(_("Sign-up for this activity has closed."))
        _refuse_outside_reach(activity, resident)
        status = Signup.Status.CONFIRMED if activity.confirmed_count < activity.capacity else Signup.Status.WAITLISTED
        try:
            # No savepoint: a failed insert ends the whole sign-up, whose transaction rolls back as it leaves.
            # The constraint signup_one_live_per_resident is the duplicate rule: no query asks first.
            signup = Signup.objects.create(activity=activity, resident=resident, status=status, created_at=at)
        except IntegrityError as exc:
            raise ServiceError(_("You have already signed up for this activity.")) from exc
        _count_signups(activity, {status: 1})
        claim.done(signup, url=reverse("activities:detail", args=[activity.pk]))
    return signup


_COUNT_FIELDS = {Signup.Status.CONFIRMED: "confirmed_count", Signup.Status.WAITLISTED: "waitlist_count"}


def _count_signups(activity: Activity, change: dict[str, int]) -> None:
    """Move the counts kept on ``activity`` (locked by the caller) by ``change``, a number per sign-up status, in
    the caller's transaction; the row and the instance both get the new counts."""
    fields = [_COUNT_FIELDS[status] for status, delta in change.items() if delta and status in _COUNT_FIELDS]
    for status, delta in change.items():
        if status in _COUNT_FIELDS:
            setattr(activity, _COUNT_FIELDS[status], getattr(activity, _COUNT_FIELDS[status]) + delta)
    if fields:
        # An update, not save(): the sign-up's own save already refreshes the pages that show places, and a
        # save of the activity would refresh the leaderboards too (activities/freshness.py).
        Activity.objects.filter(pk=activity.pk).update(**{field: getattr(activity, field) for field in fields})


def recount_signups(activities=None) -> int:
    """Set the counts kept on ``activities`` (a queryset; all by default) from their sign-ups, in one statement:
    for data loaded around the services (the demo and bench seeders). Returns how many rows it set."""
    rows = Activity.objects.all() if activities is None else activities
    publiccache.changed(Activity)
    counted = Signup.objects.filter(activity=OuterRef("pk")).order_by().values("activity")
    return rows.update(
        confirmed_count=Coalesce(Subquery(counted.confirmed().annotate(n=Count("pk")).values("n")), 0),
        waitlist_count=Coalesce(
            Subquery(counted.filter(status=Signup.Status.WAITLISTED).annotate(n=Count("pk")).values("n")), 0
        ),
    )


def fill_free_places(*, activity: Activity) -> list[Signup]:
    """Move people up from the waiting list while there are free places (after more places were added)."""
    with transaction.atomic():
        activity = Activity.objects.select_for_update().get(pk=activity.pk)  # same lock as sign_up
        free = activity.capacity - activity.confirmed_count
        if free <= 0 or activity.cancelled_at is not None:
            return []
        promoted = list(
            Signup.objects.select_for_update()
            .filter(activity=activity, status=Signup.Status.WAITLISTED)
            .order_by("created_at", "pk")[:free]
        )
        for signup in promoted:
            signup.status = Signup.Status.CONFIRMED
            signup.save(update_fields=["status"])
        if promoted:
            _count_signups(activity, {Signup.Status.WAITLISTED: -len(promoted), Signup.Status.CONFIRMED: len(promoted)})
    return promoted


def cancel_signup(*, signup: Signup, actor, by_organizer: bool = False, at: datetime | None = None) -> Signup | None:
    """Cancel a sign-up; the first on the waiting list takes the freed place. Returns who moved up."""
    at = at or timezone.now()
    with transaction.atomic():
        activity = Activity.objects.select_for_update().get(pk=signup.activity_id)  # same lock as sign_up
        signup = Signup.objects.select_for_update().get(pk=signup.pk)
        if signup.status == Signup.Status.CANCELLED:
            raise ServiceError(_("This sign-up is already cancelled."))
        if signup.checked_in_at is not None or signup.hours_confirmed_at is not None:
            raise ServiceError(_("You have already checked in; ask the organizer instead."))
        if not by_organizer and at >= activity.cancel_closes_at():
            raise ServiceError(
                _("Cancelling closed %(hours)s hours before the start. Please tell the organizer.")
                % {"hours": conf.cancel_closes_hours()}
            )
        was = signup.status
        signup.status = Signup.Status.CANCELLED
        signup.cancelled_at = at
        signup.save(update_fields=["status", "cancelled_at"])
        change = {was: -1}
        promoted = None
        if was == Signup.Status.CONFIRMED:
            promoted = (
                Signup.objects.select_for_update()
                .filter(activity=activity, status=Signup.Status.WAITLISTED)
                .order_by("created_at", "pk")
                .first()
            )
            if promoted is not None:
                promoted.status = Signup.Status.CONFIRMED
                promoted.save(update_fields=["status"])
                change = {Signup.Status.WAITLISTED: -1}
        _count_signups(activity, change)
        if by_organizer:
            AuditEntry.objects.log(actor=actor, action="activities.signup_cancelled", target=signup)
    return promoted


def save_activity(*, activity: Activity, actor, changed: list[str], token: str | None = None) -> list[Signup]:
    """Save a new activity or an organizer's changes to one, on the record; returns who moved up.

    More places on an existing activity move people up from the waiting list
    at once. A new activity is created once per form ``token``.
    """
    created = activity.pk is None
    with transaction.atomic():
        claim = formtokens.claim(token=token, user=actor, form_name=ACTIVITY_FORM)
        _refuse_unless_may_host(actor, activity.community_id)
        if created:
            activity.created_by = actor
        activity.save()
        AuditEntry.objects.log(
            actor=actor,
            action="activities.activity_created" if created else "activities.activity_changed",
            target=activity,
            details={"fields": sorted(changed)},
        )
        promoted = [] if created else fill_free_places(activity=activity)
        claim.done(activity, url=reverse("activities:organize_sheet", args=[activity.pk]))
    return promoted


def add_activity_type(*, activity_type: ActivityType, actor, token: str | None = None) -> ActivityType:
    """Add a type of activity (once per form ``token``), on the record."""
    with transaction.atomic():
        claim = formtokens.claim(token=token, user=actor, form_name=ACTIVITY_TYPE_FORM)
        activity_type.save()
        AuditEntry.objects.log(actor=actor, action="activities.type_added", target=activity_type)
        claim.done(activity_type, url=reverse("activities:organize_types"))
    return activity_type


def save_store_item(*, item: StoreItem, actor, changed: list[str], photo=None, token: str | None = None) -> StoreItem:
    """Put a new item in the points store (once per form ``token``) or change one, with its photo re-encoded.

    A new photo is kept only if the item is saved.
    """
    created = item.pk is None
    with stored_for_write(photo, folder="activities/store") as photo_name, transaction.atomic():
        claim = formtokens.claim(token=token, user=actor, form_name=STORE_ITEM_FORM)
        _refuse_unless_may_host(actor, item.community_id)
        if photo_name:
            item.photo = photo_name
        item.save()
        AuditEntry.objects.log(
            actor=actor,
            action="store.item_created" if created else "store.item_changed",
            target=item,
            details={"fields": sorted(changed)},
        )
        claim.done(item, url=reverse("activities:organize_store"))
    return item


def call_off_activity(*, activity: Activity, actor, reason: str) -> Activity:
    """The organizer calls an activity off (weather, illness): nobody can sign up or check in any more."""
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("Please say why the activity is called off; volunteers will see it."))
    with transaction.atomic():
        activity = Activity.objects.select_for_update().get(pk=activity.pk)
        if activity.cancelled_at is not None:
            raise ServiceError(_("This activity has been called off."))
        if activity.ends_at < timezone.now():
            raise ServiceError(_("This activity is already over."))
        if Signup.objects.filter(activity=activity, hours_confirmed_at__isnull=False).exists():
            raise ServiceError(_("Hours of this activity are already confirmed."))
        activity.cancelled_at = timezone.now()
        activity.cancel_reason = reason[:200]
        activity.save(update_fields=["cancelled_at", "cancel_reason"])
        AuditEntry.objects.log(
            actor=actor, action="activities.activity_called_off", target=activity, details={"reason": reason}
        )
    return activity


# --- Attendance ---------------------------------------------------------------------


def remind_volunteers(*, activity: Activity, now: datetime) -> int:
    """Remind the volunteers signed up for ``activity`` that it starts within ``ACTIVITIES_REMINDER_HOURS``.

    Once per activity and start day (an activity moved to another day is reminded again for that day), to those
    whose place is confirmed and who did not turn reminders off (``Profile.volunteer_reminders``): an on-site notice
    with its e-mail copy through the outbox. Returns how many were reminded.
    """
    from django.contrib.auth import get_user_model

    with transaction.atomic():
        activity = Activity.objects.get(pk=activity.pk)
        due = not activity.cancelled_at and now < activity.starts_at <= now + conf.reminder_window()
        start_day = timezone.localdate(activity.starts_at).isoformat()
        if not due or not schedule.once(f"activities.reminder:{activity.pk}:{start_day}"):
            return 0
        volunteers = list(
            get_user_model()
            .objects.filter(
                residencies__signups__activity=activity,
                residencies__signups__status=Signup.Status.CONFIRMED,
                is_active=True,
            )
            .exclude(profile__volunteer_reminders=False)
            .distinct()
        )
        notify(
            users=volunteers,
            kind="activity_reminder",
            params={"title": str(activity), "detail": activity.place},
            url=reverse("activities:detail", args=[activity.pk]),
        )
    return len(volunteers)


def make_qr_token(activity: Activity) -> str:
    """A signed, timestamped token for the venue's QR code; it also dies when the check-in code changes."""
    return signing.dumps({"a": activity.pk, "c": activity.checkin_code}, salt=QR_SALT)


def qr_token_valid(activity: Activity, token: str) -> bool:
    try:
        data = signing.loads(token or "", salt=QR_SALT, max_age=conf.qr_max_age_seconds())
    except signing.BadSignature:  # also SignatureExpired
        return False
    return data.get("a") == activity.pk and data.get("c") == activity.checkin_code


def check_code(*, activity: Activity, user, code: str = "", token: str = "", ip: str = "") -> None:
    """Accept a QR token or the short code read out at the venue.

    Wrong codes are limited per account and, more loosely, per client address
    ``ip`` (a venue's shared Wi-Fi carries many honest volunteers).
    """
    if token:
        if not qr_token_valid(activity, token):
            raise ServiceError(_("This QR code has expired. Scan the code shown at the venue now."))
        return
    window = conf.code_window_seconds()
    limits = [Limit("activity-code", str(user.pk), conf.code_attempts(), window)]
    if ip:
        limits.append(Limit("activity-code-ip", ip, conf.code_attempts_per_address(), window))
    refuse_if_reached(limits, _("Too many wrong codes. Please wait a few minutes and try again."))
    typed = "".join(ch for ch in (code or "") if ch.isalnum())
    if not secrets.compare_digest(typed.encode(), activity.checkin_code.encode()):
        count_all(limits)
        raise ServiceError(_("That code is not right. Ask the organizer to read it out again."))


def reissue_checkin_code(*, activity: Activity, actor) -> Activity:
    """Issue a new check-in code: the old code and every QR code shown so far stop working at once."""
    from .models import new_checkin_code

    with transaction.atomic():
        activity = Activity.objects.select_for_update().get(pk=activity.pk)
        activity.checkin_code = new_checkin_code()
        activity.save(update_fields=["checkin_code"])
        AuditEntry.objects.log(actor=actor, action="activities.checkin_code_changed", target=activity)
    return activity


def check_in_or_out(
    *, activity: Activity, resident: Resident, at: datetime | None = None, token: str | None = None
) -> str:
    """The first scan checks in, the second checks out. Returns "in" or "out".

    One form ``token`` is one step: a double tap on "check in" must not check
    the volunteer out again at once.
    """
    at = at or timezone.now()
    if not activity.checkin_open(at):
        raise ServiceError(_("Checking in and out is only possible during the activity."))
    with transaction.atomic():
        claim = formtokens.claim(token=token, user=resident.user, form_name=ATTEND_FORM)
        signup = (
            Signup.objects.select_for_update()
            .filter(activity=activity, resident=resident, status=Signup.Status.CONFIRMED)
            .first()
        )
        if signup is None:
            raise ServiceError(_("You do not have a place on this activity."))
        if signup.hours_confirmed_at is not None:
            raise ServiceError(_("Your hours for this activity are already confirmed."))
        if signup.checked_in_at is None:
            signup.checked_in_at = at
            signup.attendance = Signup.Attendance.PRESENT
            signup.save(update_fields=["checked_in_at", "attendance"])
            direction = "in"
        elif signup.checked_out_at is None:
            signup.checked_out_at = at
            signup.save(update_fields=["checked_out_at"])
            direction = "out"
        else:
            raise ServiceError(_("You have already checked out."))
        claim.done(signup, url=reverse("activities:detail", args=[activity.pk]))
    return direction


def record_attendance(
    *,
    signup: Signup,
    actor,
    attendance: str,
    checked_in_at: datetime | None = None,
    checked_out_at: datetime | None = None,
) -> Signup:
    """The organizer marks a volunteer present, absent or no-show (and the times) on the attendance sheet."""
    if attendance not in Signup.Attendance.values:
        raise ServiceError(_("Choose present, absent or no-show."))
    if checked_in_at and checked_out_at and checked_out_at <= checked_in_at:
        raise ServiceError(_("Check-out must be after check-in."))
    with transaction.atomic():
        signup = Signup.objects.select_for_update(of=("self",)).select_related("activity").get(pk=signup.pk)
        if signup.status != Signup.Status.CONFIRMED:
            raise ServiceError(_("Only volunteers with a place can be marked."))
        if signup.hours_confirmed_at is not None:
            raise ServiceError(_("These hours are already confirmed; change them through a correction."))
        if attendance != Signup.Attendance.UNKNOWN and timezone.now() < signup.activity.checkin_window()[0]:
            raise ServiceError(_("Attendance can be recorded once the activity begins."))
        signup.attendance = attendance
        if attendance == Signup.Attendance.PRESENT:
            signup.checked_in_at = checked_in_at or signup.checked_in_at
            signup.checked_out_at = checked_out_at or signup.checked_out_at
            if signup.checked_in_at and signup.checked_out_at and signup.checked_out_at <= signup.checked_in_at:
                raise ServiceError(_("Check-out must be after check-in."))
        else:
            signup.checked_in_at = signup.checked_out_at = None
        signup.save(update_fields=["attendance", "checked_in_at", "checked_out_at"])
        AuditEntry.objects.log(
            actor=actor, action="activities.attendance_recorded", target=signup, details={"attendance": attendance}
        )
    return signup


def add_hours_by_hand(*, signup: Signup, actor, half_hours: int, reason: str, token: str | None = None) -> Signup:
    """补录: the organizer sets a volunteer's hours by hand, with a reason, never beyond the activity's length."""
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("Hours added by hand need a reason."))
    with transaction.atomic():
        claim = formtokens.claim(token=token, user=actor, form_name=MANUAL_HOURS_FORM)
        signup = Signup.objects.select_for_update(of=("self",)).select_related("activity").get(pk=signup.pk)
        if signup.status != Signup.Status.CONFIRMED:
            raise ServiceError(_("Only volunteers with a place can be credited."))
        if signup.hours_confirmed_at is not None:
            raise ServiceError(_("These hours are already confirmed; change them through a correction."))
        if half_hours < 1 or half_hours > signup.activity.length_half_hours:
            raise ServiceError(
                _("Hours added by hand must be between 0.5 and the activity's length (%(hours)s hours).")
                % {"hours": signup.activity.length_text}
            )
        signup.manual_half_hours = half_hours
        signup.manual_reason = reason[:200]
        if signup.attendance in (Signup.Attendance.UNKNOWN, Signup.Attendance.NO_SHOW):
            signup.attendance = Signup.Attendance.PRESENT
        signup.save(update_fields=["manual_half_hours", "manual_reason", "attendance"])
        AuditEntry.objects.log(
            actor=actor,
            action="activities.hours_added_by_hand",
            target=signup,
            details={"hours": hours_text(half_hours), "reason": reason},
        )
        claim.done(signup, url=_sheet_url(signup))
    return signup


def _sheet_url(signup: Signup) -> str:
    return reverse("activities:organize_sheet", args=[signup.activity_id]) + f"#signup-{signup.pk}"


def add_walk_in(*, activity: Activity, resident: Resident, actor, token: str | None = None) -> Signup:
    """The organizer puts a volunteer who came without signing up on the sheet (beyond the capacity if need be)."""
    with transaction.atomic():
        claim = formtokens.claim(token=token, user=actor, form_name=WALK_IN_FORM)
        activity = Activity.objects.select_for_update().get(pk=activity.pk)
        _refuse_outside_reach(activity, resident)
        if Signup.objects.live().filter(activity=activity, resident=resident).exists():
            raise ServiceError(_("This person is already on the sheet."))
        try:
            with transaction.atomic():
                signup = Signup.objects.create(activity=activity, resident=resident, status=Signup.Status.CONFIRMED)
        except IntegrityError as exc:
            raise ServiceError(_("This person is already on the sheet.")) from exc
        _count_signups(activity, {Signup.Status.CONFIRMED: 1})
        AuditEntry.objects.log(actor=actor, action="activities.walk_in_added", target=signup)
        claim.done(signup, url=_sheet_url(signup))
    return signup


# --- Hours ----------------------------------------------------------------------------


def _hours_key(signup: Signup, version: int) -> str:
    return f"hours:signup:{signup.pk}:v{version}"


def _daily_room(signup: Signup) -> int:
    """Half hours still allowed on the activity's day, after the volunteer's other confirmed hours."""
    day = timezone.localtime(signup.activity.starts_at).date()
    start = timezone.make_aware(datetime.combine(day, datetime.min.time()))
    others = (
        Signup.objects.filter(
            resident_id=signup.resident_id,
            hours_confirmed_at__isnull=False,
            activity__starts_at__gte=start,
            activity__starts_at__lt=start + timedelta(days=1),
        )
        .exclude(pk=signup.pk)
        .aggregate(total=Sum("confirmed_half_hours"))["total"]
        or 0
    )
    return max(0, conf.daily_hours_cap() * 2 - others)


def _credit(signup: Signup, half_hours: int, actor, version: int) -> LedgerEntry:
    activity = signup.activity
    return record_entry(
        resident=signup.resident,
        kind=LedgerEntry.Kind.EARNED,
        amount=half_hours * activity.points_per_hour // 2,
        half_hours=half_hours,
        message=gettext_noop("%(hours)s h · %(activity)s"),
        values={"hours": hours_text(half_hours), "activity": activity.title, "activity_id": activity.pk},
        source_object=signup,
        idempotency_key=_hours_key(signup, version),
        occurred_on=timezone.localtime(activity.starts_at).date(),
        created_by=actor,
    )


def confirm_hours(*, signup: Signup, actor, at: datetime | None = None) -> LedgerEntry:
    """The organizer confirms a volunteer's hours; they become points by the activity's rule.

    Hours beyond the daily cap are not credited. Confirming twice is refused
    here, and the ledger's unique key refuses it again if two organizers race.
    """
    at = at or timezone.now()
    with transaction.atomic():
        # Lock the sign-up: two organizers confirming at once take turns, the second sees it confirmed.
        signup = Signup.objects.select_for_update(of=("self",)).select_related("activity", "resident").get(pk=signup.pk)
        if signup.hours_confirmed_at is not None:
            raise AlreadyRecorded(_("These hours are already confirmed."))
        if signup.status != Signup.Status.CONFIRMED:
            raise ServiceError(_("Only volunteers with a place can be credited."))
        if at < signup.activity.starts_at:
            raise ServiceError(_("Hours can be confirmed once the activity has begun."))
        proposed = signup.proposed_half_hours()
        if proposed < 1:
            raise ServiceError(_("No hours to confirm: record attendance or add hours by hand first."))
        _lock_balance(signup.resident_id)  # serialise this volunteer's hours, so the daily cap holds
        credited = min(proposed, _daily_room(signup))
        if credited < 1:
            raise ServiceError(
                _("This volunteer already has %(cap)s confirmed hours on that day (the daily limit).")
                % {"cap": conf.daily_hours_cap()}
            )
        entry = _credit(signup, credited, actor, signup.credit_version)
        signup.confirmed_half_hours = credited
        signup.hours_confirmed_at = at
        signup.hours_confirmed_by = actor if actor is not None and actor.is_authenticated else None
        signup.save(update_fields=["confirmed_half_hours", "hours_confirmed_at", "hours_confirmed_by"])
        AuditEntry.objects.log(
            actor=actor,
            action="activities.hours_confirmed",
            target=signup,
            details={"hours": hours_text(credited), "points": entry.amount},
        )
    return entry


def confirm_all_hours(*, activity: Activity, actor, grid_ids: frozenset[int] | None = None) -> tuple[int, list[str]]:
    """Confirm every sign-up of an activity that has hours waiting; returns (how many, messages of the others).

    ``grid_ids`` (a grid worker's grids) limits it to the volunteers of those grids.
    """
    confirmed, problems = 0, []
    waiting = Signup.objects.filter(activity=activity).awaiting_confirmation()
    if grid_ids is not None:
        waiting = waiting.filter(resident__household__building__grid__in=grid_ids)
    pending = list(waiting.select_related("resident", "activity"))
    for signup in pending:
        if signup.proposed_half_hours() < 1:
            continue
        try:
            confirm_hours(signup=signup, actor=actor)
            confirmed += 1
        except ServiceError as exc:
            problems.append(f"{signup.resident.full_name}: {exc}")
    return confirmed, problems


def request_correction(
    *, signup: Signup, resident: Resident, half_hours: int, reason: str, token: str | None = None
) -> CorrectionRequest:
    """A volunteer asks for their hours to be corrected; one open request per sign-up."""
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("Please say what should be corrected and why."))
    if signup.resident_id != resident.pk:
        raise ServiceError(_("You can only ask about your own hours."))
    if signup.status != Signup.Status.CONFIRMED or not signup.activity.starts_at <= timezone.now():
        raise ServiceError(_("Corrections can be asked once the activity has begun."))
    if half_hours < 0 or half_hours > signup.activity.length_half_hours:
        raise ServiceError(
            _("Ask for at most the activity's length (%(hours)s hours).") % {"hours": signup.activity.length_text}
        )
    with transaction.atomic():
        claim = formtokens.claim(token=token, user=resident.user, form_name=CORRECTION_FORM)
        try:
            with transaction.atomic():
                correction = CorrectionRequest.objects.create(
                    signup=signup, requested_half_hours=half_hours, reason=reason
                )
        except IntegrityError as exc:
            raise ServiceError(_("You have already asked for a correction; the organizer will answer it.")) from exc
        claim.done(correction, url=reverse("activities:mine"))
    return correction


def decide_correction(*, correction: CorrectionRequest, actor, accept: bool, note: str = "") -> CorrectionRequest:
    """The organizer accepts or refuses a correction, on the record.

    Accepting a correction of confirmed hours reverses the earlier credit and
    credits the corrected hours, both in the ledger, in one transaction.
    """
    note = (note or "").strip()
    if not accept and not note:
        raise ServiceError(_("Please tell the volunteer why the correction is refused."))
    now = timezone.now()
    with transaction.atomic():
        signup = (
            Signup.objects.select_for_update(of=("self",))
            .select_related("activity", "resident")
            .get(pk=correction.signup_id)
        )
        correction = CorrectionRequest.objects.select_for_update().get(pk=correction.pk)
        if correction.status != CorrectionRequest.Status.PENDING:
            raise ServiceError(_("This correction has already been answered."))
        if accept:
            wanted = correction.requested_half_hours
            if signup.hours_confirmed_at is None:
                signup.manual_half_hours = wanted
                signup.manual_reason = _recorded_text(gettext_noop("Correction: %(reason)s"), reason=correction.reason)[
                    :200
                ]
                signup.attendance = Signup.Attendance.PRESENT if wanted else signup.attendance
                signup.save(update_fields=["manual_half_hours", "manual_reason", "attendance"])
            else:
                old = LedgerEntry.objects.get(idempotency_key=_hours_key(signup, signup.credit_version))
                _lock_balance(signup.resident_id)
                credited = min(wanted, _daily_room(signup))
                version = signup.credit_version + 1
                # Credit first, then reverse: the balance is checked after each entry and must stay >= 0.
                if credited:
                    _credit(signup, credited, actor, version)
                reverse_entry(
                    entry=old,
                    message=gettext_noop("Correction of %(source)s"),
                    idempotency_key=f"{old.idempotency_key}:reversed",
                    created_by=actor,
                )
                signup.credit_version = version
                signup.confirmed_half_hours = credited
                signup.manual_half_hours = wanted
                signup.manual_reason = _recorded_text(gettext_noop("Correction: %(reason)s"), reason=correction.reason)[
                    :200
                ]
                signup.hours_confirmed_at = now
                signup.hours_confirmed_by = actor
                signup.save(
                    update_fields=[
                        "credit_version",
                        "confirmed_half_hours",
                        "manual_half_hours",
                        "manual_reason",
                        "hours_confirmed_at",
                        "hours_confirmed_by",
                    ]
                )
        correction.status = CorrectionRequest.Status.ACCEPTED if accept else CorrectionRequest.Status.REFUSED
        correction.decided_at = now
        correction.decided_by = actor
        correction.decision_note = note[:300]
        correction.save(update_fields=["status", "decided_at", "decided_by", "decision_note"])
        AuditEntry.objects.log(
            actor=actor,
            action="activities.correction_accepted" if accept else "activities.correction_refused",
            target=correction,
            details={"hours": correction.requested_hours_text, "note": note},
        )
    return correction


# --- The points store -----------------------------------------------------------------


def redeem(*, resident: Resident, item: StoreItem, token: str | None = None) -> Redemption:
    """Exchange points for one item: the balance and the stock both go down, or nothing happens.

    Once per form ``token``: a double tap on "redeem" spends the points once.
    """
    with transaction.atomic():
        claim = formtokens.claim(token=token, user=resident.user, form_name=REDEEM_FORM)
        # Balance row first, then the item row (the same order everywhere): two redemptions by one
        # person cannot overspend, and two people taking the last item cannot oversell it.
        balance = _lock_balance(resident.pk)
        item = StoreItem.objects.select_for_update().get(pk=item.pk)
        if not item.is_active:
            raise ServiceError(_("This item is no longer on offer."))
        if not item.open_to(Household.objects.community_id_of(resident.household_id)):
            raise ServiceError(
                _("This item is in the store of %(community)s: redeem in your own community's store or the street's.")
                % {"community": item.community}
            )
        if item.stock < 1:
            raise ServiceError(_("Sorry, this item is out of stock."))
        if balance.balance < item.price:
            raise ServiceError(
                _("You need %(price)s points for this item and have %(balance)s.")
                % {"price": item.price, "balance": balance.balance}
            )
        item.stock -= 1
        item.save(update_fields=["stock"])
        redemption = Redemption.objects.create(item=item, resident=resident, price=item.price)
        record_entry(
            resident=resident,
            kind=LedgerEntry.Kind.REDEEMED,
            amount=-item.price,
            message=gettext_noop("Points store: %(item)s"),
            values={"item": item.name, "item_id": item.pk},
            source_object=redemption,
            idempotency_key=f"store:redemption:{redemption.pk}",
            counts_for_ranking=False,
        )
        claim.done(redemption, url=reverse("activities:my_redemptions"))
    return redemption


def hand_over(*, redemption: Redemption, actor) -> Redemption:
    """The organizer hands the item over; who and when are kept."""
    with transaction.atomic():
        redemption = Redemption.objects.select_for_update().get(pk=redemption.pk)
        if redemption.status != Redemption.Status.WAITING:
            raise ServiceError(_("This redemption is not waiting to be collected."))
        redemption.status = Redemption.Status.HANDED_OVER
        redemption.handed_over_at = timezone.now()
        redemption.handed_over_by = actor
        redemption.save(update_fields=["status", "handed_over_at", "handed_over_by"])
        AuditEntry.objects.log(actor=actor, action="store.handed_over", target=redemption)
    return redemption


def cancel_redemption(*, redemption: Redemption, actor, by_organizer: bool = False) -> Redemption:
    """Cancel a redemption not yet handed over: the points come back by a reversal, the item back to stock."""
    with transaction.atomic():
        redemption = Redemption.objects.select_for_update(of=("self",)).select_related("resident").get(pk=redemption.pk)
        if redemption.status != Redemption.Status.WAITING:
            raise ServiceError(_("Only redemptions not yet handed over can be cancelled."))
        spent = LedgerEntry.objects.get(idempotency_key=f"store:redemption:{redemption.pk}")
        reverse_entry(
            entry=spent,
            message=gettext_noop("Cancelled: %(source)s"),
            idempotency_key=f"store:redemption:{redemption.pk}:reversed",
            created_by=actor,
        )
        item = StoreItem.objects.select_for_update().get(pk=redemption.item_id)
        item.stock += 1
        item.save(update_fields=["stock"])
        redemption.status = Redemption.Status.CANCELLED
        redemption.cancelled_at = timezone.now()
        redemption.cancelled_by = actor
        redemption.save(update_fields=["status", "cancelled_at", "cancelled_by"])
        if by_organizer:
            AuditEntry.objects.log(actor=actor, action="store.redemption_cancelled", target=redemption)
    return redemption


def record_export(*, actor, kind: str, month: str) -> None:
    """The audit line of a monthly report download (台账): who took which report of which month."""
    AuditEntry.objects.log(actor=actor, action="activities.exported", details={"kind": kind, "month": month})


# --- Volunteer service records -----------------------------------------------------------


def _next_record_number(year: int) -> str:
    # Create the year's counter if it is missing without racing (ON CONFLICT DO NOTHING), then bump it in one
    # UPDATE: the row stays locked until this transaction commits, so two records issued at the same moment
    # get consecutive numbers, never the same one (the unique number is the last line of defence).
    ServiceRecordCounter.objects.bulk_create([ServiceRecordCounter(year=year)], ignore_conflicts=True)
    ServiceRecordCounter.objects.filter(year=year).update(last=F("last") + 1)
    last = ServiceRecordCounter.objects.values_list("last", flat=True).get(year=year)
    return ServiceRecord.format_number(year, last)


def issue_service_record(
    *, resident: Resident, start: date, end: date, actor, token: str | None = None, listed_at: str = ""
) -> ServiceRecord:
    """Issue a numbered volunteer service record of ``resident``'s confirmed hours from ``start`` to ``end``.

    What the record says (its activities and total hours) is kept on the row as
    issued; the PDF and the public verify page both read it from there. ``actor``
    is who asked (the resident, or an organizer printing it for them); the
    caller has checked they may. Once per form ``token``: the same form sent
    twice issues one record, and the second send goes to ``listed_at`` (the
    page that lists the person's records, with its download link), not to a
    second copy of the file.
    """
    if end < start:
        raise ServiceError(_("The end of the period must not be before its start."))
    if end > timezone.localdate():
        raise ServiceError(_("The period cannot end after today."))
    with transaction.atomic():
        claim = formtokens.claim(token=token, user=actor, form_name=SERVICE_RECORD_FORM)
        # The resident's row is locked so that the day's count below cannot be raced past by forms sent at once.
        Resident.objects.select_for_update().filter(pk=resident.pk).values_list("pk", flat=True).first()
        day_start = timezone.make_aware(datetime.combine(timezone.localdate(), time.min))
        if ServiceRecord.objects.filter(resident=resident, issued_at__gte=day_start).count() >= conf.records_per_day():
            raise ServiceError(
                _(
                    "%(count)d service records were issued for this resident today, the most a day. Download one of them below, or ask again tomorrow."
                )
                % {"count": conf.records_per_day()}
            )
        signups = Signup.objects.served(resident, start, end)
        lines = [
            {
                "date": timezone.localtime(signup.activity.starts_at).date().isoformat(),
                "title": signup.activity.title,
                "half_hours": signup.confirmed_half_hours,
            }
            for signup in signups
        ]
        issued_at = timezone.now()
        record = ServiceRecord.objects.create(
            number=_next_record_number(timezone.localtime(issued_at).year),
            resident=resident,
            period_start=start,
            period_end=end,
            half_hours=sum(line["half_hours"] for line in lines),
            lines=lines,
            issuer=conf.record_issuer(resident),
            issued_at=issued_at,
            issued_by=actor,
        )
        AuditEntry.objects.log(
            actor=actor,
            action="activities.service_record_issued",
            target=record,
            details={"hours": record.hours_text, "period": f"{start.isoformat()} – {end.isoformat()}"},
        )
        claim.done(record, url=listed_at)
    return record


# --- Checking the caches against the ledger ---------------------------------------------


def ledger_differences() -> list[str]:
    """Recompute every balance and leaderboard row from the ledger; describe each difference (empty = all good)."""
    from collections import defaultdict

    expected_balance: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])
    expected_rows: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, None])  # points, hours, community
    community_of_grid = dict(Grid.objects.values_list("pk", "community_id"))
    fields = (
        "resident_id",
        "household_id",
        "building_id",
        "grid_id",
        "amount",
        "half_hours",
        "counts_for_ranking",
        "occurred_on",
    )
    # In the order they were written: a row's community is its latest entry's.
    for resident_id, household_id, building_id, grid_id, amount, half_hours, ranking, day in (
        LedgerEntry.objects.order_by("pk").values_list(*fields).iterator(chunk_size=5000)
    ):
        totals = expected_balance[resident_id]
        totals[0] += amount
        totals[1] += amount if ranking else 0
        totals[2] += half_hours
        points = amount if ranking else 0
        if not points and not half_hours:
            continue
        community_id = community_of_grid.get(grid_id)
        for scope, scope_id in (
            ("person", resident_id),
            ("household", household_id),
            ("building", building_id),
            ("grid", grid_id),
            ("community", community_id),
        ):
            if scope_id is None:
                continue
            for kind, key in period_keys(day):
                row = expected_rows[(scope, scope_id, kind, key)]
                row[0] += points
                row[1] += half_hours
                row[2] = community_id
    problems = []
    seen = set()
    for resident_id, balance, lifetime, half_hours in PointsBalance.objects.values_list(
        "resident_id", "balance", "lifetime_earned", "half_hours"
    ).iterator(chunk_size=5000):
        seen.add(resident_id)
        want = expected_balance.get(resident_id, [0, 0, 0])
        if [balance, lifetime, half_hours] != want:
            problems.append(
                f"balance of resident {resident_id}: cached {[balance, lifetime, half_hours]}, ledger {want}"
            )
    for resident_id, want in expected_balance.items():
        if resident_id not in seen and any(want):
            problems.append(f"balance of resident {resident_id}: missing, ledger {want}")
    seen_rows = set()
    for scope, scope_id, kind, key, points, half_hours, community_id in PointsAggregate.objects.values_list(
        "scope", "scope_id", "period_kind", "period_key", "points", "half_hours", "community_id"
    ).iterator(chunk_size=5000):
        seen_rows.add((scope, scope_id, kind, key))
        want = expected_rows.get((scope, scope_id, kind, key), [0, 0, None])
        if [points, half_hours] != want[:2]:
            problems.append(f"leaderboard {scope} {scope_id} {key}: cached {[points, half_hours]}, ledger {want[:2]}")
        elif want[2] is not None and community_id != want[2]:
            problems.append(f"leaderboard {scope} {scope_id} {key}: in community {community_id}, ledger {want[2]}")
    for row_key, want in expected_rows.items():
        if row_key not in seen_rows and any(want[:2]):
            problems.append(f"leaderboard {' '.join(map(str, row_key))}: missing, ledger {want[:2]}")
    negative = PointsBalance.objects.filter(balance__lt=0).count()
    if negative:
        problems.append(f"{negative} balances below zero")
    return problems


def signup_count_differences() -> list[str]:
    """Recount every activity's confirmed and waiting sign-ups; describe each row whose kept counts differ."""
    wrong = (
        Activity.objects.with_recount()
        .exclude(confirmed_count=F("recounted_confirmed"), waitlist_count=F("recounted_waiting"))
        .values_list("pk", "confirmed_count", "waitlist_count", "recounted_confirmed", "recounted_waiting")
    )
    return [
        f"sign-ups of activity {pk}: kept {[confirmed, waiting]}, counted {[real_confirmed, real_waiting]}"
        for pk, confirmed, waiting, real_confirmed, real_waiting in wrong.order_by("pk")
    ]
