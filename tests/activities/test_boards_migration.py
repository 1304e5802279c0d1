"""Upgrading to boards by place: existing leaderboard rows get their community, and each community its own rows,
so the boards agree with the ledger without replaying it."""

from __future__ import annotations

import datetime

import pytest

from activities import services
from activities.models import PointsAggregate
from tests.migrations import at_migrations, migrate_to_latest

BEFORE = [("activities", "0008_activity_and_store_place")]


@pytest.fixture
def old_state(transactional_db):
    """The database before 0009, and its models; migrated forward again afterwards in any case."""
    with at_migrations(BEFORE) as apps:
        yield apps


def test_existing_rows_are_placed_in_their_community_and_communities_get_their_rows(old_state):
    old = old_state
    Community, Grid = old.get_model("families", "Community"), old.get_model("families", "Grid")
    Building, Household = old.get_model("families", "Building"), old.get_model("families", "Household")
    Resident, Entry = old.get_model("families", "Resident"), old.get_model("activities", "LedgerEntry")
    Aggregate, Balance = old.get_model("activities", "PointsAggregate"), old.get_model("activities", "PointsBalance")
    day = datetime.date(2026, 11, 5)
    keys = [("month", "2026-11"), ("quarter", "2026-Q4"), ("year", "2026"), ("all", "all")]
    for n, name in enumerate(("东社区", "西社区")):
        community = Community.objects.create(name=name, slug=f"c{n}")
        grid = Grid.objects.create(name=f"{name}网格", community=community)
        building = Building.objects.create(name=f"{name}楼", grid=grid)
        household = Household.objects.create(building=building, door_label="101", join_code=f"CODE{n}")
        person = Resident.objects.create(household=household, full_name="王建国")
        points = 10 * (n + 1)
        Entry.objects.create(
            kind="awarded",
            amount=points,
            source="测试",
            resident=person,
            household=household,
            building=building,
            grid=grid,
            occurred_on=day,
            idempotency_key=f"old-{n}",
        )
        Balance.objects.create(resident=person, balance=points, lifetime_earned=points)
        for scope, scope_id in (("person", person.pk), ("household", household.pk), ("building", building.pk)):
            for kind, key in keys:
                Aggregate.objects.create(
                    scope=scope, scope_id=scope_id, period_kind=kind, period_key=key, points=points
                )
        for kind, key in keys:
            Aggregate.objects.create(scope="grid", scope_id=grid.pk, period_kind=kind, period_key=key, points=points)

    migrate_to_latest()

    communities = PointsAggregate.objects.filter(scope="community", period_kind="all").order_by("points")
    assert [(row.points, row.community_id == row.scope_id) for row in communities] == [(10, True), (20, True)]
    assert not PointsAggregate.objects.filter(community__isnull=True).exists()
    assert services.ledger_differences() == []
