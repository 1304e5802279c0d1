"""A small street for the report workbooks: community 甲 (a first-level grid divided into 甲一/甲二, and a plain
grid 甲三) and community 乙 (one grid), with hours, activities, households, rounds and points in November 2026
(the period the tests ask for) and some just outside it, which no November sheet may count."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import count

from django.utils import timezone

from activities.models import LedgerEntry, Signup
from activities.services import record_entry
from awards.models import NominationStatus
from tests.activities.factories import ActivityFactory
from tests.awards.factories import make_entry, make_nomination, make_round
from tests.factories import BuildingFactory, CommunityFactory, GridFactory, HouseholdFactory, ResidentFactory

_keys = count(1)
BEFORE = timezone.make_aware(datetime(2026, 9, 1, 9))


def at(day: int, month: int = 11, hour: int = 10):
    return timezone.make_aware(datetime(2026, month, day, hour))


def entry(resident, kind, amount, *, day, month=11, half_hours=0, ranked=True):
    return record_entry(
        resident=resident,
        kind=kind,
        amount=amount,
        half_hours=half_hours,
        idempotency_key=f"report-{next(_keys)}",
        source="测试",
        occurred_on=date(2026, month, day),
        counts_for_ranking=ranked,
    )


def resident_in(grid, **kwargs):
    household = HouseholdFactory(building=BuildingFactory(grid=grid), moved_in_on=date(2020, 1, 1))
    return ResidentFactory(household=household, verified_at=BEFORE, **kwargs)


@dataclass
class World:
    a: object
    b: object
    first: object  # 甲's first-level grid, divided
    a1: object
    a2: object
    a3: object
    b1: object
    ra1: object
    ra2: object
    ra3: object
    rb: object


def make_world() -> World:
    a = CommunityFactory(name="甲社区", slug="jia", sort_order=1)
    b = CommunityFactory(name="乙社区", slug="yi", sort_order=2)
    first = GridFactory(community=a, name="甲一级")
    a1 = GridFactory(community=a, parent=first, level=2, name="甲一", sort_order=1)
    a2 = GridFactory(community=a, parent=first, level=2, name="甲二", sort_order=2)
    a3 = GridFactory(community=a, name="甲三", sort_order=3)
    b1 = GridFactory(community=b, name="乙一")
    ra1, ra2, ra3, rb = resident_in(a1), resident_in(a2), resident_in(a3), resident_in(b1)
    ResidentFactory(household=ra3.household, verified_at=at(5, 12))  # verified after November: not counted
    ResidentFactory(household=ra3.household, verified_at=BEFORE, status="pending")  # never verified

    # Hours and points (ledger). November: ra1 2 h + 1 h, ra2 3 h, rb 4 h; October: ra1 5 h (not counted).
    entry(ra1, LedgerEntry.Kind.EARNED, 20, half_hours=4, day=3)
    entry(ra1, LedgerEntry.Kind.EARNED, 10, half_hours=2, day=20)
    entry(ra2, LedgerEntry.Kind.EARNED, 30, half_hours=6, day=30)
    entry(rb, LedgerEntry.Kind.EARNED, 40, half_hours=8, day=1)
    entry(ra1, LedgerEntry.Kind.EARNED, 50, half_hours=10, day=31, month=10)
    entry(ra2, LedgerEntry.Kind.AWARDED, 15, day=12)
    entry(ra1, LedgerEntry.Kind.REDEEMED, -25, day=21, ranked=False)
    entry(rb, LedgerEntry.Kind.REDEEMED, -5, day=2, month=12, ranked=False)

    # Activities: 甲 hosted two in November (one called off) and one in October; the street hosted one.
    held = ActivityFactory(community=a, title="甲楼道清理", starts_at=at(8), ends_at=at(8, hour=12))
    Signup.objects.create(activity=held, resident=ra1, attendance="present", confirmed_half_hours=4)
    Signup.objects.create(activity=held, resident=ra2, attendance="present", confirmed_half_hours=6)
    Signup.objects.create(activity=held, resident=ra3, attendance="no_show")
    held.confirmed_count = 3
    held.save(update_fields=["confirmed_count"])
    ActivityFactory(community=a, title="取消的活动", starts_at=at(9), ends_at=at(9, hour=12), cancelled_at=at(1))
    ActivityFactory(community=a, title="十月活动", starts_at=at(9, month=10), ends_at=at(9, month=10, hour=12))
    street = ActivityFactory(community=None, title="街道义诊", starts_at=at(15), ends_at=at(15, hour=12))
    Signup.objects.create(activity=street, resident=rb, attendance="present", confirmed_half_hours=8)
    street.confirmed_count = 1
    street.save(update_fields=["confirmed_count"])

    # Households: into 甲二 on 11-02, out of 甲一 on 11-25, out of 乙一 in October.
    HouseholdFactory(building=ra2.household.building, moved_in_on=date(2026, 11, 2))
    HouseholdFactory(building=ra1.household.building, moved_in_on=date(2019, 1, 1), moved_out_on=date(2026, 11, 25))
    HouseholdFactory(building=rb.household.building, moved_in_on=date(2019, 1, 1), moved_out_on=date(2026, 10, 5))

    # Rounds: 甲's round published on 11-12 (ra1 won), the street's on 11-20 (ra2 won, rb did not), 乙's in December.
    published = {"published_at": at(12), "results_confirmed_at": at(11)}
    ours = make_entry(make_round("published", community=a, title="甲社区好人", **published), name="好邻居")
    make_nomination(ours, target=ra1, is_winner=True)
    make_nomination(ours, target=ra2, status=NominationStatus.WITHDRAWN)
    street_round = make_round("published", community=None, title="十佳身边好人", published_at=at(20))
    streets = make_entry(street_round, name="街道好人")
    make_nomination(streets, target=ra2, is_winner=True)
    make_nomination(streets, target=rb)
    later = make_entry(make_round("published", community=b, title="乙社区好人", published_at=at(2, 12)))
    make_nomination(later, target=rb, is_winner=True)
    return World(a, b, first, a1, a2, a3, b1, ra1, ra2, ra3, rb)


def sheet_rows(workbook, title: str) -> list[list]:
    return [list(row) for row in workbook[title].iter_rows(values_only=True)]


ONE_DAY = timedelta(days=1)
