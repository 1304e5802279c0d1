"""Checking in and out by code or QR code, and the organizer's attendance sheet."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import signing
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from activities import services
from activities.models import Signup
from tests.project.test_access_sweep import row_counts
from tests.tokens import FIELD, page_token, token

from .factories import ActivityFactory, finished_activity, running_activity

pytestmark = pytest.mark.django_db


def test_volunteer_checks_in_then_out_with_the_read_out_code(resident_client, member):
    activity = running_activity()
    signup = Signup.objects.create(activity=activity, resident=member)
    url = reverse("activities:attend", args=[activity.pk])
    resident_client.post(url, {"code": "246 813", FIELD: page_token(resident_client.get(url))})
    signup.refresh_from_db()
    assert signup.checked_in_at is not None and signup.attendance == "present"
    resident_client.post(url, {"code": "246813", FIELD: page_token(resident_client.get(url))})
    signup.refresh_from_db()
    assert signup.checked_out_at is not None


def test_a_double_tap_on_check_in_does_not_check_the_volunteer_out(resident_client, member):
    activity = running_activity()
    signup = Signup.objects.create(activity=activity, resident=member)
    url = reverse("activities:attend", args=[activity.pk])
    form = {"code": "246813", FIELD: page_token(resident_client.get(url))}
    resident_client.post(url, form)
    response = resident_client.post(url, form, follow=True)
    signup.refresh_from_db()
    assert signup.checked_in_at is not None and signup.checked_out_at is None
    assert "已经记录过了，没有重复添加。" in response.content.decode()


def test_wrong_code_is_refused_and_rate_limited(resident_client, member):
    activity = running_activity()
    signup = Signup.objects.create(activity=activity, resident=member)
    url = reverse("activities:attend", args=[activity.pk])
    before = row_counts()
    for _ in range(5):
        response = resident_client.post(url, {"code": "000000", **token(member.user, "activities.attend")}, follow=True)
    assert "签到码不正确，请组织者再念一遍。" in response.content.decode()
    # The right code, but too many tries.
    response = resident_client.post(url, {"code": "246813", **token(member.user, "activities.attend")}, follow=True)
    signup.refresh_from_db()
    assert signup.checked_in_at is None
    assert row_counts() == before


def test_code_does_not_work_outside_the_activity_window(member):
    activity = ActivityFactory()  # in three days
    Signup.objects.create(activity=activity, resident=member)
    with pytest.raises(services.ServiceError):
        services.check_in_or_out(activity=activity, resident=member)


def test_code_does_not_work_after_the_grace_period(member):
    activity = finished_activity()
    Signup.objects.create(activity=activity, resident=member)
    with pytest.raises(services.ServiceError):
        services.check_in_or_out(activity=activity, resident=member)


def test_someone_without_a_place_cannot_check_in(member):
    activity = running_activity()
    Signup.objects.create(activity=activity, resident=member, status=Signup.Status.WAITLISTED)
    before = row_counts()
    with pytest.raises(services.ServiceError):
        services.check_in_or_out(activity=activity, resident=member)
    assert row_counts() == before


def test_third_scan_is_refused(member):
    activity = running_activity()
    Signup.objects.create(activity=activity, resident=member)
    assert services.check_in_or_out(activity=activity, resident=member) == "in"
    assert services.check_in_or_out(activity=activity, resident=member) == "out"
    before = row_counts()
    with pytest.raises(services.ServiceError):
        services.check_in_or_out(activity=activity, resident=member)
    assert row_counts() == before


def test_qr_token_checks_in(resident_client, member):
    activity = running_activity()
    signup = Signup.objects.create(activity=activity, resident=member)
    token = services.make_qr_token(activity)
    url = reverse("activities:attend", args=[activity.pk])
    page = resident_client.get(url, {"t": token})
    assert token in page.content.decode()
    resident_client.post(url, {"t": token, FIELD: page_token(page)})
    signup.refresh_from_db()
    assert signup.checked_in_at is not None


@override_settings(ACTIVITIES_QR_MAX_AGE_SECONDS=60)
def test_old_qr_token_is_refused(member, monkeypatch):
    activity = running_activity()
    Signup.objects.create(activity=activity, resident=member)
    token = services.make_qr_token(activity)
    real_time = signing.time.time
    monkeypatch.setattr(signing.time, "time", lambda: real_time() + 120)
    assert not services.qr_token_valid(activity, token)


def test_qr_token_of_another_activity_or_an_old_code_is_refused(member):
    activity, other = running_activity(), running_activity()
    assert not services.qr_token_valid(activity, services.make_qr_token(other))
    token = services.make_qr_token(activity)
    activity.checkin_code = "135799"
    assert not services.qr_token_valid(activity, token)
    assert not services.qr_token_valid(activity, "forged:token")


def test_organizer_qr_page_shows_an_svg_during_the_activity(organizer_client):
    activity = running_activity()
    page = organizer_client.get(reverse("activities:organize_qr", args=[activity.pk])).content.decode()
    assert "<svg" in page and activity.checkin_code in page and 'http-equiv="refresh"' in page
    later = ActivityFactory()
    page = organizer_client.get(reverse("activities:organize_qr", args=[later.pk])).content.decode()
    assert "<svg" not in page


def test_residents_cannot_open_the_qr_page_or_sheet(resident_client):
    activity = running_activity()
    assert resident_client.get(reverse("activities:organize_qr", args=[activity.pk])).status_code == 403
    assert resident_client.get(reverse("activities:organize_sheet", args=[activity.pk])).status_code == 403


def test_organizer_marks_attendance_with_times(organizer_client, member):
    activity = finished_activity()
    signup = Signup.objects.create(activity=activity, resident=member)
    start = timezone.localtime(activity.starts_at + timedelta(minutes=30))
    end = timezone.localtime(activity.ends_at)
    organizer_client.post(
        reverse("activities:organize_attendance", args=[signup.pk]),
        {
            f"s{signup.pk}-attendance": "present",
            f"s{signup.pk}-checked_in_at": start.strftime("%Y-%m-%dT%H:%M"),
            f"s{signup.pk}-checked_out_at": end.strftime("%Y-%m-%dT%H:%M"),
        },
    )
    signup.refresh_from_db()
    assert signup.attendance == "present"
    assert signup.proposed_half_hours() == 5  # 2.5 hours


def test_organizer_marks_a_no_show(organizer, member):
    signup = Signup.objects.create(activity=finished_activity(), resident=member)
    services.record_attendance(signup=signup, actor=organizer, attendance="no_show")
    signup.refresh_from_db()
    assert signup.attendance == "no_show" and signup.proposed_half_hours() == 0


def test_check_out_before_check_in_is_refused(organizer, member):
    activity = finished_activity()
    signup = Signup.objects.create(activity=activity, resident=member)
    before = row_counts()
    with pytest.raises(services.ServiceError):
        services.record_attendance(
            signup=signup,
            actor=organizer,
            attendance="present",
            checked_in_at=activity.ends_at,
            checked_out_at=activity.starts_at,
        )
    assert row_counts() == before


def test_attendance_before_the_activity_is_refused(organizer, member):
    signup = Signup.objects.create(activity=ActivityFactory(), resident=member)
    before = row_counts()
    with pytest.raises(services.ServiceError):
        services.record_attendance(signup=signup, actor=organizer, attendance="present")
    assert row_counts() == before


def test_wrong_codes_from_one_address_are_limited_across_accounts(member):
    from tests.factories import UserFactory

    activity = running_activity()
    for n in range(30):
        user = UserFactory()
        with pytest.raises(services.ServiceError):
            services.check_code(activity=activity, user=user, code="000000", ip="10.0.0.7")
    with pytest.raises(services.ServiceError, match="^输错次数太多，请过几分钟再试。$"):
        services.check_code(activity=activity, user=UserFactory(), code="246813", ip="10.0.0.7")
    services.check_code(activity=activity, user=UserFactory(), code="246813", ip="10.0.0.8")  # another address is fine
