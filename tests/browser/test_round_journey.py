"""Award rounds in the browser, on a phone in Chinese: a resident's journey and an organizer's."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from awards.models import AwardRound, Honour, Nomination, NominationStatus, Objection, Second, TargetKind, Vote
from awards.services import cast_vote, file_objection
from families.access import verified_membership
from tests.awards.factories import CITATION, make_entry, make_nomination, make_round
from tests.factories import HouseholdFactory, ResidentFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_resident_nominates_seconds_votes_changes_a_vote_and_sees_the_ballot(live_server, page, login, resident):
    nominating = make_round("nominating", title="2026年度评选")
    person = make_entry(nominating, TargetKind.PERSON, name="身边好人")
    target_home = HouseholdFactory(display_name="孙家", door_label="5单元501")
    ResidentFactory(household=target_home, full_name="孙桂兰", show_name_publicly=True)
    ResidentFactory(household=target_home, full_name="孙志强")  # did not agree to be named: never listed
    others = make_nomination(person, status=NominationStatus.SUBMITTED)

    login(page, "resident")
    page.goto(f"{live_server.url}/rounds/{nominating.pk}/")
    page.get_by_role("link", name="我要推荐").first.click()
    # Step one (category and building, then the household) reloads the form with what comes next.
    page.get_by_label("类别").select_option(label="身边好人 · 个人")
    page.get_by_label("楼院").select_option(label=target_home.building.name)
    page.get_by_role("button", name="下一步").click()
    expect(page.get_by_label("家庭")).to_be_visible()
    expect(page.locator("main")).not_to_contain_text("5单元501")
    page.get_by_label("家庭").select_option(label="孙家")
    page.get_by_role("button", name="下一步").click()
    # Step two: pick a member who agreed to be named, or type a name.
    expect(page.get_by_label(re.compile("^被推荐人"))).to_be_visible()
    expect(page.locator("main")).not_to_contain_text("孙志强")
    page.get_by_label(re.compile("^被推荐人")).select_option(label="孙桂兰")
    page.get_by_label("事迹").fill(CITATION)
    expect(page.locator(".char-count")).to_contain_text(str(len(CITATION)))
    page.get_by_role("button", name="提交推荐").click()
    expect(page.get_by_text("您的推荐已收到")).to_be_visible()
    expect(page.locator("h1")).to_contain_text("孙桂兰")

    # A typed name is taken without saying whether it lives there, and shown to others as "a resident of …".
    page.goto(
        f"{live_server.url}/rounds/{nominating.pk}/nominate/?entry={person.pk}&building={target_home.building_id}&household={target_home.pk}"
    )
    page.get_by_label("或填写此人的姓名").fill("孙志强")
    page.get_by_label("事迹").fill(CITATION)
    page.get_by_role("button", name="提交推荐").click()
    expect(page.get_by_text("您的推荐已收到")).to_be_visible()
    expect(page.locator("h1")).to_contain_text("的一位居民")
    expect(page.get_by_text("填写的姓名：孙志强")).to_be_visible()
    assert Nomination.objects.get(typed_name="孙志强").resident is None

    page.goto(f"{live_server.url}/rounds/{nominating.pk}/nominations/")
    page.locator(f"form[action='/nominations/{others.pk}/second/'] button").click()
    expect(page.get_by_text("附议成功")).to_be_visible()
    assert Second.objects.filter(nomination=others, resident__user=resident).exists()

    voting = make_round("voting", title="2025年度补充评选")
    entry = make_entry(voting, TargetKind.PERSON, name="好邻居", votes_per_voter=2)
    a, b, c = (make_nomination(entry) for _ in range(3))
    page.goto(f"{live_server.url}/rounds/{voting.pk}/nominations/")
    expect(page.get_by_text("已用 0 / 2 票")).to_be_visible()
    page.locator(f"form[action='/nominations/{a.pk}/vote/'] button").click()
    expect(page.get_by_text("投票成功")).to_be_visible()
    page.locator(f"form[action='/nominations/{b.pk}/vote/'] button").click()
    expect(page.get_by_text("已用 2 / 2 票")).to_be_visible()
    expect(page.locator(f"form[action='/nominations/{c.pk}/vote/']")).to_have_count(0)
    # Change a vote: withdraw one, vote for another.
    page.locator(f"form[action='/nominations/{a.pk}/vote/withdraw/'] button").click()
    expect(page.get_by_text("已撤回投票")).to_be_visible()
    page.locator(f"form[action='/nominations/{c.pk}/vote/'] button").click()
    expect(page.get_by_text("已用 2 / 2 票")).to_be_visible()
    ballot = page.locator(".ballot")
    expect(ballot).to_contain_text(b.resident.full_name)
    expect(ballot).to_contain_text(c.resident.full_name)
    expect(ballot).not_to_contain_text(a.resident.full_name)
    assert set(Vote.objects.filter(voter__user=resident).values_list("nomination_id", flat=True)) == {b.pk, c.pk}
    page.goto(f"{live_server.url}/me/")
    expect(page.locator("main")).to_contain_text(c.resident.full_name)


def test_an_organizer_reviews_closes_confirms_with_a_reason_answers_an_objection_and_publishes(
    live_server, page, login, organizer, resident
):
    review_round = make_round("reviewing", title="2026年度评选")
    entry = make_entry(review_round, TargetKind.PERSON, name="身边好人")
    keep = make_nomination(entry, status=NominationStatus.SUBMITTED)
    drop = make_nomination(entry, status=NominationStatus.SUBMITTED, nominator=verified_membership(resident))

    login(page, "organizer")
    page.goto(f"{live_server.url}/organize/rounds/{review_round.pk}/nominations/")
    keep_card = page.locator("li.card", has=page.locator(f"a[href='/nominations/{keep.pk}/']"))
    keep_card.get_by_label("列入候选名单", exact=True).check()
    keep_card.get_by_role("button", name="保存审核结果").click()
    expect(page.get_by_text("审核结果已保存")).to_be_visible()
    drop_card = page.locator("li.card", has=page.locator(f"a[href='/nominations/{drop.pk}/']"))
    drop_card.get_by_label("不列入候选名单").check()
    drop_card.get_by_label("理由（推荐人可见）").fill("事迹与本类别不符")
    drop_card.get_by_role("button", name="保存审核结果").click()
    expect(page.get_by_text("审核结果已保存")).to_be_visible()
    keep.refresh_from_db()
    drop.refresh_from_db()
    assert (keep.status, drop.status, drop.review_reason) == ("shortlisted", "rejected", "事迹与本类别不符")

    voting = make_round("voting", title="2025年度评选")
    good = make_entry(voting, TargetKind.PERSON, name="好邻居", winners=1, votes_per_voter=1)
    first, second = make_nomination(good), make_nomination(good)
    for _ in range(2):
        cast_vote(nomination=first, resident=ResidentFactory())
    cast_vote(nomination=second, resident=ResidentFactory())

    page.goto(f"{live_server.url}/organize/rounds/{voting.pk}/")
    page.get_by_role("link", name="立即结束投票").click()
    expect(page.get_by_text("名居民将不能再投票")).to_be_visible()  # it asks first, with the count
    page.get_by_role("button", name="确定，立即结束投票").click()
    expect(page.get_by_role("heading", name="结果与当选名单")).to_be_visible()
    # Override the ranking: the second-placed nomination wins, with a recorded reason.
    page.get_by_label(first.resident.full_name).uncheck()
    page.get_by_label(second.resident.full_name).check()
    page.get_by_role("button", name="确认当选名单并开始公示").click()
    expect(page.get_by_text("请填写理由")).to_be_visible()
    page.get_by_label("调整排名的理由").fill("第一名经核实已搬离本社区")
    page.get_by_role("button", name="确认当选名单并开始公示").click()
    expect(page.get_by_text("公示期开始")).to_be_visible()

    voting.refresh_from_db()
    file_objection(
        round=voting, resident=verified_membership(resident), nomination=None, text="请公开说明调整排名的依据。"
    )
    page.reload()
    page.get_by_label("答复（公开）").fill("第一名已于三月搬离本社区，依章程不再参评。")
    page.get_by_role("button", name="公开答复").click()
    expect(page.get_by_text("答复已记录")).to_be_visible()
    assert Objection.objects.get().answered_at is not None

    # Time passes: the publicity period ends. It ends after voting closed (the timeline's constraint), and
    # voting was closed "now" a moment ago: a fixed "a second ago" fell before it when the pages were fast.
    voting.refresh_from_db()
    AwardRound.objects.filter(pk=voting.pk).update(publicity_end_at=voting.voting_close_at + timedelta(microseconds=1))
    page.reload()
    page.get_by_role("link", name="发布荣誉").click()
    expect(page.get_by_text("1 项荣誉将登上公开的光荣榜")).to_be_visible()
    page.get_by_role("button", name="确定，发布荣誉").click()
    expect(page.get_by_text("项荣誉已登上光荣榜")).to_be_visible()
    honour = Honour.objects.get()
    assert honour.nomination_id == second.pk and honour.certificate_number == f"HR{voting.year}-{second.pk:06d}"
    page.goto(f"{live_server.url}/rounds/{voting.pk}/")
    expect(page.locator("main")).to_contain_text("第一名经核实已搬离本社区")
    expect(page.locator("main")).to_contain_text("第一名已于三月搬离本社区")
    assert Nomination.objects.get(pk=second.pk).is_winner
