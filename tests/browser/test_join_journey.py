"""A stranger with a real join code waits for approval, on a phone in Chinese (issue #13).

A household's slip went round a group chat. A stranger signs in, types its code
and a made-up name, is told the request waits for the grid worker, and cannot
vote. The organizer sees the request counted and the household flagged on the
dashboard, reads in the queue that the name matches nobody in the register and
turns it down; a real member of the household who asked with the code (her
number in the register is not verified on her account) is approved and linked
to her register entry. The housemate sees the notice in the header and on the
notices page.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from awards.models import TargetKind, Vote
from families.access import verified_membership
from families.models import Resident
from families.services import join_household
from project.models import Notice
from tests.awards.factories import make_entry, make_nomination, make_round
from tests.factories import HouseholdFactory, ResidentFactory, UserFactory, make_street_organizer, verified_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _log_out(page):
    page.context.clear_cookies()


def test_a_stranger_with_a_real_code_waits_for_approval(live_server, page, login):
    make_street_organizer(UserFactory(username="staff"))
    household = HouseholdFactory(display_name="林家", door_label="3单元502")
    verified_user(household, username="housemate")
    listed = ResidentFactory(household=household, full_name="林秀英", phone="+8613812345678", user=None)
    stranger = UserFactory(username="stranger")
    daughter = UserFactory(username="xiuying")
    nomination = make_nomination(make_entry(make_round("voting"), TargetKind.PERSON))

    # The stranger types the shared code and a made-up name: the request waits, and gives no vote.
    login(page, "stranger")
    page.goto(live_server.url + "/join/")
    page.get_by_label("入户码").fill(household.join_code.lower())
    page.get_by_label("您的姓名").fill("张冒名")
    page.get_by_role("button", name="加入", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("您的申请正在等待网格员确认")
    expect(page.locator("main")).to_contain_text("确认之前，您还不能推荐、投票或获得积分")
    page.goto(f"{live_server.url}/nominations/{nomination.pk}/")
    expect(page.locator(f"form[action='/nominations/{nomination.pk}/vote/']")).to_have_count(0)
    assert verified_membership(stranger) is None and not Vote.objects.exists()

    # Xiuying really lives there; her number is in the register but not verified on her account: she waits too.
    join_household(user=daughter, code=household.join_code, full_name="林秀英")

    # The organizer sees the requests counted and the household flagged, and decides in the queue.
    _log_out(page)
    login(page, "staff")
    page.goto(live_server.url + "/organize/")
    expect(page.locator("main")).to_contain_text("过去24小时内的异常入户")
    expect(page.get_by_role("link", name="3单元502")).to_be_visible()
    page.get_by_role("link", name="条入户申请待审核").click()
    stranger_card = page.locator(".join-requests li").filter(has_text="张冒名")
    expect(stranger_card).to_contain_text("新成员：台账中无相符人员")
    expect(stranger_card).to_contain_text("凭该户入户码申请")
    stranger_card.get_by_role("button", name="驳回").click()
    expect(page.locator(".messages")).to_contain_text("已驳回张冒名的申请")
    daughter_card = page.locator(".join-requests li").filter(has_text="林秀英")
    expect(daughter_card).to_contain_text("与台账人员林秀英相符")
    daughter_card.get_by_role("button", name="通过，关联为林秀英").click()
    expect(page.locator(".messages")).to_contain_text("林秀英 已成为认证成员")
    expect(page.locator(".join-requests")).to_have_count(0)
    assert verified_membership(daughter) == listed
    assert Resident.objects.get(user=stranger).status == "removed"

    # The housemate sees who joined, in the header and on the notices page.
    _log_out(page)
    login(page, "housemate")
    page.goto(live_server.url + "/me/")
    page.locator("header").get_by_role("link", name="通知").click()
    expect(page.locator(".notice-list")).to_contain_text("林秀英已成为您家的认证成员")
    expect(page.locator(".notice-list")).not_to_contain_text("张冒名")
    assert Notice.objects.filter(user=stranger, kind="join_rejected").exists()
