"""Organizers by place on the street's tree: who sees what, who assigns whom, where buildings go, moving out."""

from __future__ import annotations

import datetime

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.utils import timezone

from activities.models import LedgerEntry
from activities.services import award_points
from families.access import organizer_grid_ids, verified_membership
from families.models import Building, CommunityAssignment, Grid, GridAssignment, Household, Resident
from families.services import (
    JoinError,
    RegisterError,
    join_household,
    move_out_household,
    save_building,
    save_grid,
    set_community_assignments,
    set_grid_assignments,
)
from project.access import make_organizer
from project.models import AuditEntry
from tests.factories import (
    BuildingFactory,
    CommunityFactory,
    GridFactory,
    HouseholdFactory,
    UserFactory,
    make_grid_worker,
    make_street_organizer,
    verified_user,
)
from tests.tokens import token

pytestmark = pytest.mark.django_db


@pytest.fixture
def street():
    """Two communities: 东 with two levels (一网格 holding 一网格甲 and 一网格乙), 西 with one level."""
    east, west = CommunityFactory(name="东社区"), CommunityFactory(name="西社区")
    first = GridFactory(community=east, name="一网格")
    sub_a = GridFactory(community=east, parent=first, level=Grid.SECOND, name="一网格甲")
    sub_b = GridFactory(community=east, parent=first, level=Grid.SECOND, name="一网格乙")
    west_grid = GridFactory(community=west, name="西一网格")
    homes = {
        grid.name: HouseholdFactory(building=BuildingFactory(grid=grid), display_name=f"{grid.name}家")
        for grid in (sub_a, sub_b, west_grid)
    }
    return {
        "east": east,
        "west": west,
        "first": first,
        "sub_a": sub_a,
        "sub_b": sub_b,
        "west_grid": west_grid,
        "homes": homes,
    }


def _organizer(username):
    user = UserFactory(username=username)
    make_organizer(user=user)
    return user


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _register_page(user) -> str:
    return _client(user).get("/organize/register/").content.decode()


def test_a_community_organizer_sees_their_community_and_nothing_of_another(street):
    east_organizer = _organizer("east")
    CommunityAssignment.objects.create(user=east_organizer, community=street["east"])
    page = _register_page(east_organizer)
    assert "一网格甲家" in page and "一网格乙家" in page and "西一网格家" not in page
    west_home = street["homes"]["西一网格"]
    assert _client(east_organizer).get(f"/organize/register/households/{west_home.pk}/").status_code == 404
    assert organizer_grid_ids(east_organizer) == {street["first"].pk, street["sub_a"].pk, street["sub_b"].pk}


def test_a_first_level_grid_worker_sees_its_second_level_grids_and_a_second_level_worker_only_theirs(street):
    first_worker = make_grid_worker(_organizer("first"), street["first"])
    sub_worker = make_grid_worker(_organizer("sub"), street["sub_a"])
    page = _register_page(first_worker)
    assert "一网格甲家" in page and "一网格乙家" in page and "西一网格家" not in page
    page = _register_page(sub_worker)
    assert "一网格甲家" in page and "一网格乙家" not in page
    other = street["homes"]["一网格乙"]
    assert _client(sub_worker).get(f"/organize/register/households/{other.pk}/").status_code == 404


def test_an_organizer_with_no_place_sees_nothing_but_a_page_saying_so(street):
    nobody = make_grid_worker(_organizer("nobody"))
    for path in ("/organize/", "/organize/register/", "/organize/register/grids/", "/organize/volunteers/"):
        response = _client(nobody).get(path)
        assert response.status_code == 403, path
        body = response.content.decode()
        assert "尚未分配" in body or "No place assigned yet" in body
        assert "一网格甲家" not in body


def test_a_street_organizer_sees_everything(street):
    page = _register_page(make_street_organizer(UserFactory(username="street")))
    assert "一网格甲家" in page and "西一网格家" in page


def test_only_street_organizers_assign_community_organizers_and_nobody_their_own_place(street):
    boss = make_street_organizer(UserFactory(username="boss"))
    east_organizer = _organizer("east")
    set_community_assignments(community=street["east"], users=[east_organizer], actor=boss)
    assert organizer_grid_ids(east_organizer) is not None
    # A community organizer may not make themselves (or anyone) a community organizer, page or service.
    with pytest.raises(RegisterError):
        set_community_assignments(community=street["west"], users=[east_organizer], actor=east_organizer)
    response = _client(east_organizer).post(
        f"/organize/register/communities/{street['west'].pk}/", {"name": "西社区", "slug": "w", "organizers": []}
    )
    assert response.status_code == 403
    # Nobody adds or removes themselves, not even a street organizer.
    with pytest.raises(RegisterError):
        set_community_assignments(community=street["east"], users=[boss], actor=boss)
    assert list(
        CommunityAssignment.objects.filter(community=street["east"]).values_list("user__username", flat=True)
    ) == ["east"]
    assert AuditEntry.objects.filter(action="community.assignments_changed").count() == 1


def test_community_organizers_assign_grid_workers_in_their_communities_only(street):
    east_organizer = _organizer("east")
    CommunityAssignment.objects.create(user=east_organizer, community=street["east"])
    worker = _organizer("worker")
    set_grid_assignments(grid=street["sub_a"], users=[worker], actor=east_organizer)
    assert organizer_grid_ids(worker) == {street["sub_a"].pk}
    with pytest.raises(RegisterError):
        set_grid_assignments(grid=street["west_grid"], users=[worker], actor=east_organizer)
    with pytest.raises(RegisterError):  # their own place
        set_grid_assignments(grid=street["sub_b"], users=[east_organizer], actor=east_organizer)
    # A grid worker assigns nobody: the page leaves the field out and another community's grid is not found.
    client = _client(worker)
    page = client.get(f"/organize/register/grids/{street['sub_a'].pk}/").content.decode()
    assert 'name="organizers"' not in page
    assert client.get(f"/organize/register/grids/{street['west_grid'].pk}/").status_code == 404
    assert GridAssignment.objects.filter(user=worker).count() == 1


def test_the_tree_refuses_a_third_level_a_divided_grid_with_buildings_and_buildings_in_a_divided_grid(street):
    boss = make_street_organizer(UserFactory(username="boss"))
    with pytest.raises(RegisterError):  # a third level
        save_grid(grid=Grid(community=street["east"], parent=street["sub_a"], name="三级"), actor=boss)
    with pytest.raises(RegisterError):  # 西一网格 holds a building: it cannot be divided
        save_grid(grid=Grid(community=street["west"], parent=street["west_grid"], name="西一甲"), actor=boss)
    with pytest.raises(RegisterError):  # 一网格 is divided: buildings go in its second-level grids
        save_building(building=Building(grid=street["first"], name="新楼"), actor=boss)
    # A second-level grid lands in its parent's community, whatever was asked.
    save_grid(grid=Grid(community=street["west"], parent=street["first"], name="一网格丙"), actor=boss)
    made = Grid.objects.get(name="一网格丙")
    assert (made.community, made.level) == (street["east"], Grid.SECOND)
    # The database says no too: a second-level grid has a parent, names are unique within their parent.
    with pytest.raises(IntegrityError), transaction.atomic():
        Grid.objects.create(community=street["east"], level=Grid.SECOND, name="无父")
    with pytest.raises(IntegrityError), transaction.atomic():
        Grid.objects.create(community=street["east"], parent=street["first"], level=Grid.SECOND, name="一网格甲")


def test_a_community_organizer_cannot_put_a_grid_in_another_community_through_the_page(street):
    east_organizer = _organizer("east")
    CommunityAssignment.objects.create(user=east_organizer, community=street["east"])
    client = _client(east_organizer)
    data = {"community": street["west"].pk, "name": "偷来的网格", "worker_name": "", "sort_order": 0}
    client.post("/organize/register/grids/new/", data | token(east_organizer, "families.grid_new"))
    assert not Grid.objects.filter(name="偷来的网格").exists()
    data = {"community": street["east"].pk, "parent": street["first"].pk, "name": "一网格丁", "sort_order": 0}
    client.post("/organize/register/grids/new/", data | token(east_organizer, "families.grid_new"))
    assert Grid.objects.get(name="一网格丁").parent == street["first"]


def test_moving_out_keeps_history_frees_the_door_and_ends_membership(street, organizer):
    home = street["homes"]["一网格甲"]
    member = verified_user(home, username="member")
    person = member.residencies.get()
    award_points(resident=person, amount=30, reason="助老", actor=organizer)
    old_code = home.join_code
    client = _client(organizer)
    today = timezone.localdate()
    response = client.post(
        f"/organize/register/households/{home.pk}/", {"form": "move_out", "moved_out_on": today.isoformat()}
    )
    assert response.status_code == 302
    home.refresh_from_db()
    person.refresh_from_db()
    assert home.moved_out_on == today and home.join_code != old_code
    assert (
        person.status == Resident.Status.REMOVED
        and verified_membership(UserFactory._meta.model.objects.get(pk=member.pk)) is None
    )
    assert LedgerEntry.objects.filter(resident=person).count() == 1  # history still points at the person
    assert "已迁出" in _register_page(organizer)  # kept in the register, marked
    assert AuditEntry.objects.filter(action="household.moved_out", target_id=str(home.pk)).exists()
    # The door is free for the next household; the old slip's code finds nothing.
    HouseholdFactory(building=home.building, door_label=home.door_label)
    with pytest.raises(JoinError):
        join_household(user=UserFactory(), code=old_code, full_name="王建国")
    assert Household.objects.current().filter(building=home.building).count() == 1
    # The member's account is free to belong to its new home (one live membership per account).
    Resident.objects.create(household=street["homes"]["一网格乙"], user=member, full_name="王建国")


def test_a_move_out_in_the_future_or_twice_is_refused_and_changes_nothing(street, organizer):
    home = street["homes"]["西一网格"]
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    with pytest.raises(RegisterError):
        move_out_household(household=home, actor=organizer, moved_out_on=tomorrow)
    with pytest.raises(RegisterError):
        move_out_household(household=home, actor=organizer, moved_out_on=home.moved_in_on - datetime.timedelta(days=1))
    home.refresh_from_db()
    assert home.moved_out_on is None
    move_out_household(household=home, actor=organizer, moved_out_on=timezone.localdate())
    with pytest.raises(RegisterError):
        move_out_household(household=home, actor=organizer, moved_out_on=timezone.localdate())
    response = _client(organizer).post(
        f"/organize/register/households/{home.pk}/", {"form": "move_out", "moved_out_on": "not a date"}
    )
    assert response.status_code == 200


@pytest.mark.parametrize("path", ["/organize/register/communities/", "/organize/register/grids/"])
def test_the_tree_pages_keep_their_query_count_as_the_street_grows(organizer_client, django_assert_num_queries, path):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def add(n):
        for _ in range(n):
            community = CommunityFactory()
            first = GridFactory(community=community)
            GridFactory(community=community, parent=first, level=Grid.SECOND)
            CommunityAssignment.objects.create(user=UserFactory(), community=community)
            GridAssignment.objects.create(user=UserFactory(), grid=first)

    add(1)
    with CaptureQueriesContext(connection) as captured:
        assert organizer_client.get(path).status_code == 200
    add(6)
    with django_assert_num_queries(len(captured)):
        organizer_client.get(path)


def _register_file(rows, headers):
    from tests.families.helpers import csv_bytes

    return csv_bytes(rows, headers=headers)


HEADERS_TREE = ["社区", "一级网格", "二级网格", "楼院", "门牌", "家庭名称", "户主", "姓名", "电话"]


def test_an_import_names_community_and_both_grid_levels_and_an_export_reimports_unchanged(street, organizer):
    from families.register_io import apply_plan, check_register
    from tests.families.helpers import csv_bytes

    rows = [
        ["东社区", "一网格", "一网格甲", "东1楼", "101", "赵家", "赵一", "赵一", ""],
        ["东社区", "一网格", "一网格丙", "东2楼", "102", "钱家", "钱二", "钱二", ""],  # a new second-level grid
        ["西社区", "西二网格", "", "西2楼", "201", "孙家", "孙三", "孙三", ""],  # a new first-level grid
    ]
    plan = check_register(_register_file(rows, HEADERS_TREE), "街道.csv")
    assert plan.ok, plan.errors
    with transaction.atomic():
        apply_plan(plan)
    assert Building.objects.get(name="东1楼").grid == street["sub_a"]
    made = Building.objects.get(name="东2楼").grid
    assert (made.name, made.parent, made.community) == ("一网格丙", street["first"], street["east"])
    assert Building.objects.get(name="西2楼").grid.community == street["west"]
    # The export carries the same columns, and reading it back changes nothing.
    body = b"".join(_client(organizer).get("/organize/register/export.csv").streaming_content)
    assert body.decode("utf-8-sig").splitlines()[0].split(",")[:3] == ["社区", "一级网格", "二级网格"]
    again = check_register(body, "export.csv")
    assert again.ok, again.errors
    summary = apply_plan(again, dry_run=True)
    assert summary == dict.fromkeys(summary, 0)
    # One column, as files written before the street had levels: "网格" naming the second-level grid finds it.
    one_column = check_register(csv_bytes([["一网格甲", "东1楼", "101", "赵家", "赵一", "赵一", ""]]), "旧.csv")
    assert one_column.ok, one_column.errors


def test_an_import_is_refused_where_the_tree_or_the_importers_place_says_no(street):
    from families.register_io import check_register

    rows = [
        ["北社区", "北网格", "", "北1楼", "1", "周家", "周一", "周一", ""],  # no such community
        ["东社区", "一网格", "", "东3楼", "2", "吴家", "吴二", "吴二", ""],  # a divided grid takes no building
        ["西社区", "西一网格", "西一甲", "西3楼", "3", "郑家", "郑三", "郑三", ""],  # holds buildings: not divided
    ]
    plan = check_register(_register_file(rows, HEADERS_TREE), "坏.csv")
    assert [row for row, _message in plan.errors] == [2, 3, 4]
    # A community organizer's file may name only their community's grids.
    east_organizer = _organizer("east")
    CommunityAssignment.objects.create(user=east_organizer, community=street["east"])
    rows = [["西社区", "西一网格", "", "西4楼", "4", "王家", "王四", "王四", ""]]
    plan = check_register(_register_file(rows, HEADERS_TREE), "越界.csv", grid_ids=organizer_grid_ids(east_organizer))
    assert not plan.ok
