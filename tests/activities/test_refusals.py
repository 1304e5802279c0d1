"""Every refusal of the volunteering services, one test each: nothing is written when one is refused.

Each test counts every table's rows before and after the refused call (``row_counts``).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from activities import services
from activities.models import CorrectionRequest, LedgerEntry, Signup
from tests.factories import ResidentFactory
from tests.project.test_access_sweep import row_counts
from tests.tokens import token

from .factories import ActivityFactory, finished_activity, present, running_activity

pytestmark = pytest.mark.django_db


def test_cancelling_twice_is_refused(member):
    signup = services.sign_up(activity=ActivityFactory(), resident=member)
    services.cancel_signup(signup=signup, actor=None)
    before = row_counts()
    with pytest.raises(services.ServiceError):
        services.cancel_signup(signup=signup, actor=None)
    assert row_counts() == before


def test_cancelling_after_checking_in_is_refused(member):
    activity = running_activity()
    signup = Signup.objects.create(activity=activity, resident=member, checked_in_at=timezone.now())
    before = row_counts()
    with pytest.raises(services.ServiceError):
        services.cancel_signup(signup=signup, actor=None, by_organizer=True)
    assert Signup.objects.get(pk=signup.pk).status == "confirmed"
    assert row_counts() == before


def test_checking_in_after_confirmation_is_refused(organizer, member):
    activity = running_activity()
    signup = Signup.objects.create(activity=activity, resident=member, attendance="present")
    services.confirm_hours(signup=signup, actor=organizer)
    before = row_counts()
    with pytest.raises(services.ServiceError):
        services.check_in_or_out(activity=activity, resident=member)
    assert row_counts() == before


def test_an_empty_code_is_refused(resident_client, member):
    activity = running_activity()
    signup = Signup.objects.create(activity=activity, resident=member)
    before = row_counts()
    response = resident_client.post(
        reverse("activities:attend", args=[activity.pk]),
        {"code": "", **token(member.user, "activities.attend")},
        follow=True,
    )
    assert response.status_code == 200
    assert Signup.objects.get(pk=signup.pk).checked_in_at is None
    assert row_counts() == before


def test_an_expired_qr_token_is_refused_through_the_page(resident_client, member):
    activity = running_activity()
    signup = Signup.objects.create(activity=activity, resident=member)
    before = row_counts()
    resident_client.post(
        reverse("activities:attend", args=[activity.pk]),
        {"t": "bad:token:value", **token(member.user, "activities.attend")},
    )
    assert Signup.objects.get(pk=signup.pk).checked_in_at is None
    assert row_counts() == before


def test_a_new_code_makes_old_qr_codes_useless(organizer_client, member):
    activity = running_activity()
    token = services.make_qr_token(activity)
    organizer_client.post(reverse("activities:organize_new_code", args=[activity.pk]))
    activity.refresh_from_db()
    assert activity.checkin_code != "246813"
    assert not services.qr_token_valid(activity, token)


def test_unknown_attendance_value_is_refused(organizer, member):
    signup = Signup.objects.create(activity=finished_activity(), resident=member)
    before = row_counts()
    with pytest.raises(services.ServiceError):
        services.record_attendance(signup=signup, actor=organizer, attendance="sleeping")
    assert row_counts() == before


def test_attendance_of_someone_on_the_waiting_list_is_refused(organizer, member):
    signup = Signup.objects.create(activity=finished_activity(), resident=member, status="waitlisted")
    before = row_counts()
    with pytest.raises(services.ServiceError):
        services.record_attendance(signup=signup, actor=organizer, attendance="present")
    assert row_counts() == before


def test_attendance_after_confirmation_is_refused(organizer, member):
    signup = present(finished_activity(), member)
    services.confirm_hours(signup=signup, actor=organizer)
    before = row_counts()
    with pytest.raises(services.ServiceError):
        services.record_attendance(signup=signup, actor=organizer, attendance="no_show")
    assert row_counts() == before and LedgerEntry.objects.count() == 1


def test_hand_added_hours_after_confirmation_are_refused(organizer, member):
    signup = present(finished_activity(), member)
    services.confirm_hours(signup=signup, actor=organizer)
    before = row_counts()
    with pytest.raises(services.ServiceError):
        services.add_hours_by_hand(signup=signup, actor=organizer, half_hours=2, reason="x")
    assert row_counts() == before


def test_hand_added_hours_for_the_waiting_list_are_refused(organizer, member):
    signup = Signup.objects.create(activity=finished_activity(), resident=member, status="waitlisted")
    before = row_counts()
    with pytest.raises(services.ServiceError):
        services.add_hours_by_hand(signup=signup, actor=organizer, half_hours=2, reason="x")
    assert row_counts() == before


def test_confirming_someone_on_the_waiting_list_is_refused(organizer, member):
    signup = Signup.objects.create(
        activity=finished_activity(), resident=member, status="waitlisted", manual_half_hours=2
    )
    before = row_counts()
    with pytest.raises(services.ServiceError):
        services.confirm_hours(signup=signup, actor=organizer)
    assert row_counts() == before and not LedgerEntry.objects.exists()


def test_a_walk_in_already_on_the_sheet_is_refused(organizer, member):
    activity = finished_activity()
    services.add_walk_in(activity=activity, resident=member, actor=organizer)
    before = row_counts()
    with pytest.raises(services.ServiceError):
        services.add_walk_in(activity=activity, resident=member, actor=organizer)
    assert row_counts() == before


def test_a_correction_without_reason_is_refused(member):
    signup = present(finished_activity(), member)
    before = row_counts()
    with pytest.raises(services.ServiceError):
        services.request_correction(signup=signup, resident=member, half_hours=4, reason=" ")
    assert row_counts() == before


def test_a_correction_of_someone_else_s_hours_is_refused(member, neighbour_member):
    signup = present(finished_activity(), member)
    before = row_counts()
    with pytest.raises(services.ServiceError):
        services.request_correction(signup=signup, resident=neighbour_member, half_hours=4, reason="x")
    assert row_counts() == before


def test_a_correction_before_the_activity_is_refused(member):
    signup = Signup.objects.create(activity=ActivityFactory(), resident=member)
    before = row_counts()
    with pytest.raises(services.ServiceError):
        services.request_correction(signup=signup, resident=member, half_hours=2, reason="x")
    assert row_counts() == before and not CorrectionRequest.objects.exists()


def test_a_correction_form_with_bad_hours_writes_nothing(resident_client, member):
    signup = present(finished_activity(), member)
    before = row_counts()
    response = resident_client.post(
        reverse("activities:correction", args=[signup.pk]),
        {"hours": "abc", "reason": "x", **token(member.user, "activities.correction")},
    )
    assert response.status_code == 200 and not CorrectionRequest.objects.exists()
    assert row_counts() == before


def test_accepting_a_lower_correction_after_spending_the_points_is_refused(organizer, member, ledger_ok):
    from activities.models import StoreItem

    signup = present(finished_activity(hours=3), member)
    services.confirm_hours(signup=signup, actor=organizer)  # 30 points
    services.redeem(resident=member, item=StoreItem.objects.create(name="油", price=30, stock=1))
    correction = services.request_correction(signup=signup, resident=member, half_hours=2, reason="多记了")
    before = row_counts()
    with pytest.raises(services.ServiceError):
        services.decide_correction(correction=correction, actor=organizer, accept=True)
    correction.refresh_from_db()
    assert correction.status == "pending" and row_counts() == before
    ledger_ok()


def test_residents_cannot_confirm_or_mark_attendance(resident_client, member):
    signup = present(finished_activity(), member)
    before = row_counts()
    assert resident_client.post(reverse("activities:organize_confirm", args=[signup.pk])).status_code == 403
    assert resident_client.post(reverse("activities:organize_attendance", args=[signup.pk])).status_code == 403
    assert resident_client.post(reverse("activities:organize_manual_hours", args=[signup.pk])).status_code == 403
    assert row_counts() == before and not LedgerEntry.objects.exists()


def test_organizer_actions_need_post(organizer_client, member):
    signup = present(finished_activity(), member)
    assert organizer_client.get(reverse("activities:organize_confirm", args=[signup.pk])).status_code == 405


def test_csrf_is_enforced_on_sign_up(csrf_client, resident):
    activity = ActivityFactory()
    csrf_client.force_login(resident)
    before = row_counts()
    assert csrf_client.post(reverse("activities:sign_up", args=[activity.pk])).status_code == 403
    assert row_counts() == before and not Signup.objects.exists()


def test_edit_of_an_unknown_activity_is_404(organizer_client):
    assert organizer_client.get(reverse("activities:organize_edit", args=[99999])).status_code == 404


def test_signing_up_for_a_started_activity_is_refused(member):
    activity = ActivityFactory(starts_in=timedelta(minutes=-5), signup_deadline=timezone.now() - timedelta(minutes=10))
    before = row_counts()
    with pytest.raises(services.ServiceError):
        services.sign_up(activity=activity, resident=member)
    assert row_counts() == before and not Signup.objects.exists()


def test_walk_in_for_an_unknown_phone_is_refused(organizer_client, organizer):
    activity = finished_activity()
    ResidentFactory(phone="+8613900002222")
    before = row_counts()
    organizer_client.post(
        reverse("activities:organize_walk_in", args=[activity.pk]),
        {"phone": "13900009999", **token(organizer, "activities.walk_in")},
    )
    assert row_counts() == before and not Signup.objects.exists()


def test_organizer_calls_off_an_activity_and_it_stops_sign_ups_and_check_ins(organizer_client, member):
    from project.models import AuditEntry

    activity = running_activity()
    Signup.objects.create(activity=activity, resident=member)
    organizer_client.post(reverse("activities:organize_call_off", args=[activity.pk]), {"reason": "暴雨"})
    activity.refresh_from_db()
    assert activity.cancelled_at is not None and activity.cancel_reason == "暴雨"
    assert AuditEntry.objects.filter(action="activities.activity_called_off").exists()
    with pytest.raises(services.ServiceError):
        services.check_in_or_out(activity=activity, resident=member)


def test_calling_off_needs_a_reason_and_not_after_confirmed_hours(organizer, member):
    activity = running_activity()
    before = row_counts()
    with pytest.raises(services.ServiceError):
        services.call_off_activity(activity=activity, actor=organizer, reason="")
    assert row_counts() == before
    signup = Signup.objects.create(activity=activity, resident=member, attendance="present")
    services.confirm_hours(signup=signup, actor=organizer)
    finished = finished_activity()
    before = row_counts()
    with pytest.raises(services.ServiceError):
        services.call_off_activity(activity=activity, actor=organizer, reason="下雨")
    with pytest.raises(services.ServiceError):
        services.call_off_activity(activity=finished, actor=organizer, reason="下雨")
    assert row_counts() == before
    activity.refresh_from_db()
    assert activity.cancelled_at is None
