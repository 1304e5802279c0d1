"""Elder mode from the top of the page; with extra-large text the header folds its links behind one button, which
works without JavaScript."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_resident_turns_on_elder_mode_from_the_header_and_the_menu_opens_without_javascript(
    live_server, browser, login, resident
):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", java_script_enabled=False)
    page = context.new_page()
    login(page, "resident")
    page.goto(live_server.url + "/activities/")
    header = page.locator("header")
    header.get_by_role("link", name="长辈模式（大字）").click()
    expect(page.locator("html")).to_have_class(re.compile("text-large"))
    expect(page).to_have_url(re.compile("/activities/$"))

    page.locator("footer").get_by_role("link", name="特大").click()
    expect(page.locator("html")).to_have_class(re.compile("text-xlarge"))
    # The header leaves most of the screen to the page: the links wait behind "菜单".
    assert header.bounding_box()["height"] < 844 / 3
    expect(header.get_by_role("link", name="积分超市")).to_be_hidden()
    header.get_by_text("菜单").click()
    expect(header.get_by_role("link", name="积分超市")).to_be_visible()
    header.get_by_role("link", name="积分超市").click()
    expect(page).to_have_url(re.compile("/store/$"))

    header.get_by_role("link", name="标准字号").click()
    expect(page.locator("html")).to_have_class(re.compile("text-normal"))
    expect(header.get_by_role("link", name="积分超市")).to_be_visible()  # standard text: the links are shown
    context.close()


def test_the_header_switches_the_language_both_ways(live_server, page):
    page.goto(live_server.url + "/")
    page.locator("header").get_by_role("link", name="EN").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.locator("header").get_by_role("link", name="中文").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
