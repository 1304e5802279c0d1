"""Points earned in one community are spent in the street's store, in the browser (phone, Chinese)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from activities.models import PointsBalance, Redemption, Signup, StoreItem
from activities.services import ledger_differences
from families.models import CommunityAssignment
from project.access import make_organizer
from tests.activities.factories import finished_activity
from tests.factories import BuildingFactory, CommunityFactory, GridFactory, HouseholdFactory, UserFactory, verified_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_hours_confirmed_in_one_community_are_spent_in_the_streets_store(
    live_server, page, browser, browser_context_args, login
):
    east = CommunityFactory(name="东社区", slug="east")
    west = CommunityFactory(name="西社区", slug="west")
    home = HouseholdFactory(building=BuildingFactory(grid=GridFactory(community=east)))
    resident = verified_user(home, username="xiuying").residencies.get()
    organizer = UserFactory(username="east_organizer")
    make_organizer(user=organizer)
    CommunityAssignment.objects.create(user=organizer, community=east)
    activity = finished_activity(community=east, title="东社区楼道清理", hours=3)  # 3 hours × 10 points
    Signup.objects.create(activity=activity, resident=resident, attendance=Signup.Attendance.PRESENT)
    StoreItem.objects.create(name="街道环保袋", price=20, stock=3, community=None)
    StoreItem.objects.create(name="西社区水杯", price=5, stock=3, community=west)

    # East's organizer confirms the hours of east's own activity.
    staff = browser.new_context(**browser_context_args).new_page()
    login(staff, "east_organizer")
    staff.goto(f"{live_server.url}/organize/activities/{activity.pk}/")
    staff.get_by_role("button", name=re.compile("确认 .* 的时长")).click()
    expect(staff.get_by_text(re.compile(r"记 30 积分"))).to_be_visible()

    # The resident sees the street's store and their own, labelled; not west's.
    login(page, "xiuying")
    page.goto(f"{live_server.url}/store/")
    expect(page.get_by_role("heading", name="街道办事处积分超市")).to_be_visible()
    expect(page.get_by_text("西社区水杯")).to_have_count(0)
    page.get_by_role("link", name="街道环保袋").click()
    page.get_by_role("button", name="用 20 积分兑换").click()
    expect(page.get_by_text("兑换成功")).to_be_visible()

    # West's item, opened by its address, tells them where they may redeem instead of offering the button.
    west_item = StoreItem.objects.get(community=west)
    page.goto(f"{live_server.url}/store/{west_item.pk}/")
    expect(page.get_by_text("请在本社区或街道办事处的积分超市兑换")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("兑换"))).to_have_count(0)

    assert Redemption.objects.get().item.community is None
    assert PointsBalance.objects.get(resident=resident).balance == 10
    assert ledger_differences() == []
