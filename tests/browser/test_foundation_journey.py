"""A newcomer signs up, logs out and in, switches to English and turns on large text."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_sign_up_log_in_switch_language_and_text_size(live_server, page):
    page.goto(live_server.url + "/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    page.get_by_role("link", name="注册").first.click()

    page.get_by_label("用户名").fill("laowang")
    page.get_by_label("姓名").fill("王秀英")
    page.locator("input[name=password1]").fill("plum-blossom-77")
    page.locator("input[name=password2]").fill("plum-blossom-77")
    page.locator("main form button[type=submit]").click()
    expect(page.get_by_role("button", name="退出登录")).to_be_visible()

    page.get_by_role("button", name="退出登录").click()
    expect(page.get_by_role("link", name="登录").first).to_be_visible()

    page.get_by_role("link", name="登录").first.click()
    page.locator("input[name=login]").fill("laowang")
    page.locator("input[name=password]").fill("plum-blossom-77")
    page.locator("main form button[type=submit]").click()
    expect(page.get_by_role("link", name="我的", exact=True)).to_be_visible()

    page.locator("footer").get_by_role("link", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("link", name="My page", exact=True)).to_be_visible()

    page.get_by_role("link", name="Extra large").click()
    expect(page.locator("html")).to_have_class(re.compile("text-xlarge"))
    size = page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)")
    assert size >= 26
    line_height = page.evaluate(
        "parseFloat(getComputedStyle(document.body).lineHeight) / parseFloat(getComputedStyle(document.body).fontSize)"
    )
    assert line_height >= 1.3

    # Preferences survive a new page load, and the whole page is usable by keyboard.
    page.goto(live_server.url + "/me/")
    expect(page.locator("html")).to_have_class(re.compile("text-xlarge"))
    page.keyboard.press("Tab")
    expect(page.locator(".skip-link")).to_be_focused()
