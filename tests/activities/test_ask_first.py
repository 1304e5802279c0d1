"""Confirming every volunteer's hours asks first (#13, item 4): the GET says who gets how many hours and points
and changes nothing; the POST credits them, with the audit line of each confirmation."""

from __future__ import annotations

import pytest
from django.urls import reverse

from activities.models import LedgerEntry, Signup
from project.management.commands.backup import row_counts
from project.models import AuditEntry
from tests.factories import ResidentFactory

from .factories import finished_activity, present

pytestmark = pytest.mark.django_db


def _rows() -> dict[str, int]:
    return {label: n for label, n in row_counts().items() if label != "sessions.Session"}


@pytest.fixture
def sheet():
    """A finished three-hour activity at 10 points an hour: two volunteers stayed 3 h, one came an hour late,
    one is not marked yet and one was absent."""
    activity = finished_activity()
    present(activity, ResidentFactory())
    present(activity, ResidentFactory())
    present(activity, ResidentFactory(), minutes_late=60)
    Signup.objects.create(activity=activity, resident=ResidentFactory())
    Signup.objects.create(activity=activity, resident=ResidentFactory(), attendance=Signup.Attendance.ABSENT)
    return activity


def test_confirming_all_hours_asks_first_with_volunteers_hours_and_points(organizer_client, sheet, ledger_ok):
    url = reverse("activities:organize_confirm_all", args=[sheet.pk])
    page = organizer_client.get(reverse("activities:organize_sheet", args=[sheet.pk])).content.decode()
    assert f'href="{url}"' in page and f'action="{url}"' not in page
    before = _rows()

    body = organizer_client.get(url).content.decode()
    assert "3 名志愿者将共获得 8 小时时长和 80 积分。" in body and "确定，确认这些时长" in body
    assert _rows() == before and not Signup.objects.filter(hours_confirmed_at__isnull=False).exists()

    response = organizer_client.post(url)
    assert response["Location"] == reverse("activities:organize_sheet", args=[sheet.pk])
    assert Signup.objects.filter(hours_confirmed_at__isnull=False).count() == 3
    assert ledger_ok() == 3 and sum(LedgerEntry.objects.values_list("amount", flat=True)) == 80
    assert AuditEntry.objects.filter(action="activities.hours_confirmed").count() == 3


def test_the_question_speaks_english_too(organizer_client, sheet):
    organizer_client.cookies["django_language"] = "en"
    body = organizer_client.get(reverse("activities:organize_confirm_all", args=[sheet.pk])).content.decode()
    assert "3 volunteers get 8 hours and 80 points." in body


def test_with_nothing_waiting_there_is_nothing_to_confirm(organizer_client):
    activity = finished_activity()
    body = organizer_client.get(reverse("activities:organize_confirm_all", args=[activity.pk])).content.decode()
    assert "没有待确认的时长。" in body and "确定，确认这些时长" not in body


def test_residents_cannot_open_the_question(resident_client, sheet):
    assert resident_client.get(reverse("activities:organize_confirm_all", args=[sheet.pk])).status_code == 403
    assert resident_client.post(reverse("activities:organize_confirm_all", args=[sheet.pk])).status_code == 403
    assert not Signup.objects.filter(hours_confirmed_at__isnull=False).exists()
