"""Signing up and cancelling: places, the waiting list, deadlines and the no-show block."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from activities import services
from activities.models import Signup
from project.models import AuditEntry
from tests.factories import ResidentFactory
from tests.project.test_access_sweep import row_counts
from tests.tokens import token

from .factories import ActivityFactory, finished_activity

pytestmark = pytest.mark.django_db


def test_resident_signs_up_through_the_page(resident_client, member):
    activity = ActivityFactory()
    response = resident_client.post(
        reverse("activities:sign_up", args=[activity.pk]), token(member.user, "activities.sign_up"), follow=True
    )
    assert "报名成功，到时见！" in response.content.decode()
    assert Signup.objects.get(activity=activity, resident=member).status == "confirmed"


def test_second_sign_up_is_refused(member):
    activity = ActivityFactory()
    services.sign_up(activity=activity, resident=member)
    before = row_counts()
    with pytest.raises(services.ServiceError):
        services.sign_up(activity=activity, resident=member)
    assert row_counts() == before and Signup.objects.count() == 1


def test_full_activity_puts_people_on_the_waiting_list_and_cancellation_moves_them_up(member, neighbour_member):
    activity = ActivityFactory(capacity=1)
    first = services.sign_up(activity=activity, resident=member)
    second = services.sign_up(activity=activity, resident=neighbour_member)
    assert (first.status, second.status) == ("confirmed", "waitlisted")
    promoted = services.cancel_signup(signup=first, actor=None)
    assert promoted == second
    second.refresh_from_db()
    assert second.status == "confirmed"
    assert Signup.objects.confirmed().filter(activity=activity).count() == 1


def test_waiting_list_moves_up_in_order(member):
    activity = ActivityFactory(capacity=1)
    holder = services.sign_up(activity=activity, resident=member)
    waiting = [services.sign_up(activity=activity, resident=ResidentFactory()) for _ in range(3)]
    services.cancel_signup(signup=holder, actor=None)
    statuses = [Signup.objects.get(pk=s.pk).status for s in waiting]
    assert statuses == ["confirmed", "waitlisted", "waitlisted"]


def test_sign_up_after_the_deadline_is_refused(member):
    activity = ActivityFactory(signup_deadline=timezone.now() - timedelta(minutes=1))
    before = row_counts()
    with pytest.raises(services.ServiceError, match="^这项活动的报名已截止。$"):
        services.sign_up(activity=activity, resident=member)
    assert row_counts() == before


def test_called_off_activity_refuses_sign_ups(member):
    activity = ActivityFactory(cancelled_at=timezone.now())
    before = row_counts()
    with pytest.raises(services.ServiceError):
        services.sign_up(activity=activity, resident=member)
    assert row_counts() == before


@override_settings(ACTIVITIES_CANCEL_CLOSES_HOURS=4)
def test_cancelling_closes_the_configured_time_before_the_start(resident_client, member):
    activity = ActivityFactory(starts_in=timedelta(hours=3), signup_deadline=timezone.now() + timedelta(hours=1))
    services.sign_up(activity=activity, resident=member)
    response = resident_client.post(reverse("activities:cancel", args=[activity.pk]), follow=True)
    assert response.status_code == 200
    assert Signup.objects.get(activity=activity).status == "confirmed"


def test_resident_cancels_in_time(resident_client, member):
    activity = ActivityFactory()
    services.sign_up(activity=activity, resident=member)
    resident_client.post(reverse("activities:cancel", args=[activity.pk]))
    assert Signup.objects.get(activity=activity).status == "cancelled"
    # and may sign up again: the unique constraint only covers live sign-ups
    services.sign_up(activity=activity, resident=member)
    assert Signup.objects.live().filter(activity=activity).count() == 1


def test_unverified_account_is_sent_to_join(newcomer_client):
    activity = ActivityFactory()
    response = newcomer_client.post(reverse("activities:sign_up", args=[activity.pk]))
    assert response.status_code == 302 and reverse("families:join") in response["Location"]
    assert not Signup.objects.exists()


def test_anonymous_visitor_is_sent_to_log_in(client):
    activity = ActivityFactory()
    response = client.post(reverse("activities:sign_up", args=[activity.pk]))
    assert response.status_code == 302 and "login" in response["Location"]


def test_sign_up_needs_post(resident_client):
    activity = ActivityFactory()
    assert resident_client.get(reverse("activities:sign_up", args=[activity.pk])).status_code == 405


def _no_show(member, days_ago: int):
    activity = finished_activity(starts_in=-timedelta(days=days_ago))
    return Signup.objects.create(activity=activity, resident=member, attendance=Signup.Attendance.NO_SHOW)


def test_two_no_shows_in_90_days_block_new_sign_ups(member):
    _no_show(member, 10)
    _no_show(member, 40)
    with pytest.raises(services.ServiceError, match="^因多次爽约，您可从 .+ 起再报名。$"):
        services.sign_up(activity=ActivityFactory(), resident=member)


def test_one_no_show_or_old_ones_do_not_block(member):
    _no_show(member, 10)
    _no_show(member, 120)
    assert services.sign_up(activity=ActivityFactory(), resident=member).status == "confirmed"


@override_settings(ACTIVITIES_NO_SHOW_BLOCK_DAYS=5)
def test_the_block_ends_after_the_configured_days(member):
    _no_show(member, 10)
    _no_show(member, 20)
    assert services.no_show_block_until(member) is None


def test_organizer_cancels_a_sign_up_on_the_record(organizer_client, member):
    activity = ActivityFactory(starts_in=timedelta(minutes=30), signup_deadline=timezone.now())
    signup = Signup.objects.create(activity=activity, resident=member)
    services.recount_signups()  # made past the deadline, around sign_up()
    organizer_client.post(reverse("activities:organize_cancel_signup", args=[signup.pk]))
    signup.refresh_from_db()
    assert signup.status == "cancelled"
    assert AuditEntry.objects.filter(action="activities.signup_cancelled").exists()


def test_more_places_move_people_up_from_the_waiting_list(organizer_client, member, neighbour_member):
    activity = ActivityFactory(capacity=1)
    services.sign_up(activity=activity, resident=member)
    waiting = services.sign_up(activity=activity, resident=neighbour_member)
    local = timezone.localtime
    organizer_client.post(
        reverse("activities:organize_edit", args=[activity.pk]),
        {
            "title": activity.title,
            "type": activity.type_id,
            "description": "",
            "place": activity.place,
            "starts_at": local(activity.starts_at).strftime("%Y-%m-%dT%H:%M"),
            "ends_at": local(activity.ends_at).strftime("%Y-%m-%dT%H:%M"),
            "signup_deadline": local(activity.signup_deadline).strftime("%Y-%m-%dT%H:%M"),
            "capacity": "2",
            "points_per_hour": "10",
        },
    )
    waiting.refresh_from_db()
    assert waiting.status == "confirmed"
