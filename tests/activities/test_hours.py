"""Hours: clipped to the window, half hours, daily cap; confirmation, hand-added hours and corrections."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from activities import services
from activities.models import CorrectionRequest, LedgerEntry, PointsBalance, Signup
from project.models import AuditEntry
from tests.factories import ResidentFactory
from tests.project.test_access_sweep import row_counts
from tests.tokens import token

from .factories import ActivityFactory, finished_activity, present

pytestmark = pytest.mark.django_db


def test_hours_are_clipped_to_the_window_and_rounded_down_to_half_hours(member):
    activity = finished_activity(hours=3)
    signup = Signup.objects.create(
        activity=activity,
        resident=member,
        attendance="present",
        checked_in_at=activity.starts_at - timedelta(hours=1),  # came early: not counted
        checked_out_at=activity.ends_at - timedelta(minutes=50),  # 2 h 10 min → 2 h
    )
    assert signup.computed_half_hours() == 4


def test_present_without_times_credits_the_whole_activity(member):
    activity = finished_activity(hours=3)
    signup = Signup.objects.create(activity=activity, resident=member, attendance="present")
    assert signup.proposed_half_hours() == 6


def test_confirming_hours_credits_points_by_the_activity_rule(organizer, member, ledger_ok):
    activity = finished_activity(hours=3, points_per_hour=15)
    signup = present(activity, member, minutes_late=30)  # 2.5 hours
    entry = services.confirm_hours(signup=signup, actor=organizer)
    assert (entry.kind, entry.amount, entry.half_hours) == ("earned", 37, 5)  # 2.5 × 15, rounded down
    balance = PointsBalance.objects.get(resident=member)
    assert (balance.balance, balance.lifetime_earned, balance.half_hours) == (37, 37, 5)
    assert entry.source_object == signup
    assert AuditEntry.objects.filter(action="activities.hours_confirmed").count() == 1
    ledger_ok()


def test_confirming_twice_never_credits_twice(organizer, member, ledger_ok):
    signup = present(finished_activity(), member)
    services.confirm_hours(signup=signup, actor=organizer)
    with pytest.raises(services.AlreadyRecorded):
        services.confirm_hours(signup=signup, actor=organizer)
    assert LedgerEntry.objects.count() == 1
    ledger_ok()


def test_the_ledger_key_refuses_a_second_credit_even_if_the_signup_check_is_bypassed(organizer, member):
    signup = present(finished_activity(), member)
    services.confirm_hours(signup=signup, actor=organizer)
    Signup.objects.filter(pk=signup.pk).update(hours_confirmed_at=None)  # as if a racing request had not seen it
    with pytest.raises(services.AlreadyRecorded):
        services.confirm_hours(signup=signup, actor=organizer)
    assert LedgerEntry.objects.count() == 1


def test_confirming_with_no_hours_is_refused(organizer, member):
    signup = Signup.objects.create(activity=finished_activity(), resident=member)
    before = row_counts()
    with pytest.raises(services.ServiceError):
        services.confirm_hours(signup=signup, actor=organizer)
    assert row_counts() == before


def test_confirming_before_the_activity_begins_is_refused(organizer, member):
    signup = Signup.objects.create(activity=ActivityFactory(), resident=member, manual_half_hours=2)
    before = row_counts()
    with pytest.raises(services.ServiceError):
        services.confirm_hours(signup=signup, actor=organizer)
    assert row_counts() == before


@override_settings(ACTIVITIES_DAILY_HOURS_CAP=4)
def test_daily_cap_limits_the_credited_hours(organizer, member):
    # Yesterday 08:00, 12:00 and 16:00 Beijing time: one day, whatever the time the test runs.
    eight = timezone.make_aware(datetime.combine(timezone.localdate() - timedelta(days=1), time(8)))
    morning = finished_activity(hours=3, starts_in=eight - timezone.now())
    afternoon = finished_activity(hours=3, starts_in=eight + timedelta(hours=4) - timezone.now())
    services.confirm_hours(signup=present(morning, member), actor=organizer)
    second = services.confirm_hours(signup=present(afternoon, member), actor=organizer)
    assert second.half_hours == 2  # 1 hour left under the 4-hour cap
    third_activity = finished_activity(hours=2, starts_in=eight + timedelta(hours=8) - timezone.now())
    with pytest.raises(services.ServiceError):
        services.confirm_hours(signup=present(third_activity, member), actor=organizer)


def test_hand_added_hours_need_a_reason_and_stay_within_the_activity(organizer, member):
    signup = Signup.objects.create(activity=finished_activity(hours=3), resident=member)
    with pytest.raises(services.ServiceError):
        services.add_hours_by_hand(signup=signup, actor=organizer, half_hours=4, reason="  ")
    with pytest.raises(services.ServiceError):
        services.add_hours_by_hand(signup=signup, actor=organizer, half_hours=7, reason="忘记签到")
    services.add_hours_by_hand(signup=signup, actor=organizer, half_hours=6, reason="忘记签到")
    signup.refresh_from_db()
    assert signup.proposed_half_hours() == 6 and signup.attendance == "present"


def test_hand_added_hours_through_the_sheet_without_reason_write_nothing(organizer_client, organizer, member):
    signup = Signup.objects.create(activity=finished_activity(), resident=member)
    before = row_counts()
    organizer_client.post(
        reverse("activities:organize_manual_hours", args=[signup.pk]),
        {f"h{signup.pk}-hours": "2", **token(organizer, "activities.manual_hours")},
    )
    signup.refresh_from_db()
    assert signup.manual_half_hours is None
    assert row_counts() == before


def test_confirm_all_confirms_everyone_with_hours(organizer_client, member, neighbour_member, ledger_ok):
    activity = finished_activity()
    present(activity, member)
    present(activity, neighbour_member)
    Signup.objects.create(activity=activity, resident=ResidentFactory())  # no attendance: nothing to confirm
    organizer_client.post(reverse("activities:organize_confirm_all", args=[activity.pk]))
    assert Signup.objects.filter(hours_confirmed_at__isnull=False).count() == 2
    assert ledger_ok() == 2


def test_correction_before_confirmation_sets_the_hours(organizer, member, resident_client):
    signup = present(finished_activity(hours=3), member, minutes_late=60)
    response = resident_client.post(
        reverse("activities:correction", args=[signup.pk]),
        {"hours": "3", "reason": "手机没电，我准时到的", **token(member.user, "activities.correction")},
    )
    assert response.status_code == 302
    correction = CorrectionRequest.objects.get()
    services.decide_correction(correction=correction, actor=organizer, accept=True, note="核实无误")
    signup.refresh_from_db()
    assert signup.proposed_half_hours() == 6


def test_correction_after_confirmation_reverses_and_recredits(organizer, member, ledger_ok):
    signup = present(finished_activity(hours=3), member, minutes_late=60)  # 2 h
    services.confirm_hours(signup=signup, actor=organizer)
    correction = services.request_correction(signup=signup, resident=member, half_hours=6, reason="迟到是登记错误")
    services.decide_correction(correction=correction, actor=organizer, accept=True)
    kinds = sorted(LedgerEntry.objects.values_list("kind", "amount"))
    assert kinds == [("earned", 20), ("earned", 30), ("reversed", -20)]
    assert PointsBalance.objects.get(resident=member).half_hours == 6
    ledger_ok()


def test_refusing_a_correction_needs_an_answer(organizer, member):
    signup = present(finished_activity(), member)
    correction = services.request_correction(signup=signup, resident=member, half_hours=6, reason="多算一点")
    before = row_counts()
    with pytest.raises(services.ServiceError):
        services.decide_correction(correction=correction, actor=organizer, accept=False)
    assert row_counts() == before
    services.decide_correction(correction=correction, actor=organizer, accept=False, note="签到记录只有两小时")
    correction.refresh_from_db()
    assert correction.status == "refused" and correction.decided_by == organizer


def test_answered_correction_cannot_be_answered_again(organizer, member):
    signup = present(finished_activity(), member)
    correction = services.request_correction(signup=signup, resident=member, half_hours=4, reason="x")
    services.decide_correction(correction=correction, actor=organizer, accept=False, note="no")
    before = row_counts()
    with pytest.raises(services.ServiceError):
        services.decide_correction(correction=correction, actor=organizer, accept=True)
    assert row_counts() == before


def test_one_open_correction_per_signup_and_never_beyond_the_length(member):
    signup = present(finished_activity(hours=3), member)
    with pytest.raises(services.ServiceError):
        services.request_correction(signup=signup, resident=member, half_hours=7, reason="x")
    services.request_correction(signup=signup, resident=member, half_hours=6, reason="x")
    with pytest.raises(services.ServiceError):
        services.request_correction(signup=signup, resident=member, half_hours=5, reason="y")


def test_someone_else_cannot_ask_about_my_hours(neighbour_client, member):
    signup = present(finished_activity(), member)
    assert neighbour_client.get(reverse("activities:correction", args=[signup.pk])).status_code == 404


def test_organizer_decides_through_the_page(organizer_client, member):
    signup = present(finished_activity(), member)
    correction = services.request_correction(signup=signup, resident=member, half_hours=4, reason="x")
    organizer_client.post(
        reverse("activities:organize_decide_correction", args=[correction.pk]),
        {f"c{correction.pk}-decision": "refuse", f"c{correction.pk}-note": "记录无误"},
    )
    correction.refresh_from_db()
    assert correction.status == "refused" and correction.decision_note == "记录无误"
