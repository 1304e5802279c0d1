"""Two grids, a grid worker scoped to grid A, and in grid B one row with the same id (``B``) in every table that a
URL can name, so that any organizer URL, filled with ``B``, points at grid B's person or at a community-wide
object holding them. Used by the scope sweep in ``test_access_sweep.py`` and by the scope tests.

A new model that an organizer URL names needs a row ``B`` here; the sweep says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.utils import timezone

from activities.models import ActivityType, CorrectionRequest, LedgerEntry, Redemption, ServiceRecord, Signup
from activities.services import award_points, record_entry
from awards.models import (
    AwardCategory,
    Honour,
    Nomination,
    NominationStatus,
    Objection,
    RoundCategory,
    TargetKind,
    VoteUnit,
)
from families.models import (
    CommunityAssignment,
    FamilyMotto,
    GridAssignment,
    MottoRevision,
    RegisterImport,
    Resident,
)
from project.access import make_organizer
from project.models import AuditEntry
from tests.activities.factories import ActivityFactory, StoreItemFactory
from tests.awards.factories import make_round
from tests.factories import (
    BuildingFactory,
    CommunityFactory,
    GridFactory,
    HouseholdFactory,
    ResidentFactory,
    UserFactory,
    make_street_organizer,
)

B = 9001
B_NAME = "乙格林秀英"
B_PHONE = "+8613900009001"
B_DOOR = "九单元901室"
B_WALK_IN_PHONE = "+8613900009002"


@dataclass
class GridWorld:
    worker: object  # an organizer scoped to grid A
    community_organizer: object  # an organizer of grid A's community (grid B is in another community)
    committee: object  # an organizer who sees the whole register
    a_person: Resident
    b_person: Resident
    pickup_code: str
    certificate_number: str

    @property
    def secrets(self) -> list[str]:
        """What no page may show the grid worker: grid B's person's name, phone (both forms) and door."""
        return [B_NAME, B_PHONE, B_PHONE.removeprefix("+86"), B_DOOR, B_WALK_IN_PHONE.removeprefix("+86")]


def build_grid_world() -> GridWorld:
    now = timezone.now()
    # Grid B is in another community than grid A, so a community organizer of A's community must not see it.
    grid_a = GridFactory(name="甲网格")
    grid_b = GridFactory(pk=B, name="乙网格", community=CommunityFactory(pk=B, name="乙社区", slug="b"))
    community_organizer = UserFactory(username="community_a")
    make_organizer(user=community_organizer)
    CommunityAssignment.objects.create(user=community_organizer, community=grid_a.community)
    worker = UserFactory(username="worker_a")
    make_organizer(user=worker)
    GridAssignment.objects.create(user=worker, grid=grid_a)
    b_worker = UserFactory(username="worker_b")
    make_organizer(user=b_worker)
    GridAssignment.objects.create(pk=B, user=b_worker, grid=grid_b)
    committee = UserFactory(username="committee")
    make_street_organizer(committee)

    a_household = HouseholdFactory(building=BuildingFactory(grid=grid_a, name="甲楼"), door_label="1单元101")
    a_person = ResidentFactory(household=a_household, full_name="甲格王建国", phone="+8613800001111")
    building = BuildingFactory(pk=B, grid=grid_b, name="乙楼")
    household = HouseholdFactory(pk=B, building=building, door_label=B_DOOR, display_name="林家", head_name=B_NAME)
    b_user = UserFactory(username="b_person")
    b_person = ResidentFactory(pk=B, household=household, full_name=B_NAME, phone=B_PHONE, user=b_user)
    ResidentFactory(household=household, full_name="乙格林小妹", phone=B_WALK_IN_PHONE)
    ResidentFactory(
        household=household, full_name="乙格待审人", phone="", user=UserFactory(), status=Resident.Status.PENDING
    )

    motto = FamilyMotto.objects.create(pk=B, household=household)
    # (bulk_create: the revision's own save() keeps its history append-only and refuses a chosen id.)
    MottoRevision.objects.bulk_create(
        [MottoRevision(pk=B, motto=motto, text="家和万事兴", author=b_user, author_name=B_NAME)]
    )
    RegisterImport.objects.create(pk=B, uploaded_by=b_worker, filename="乙网格.csv", status="previewed")

    # A finished activity of grid B's community (belongs to no grid) whose only volunteer lives in grid B, hours
    # not yet confirmed.
    activity = ActivityFactory(
        pk=B,
        type=ActivityType.objects.create(pk=B, name="乙格助老类"),
        starts_in=-timedelta(days=1),
        title="乙格助老",
        community=grid_b.community,
    )
    signup = Signup.objects.create(
        pk=B,
        activity=activity,
        resident=b_person,
        attendance=Signup.Attendance.PRESENT,
        checked_in_at=activity.starts_at,
        checked_out_at=activity.ends_at,
    )
    CorrectionRequest.objects.create(pk=B, signup=signup, requested_half_hours=6, reason="我待到了最后")
    award_points(resident=b_person, amount=500, reason="助老积分", actor=b_worker)
    item = StoreItemFactory(pk=B, name="乙格毛巾", price=50, stock=5, community=grid_b.community)
    # What services.redeem writes, with grid B's id.
    redemption = Redemption.objects.create(pk=B, item=item, resident=b_person, price=50)
    record_entry(
        resident=b_person,
        kind=LedgerEntry.Kind.REDEEMED,
        amount=-50,
        source="积分超市：乙格毛巾",
        source_object=redemption,
        idempotency_key=f"store:redemption:{B}",
        counts_for_ranking=False,
    )

    round = make_round("reviewing", pk=B)
    category = AwardCategory.objects.create(pk=B, name="乙格好人", target_kind=TargetKind.PERSON, criteria="热心助人")
    entry = RoundCategory.objects.create(
        pk=B, round=round, category=category, winners=2, votes_per_voter=2, vote_unit=VoteUnit.RESIDENT
    )
    nominator = ResidentFactory(household=household, full_name="乙格提名人")
    nomination = Nomination.objects.create(
        pk=B,
        round=round,
        entry=entry,
        target_kind=TargetKind.PERSON,
        building=building,
        household=household,
        resident=b_person,
        nominator=nominator,
        citation="多年来照顾独居老人。",
        status=NominationStatus.SUBMITTED,
    )
    Objection.objects.create(pk=B, round=round, nomination=nomination, resident=b_person, text="我有异议")
    # Grid B's person nominated grid A's: the worker reviews it, without learning who nominated.
    Nomination.objects.create(
        round=round,
        entry=entry,
        target_kind=TargetKind.PERSON,
        building=a_household.building,
        household=a_household,
        resident=a_person,
        nominator=b_person,
        citation="热心肠，常帮邻居。",
        status=NominationStatus.SUBMITTED,
    )
    honour = Honour.objects.create(
        pk=B,
        category=entry.category,
        year=2026,
        title=round.title,
        target_kind=TargetKind.PERSON,
        building=building,
        household=household,
        resident=b_person,
        citation="多年来照顾独居老人。",
        certificate_number="RY2026-09001",
        published_at=now,
        round=round,
    )
    # A volunteer service record issued for grid B's person (what services.issue_service_record writes).
    ServiceRecord.objects.create(
        pk=B,
        number="FW2026-009001",
        resident=b_person,
        period_start=date(2026, 1, 1),
        period_end=date(2026, 1, 31),
        half_hours=6,
        lines=[{"date": "2026-01-10", "title": "乙格助老", "half_hours": 6}],
        issuer="乙格居民委员会",
        issued_by=b_worker,
    )
    # Lines of the audit log that name grid B's person (the grid's own worker edited her).
    AuditEntry.objects.log(actor=b_worker, action="member.changed", target=b_person, details={"changes": {}})
    AuditEntry.objects.log(actor=b_worker, action="household.changed", target=household)
    return GridWorld(
        worker=worker,
        community_organizer=community_organizer,
        committee=committee,
        a_person=a_person,
        b_person=b_person,
        pickup_code=redemption.pickup_code,
        certificate_number=honour.certificate_number,
    )
