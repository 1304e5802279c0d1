"""Points across the street: who may join an activity, where a resident redeems, one balance, boards by place,
and organizers who see only their communities' activities and stores."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from activities import services
from activities.models import Activity, LedgerEntry, PointsAggregate, PointsBalance, Redemption, Signup, StoreItem
from families.models import CommunityAssignment
from project import publiccache
from project.access import make_organizer
from project.errors import ServiceError
from tests.factories import (
    BuildingFactory,
    CommunityFactory,
    GridFactory,
    HouseholdFactory,
    UserFactory,
    make_street_organizer,
    verified_user,
)
from tests.project.test_access_sweep import row_counts
from tests.tokens import token

from .factories import ActivityFactory, StoreItemFactory, default_type, finished_activity

pytestmark = pytest.mark.django_db


@pytest.fixture
def street():
    """Two communities, 东 and 西, a verified resident in each, and an organizer of each community."""
    places = {}
    for key, name in (("east", "东社区"), ("west", "西社区")):
        community = CommunityFactory(name=name, slug=key)
        grid = GridFactory(community=community, name=f"{name}一网格")
        household = HouseholdFactory(building=BuildingFactory(grid=grid, name=f"{name}1号楼"))
        user = verified_user(household, username=f"{key}_resident")
        organizer = UserFactory(username=f"{key}_organizer")
        make_organizer(user=organizer)
        CommunityAssignment.objects.create(user=organizer, community=community)
        places[key] = {
            "community": community,
            "grid": grid,
            "user": user,
            "member": user.residencies.get(),
            "organizer": organizer,
        }
    return places


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _confirmed_points(activity: Activity, member, actor) -> LedgerEntry:
    """A volunteer was there the whole activity and the organizer confirms the hours (the services' own path)."""
    signup = Signup.objects.create(activity=activity, resident=member, attendance=Signup.Attendance.PRESENT)
    return services.confirm_hours(signup=signup, actor=actor)


# --- Reach: who may sign up -----------------------------------------------------------------------------------


def test_a_resident_of_another_community_posting_to_a_community_only_activity_is_refused(street):
    """The abuse case: west's resident sends the sign-up form of east's own activity by hand."""
    east_only = ActivityFactory(community=street["east"]["community"])
    west = street["west"]
    before = row_counts()
    response = _client(west["user"]).post(
        reverse("activities:sign_up", args=[east_only.pk]), token(west["user"], "activities.sign_up"), follow=True
    )
    assert "只面向东社区的居民" in response.content.decode()
    assert row_counts() == before
    east_only.refresh_from_db()
    assert east_only.confirmed_count == 0


def test_the_service_is_the_one_place_the_reach_is_kept(street):
    east_only = ActivityFactory(community=street["east"]["community"])
    with pytest.raises(ServiceError):
        services.sign_up(activity=east_only, resident=street["west"]["member"])
    with pytest.raises(ServiceError):  # nor can an organizer add them at the venue
        services.add_walk_in(activity=east_only, resident=street["west"]["member"], actor=street["east"]["organizer"])
    assert not Signup.objects.exists()


def test_own_community_street_and_open_to_street_activities_take_a_resident(street):
    east, west = street["east"], street["west"]
    own = ActivityFactory(community=west["community"])
    open_to_all = ActivityFactory(community=east["community"], open_to_street=True)
    street_hosted = ActivityFactory(community=None)
    for activity in (own, open_to_all, street_hosted):
        services.sign_up(activity=activity, resident=west["member"])
    assert Signup.objects.filter(resident=west["member"]).count() == 3


def test_the_list_shows_residents_what_they_may_join_and_visitors_everything(street):
    east, west = street["east"], street["west"]
    east_only = ActivityFactory(community=east["community"], title="东社区内部活动")
    east_open = ActivityFactory(community=east["community"], open_to_street=True, title="东社区开放活动")
    west_only = ActivityFactory(community=west["community"], title="西社区内部活动")
    street_hosted = ActivityFactory(title="街道活动")
    url = reverse("activities:list")
    west_page = _client(west["user"]).get(url).content.decode()
    assert east_open.title in west_page and west_only.title in west_page and street_hosted.title in west_page
    assert east_only.title not in west_page
    visitor_page = Client().get(url).content.decode()
    assert all(a.title in visitor_page for a in (east_only, east_open, west_only, street_hosted))
    assert "东社区主办 · 仅限东社区居民" in visitor_page  # each card says who hosts it and who may join


def test_a_communitys_activity_page_lists_what_its_residents_may_join(street):
    east = street["east"]
    ActivityFactory(community=east["community"], title="东社区内部活动")
    ActivityFactory(community=street["west"]["community"], title="西社区内部活动")
    ActivityFactory(title="街道活动")
    page = Client().get(reverse("activities:community_list", args=["east"])).content.decode()
    assert "东社区内部活动" in page and "街道活动" in page and "西社区内部活动" not in page
    # The shared cards are kept per community: the street's list, rendered next, is not east's.
    street_page = Client().get(reverse("activities:list")).content.decode()
    assert "西社区内部活动" in street_page
    assert Client().get("/c/nowhere/activities/").status_code == 404
    assert Client().get("/c/nowhere/points/").status_code == 404


def test_the_detail_page_tells_an_outsider_instead_of_offering_the_button(street):
    east_only = ActivityFactory(community=street["east"]["community"])
    page = _client(street["west"]["user"]).get(reverse("activities:detail", args=[east_only.pk])).content.decode()
    assert "只面向东社区的居民" in page
    assert reverse("activities:sign_up", args=[east_only.pk]) not in page


# --- Hosting: who may make what -------------------------------------------------------------------------------


def _activity_form(**extra) -> dict:
    start = timezone.localtime(timezone.now() + timedelta(days=5)).replace(hour=9, minute=0, second=0, microsecond=0)
    return {
        "title": "楼道清理",
        "type": default_type().pk,
        "place": "小区门口",
        "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        "signup_deadline": (start - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
        "capacity": "5",
        "points_per_hour": "10",
        **extra,
    }


def test_a_community_organizer_hosts_for_their_community_only(street):
    east = street["east"]
    client = _client(east["organizer"])
    url = reverse("activities:organize_new")
    # The street (empty) and another community are refused with a message; nothing is written.
    for place in ("", str(street["west"]["community"].pk)):
        response = client.post(
            url, {**_activity_form(community=place), **token(east["organizer"], "activities.activity_new")}
        )
        assert response.status_code == 200 and not Activity.objects.exists()
    response = client.post(
        url, {**_activity_form(community=east["community"].pk), **token(east["organizer"], "activities.activity_new")}
    )
    assert response.status_code == 302
    assert Activity.objects.get().community == east["community"]


def test_only_a_street_organizer_hosts_for_the_street(street, organizer):
    with pytest.raises(ServiceError):
        services.save_activity(
            activity=ActivityFactory.build(community=None), actor=street["east"]["organizer"], changed=[]
        )
    response = _client(organizer).post(
        reverse("activities:organize_new"),
        {**_activity_form(community=""), **token(organizer, "activities.activity_new")},
    )
    assert response.status_code == 302
    assert Activity.objects.get().community is None


def test_another_communitys_activities_and_items_are_404_to_a_community_organizer(street):
    east, west = street["east"], street["west"]
    west_activity = finished_activity(community=west["community"])
    signup = Signup.objects.create(activity=west_activity, resident=west["member"])
    west_item = StoreItemFactory(community=west["community"])
    street_item = StoreItemFactory(community=None)
    street_activity = ActivityFactory(community=None)
    client = _client(east["organizer"])
    for url in (
        reverse("activities:organize_sheet", args=[west_activity.pk]),
        reverse("activities:organize_edit", args=[west_activity.pk]),
        reverse("activities:organize_qr", args=[west_activity.pk]),
        reverse("activities:organize_confirm_all", args=[west_activity.pk]),
        reverse("activities:organize_store_edit", args=[west_item.pk]),
        # The street's activity and store are the street office's to change.
        reverse("activities:organize_edit", args=[street_activity.pk]),
        reverse("activities:organize_store_edit", args=[street_item.pk]),
    ):
        assert client.get(url).status_code == 404, url
    before = row_counts()
    assert client.post(reverse("activities:organize_confirm", args=[signup.pk])).status_code == 404
    assert (
        client.post(reverse("activities:organize_call_off", args=[west_activity.pk]), {"reason": "x"}).status_code
        == 404
    )
    assert row_counts() == before
    listed = client.get(reverse("activities:organize_activities")).content.decode()
    assert west_activity.title not in listed and street_activity.title in listed
    # The street's activity sheet stays open to them: their residents volunteer there too.
    sheet = client.get(reverse("activities:organize_sheet", args=[street_activity.pk])).content.decode()
    assert street_activity.title in sheet
    assert reverse("activities:organize_edit", args=[street_activity.pk]) not in sheet  # nor links to a 404
    assert reverse("activities:organize_edit", args=[street_activity.pk]) not in listed
    store = client.get(reverse("activities:organize_store")).content.decode()
    assert street_item.name in store and west_item.name not in store
    assert reverse("activities:organize_store_edit", args=[street_item.pk]) not in store


# --- One balance, two stores -----------------------------------------------------------------------------------


def test_points_from_a_communitys_activity_and_a_street_activity_add_up_in_one_balance(street, organizer, ledger_ok):
    east = street["east"]
    _confirmed_points(finished_activity(community=east["community"]), east["member"], east["organizer"])  # 30
    _confirmed_points(finished_activity(community=None, points_per_hour=20), east["member"], organizer)  # 60
    assert PointsBalance.objects.get(resident=east["member"]).balance == 90
    assert PointsBalance.objects.count() == 1
    ledger_ok()


def test_points_earned_in_one_community_are_spent_in_the_streets_store(street, ledger_ok):
    east = street["east"]
    _confirmed_points(finished_activity(community=east["community"]), east["member"], east["organizer"])
    street_item = StoreItemFactory(community=None, price=25, stock=1, name="街道毛巾")
    response = _client(east["user"]).post(
        reverse("activities:redeem", args=[street_item.pk]), token(east["user"], "activities.redeem"), follow=True
    )
    redemption = Redemption.objects.get()
    assert redemption.pickup_code in response.content.decode()
    assert PointsBalance.objects.get(resident=east["member"]).balance == 5
    ledger_ok()


def test_redeeming_in_another_communitys_store_is_refused_and_changes_nothing(street, give_points):
    """The abuse case: east's resident posts the redeem form of west's store item."""
    east = street["east"]
    give_points(east["member"], 100)
    west_item = StoreItemFactory(community=street["west"]["community"], price=10, stock=3)
    before = row_counts()
    response = _client(east["user"]).post(
        reverse("activities:redeem", args=[west_item.pk]), token(east["user"], "activities.redeem"), follow=True
    )
    assert "西社区的积分超市" in response.content.decode()
    assert row_counts() == before
    west_item.refresh_from_db()
    assert west_item.stock == 3
    assert PointsBalance.objects.get(resident=east["member"]).balance == 100


def test_the_store_shows_a_resident_the_streets_and_their_own_store_labelled(street):
    StoreItemFactory(community=None, name="街道毛巾")
    StoreItemFactory(community=street["east"]["community"], name="东社区雨伞")
    StoreItemFactory(community=street["west"]["community"], name="西社区水杯")
    page = _client(street["east"]["user"]).get(reverse("activities:store")).content.decode()
    assert "街道办事处积分超市" in page and "东社区的积分超市" in page
    assert "街道毛巾" in page and "东社区雨伞" in page and "西社区水杯" not in page
    visitor = Client().get(reverse("activities:store")).content.decode()
    assert "西社区水杯" in visitor and "西社区的积分超市" in visitor


def test_a_community_organizer_keeps_their_own_store_only(street):
    east = street["east"]
    client = _client(east["organizer"])
    data = {"name": "东社区雨伞", "price": "30", "stock": "2", "is_active": "on", "sort_order": "0"}
    client.post(
        reverse("activities:organize_store_new"),
        {**data, "community": "", **token(east["organizer"], "activities.store_item_new")},
    )
    assert not StoreItem.objects.exists()
    client.post(
        reverse("activities:organize_store_new"),
        {**data, "community": east["community"].pk, **token(east["organizer"], "activities.store_item_new")},
    )
    assert StoreItem.objects.get().community == east["community"]


# --- Leaderboards by place ---------------------------------------------------------------------------------------


def test_every_entry_counts_for_its_community_and_verify_ledger_checks_it(street, give_points, ledger_ok):
    east, west = street["east"], street["west"]
    give_points(east["member"], 40)
    give_points(west["member"], 15)
    rows = PointsAggregate.objects.filter(scope="community", period_kind="all")
    assert dict(rows.values_list("scope_id", "points")) == {east["community"].pk: 40, west["community"].pk: 15}
    person = PointsAggregate.objects.get(scope="person", scope_id=east["member"].pk, period_kind="all")
    assert person.community_id == east["community"].pk
    ledger_ok()
    PointsAggregate.objects.filter(pk=person.pk).update(community=west["community"])
    assert services.ledger_differences()  # a row in the wrong community is a difference


def test_the_street_board_ranks_communities_and_a_communitys_board_its_own_people(street, give_points):
    east, west = street["east"], street["west"]
    for place in (east, west):
        place["member"].show_name_publicly = True
        place["member"].save()
    give_points(east["member"], 40)
    give_points(west["member"], 15)
    communities = Client().get(reverse("activities:leaderboard"), {"scope": "community", "period": "all"})
    text = communities.content.decode()
    assert text.index("东社区") < text.index("西社区")
    east_board = Client().get(reverse("activities:community_leaderboard", args=["east"]), {"period": "all"})
    text = east_board.content.decode()
    assert east["member"].public_name in text and west["member"].public_name not in text


def _fresh() -> None:
    """Measure the page, not the anonymous page cache nor the minute-old totals."""
    publiccache.expire_all()
    cache.clear()


def _more_volunteers(community, grid, count: int) -> None:
    building = BuildingFactory(grid=grid)
    for _ in range(count):
        user = verified_user(HouseholdFactory(building=building))
        services.award_points(resident=user.residencies.get(), amount=7, reason="测试积分", actor=None)


@pytest.mark.parametrize("scope", ["person", "household", "building", "grid"])
def test_a_communitys_board_reads_a_constant_number_of_queries(street, scope, django_assert_num_queries):
    east = street["east"]
    url = reverse("activities:community_leaderboard", args=["east"])
    _more_volunteers(east["community"], east["grid"], 2)
    client = Client()
    _fresh()
    with CaptureQueriesContext(connection) as small:
        assert client.get(url, {"scope": scope, "period": "all"}).status_code == 200
    _more_volunteers(east["community"], GridFactory(community=east["community"]), 12)
    _more_volunteers(street["west"]["community"], street["west"]["grid"], 5)
    _fresh()
    with django_assert_num_queries(len(small.captured_queries)):
        assert client.get(url, {"scope": scope, "period": "all"}).status_code == 200


def test_the_street_board_of_communities_reads_a_constant_number_of_queries(street, django_assert_num_queries):
    url = reverse("activities:leaderboard")
    _more_volunteers(street["east"]["community"], street["east"]["grid"], 2)
    _fresh()
    with CaptureQueriesContext(connection) as small:
        Client().get(url, {"scope": "community", "period": "all"})
    for _ in range(4):
        community = CommunityFactory()
        _more_volunteers(community, GridFactory(community=community), 2)
    _fresh()
    with django_assert_num_queries(len(small.captured_queries)):
        Client().get(url, {"scope": "community", "period": "all"})


def test_make_street_organizer_sees_every_communitys_activity(street):
    user = make_street_organizer(UserFactory())
    west_activity = ActivityFactory(community=street["west"]["community"])
    assert _client(user).get(reverse("activities:organize_edit", args=[west_activity.pk])).status_code == 200


def test_the_home_pages_list_of_upcoming_activities_follows_the_same_reach(street):
    """A community's home (/c/<slug>/) and a resident's own home page list only what its residents may join, as
    /c/<slug>/activities/ and /activities/ do; a visitor on the street's home sees every activity."""
    east_only = ActivityFactory(community=street["east"]["community"], title="东社区自己的活动")
    open_to_all = ActivityFactory(community=None, title="街道的活动")

    def listed(client, url):
        page = client.get(url).content.decode()
        return {title for title in (east_only.title, open_to_all.title) if title in page}

    assert listed(Client(), "/c/east/") == {east_only.title, open_to_all.title}
    assert listed(Client(), "/c/west/") == {open_to_all.title}
    assert listed(Client(), "/") == {east_only.title, open_to_all.title}
    assert listed(_client(street["west"]["user"]), "/") == {open_to_all.title}
    assert listed(_client(street["east"]["user"]), "/") == {east_only.title, open_to_all.title}
