"""Upgrading to the street's tree keeps every row: a database seeded at migration 0009 is migrated forward."""

from __future__ import annotations

import datetime

import pytest

from tests.migrations import migrate, migrate_to_latest

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("families", "0009_register_import_in_tasks")]
AFTER = [("families", "0012_grid_tree_constraints")]


@pytest.fixture(autouse=True)
def _back_to_the_latest_schema():
    """Migrating families back to 0009 unapplies the other apps' migrations that need the street's tree (the
    rounds' and activities' communities): every app goes back to its latest migration afterwards, or the tests
    that run next on this database would find those columns missing."""
    yield
    migrate_to_latest()


def _counts(apps) -> dict[str, int]:
    labels = ["families.Grid", "families.Building", "families.Household", "families.Resident"]
    labels += ["families.GridAssignment", "families.FamilyMotto", "auth.User"]
    return {label: apps.get_model(label)._default_manager.count() for label in labels}


def test_existing_register_moves_into_one_community_with_every_row_kept_and_nobody_losing_access(settings):
    settings.COMMUNITY_NAME = "幸福里社区"
    old = migrate(BEFORE)
    User, Group = old.get_model("auth", "User"), old.get_model("auth", "Group")
    Grid, Building = old.get_model("families", "Grid"), old.get_model("families", "Building")
    Household, Resident = old.get_model("families", "Household"), old.get_model("families", "Resident")
    GridAssignment = old.get_model("families", "GridAssignment")
    group = Group.objects.create(name="organizer")
    committee = User.objects.create(username="committee")
    committee.groups.add(group)
    User.objects.create(username="staff", is_staff=True)
    worker = User.objects.create(username="worker")
    worker.groups.add(group)
    User.objects.create(username="resident")
    grids = [Grid.objects.create(name=f"第{n}网格") for n in range(3)]
    GridAssignment.objects.create(user=worker, grid=grids[0])
    for n, grid in enumerate(grids):
        building = Building.objects.create(name=f"楼{n}", grid=grid)
        household = Household.objects.create(
            building=building, door_label="101", display_name="王家", join_code=f"CODE{n}"
        )
        Resident.objects.create(household=household, full_name="王建国")
    before = _counts(old)

    new = migrate(AFTER)

    assert _counts(new) == before
    Community = new.get_model("families", "Community")
    community = Community.objects.get()
    assert community.name == "幸福里社区"
    grids = new.get_model("families", "Grid").objects.all()
    assert {(g.community_id, g.parent_id, g.level) for g in grids} == {(community.pk, None, 1)}
    households = new.get_model("families", "Household").objects.all()
    assert all(isinstance(h.moved_in_on, datetime.date) and h.moved_out_on is None for h in households)
    places = new.get_model("families", "CommunityAssignment").objects.values_list("user__username", "community")
    # Today's organizers without a grid get the street; the grid worker stays a grid worker; a resident gets nothing.
    assert sorted(places) == [("committee", None), ("staff", None)]
    assert new.get_model("families", "GridAssignment").objects.get().user.username == "worker"
