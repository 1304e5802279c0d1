"""An organizer, in English on a phone, announces an activity and shows the check-in QR code at the venue."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from activities.models import Activity
from tests.activities.factories import activity_type
from tests.factories import UserFactory, make_street_organizer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_organizer_announces_an_activity_and_shows_the_qr_code(live_server, page, login):
    activity_type("环境整治")
    make_street_organizer(UserFactory(username="wangge"))
    login(page, "wangge")
    page.locator("footer").get_by_role("link", name="English").click()
    page.goto(f"{live_server.url}/organize/")
    page.get_by_role("link", name="New activity").click()

    start = timezone.localtime(timezone.now() + timedelta(minutes=10)).replace(second=0, microsecond=0)
    page.get_by_role("textbox", name="Title").fill("Courtyard clean-up")
    page.get_by_label("Type").select_option(label="Environment clean-up")
    page.get_by_label("Place", exact=False).and_(page.locator("#id_place")).fill("No. 3 courtyard")
    page.locator("#id_starts_at").fill(start.strftime("%Y-%m-%dT%H:%M"))
    page.locator("#id_ends_at").fill(start.replace(hour=start.hour).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Sign-up deadline").fill((start - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("spinbutton", name="Places").fill("8")
    page.get_by_role("button", name="Save").click()
    # The end equals the start: refused with a readable message, nothing saved.
    expect(page.get_by_text("The end must be after the start.")).to_be_visible()
    assert not Activity.objects.exists()

    page.locator("#id_ends_at").fill((start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="Attendance sheet")).to_be_visible()
    code = Activity.objects.get().checkin_code
    expect(page.get_by_text(code)).to_be_visible()

    page.get_by_role("link", name="Show the QR code").click()
    expect(page.locator("svg.qr")).to_be_visible()
    expect(page.get_by_text("Scan to check in or out")).to_be_visible()

    page.goto(f"{live_server.url}/activities/")
    expect(page.get_by_role("link", name="Courtyard clean-up")).to_be_visible()
