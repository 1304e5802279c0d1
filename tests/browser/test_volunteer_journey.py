"""From an activity's announcement to an item handed over in the points store, in the browser (phone, Chinese)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from activities.models import Activity, Signup, StoreItem
from tests.activities.factories import activity_type
from tests.factories import HouseholdFactory, UserFactory, make_street_organizer, verified_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_sign_up_check_in_confirm_points_star_redeem_hand_over(
    live_server, page, browser, browser_context_args, login, settings
):
    settings.ACTIVITIES_STAR_THRESHOLDS = (2, 300, 600, 1000, 1500)  # two hours make a one-star volunteer here
    organizer = UserFactory(username="wangge")
    make_street_organizer(organizer)
    verified_user(HouseholdFactory(), username="xiuying")
    now = timezone.now()
    activity = Activity.objects.create(
        type=activity_type("环境整治"),
        title="楼道杂物清理",
        place="幸福里3号楼",
        starts_at=now + timedelta(minutes=20),  # check-in opens 30 minutes before the start
        ends_at=now + timedelta(hours=3),
        signup_deadline=now + timedelta(minutes=10),
        capacity=5,
        points_per_hour=10,
        checkin_code="371592",
    )
    item = StoreItem.objects.create(name="环保购物袋", price=20, stock=3)

    # The resident signs up on their phone.
    login(page, "xiuying")
    page.goto(f"{live_server.url}/activities/")
    page.get_by_role("link", name="楼道杂物清理").click()
    page.get_by_role("button", name="报名").click()
    expect(page.get_by_text("报名成功")).to_be_visible()

    # At the venue, they type the code the organizer reads out.
    page.get_by_role("link", name="签到").click()
    page.get_by_label("签到码").fill("371 592")
    page.get_by_role("button", name="签到").click()
    expect(page.get_by_text("签到成功")).to_be_visible()

    # Two hours and ten minutes later (we move the clock of the activity back instead of waiting),
    # they check out the same way.
    start = timezone.now() - timedelta(hours=2, minutes=10)
    Activity.objects.filter(pk=activity.pk).update(
        starts_at=start, ends_at=start + timedelta(hours=3), signup_deadline=start - timedelta(minutes=10)
    )
    Signup.objects.filter(activity=activity).update(checked_in_at=start)
    page.reload()
    page.get_by_role("link", name="签退").click()
    page.get_by_label("签到码").fill("371592")
    page.get_by_role("button", name="签退").click()
    expect(page.get_by_text("签退成功")).to_be_visible()

    # The organizer confirms the hours on the attendance sheet.
    staff = browser.new_context(**browser_context_args).new_page()
    login(staff, "wangge")
    staff.goto(f"{live_server.url}/organize/")
    staff.get_by_role("link", name="活动管理").first.click()
    staff.get_by_role("link", name="楼道杂物清理").click()
    staff.get_by_role("button", name=re.compile("确认 .* 的时长")).click()
    expect(staff.get_by_text(re.compile(r"已确认 .* 2 小时，记 20 积分"))).to_be_visible()

    # Points and the star rank appear on the volunteer's page.
    page.goto(f"{live_server.url}/points/me/")
    expect(page.get_by_text("+20")).to_be_visible()
    expect(page.get_by_text("1星志愿者")).to_be_visible()

    # The resident redeems an item and gets a pickup code.
    page.get_by_role("link", name="积分超市").first.click()
    page.get_by_role("link", name="环保购物袋").click()
    page.get_by_role("button", name="用 20 积分兑换").click()
    expect(page.get_by_text("兑换成功")).to_be_visible()
    code = page.locator(".pickup-code").first.inner_text()

    # The organizer finds the code and hands the item over.
    staff.goto(f"{live_server.url}/organize/store/")
    staff.get_by_label("取货码").fill(code)
    staff.get_by_role("button", name="查找").click()
    staff.get_by_role("button", name="发放", exact=True).click()
    expect(staff.get_by_text("环保购物袋 已发放")).to_be_visible()

    page.reload()
    expect(page.get_by_text("已领取")).to_be_visible()
    item.refresh_from_db()
    assert item.stock == 2
    from activities.services import ledger_differences

    assert ledger_differences() == []
