"""A resident downloads their volunteer service record as a PDF on their phone, and the QR code on it opens the
public verify page, which anyone can read without signing in."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from activities import services
from activities.models import ServiceRecord
from project.access import make_organizer
from tests import paper
from tests.activities.factories import finished_activity, present
from tests.factories import HouseholdFactory, UserFactory, verified_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _fits(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


def test_a_resident_downloads_their_record_and_its_qr_code_opens_the_verify_page(
    live_server, page, browser, browser_context_args, login, settings
):
    settings.SITE_URL = live_server.url
    organizer = UserFactory(username="wangge")
    make_organizer(user=organizer)
    user = verified_user(HouseholdFactory(), username="xiuying")
    person = user.residencies.get()
    person.full_name, person.show_name_publicly = "王秀英", True
    person.save(update_fields=["full_name", "show_name_publicly"])
    activity = finished_activity(title="楼道杂物清理", hours=3, starts_in=-timedelta(days=2))
    services.confirm_hours(signup=present(activity, person), actor=organizer)

    login(page, "xiuying")
    page.goto(f"{live_server.url}/points/record/")
    expect(page.get_by_role("cell", name="楼道杂物清理")).to_be_visible()
    _fits(page)
    with page.expect_download() as download:
        page.get_by_role("button", name="下载 PDF").click()
    data = Path(download.value.path()).read_bytes()

    record = ServiceRecord.objects.get()
    text = paper.text(data).replace(" ", "")
    assert record.number in text and "王秀英" in text and "楼道杂物清理" in text
    (url,) = paper.qr_codes(data)[-1]
    assert url == f"{live_server.url}/verify/record/{record.number}/"

    # Anyone holding the paper opens the code's address, signed in or not.
    stranger = browser.new_context(**browser_context_args).new_page()
    stranger.goto(url)
    expect(stranger.get_by_role("heading", name="核验志愿服务记录证明")).to_be_visible()
    expect(stranger.get_by_text(record.number)).to_be_visible()
    expect(stranger.get_by_text("王秀英")).to_be_visible()
    _fits(stranger)

    # The record is listed for downloading again.
    page.goto(f"{live_server.url}/points/record/")
    expect(page.get_by_role("link", name=record.number)).to_be_visible()
