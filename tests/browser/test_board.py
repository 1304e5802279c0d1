"""Journeys through the honour board: the TV at 1920×1080, a printed certificate, the board on a phone."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from awards.models import Honour
from project import publiccache
from tests.awards.board_factories import AwardCategoryFactory, HonourFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def test_tv_rotates_slides_and_shows_a_newly_published_honour_without_a_touch(live_server, browser):
    HonourFactory(building__name="光明楼", photo="")
    HonourFactory(household_target=True, household__show_publicly=True, household__display_name="李家", photo="")
    # Reduced motion: no cross-fade, so the screenshot shows one clean slide.
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN", reduced_motion="reduce")
    page = context.new_page()
    page.goto(f"{live_server.url}/honours/tv/?interval=2&refresh=2")
    current = page.locator("section.slide.is-current")
    expect(current).to_have_count(1)
    first = current.locator(".slide-name").inner_text()
    expect(current.locator(".slide-name")).not_to_have_text(first, timeout=6000)  # rotated

    # An organizer publishes a round: a new honour, whose saving refreshes the board's cached pages (outside a
    # transaction the refresh runs at once, as it does when the service commits).
    AwardCategoryFactory(name="身边好人")
    HonourFactory(person_target=True, resident__full_name="张新", resident__show_name_publicly=True, photo="")

    expect(page.locator("section.slide.is-current .slide-name")).to_have_text("张新", timeout=10000)
    expect(page.locator("section.slide")).to_have_count(3)  # slide elements are reused, not piled up
    expect(page.locator(".tv-position")).to_contain_text("/ 3")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "tv-1920x1080.png")

    # A correction withdraws it again: its slide goes, without a touch either.
    Honour.objects.filter(resident__full_name="张新").update(withdrawn_at=timezone.now())
    publiccache.changed(Honour)  # update() sends no signal
    expect(page.locator("section.slide")).to_have_count(2, timeout=10000)
    expect(page.get_by_text("张新")).to_have_count(0)
    context.close()


def test_a_certificate_prints_to_one_a4_landscape_page_with_its_number(live_server, page):
    honour = HonourFactory(certificate_number="RY2026-04242", published_at=timezone.now())
    page.goto(f"{live_server.url}/honours/{honour.pk}/certificate/")
    expect(page.locator(".certificate-number")).to_have_text("RY2026-04242")
    expect(page.locator("svg.qr")).to_be_visible()
    page.emulate_media(media="print")
    expect(page.locator(".certificate-tools")).to_be_hidden()
    pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "certificate.pdf").write_bytes(pdf)

    assert pdf.startswith(b"%PDF") and len(re.findall(rb"/Type\s*/Page\b", pdf)) == 1
    width, height = (float(v) for v in re.search(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf).groups())
    assert (round(width), round(height)) == (842, 595)  # A4 landscape in points
    # The QR code's link and the printed verification address both carry the number.
    assert b"/verify/RY2026-04242/" in pdf
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout
        assert b"RY2026-04242" in text


def test_a_resident_finds_an_honour_on_the_board_by_grid_and_checks_its_certificate(live_server, page):
    HonourFactory(building__name="东区1号楼", building__grid__name="东区网格", citation="清理楼道十年如一日。")
    HonourFactory(building__name="西区1号楼", building__grid__name="西区网格")
    page.goto(f"{live_server.url}/honours/")
    expect(page.locator(".honour-card")).to_have_count(2)
    page.get_by_role("link", name="东区网格").click()
    expect(page.locator(".honour-card")).to_have_count(1)
    page.get_by_role("link", name="东区1号楼").click()
    expect(page.locator(".citation")).to_contain_text("清理楼道十年如一日")
    page.locator(".honour-facts a").click()  # the certificate number opens the verification page
    expect(page.locator(".verdict-ok")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling on a phone


def test_without_javascript_the_tv_shows_every_honour_one_screen_each(live_server, browser):
    HonourFactory(building__name="甲楼", photo="")
    HonourFactory(building__name="乙楼", photo="")
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server.url}/honours/tv/")
    expect(page.locator("section.slide")).to_have_count(2)
    second = page.locator("section.slide").nth(1)
    second.scroll_into_view_if_needed()
    expect(second.locator(".slide-name")).to_be_visible()
    assert page.locator("noscript").count() == 1  # with a slow self-reload to pick up new honours
    context.close()
