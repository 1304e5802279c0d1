"""A street round in the browser, with two communities: the street office takes each community's winners forward
(推荐上报), residents of both communities vote, the office counts and publishes; a community's own round stays
out of sight of the other community's residents."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from awards import services
from awards.models import AwardRound, Honour, Nomination, Vote
from families.models import CommunityAssignment, Resident
from project.access import make_organizer
from tests.awards.factories import make_entry, make_nomination, make_round, timeline
from tests.factories import (
    BuildingFactory,
    CommunityFactory,
    GridFactory,
    HouseholdFactory,
    ResidentFactory,
    UserFactory,
    verified_user,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _community_winner(community, category, name: str) -> None:
    """A community's round of the year, published, with one winner of ``category``."""
    round = make_round("publishing", community=community, title=f"{community.name}年度评选")
    entry = round.entries.create(category=category, winners=1, votes_per_voter=1)
    home = HouseholdFactory(building=BuildingFactory(grid=GridFactory(community=community)))
    make_nomination(
        entry, target=ResidentFactory(household=home, full_name=name, show_name_publicly=True), is_winner=True
    )
    office = UserFactory()
    make_organizer(user=office)
    CommunityAssignment.objects.create(user=office, community=None)
    services.publish_round(round=round, actor=office)


def test_a_street_round_runs_end_to_end_with_voters_from_every_community(live_server, page, login, organizer, resident):
    community_a = Resident.objects.get(user=resident).household.building.grid.community
    community_b = CommunityFactory(name="光明社区")
    b_home = HouseholdFactory(building=BuildingFactory(grid=GridFactory(community=community_b)))
    verified_user(b_home, username="b_resident")

    street = make_round("reviewing", community=None, title="街道十佳身边好人")
    entry = make_entry(street, "person", name="身边好人", takes_forward=True, winners=1, votes_per_voter=1)
    _community_winner(community_a, entry.category, "张秀英")
    _community_winner(community_b, entry.category, "李建国")
    # Community B's own round, open for votes: nobody of community A may see it or vote in it.
    b_round = make_round("voting", community=community_b, title="光明社区好邻居评选")
    b_nomination = make_nomination(make_entry(b_round, "person", name="好邻居"))

    # The street office takes the communities' winners forward from the desk.
    login(page, "organizer")
    page.goto(f"{live_server.url}/organize/rounds/{street.pk}/")
    page.get_by_role("button", name="将各社区“身边好人”获奖者推荐上报").click()
    expect(page.get_by_text("已将 2 名推荐对象加入")).to_be_visible()
    page.goto(f"{live_server.url}/rounds/{street.pk}/")
    expect(page.locator("main")).to_contain_text("本轮候选由各社区推荐上报")
    page.locator("summary", has_text="身边好人").click()
    expect(page.locator("main")).to_contain_text("光明社区: 李建国")

    # Voting opens; a resident of each community votes.
    AwardRound.objects.filter(pk=street.pk).update(**timeline("voting"))
    zhang = Nomination.objects.get(entry=entry, resident__full_name="张秀英")
    for username in ("resident", "b_resident"):
        page.context.clear_cookies()
        login(page, username)
        page.goto(f"{live_server.url}/rounds/{street.pk}/nominations/")
        page.locator(f"form[action='/nominations/{zhang.pk}/vote/'] button").click()
        expect(page.get_by_text("投票成功")).to_be_visible()
    assert {v.voter.household.building.grid.community_id for v in Vote.objects.filter(round=street)} == {
        community_a.pk,
        community_b.pk,
    }

    # Community B's round is not there for community A's resident (the last signed in was B's: sign in as A).
    page.context.clear_cookies()
    login(page, "resident")
    page.goto(f"{live_server.url}/rounds/")
    expect(page.locator("main")).to_contain_text("街道十佳身边好人")
    expect(page.locator("main")).not_to_contain_text("光明社区好邻居评选")
    for path in (f"/rounds/{b_round.pk}/", f"/rounds/{b_round.pk}/nominations/", f"/nominations/{b_nomination.pk}/"):
        assert page.goto(f"{live_server.url}{path}").status == 404, path
    assert not Vote.objects.filter(round=b_round).exists()

    # The office closes voting, confirms the winner and publishes.
    page.context.clear_cookies()
    login(page, "organizer")
    page.goto(f"{live_server.url}/organize/rounds/{street.pk}/")
    page.get_by_role("link", name="立即结束投票").click()
    page.get_by_role("button", name="确定，立即结束投票").click()
    page.get_by_role("button", name="确认当选名单并开始公示").click()
    expect(page.get_by_text("公示期开始")).to_be_visible()
    street.refresh_from_db()
    AwardRound.objects.filter(pk=street.pk).update(publicity_end_at=street.voting_close_at + timedelta(microseconds=1))
    page.goto(f"{live_server.url}/organize/rounds/{street.pk}/publish/")
    page.get_by_role("button", name="确定，发布荣誉").click()
    expect(page.get_by_text("项荣誉已登上光荣榜")).to_be_visible()
    honour = Honour.objects.get(round=street)
    assert honour.resident.full_name == "张秀英"
    assert street.issuing_body() != community_a.issuing_body  # the street office issues its certificate
