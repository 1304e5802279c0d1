"""Organizers by place, in the browser, on a phone (issue #17's "done when"): a street organizer, two community
organizers and a grid worker each see exactly their part of the register, another community's household is a
404 to them, and an organizer with no place sees a page saying so. In Chinese, and in English."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from families.models import CommunityAssignment, Grid
from project.access import make_organizer
from tests.factories import (
    BuildingFactory,
    CommunityFactory,
    GridFactory,
    HouseholdFactory,
    UserFactory,
    make_grid_worker,
    make_street_organizer,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NAMES = ("东一组王家", "东二格李家", "西格张家")


@pytest.fixture
def street():
    """Two communities: east with two levels of grids, west with one; a household in each lowest grid."""
    east = CommunityFactory(name="东社区", slug="east")
    west = CommunityFactory(name="西社区", slug="west")
    east_one = GridFactory(community=east, name="东一网格")
    east_one_group = GridFactory(community=east, name="东一网格一组", parent=east_one, level=Grid.SECOND)
    east_two = GridFactory(community=east, name="东二网格")
    west_grid = GridFactory(community=west, name="西网格")
    households = {
        name: HouseholdFactory(building=BuildingFactory(grid=grid, name=f"{name[:2]}楼"), display_name=name)
        for name, grid in zip(NAMES, (east_one_group, east_two, west_grid), strict=True)
    }
    people = {}
    for username in ("jiedao", "dong", "xi", "wangge", "xinren"):
        people[username] = UserFactory(username=username)
        make_organizer(user=people[username])
    make_street_organizer(people["jiedao"])
    CommunityAssignment.objects.create(user=people["dong"], community=east)
    CommunityAssignment.objects.create(user=people["xi"], community=west)
    make_grid_worker(people["wangge"], east_one)  # a first-level grid: its second-level grids are theirs too
    return households


def _register_shows(page, live_server, expected: set[str]) -> None:
    page.goto(f"{live_server.url}/organize/register/")
    for name in NAMES:
        expect(page.get_by_role("link", name=name, exact=True)).to_have_count(1 if name in expected else 0)
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


def _is_404(page, live_server, household, heading: str) -> None:
    response = page.goto(f"{live_server.url}/organize/register/households/{household.pk}/")
    assert response.status == 404
    expect(page.get_by_role("heading", name=heading)).to_be_visible()


@pytest.mark.parametrize(
    ("username", "sees"),
    [
        ("jiedao", set(NAMES)),
        ("dong", {"东一组王家", "东二格李家"}),
        ("xi", {"西格张家"}),
        ("wangge", {"东一组王家"}),
    ],
)
def test_each_organizer_sees_exactly_their_part_in_chinese(live_server, page, login, street, username, sees):
    login(page, username)
    _register_shows(page, live_server, sees)
    for name in set(NAMES) - sees:
        _is_404(page, live_server, street[name], "找不到页面")
    for name in sees:
        page.goto(f"{live_server.url}/organize/register/households/{street[name].pk}/")
        expect(page.get_by_role("heading", name=name)).to_be_visible()


def test_the_same_parts_in_english_and_an_organizer_without_a_place(live_server, page, login, street):
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    login(page, "wangge")
    _register_shows(page, live_server, {"东一组王家"})
    _is_404(page, live_server, street["西格张家"], "Page not found")
    page.context.clear_cookies()
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    login(page, "xi")
    _register_shows(page, live_server, {"西格张家"})
    _is_404(page, live_server, street["东二格李家"], "Page not found")
    page.context.clear_cookies()
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    login(page, "xinren")
    page.goto(f"{live_server.url}/organize/register/")
    expect(page.get_by_role("heading", name="No place assigned yet")).to_be_visible()
    expect(page.get_by_role("link", name="西格张家")).to_have_count(0)
