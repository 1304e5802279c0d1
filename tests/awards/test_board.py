"""The public honour board, its detail pages, the feed, TV mode, certificates and verification."""

from __future__ import annotations

import json

import pytest
from django.utils import timezone

from awards.board import rotate_through_categories
from families.models import Household
from project import publiccache
from tests.factories import BuildingFactory, GridFactory, HouseholdFactory, ResidentFactory

from .board_factories import AwardCategoryFactory, HonourFactory

pytestmark = pytest.mark.django_db

BOARD = "/honours/"
FEED = "/honours/feed.json"
TV = "/honours/tv/"
SLIDES = "/honours/tv/slides.json"


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """``with committed():`` runs what the block's saves leave for after commit (the cache's refresh), as a
    service's transaction does when it commits (the test's own transaction never does)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


# --- the board ---------------------------------------------------------------


def test_board_shows_published_honours_newest_first_with_photo_category_and_year(client):
    old = HonourFactory(published_at=timezone.now() - timezone.timedelta(days=3), year=2025)
    new = HonourFactory()
    response = client.get(BOARD)
    body = response.content.decode()
    assert response.status_code == 200
    assert body.index(new.building.name) < body.index(old.building.name)
    assert "文明楼院" in body and "2025" in body
    assert 'srcset="/media/awards/honours/' in body and "_w640.jpg 640w" in body


def test_board_hides_unpublished_and_withdrawn_honours(client):
    draft = HonourFactory(published_at=None, building__name="草稿楼")
    withdrawn = HonourFactory(withdrawn_at=timezone.now(), building__name="撤销楼")
    body = client.get(BOARD).content.decode()
    assert "草稿楼" not in body and "撤销楼" not in body
    assert client.get(f"/honours/{draft.pk}/").status_code == 404
    assert client.get(f"/honours/{withdrawn.pk}/").status_code == 404


def test_board_is_filtered_by_year_category_and_grid_with_links_not_forms(client):
    east, west = GridFactory(name="东网格"), GridFactory(name="西网格")
    in_east = HonourFactory(building=BuildingFactory(grid=east, name="东一楼"), year=2025)
    in_west = HonourFactory(household_target=True, building=BuildingFactory(grid=west, name="西一楼"))
    in_west.household.show_publicly = True
    in_west.household.save()

    by_grid = client.get(BOARD, {"grid": east.pk}).content.decode()
    assert "东一楼" in by_grid and "西一楼" not in by_grid
    by_year = client.get(BOARD, {"year": 2026}).content.decode()
    assert "西一楼" in by_year and "东一楼" not in by_year
    by_category = client.get(BOARD, {"category": in_east.category_id}).content.decode()
    assert "东一楼" in by_category and "西一楼" not in by_category
    assert "<form" not in by_category  # one cached copy for every visitor: links, not a form
    assert f'href="?grid={east.pk}"' in client.get(BOARD).content.decode()


def test_a_bad_filter_value_shows_every_honour_instead_of_an_error(client):
    HonourFactory(building__name="某楼")
    response = client.get(BOARD, {"year": "abc", "grid": "999999"})
    assert response.status_code == 200


def test_board_is_paginated(client):
    HonourFactory.create_batch(13)
    first = client.get(BOARD).content.decode()
    assert first.count('class="card honour-card"') == 12 and "page=2" in first
    assert client.get(BOARD, {"page": 2}).content.decode().count('class="card honour-card"') == 1
    assert client.get(BOARD, {"page": "x"}).status_code == 200


def test_detail_shows_the_full_citation_and_certificate_link(client):
    honour = HonourFactory(citation="很长的事迹。" * 60)
    body = client.get(f"/honours/{honour.pk}/").content.decode()
    assert honour.citation in body
    assert f"/honours/{honour.pk}/certificate/" in body


def test_empty_board_explains_what_will_appear(client):
    body = client.get(BOARD).content.decode()
    assert "empty" in body


# --- privacy -------------------------------------------------------------------


@pytest.fixture
def private_people(db):
    """A household and a person honoured without having agreed to be named."""
    family = HonourFactory(household_target=True, household__display_name="保密家", household__door_label="9单元909")
    person = HonourFactory(person_target=True, resident__full_name="李保密", resident__phone="+8613912345678")
    person.household.door_label = "8单元808"
    person.household.save()
    return family, person


@pytest.mark.parametrize("url", [BOARD, FEED, TV, SLIDES, "detail-family", "detail-person", "certificate"])
def test_public_pages_never_show_phones_doors_or_names_without_consent(client, private_people, url):
    family, person = private_people
    url = {
        "detail-family": f"/honours/{family.pk}/",
        "detail-person": f"/honours/{person.pk}/",
        "certificate": f"/honours/{person.pk}/certificate/",
    }.get(url, url)
    body = client.get(url).content.decode()
    for secret in ["保密家", "李保密", "13912345678", "9单元909", "8单元808", family.household.head_name]:
        assert secret not in body, (url, secret)
    if url == BOARD:
        assert family.household.anonymous_name in body


def test_names_appear_once_people_agree_and_vanish_from_cached_pages_when_they_withdraw(
    client, private_people, committed
):
    family, person = private_people
    with committed():
        family.household.show_publicly = True
        family.household.save()
        person.resident.show_name_publicly = True
        person.resident.save()
    for url in [BOARD, FEED, SLIDES, f"/honours/{person.pk}/"]:
        assert "李保密" in client.get(url).content.decode(), url
    assert "保密家" in client.get(BOARD).content.decode()

    # Withdrawing consent: once the change commits, every cached public page forgets them.
    with committed():
        Household.objects.filter(pk=family.household_id).update(show_publicly=False)
        person.resident.show_name_publicly = False
        person.resident.save()
        assert "李保密" in client.get(BOARD).content.decode()  # not before the commit
    for url in [BOARD, FEED, TV, SLIDES, f"/honours/{person.pk}/", f"/honours/{family.pk}/"]:
        body = client.get(url).content.decode()
        assert "李保密" not in body and "保密家" not in body, url


def test_public_pages_carry_no_inline_script_or_style(client):
    honour = HonourFactory()
    for url in [BOARD, TV, f"/honours/{honour.pk}/", f"/honours/{honour.pk}/certificate/"]:
        body = client.get(url).content.decode()
        assert "<script>" not in body and "style=" not in body and "<style" not in body, url
        assert "csrfmiddlewaretoken" not in body, url


# --- constant queries --------------------------------------------------------


def _queries_at_two_sizes(django_assert_num_queries, client, url, expected, *, small=2, large=25):
    for size in (small, large):
        HonourFactory.create_batch(size - (0 if size == small else small), household_target=True)
        publiccache.expire_all()
        with django_assert_num_queries(expected):
            assert client.get(url).status_code == 200


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (BOARD, 6),  # years, categories, grids, count, page, the communities (switcher)
        (f"{BOARD}?year=2026", 6),
        (FEED, 2),  # count, page
        (TV, 3),  # honours, mottos, star volunteers
        (SLIDES, 3),
    ],
)
def test_public_list_pages_run_a_constant_number_of_queries(client, django_assert_num_queries, url, expected):
    _queries_at_two_sizes(django_assert_num_queries, client, url, expected)


def test_a_filtered_board_runs_a_constant_number_of_queries(client, django_assert_num_queries):
    category = AwardCategoryFactory(name="五好家庭")
    grid = GridFactory()
    for size in (2, 25):
        HonourFactory.create_batch(size, household_target=True, building=BuildingFactory(grid=grid))
        publiccache.expire_all()
        with django_assert_num_queries(8):  # the six above, and the chosen category and grid checked
            response = client.get(BOARD, {"category": category.pk, "grid": grid.pk, "year": 2026})
        assert response.status_code == 200 and "honour-card" in response.content.decode()


@pytest.mark.parametrize("page", ["detail", "certificate", "verify"])
def test_an_honours_own_pages_run_one_query(client, django_assert_num_queries, page):
    honour = HonourFactory(person_target=True)
    url = {
        "detail": f"/honours/{honour.pk}/",
        "certificate": f"/honours/{honour.pk}/certificate/",
        "verify": f"/verify/{honour.certificate_number}/",
    }[page]
    with django_assert_num_queries(1):
        assert client.get(url).status_code == 200


def test_cached_public_pages_run_no_queries(client, django_assert_num_queries):
    HonourFactory.create_batch(3)
    client.get(BOARD)
    with django_assert_num_queries(0):
        client.get(BOARD)


# --- feed ----------------------------------------------------------------------


def test_feed_lists_published_honours_with_the_agreed_fields(client):
    honour = HonourFactory()
    HonourFactory(published_at=None)
    response = client.get(FEED)
    data = response.json()
    assert response["Cache-Control"] == "public, max-age=300"
    assert data["count"] == 1
    item = data["honours"][0]
    assert set(item) == {"id", "category", "round", "year", "name", "target", "citation", "photos", "published", "url"}
    assert item["id"] == honour.pk and item["round"] == honour.title and item["name"] == honour.building.name
    assert set(item["photos"]) == {"320", "640", "1280"}
    assert item["photos"]["640"].startswith("http://testserver/media/")
    assert item["published"] == timezone.localtime(honour.published_at).replace(microsecond=0).isoformat()


def test_feed_answers_not_modified_to_a_matching_etag(client, committed):
    HonourFactory()
    first = client.get(FEED)
    again = client.get(FEED, headers={"If-None-Match": first["ETag"]})
    assert again.status_code == 304
    with committed():
        HonourFactory()
    assert client.get(FEED, headers={"If-None-Match": first["ETag"]}).status_code == 200


def test_feed_is_paged_fifty_at_a_time(client):
    HonourFactory.create_batch(51)
    data = client.get(FEED).json()
    assert len(data["honours"]) == 50 and data["next"] == "http://testserver/honours/feed.json?page=2"
    assert len(client.get(FEED, {"page": 2}).json()["honours"]) == 1


# --- TV --------------------------------------------------------------------------


def test_tv_slides_rotate_through_categories():
    a, b = AwardCategoryFactory(name="A类", sort_order=1), AwardCategoryFactory(name="B类", sort_order=2)
    honours = [HonourFactory.build(category=c, pk=i) for i, c in enumerate([a, a, a, b])]
    assert [h.category.name for h in rotate_through_categories(honours)] == ["A类", "B类", "A类", "A类"]


def test_tv_page_shows_every_slide_without_javascript_and_takes_its_timing_from_the_query(client):
    HonourFactory.create_batch(3)
    body = client.get(TV, {"interval": "1", "refresh": "abc"}).content.decode()
    assert body.count('<section class="slide') == 3
    assert 'data-interval="2"' in body and 'data-refresh="60"' in body  # clamped, and a bad value ignored
    assert '<script src="/static/js/tv.js" defer></script>' in body


def test_tv_slides_change_version_when_an_honour_is_published(client, committed):
    HonourFactory()
    before = client.get(SLIDES).json()
    honour = HonourFactory(published_at=None, building__name="新楼")
    assert client.get(SLIDES).json()["version"] == before["version"]
    with committed():
        honour.published_at = timezone.now()
        honour.save()
    after = client.get(SLIDES).json()
    assert (
        after["version"] != before["version"]
        and after["slides"][0]["name"] == "新楼"
        and after["slides"][0]["id"] == f"h{honour.pk}"
    )


def _motto(text, *, show_on_wall=True, approved=True, household=None):
    from families.models import FamilyMotto, MottoRevision

    motto = FamilyMotto.objects.create(household=household or HouseholdFactory(), show_on_wall=show_on_wall)
    revision = MottoRevision.objects.create(
        motto=motto,
        text=text,
        status="approved" if approved else "pending",
        reviewed_at=timezone.now() if approved else None,
    )
    if approved:
        motto.approved_revision = revision
        motto.save()
    return motto


def test_tv_shows_approved_mottos_on_the_wall_between_honours(client):
    HonourFactory.create_batch(4)
    _motto("勤俭持家，和睦邻里", household=HouseholdFactory(display_name="赵家", show_publicly=False))
    _motto("待审核的家训", approved=False)
    _motto("不上墙的家训", show_on_wall=False)
    slides = client.get(SLIDES).json()["slides"]
    kinds = [slide["kind"] for slide in slides]
    assert kinds == ["honour", "honour", "honour", "motto", "honour"]
    motto = slides[3]
    assert motto["citation"] == "勤俭持家，和睦邻里" and "赵家" not in motto["name"]
    assert "待审核" not in str(slides) and "不上墙" not in str(slides)


def test_tv_shows_the_months_star_volunteers_named_only_if_they_agreed(client):
    from activities.models import PointsAggregate

    named = ResidentFactory(full_name="周志愿", show_name_publicly=True)
    shy = ResidentFactory(full_name="吴低调")
    month = timezone.localdate().strftime("%Y-%m")
    for resident, half_hours in [(named, 9), (shy, 12)]:
        PointsAggregate.objects.create(
            scope="person", scope_id=resident.pk, period_kind="month", period_key=month, half_hours=half_hours
        )
    PointsAggregate.objects.create(
        scope="person", scope_id=named.pk, period_kind="month", period_key="2000-01", half_hours=99
    )
    HonourFactory()
    client.cookies["django_language"] = "en"
    stars = [slide for slide in client.get(SLIDES).json()["slides"] if slide["kind"] == "stars"]
    assert len(stars) == 1
    lines = stars[0]["citation"].splitlines()
    assert lines[0].endswith("6 hours") and "吴低调" not in lines[0]  # most hours first, not named
    assert lines[1] == "周志愿, 4.5 hours"


def test_empty_tv_explains_what_will_appear(client):
    assert "slide-empty" in client.get(TV).content.decode()


# --- certificates and verification ---------------------------------------------


def test_certificate_has_its_number_and_a_qr_code_for_the_absolute_verify_url(client):
    honour = HonourFactory()
    body = client.get(f"/honours/{honour.pk}/certificate/").content.decode()
    assert honour.certificate_number in body
    assert f"http://testserver/verify/{honour.certificate_number}/" in body
    assert '<svg class="qr"' in body and "<path" in body


def test_organizers_print_certificates_with_the_real_name(organizer_client, client):
    honour = HonourFactory(person_target=True, resident__full_name="李真名")
    assert "李真名" in organizer_client.get(f"/honours/{honour.pk}/certificate/").content.decode()
    assert "李真名" not in client.get(f"/honours/{honour.pk}/certificate/").content.decode()


def test_the_honoured_household_sees_its_own_name_on_the_certificate(resident, resident_client, neighbour_client):
    household = resident.residencies.get().household
    honour = HonourFactory(household_target=True, household=household, building=household.building)
    url = f"/honours/{honour.pk}/certificate/"
    assert household.display_name in resident_client.get(url).content.decode()
    assert household.display_name not in neighbour_client.get(url).content.decode()


def test_no_certificate_for_an_unpublished_or_withdrawn_honour(client):
    assert client.get(f"/honours/{HonourFactory(published_at=None).pk}/certificate/").status_code == 404
    # A withdrawn honour's certificate is gone, and the page says so (as its verify page does).
    assert client.get(f"/honours/{HonourFactory(withdrawn_at=timezone.now()).pk}/certificate/").status_code == 410


def test_verify_confirms_a_genuine_certificate(client):
    honour = HonourFactory()
    response = client.get(f"/verify/{honour.certificate_number}/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "verdict-ok" in body and honour.building.name in body and "文明楼院" in body and "2026" in body


def test_verify_says_clearly_when_a_number_is_not_genuine(client):
    HonourFactory(certificate_number="RY2026-DRAFT", published_at=None)
    for number in ["RY2099-99999", "RY2026-DRAFT"]:
        response = client.get(f"/verify/{number}/")
        assert response.status_code == 404
        assert "verdict-bad" in response.content.decode() and number in response.content.decode()


def test_verify_says_a_withdrawn_certificate_is_no_longer_valid(client):
    honour = HonourFactory(withdrawn_at=timezone.now(), withdrawal_reason="私密原因 13900000000")
    response = client.get(f"/verify/{honour.certificate_number}/")
    body = response.content.decode()
    assert response.status_code == 410
    assert "verdict-bad" in body and "私密原因" not in body and "13900000000" not in body


def test_english_board_pages_are_translated(client):
    honour = HonourFactory()
    client.cookies["django_language"] = "en"
    assert "Honour board" in client.get(BOARD).content.decode()
    assert "Genuine certificate" in client.get(f"/verify/{honour.certificate_number}/").content.decode()
    assert "Certificate of honour" in client.get(f"/honours/{honour.pk}/certificate/").content.decode()


def test_json_is_utf8_not_escaped(client):
    HonourFactory(building__name="中文楼")
    assert "中文楼" in client.get(FEED).content.decode()
    assert json.loads(client.get(SLIDES).content)["slides"][0]["name"] == "中文楼"
