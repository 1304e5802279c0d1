"""The public pages of each community under ``/c/<slug>/``: home, honour board, TV pinned to it, feed, motto wall.

The street's pages (``/``, ``/honours/``, ...) show every community; a community's show what belongs to it: the
honours whose target lives there (building → grid → community, whatever round they came from) and its households'
mottos. Consent rules are the street's, and each page is cached per community.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from families.services import review_motto, set_motto_consent, submit_motto
from project import publiccache
from tests.awards.board_factories import HonourFactory
from tests.awards.factories import make_round
from tests.factories import BuildingFactory, CommunityFactory, GridFactory, HouseholdFactory, verified_user
from tests.project.test_publiccache import cache_keys

pytestmark = pytest.mark.django_db


@pytest.fixture
def street(organizer):
    """Two communities, 东风 and 西湖, each with a grid, a building, a named household with an honour and a motto."""
    places = {}
    for slug, name in [("dongfeng", "东风社区"), ("xihu", "西湖社区")]:
        community = CommunityFactory(slug=slug, name=name)
        building = BuildingFactory(grid=GridFactory(community=community, name=f"{name}一网格"), name=f"{name}1号楼")
        household = HouseholdFactory(building=building, display_name=f"{name}张家", show_publicly=True)
        HonourFactory(household_target=True, building=building, household=household, citation=f"{name}的事迹")
        _motto(household, organizer, f"{name}：家和万事兴")
        places[slug] = community
    return places


def _motto(household, organizer, text):
    user = verified_user(household)
    revision = submit_motto(household=household, author=user, text=text)
    review_motto(revision=revision, reviewer=organizer, approve=True)
    set_motto_consent(household=household, show=True, actor=user)


def _text(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


# --- What belongs to a community -------------------------------------------------------------


def test_the_street_board_shows_every_community_and_each_community_board_only_its_own(client, street):
    whole = _text(client, "/honours/")
    assert "东风社区的事迹" in whole and "西湖社区的事迹" in whole
    dongfeng = _text(client, "/c/dongfeng/honours/")
    assert "东风社区的事迹" in dongfeng and "西湖社区的事迹" not in dongfeng
    xihu = _text(client, "/c/xihu/honours/")
    assert "西湖社区的事迹" in xihu and "东风社区的事迹" not in xihu


def test_a_street_rounds_honour_appears_on_the_winners_community_board(client, street):
    street_round = make_round("published", community=None)
    building = BuildingFactory(grid=GridFactory(community=street["xihu"]))
    HonourFactory(building=building, round=street_round, citation="街道评选的楼院")
    assert "街道评选的楼院" in _text(client, "/honours/")
    assert "街道评选的楼院" in _text(client, "/c/xihu/honours/")
    assert "街道评选的楼院" not in _text(client, "/c/dongfeng/honours/")


def test_a_community_board_offers_only_its_own_grids_to_filter_by(client, street):
    HonourFactory(building=BuildingFactory(grid=GridFactory(community=street["dongfeng"], name="东风社区二网格")))
    HonourFactory(building=BuildingFactory(grid=GridFactory(community=street["xihu"], name="西湖社区二网格")))
    page = _text(client, "/c/dongfeng/honours/")
    assert "东风社区一网格" in page and "东风社区二网格" in page
    assert "西湖社区一网格" not in page and "西湖社区二网格" not in page


def test_another_communitys_grid_in_the_query_does_not_show_its_honours(client, street):
    """Abuse: a grid of 西湖 asked of 东风's board is not a choice there; it shows 东风's honours, never 西湖's."""
    xihu_grid = street["xihu"].grids.get()
    page = _text(client, f"/c/dongfeng/honours/?grid={xihu_grid.pk}")
    assert "西湖社区的事迹" not in page


def test_the_community_motto_wall_shows_its_households_mottos_and_grids(client, street):
    wall = _text(client, "/c/xihu/mottos/")
    assert "西湖社区：家和万事兴" in wall and "东风社区：家和万事兴" not in wall
    assert "西湖社区一网格" in wall and "东风社区一网格" not in wall
    street_wall = _text(client, "/mottos/")
    assert "西湖社区：家和万事兴" in street_wall and "东风社区：家和万事兴" in street_wall


def test_a_community_page_names_only_who_agreed(client, street):
    building = street["dongfeng"].grids.get().buildings.get()
    shy = HouseholdFactory(building=building, display_name="不愿具名之家", show_publicly=False)
    HonourFactory(household_target=True, building=building, household=shy)
    for url in ["/c/dongfeng/honours/", "/c/dongfeng/honours/tv/", "/c/dongfeng/honours/feed.json", "/c/dongfeng/"]:
        assert "不愿具名之家" not in _text(client, url), url


# --- TV, feed and home ------------------------------------------------------------------------


def test_tv_mode_pinned_to_a_community_shows_and_polls_only_that_community(client, street):
    tv = _text(client, "/c/dongfeng/honours/tv/")
    assert 'data-slides-url="/c/dongfeng/honours/tv/slides.json"' in tv
    assert "东风社区的事迹" in tv and "西湖社区的事迹" not in tv
    assert "东风社区：家和万事兴" in tv and "西湖社区：家和万事兴" not in tv
    slides = client.get("/c/dongfeng/honours/tv/slides.json").json()["slides"]
    texts = " ".join(slide["citation"] for slide in slides)
    assert "东风社区的事迹" in texts and "西湖" not in texts
    assert 'data-slides-url="/honours/tv/slides.json"' in _text(client, "/honours/tv/")


def test_a_pinned_tv_thanks_only_the_communitys_star_volunteers(client, street):
    from django.utils import timezone

    from activities.models import PointsAggregate
    from tests.factories import ResidentFactory

    month = timezone.localdate().strftime("%Y-%m")
    for slug, name in [("dongfeng", "东风志愿者"), ("xihu", "西湖志愿者")]:
        household = street[slug].grids.get().buildings.get().households.get()
        resident = ResidentFactory(household=household, full_name=name, show_name_publicly=True)
        PointsAggregate.objects.create(
            scope="person", scope_id=resident.pk, period_kind="month", period_key=month, half_hours=8
        )

    def stars(url):
        return " ".join(s["citation"] for s in client.get(url).json()["slides"] if s["kind"] == "stars")

    assert "东风志愿者" in stars("/c/dongfeng/honours/tv/slides.json")
    assert "西湖志愿者" not in stars("/c/dongfeng/honours/tv/slides.json")
    assert "东风志愿者" in stars("/honours/tv/slides.json") and "西湖志愿者" in stars("/honours/tv/slides.json")


def test_the_feed_takes_a_community_in_its_path(client, street, settings):
    settings.AWARDS_FEED_PAGE_SIZE = 1
    HonourFactory(building=street["xihu"].grids.get().buildings.get(), citation="西湖第二项")
    data = client.get("/c/xihu/honours/feed.json").json()
    assert data["count"] == 2
    assert data["next"] == "http://testserver/c/xihu/honours/feed.json?page=2"
    assert all("西湖" in item["citation"] for item in data["honours"])
    assert client.get("/honours/feed.json").json()["count"] == 3


def test_the_street_home_switches_to_each_community_with_plain_links(client, street):
    home = _text(client, "/")
    assert 'href="/c/dongfeng/"' in home and 'href="/c/xihu/"' in home
    assert '<a class="place" href="/" aria-current="page">' in home
    community_home = _text(client, "/c/xihu/")
    assert '<a class="place" href="/c/xihu/" aria-current="page">西湖社区</a>' in community_home
    for page in ["honours/", "honours/tv/", "mottos/", "activities/", "points/"]:
        assert f'href="/c/xihu/{page}"' in community_home
    # The board and the wall switch to the same page of each community.
    assert 'href="/c/xihu/honours/"' in _text(client, "/honours/")
    assert 'href="/c/dongfeng/mottos/"' in _text(client, "/c/xihu/mottos/")


def test_the_switcher_speaks_the_readers_language(client, street):
    chinese = _text(client, "/c/xihu/")
    assert "街道与社区" in chinese and "全街道" in chinese and "西湖社区的页面" in chinese
    english = client.get("/c/xihu/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Street and communities" in english and "Whole street" in english and "西湖社区's pages" in english


def test_a_community_home_shows_its_own_honours_and_mottos(client, street):
    home = _text(client, "/c/dongfeng/")
    assert "东风社区张家" in home and "西湖社区张家" not in home
    assert "东风社区：家和万事兴" in home and "西湖社区：家和万事兴" not in home
    assert 'href="/c/dongfeng/mottos/"' in home


def test_a_community_home_lists_its_rounds_and_the_streets_not_another_communitys(client, street):
    make_round("nominating", title="东风社区自己的评选", community=street["dongfeng"])
    make_round("nominating", title="西湖社区自己的评选", community=street["xihu"])
    make_round("nominating", title="全街道的评选", community=None)
    home = _text(client, "/c/dongfeng/")
    assert "东风社区自己的评选" in home and "全街道的评选" in home and "西湖社区自己的评选" not in home
    street_home = _text(client, "/")
    assert all(title in street_home for title in ["东风社区自己的评选", "西湖社区自己的评选", "全街道的评选"])


def test_one_community_shows_no_switcher(client):
    assert 'class="places"' not in _text(client, "/")


def test_community_urls_reverse_with_the_same_names():
    assert reverse("board:list", kwargs={"slug": "xihu"}) == "/c/xihu/honours/"
    assert reverse("board:feed", kwargs={"slug": "xihu"}) == "/c/xihu/honours/feed.json"
    assert reverse("families:motto_wall", kwargs={"slug": "xihu"}) == "/c/xihu/mottos/"


# --- Abuse: junk slugs and parameters ----------------------------------------------------------

COMMUNITY_PAGES = ["", "honours/", "honours/tv/", "honours/tv/slides.json", "honours/feed.json", "mottos/"]


@pytest.mark.parametrize("page", COMMUNITY_PAGES)
def test_an_unknown_community_is_a_404(client, street, page):
    assert client.get(f"/c/no-such-place/{page}").status_code == 404


def test_junk_slugs_and_junk_parameters_make_no_new_cache_entries(client, street):
    for page in COMMUNITY_PAGES:
        _text(client, f"/c/dongfeng/{page}")
    entries, copies = cache_keys(), len(publiccache._local)
    for n in range(200):
        assert client.get(f"/c/junk{n}/{COMMUNITY_PAGES[n % len(COMMUNITY_PAGES)]}").status_code == 404
        page = COMMUNITY_PAGES[n % len(COMMUNITY_PAGES)]
        response = client.get(f"/c/dongfeng/{page}?utm_source=x{n}&{n}=<b>{n}</b>")
        assert response.status_code == 200 and f"x{n}" not in response.content.decode()
    assert client.get("/c/DongFeng%00/honours/").status_code in (400, 404)
    assert client.get("/c/东风/honours/").status_code == 404
    assert cache_keys() == entries and len(publiccache._local) == copies


# --- Cache: a page per community ----------------------------------------------------------------


def test_each_community_has_its_own_cached_page(client, street, django_assert_num_queries):
    _text(client, "/c/dongfeng/honours/")
    with django_assert_num_queries(0):
        assert "东风社区的事迹" in _text(client, "/c/dongfeng/honours/")
    with django_assert_num_queries(7):  # the community, then the board's own six: not 东风's copy
        assert "西湖社区的事迹" in _text(client, "/c/xihu/honours/")


def test_a_new_honour_in_a_community_refreshes_its_board_and_the_streets(
    client, street, django_capture_on_commit_callbacks
):
    for url in ["/honours/", "/c/dongfeng/honours/", "/c/dongfeng/honours/tv/", "/c/dongfeng/"]:
        _text(client, url)
    building = street["dongfeng"].grids.get().buildings.get()
    with django_capture_on_commit_callbacks(execute=True):
        HonourFactory(building=building, citation="新评上的文明楼院")
    for url in ["/honours/", "/c/dongfeng/honours/", "/c/dongfeng/honours/tv/"]:
        assert "新评上的文明楼院" in _text(client, url), url
    assert building.name in _text(client, "/c/dongfeng/")


def test_renaming_a_community_refreshes_the_switcher(client, street, django_capture_on_commit_callbacks):
    assert "西湖社区" in _text(client, "/")
    with django_capture_on_commit_callbacks(execute=True):
        street["xihu"].name = "西湖新村社区"
        street["xihu"].save()
    assert "西湖新村社区" in _text(client, "/")
    assert "西湖新村社区" in _text(client, "/c/xihu/honours/")


# --- Constant queries at two sizes ------------------------------------------------------------


@pytest.mark.parametrize(
    ("page", "expected"),
    [
        ("honours/", 7),  # the community, years, categories, grids, count, page, the switcher
        ("honours/tv/", 4),  # the community, honours, mottos, star volunteers
        ("honours/tv/slides.json", 4),
        ("honours/feed.json", 3),  # the community, count, page
        ("mottos/", 6),  # the community, the filter's grids and buildings, count, page, the switcher
    ],
)
def test_community_pages_run_a_constant_number_of_queries(
    client, street, organizer, django_assert_num_queries, page, expected
):
    grid = street["dongfeng"].grids.get()
    for size in (2, 20):
        building = BuildingFactory(grid=grid)
        for _n in range(size):
            household = HouseholdFactory(building=building, show_publicly=True)
            HonourFactory(household_target=True, building=building, household=household)
            _motto(household, organizer, "勤俭持家")
        publiccache.expire_all()
        with django_assert_num_queries(expected):
            assert client.get(f"/c/dongfeng/{page}").status_code == 200


def test_a_community_home_runs_a_constant_number_of_queries(client, street, organizer):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    grid = street["dongfeng"].grids.get()
    counts = []
    for size in (2, 20):
        building = BuildingFactory(grid=grid)
        for _n in range(size):
            household = HouseholdFactory(building=building, show_publicly=True)
            HonourFactory(household_target=True, building=building, household=household)
            _motto(household, organizer, "勤俭持家")
        publiccache.expire_all()
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/c/dongfeng/").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
