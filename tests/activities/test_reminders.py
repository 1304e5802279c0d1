"""The reminder the day before an activity, sent by the scheduled tick to the volunteers signed up for it: once per
activity and day, never to the waiting list or to those who turned it off, and again for a new day if it moves."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from activities.models import Activity, Signup
from project import schedule
from project.models import Notice, Profile

from .factories import ActivityFactory

pytestmark = pytest.mark.django_db


def _reminded() -> list[str]:
    return sorted(Notice.objects.filter(kind="activity_reminder").values_list("user__username", flat=True))


@pytest.fixture
def tomorrow(member, neighbour_member):
    """An activity that starts in 20 hours: the resident has a place, the neighbour is on the waiting list."""
    activity = ActivityFactory(starts_in=timedelta(hours=20))
    Signup.objects.create(activity=activity, resident=member)
    Signup.objects.create(activity=activity, resident=neighbour_member, status=Signup.Status.WAITLISTED)
    return activity


def test_volunteers_with_a_place_are_reminded_once(tomorrow, resident, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        schedule.run_due()
        schedule.run_due()  # a double tick
    assert _reminded() == ["resident"]
    notice = Notice.objects.get(kind="activity_reminder")
    assert notice.url == f"/activities/{tomorrow.pk}/" and notice.params["title"] == str(tomorrow)
    assert resident.email and [message.to for message in mail.outbox] == [[resident.email]]  # its e-mail copy


def test_more_than_a_day_ahead_nothing_is_sent(member):
    activity = ActivityFactory(starts_in=timedelta(days=3))
    Signup.objects.create(activity=activity, resident=member)
    schedule.run_due()
    assert _reminded() == []


def test_a_cancelled_sign_up_or_a_called_off_activity_is_not_reminded(tomorrow, member):
    Signup.objects.filter(resident=member).update(status=Signup.Status.CANCELLED)
    schedule.run_due()
    assert _reminded() == []
    other = ActivityFactory(starts_in=timedelta(hours=10), cancelled_at=timezone.now())
    Signup.objects.create(activity=other, resident=member)
    schedule.run_due()
    assert _reminded() == []


def test_a_volunteer_who_turned_reminders_off_gets_none(tomorrow, resident_client, resident):
    response = resident_client.post("/notices/", {"by_email": "on", "voting_open": "on"})  # the box left unticked
    assert response.status_code == 302
    assert Profile.objects.get(user=resident).volunteer_reminders is False
    schedule.run_due()
    assert _reminded() == []


def test_the_notices_page_offers_the_setting_ticked(resident_client):
    body = resident_client.get("/notices/").content.decode()
    assert 'name="volunteer_reminders"' in body and "checked" in body.split('name="volunteer_reminders"')[1][:40]


def test_an_activity_moved_later_before_the_tick_is_not_reminded_yet(tomorrow):
    Activity.objects.filter(pk=tomorrow.pk).update(
        starts_at=tomorrow.starts_at + timedelta(days=2), ends_at=tomorrow.ends_at + timedelta(days=2)
    )
    schedule.run_due()
    assert _reminded() == []


def test_an_activity_moved_earlier_is_reminded_once(member):
    activity = ActivityFactory(starts_in=timedelta(days=3))
    Signup.objects.create(activity=activity, resident=member)
    schedule.run_due()
    Activity.objects.filter(pk=activity.pk).update(
        starts_at=timezone.now() + timedelta(hours=5),
        ends_at=timezone.now() + timedelta(hours=8),
        signup_deadline=timezone.now(),
    )
    schedule.run_due()
    schedule.run_due()
    assert _reminded() == ["resident"]


def test_an_activity_moved_to_another_day_after_its_reminder_is_reminded_for_that_day(tomorrow):
    schedule.run_due()
    later = tomorrow.starts_at + timedelta(days=3)
    Activity.objects.filter(pk=tomorrow.pk).update(starts_at=later, ends_at=later + timedelta(hours=3))
    schedule.run_due()
    assert _reminded() == ["resident"]  # not yet: the new day is three days away
    schedule.run_due(now=later - timedelta(hours=20))
    assert _reminded() == ["resident", "resident"]
