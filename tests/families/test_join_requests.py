"""Join requests: the organizer's queue, approving (linking to the register person) or turning down, the
notices that follow, and the dashboard's count and flag for unusual joins."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from families.access import verified_membership
from families.models import GridAssignment, Household, Resident
from families.services import JoinError, join_household
from project.access import make_organizer
from project.models import AuditEntry, Notice
from tests.factories import GridFactory, HouseholdFactory, ResidentFactory, UserFactory
from tests.project.test_access_sweep import row_counts

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _listed(household, name="林秀英", phone="+8613812345678"):
    return ResidentFactory(household=household, full_name=name, phone=phone, user=None)


def _queue(household, name, username=None):
    """An account that entered the household's code with ``name`` and now waits."""
    user = UserFactory(username=username) if username else UserFactory()
    request = join_household(user=user, code=household.join_code, full_name=name)
    assert request.status == "pending"
    return user, request


def _act(organizer_client, person, action):
    return organizer_client.post(
        f"/organize/register/residents/{person.pk}/action/",
        {"action": action, "next": "/organize/register/waiting/"},
        follow=True,
    )


# --- Approving ------------------------------------------------------------------------------------------


def test_approving_a_request_that_names_a_register_person_links_to_them(organizer_client, household):
    listed = _listed(household)
    user, request = _queue(household, "林 秀英")
    rows_before = Resident.objects.count()
    response = _act(organizer_client, request, "approve")
    assert "林秀英 已成为认证成员" in response.content.decode()
    listed.refresh_from_db()
    request.refresh_from_db()
    assert verified_membership(user) == listed and listed.full_name == "林秀英" and listed.phone == "+8613812345678"
    assert request.status == "removed"
    assert Resident.objects.count() == rows_before  # no second row for one person
    entry = AuditEntry.objects.get(action="member.approved")
    assert entry.target_id == str(listed.pk) and entry.details == {"request": request.pk}


def test_approving_a_new_member_makes_the_request_the_member(organizer_client, household):
    user, request = _queue(household, "王小明")
    _act(organizer_client, request, "approve")
    assert verified_membership(user) == request


def test_an_approval_tells_the_household_and_the_person_asking(organizer_client, household, resident, housemate):
    user, request = _queue(household, "王小明")
    _act(organizer_client, request, "approve")
    told = set(Notice.objects.filter(kind="household_joined").values_list("user__username", flat=True))
    assert told == {"resident", "housemate"}
    assert Notice.objects.get(kind="join_approved").user == user
    page = _client(user).get("/notices/").content.decode()
    assert "您已成为认证成员" in page and household.building.name in page


def test_approving_a_request_whose_person_was_claimed_meanwhile_is_refused(organizer_client, household):
    listed = _listed(household)
    user, request = _queue(household, "林秀英")
    Resident.objects.filter(pk=listed.pk).update(user=UserFactory(username="quicker"))
    before = row_counts()
    response = _act(organizer_client, request, "approve")
    assert "已不能关联" in response.content.decode()
    request.refresh_from_db()
    assert request.status == "pending" and verified_membership(user) is None
    assert row_counts() == before and not Notice.objects.exists()


def test_a_request_cannot_be_approved_twice(organizer_client, household):
    user, request = _queue(household, "王小明")
    _act(organizer_client, request, "approve")
    response = _act(organizer_client, request, "approve")
    assert "此成员已不在待审核状态" in response.content.decode()
    assert Notice.objects.filter(kind="join_approved").count() == 1


# --- Turning down ---------------------------------------------------------------------------------------


def test_the_organizer_turns_down_a_request_and_the_person_is_told(organizer_client, household, resident):
    user, request = _queue(household, "张三")
    response = _act(organizer_client, request, "reject")
    assert "已驳回张三的申请" in response.content.decode()
    request.refresh_from_db()
    assert request.status == "removed" and verified_membership(user) is None
    notice = Notice.objects.get()
    assert notice.user == user and notice.kind == "join_rejected"
    assert household.display_name not in notice.text  # the person asking may not live there: the building only
    assert AuditEntry.objects.filter(action="member.rejected").exists()


def test_turning_down_applies_to_requests_only(organizer_client, household):
    listed = ResidentFactory(household=household, user=None, status="pending")
    _act(organizer_client, listed, "reject")
    listed.refresh_from_db()
    assert listed.status == "pending"


# --- The queue page ---------------------------------------------------------------------------------------


def test_the_queue_shows_what_matched_and_how_the_request_came(organizer_client, newcomer_client, household):
    _listed(household)
    _queue(household, "林秀英", username="withcode")
    _queue(household, "王小明", username="madeup")
    newcomer_client.post(
        "/join/",
        {
            "form": "request",
            "ask-building": household.building_id,
            "ask-door": household.door_label,
            "ask-full_name": "赵新来",
        },
    )
    page = organizer_client.get("/organize/register/waiting/").content.decode()
    assert "与台账人员林秀英相符" in page and "台账电话：13812345678" in page
    assert page.count("新成员：台账中无相符人员") == 2
    assert page.count("凭该户入户码申请") == 2 and page.count("无入户码条申请") == 1
    assert "通过，关联为林秀英" in page and "驳回" in page
    english = organizer_client.get("/organize/register/waiting/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Matches register person 林秀英" in english and "New member: matches nobody in the register" in english


def test_the_queue_keeps_its_query_count(organizer_client, django_assert_num_queries):
    def add(n):
        for index in range(n):
            household = HouseholdFactory()
            _listed(household, name=f"甲{index}")
            _queue(household, f"甲{index}")
            _queue(household, f"乙{index}")

    add(2)
    with CaptureQueriesContext(connection) as captured:
        organizer_client.get("/organize/register/waiting/")
    small = len(captured)
    add(8)
    with django_assert_num_queries(small):
        organizer_client.get("/organize/register/waiting/")


def test_a_grid_worker_sees_only_their_grids_requests(household):
    worker = UserFactory(username="gridworker")
    make_organizer(user=worker)
    GridAssignment.objects.create(user=worker, grid=GridFactory())
    _queue(household, "王小明")
    page = _client(worker).get("/organize/register/waiting/").content.decode()
    assert "王小明" not in page


# --- The dashboard -------------------------------------------------------------------------------------------


def test_the_dashboard_counts_requests_and_flags_a_household_several_accounts_joined(organizer_client, household):
    _queue(household, "张三")
    _queue(household, "李四")
    page = organizer_client.get("/organize/").content.decode()
    assert '<span class="badge warn">2</span> <a href="/organize/register/waiting/">条入户申请待审核' in page
    assert "过去24小时内的异常入户" in page
    assert f'href="/organize/register/households/{household.pk}/"' in page and "2个账号" in page


def test_one_account_joining_is_not_unusual(organizer_client, household):
    _listed(household, phone="")
    join_household(user=UserFactory(), code=household.join_code, full_name="林秀英")
    page = organizer_client.get("/organize/").content.decode()
    assert "异常入户" not in page


def test_a_link_and_a_request_in_one_day_are_flagged(organizer_client, household):
    _listed(household, phone="")
    join_household(user=UserFactory(), code=household.join_code, full_name="林秀英")
    _queue(household, "张三")
    flagged = list(Household.objects.with_unusual_joins(since=timezone.now() - timedelta(hours=24)))
    assert [(h.pk, h.recent_accounts) for h in flagged] == [(household.pk, 2)]


def test_a_request_and_its_approval_count_as_one_account(organizer_client, household):
    _listed(household)
    user, request = _queue(household, "林秀英")
    _act(organizer_client, request, "approve")
    assert not Household.objects.with_unusual_joins(since=timezone.now() - timedelta(hours=24)).exists()


def test_joins_older_than_a_day_are_not_flagged(household):
    _queue(household, "张三")
    _queue(household, "李四")
    Resident.objects.filter(source="request").update(created_at=timezone.now() - timedelta(hours=25))
    assert not Household.objects.with_unusual_joins(since=timezone.now() - timedelta(hours=24)).exists()


def test_a_grid_worker_sees_flags_only_for_their_grids(household):
    worker = UserFactory(username="gridworker")
    make_organizer(user=worker)
    GridAssignment.objects.create(user=worker, grid=GridFactory())
    _queue(household, "张三")
    _queue(household, "李四")
    assert "异常入户" not in _client(worker).get("/organize/").content.decode()


def test_the_dashboard_keeps_its_query_count_as_flags_grow(organizer_client, django_assert_num_queries):
    def add(n):
        for _ in range(n):
            household = HouseholdFactory()
            _queue(household, "张三")
            _queue(household, "李四")

    add(1)
    with CaptureQueriesContext(connection) as captured:
        organizer_client.get("/organize/")
    small = len(captured)
    add(9)
    with django_assert_num_queries(small):
        page = organizer_client.get("/organize/").content.decode()
    assert page.count("2个账号") == 10


# --- Races (PostgreSQL) -----------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres_only
def test_two_accounts_claiming_one_listed_person_at_once_link_one(postgres):
    household = HouseholdFactory()
    listed = _listed(household, phone="")
    users = [UserFactory() for _ in range(8)]
    barrier = threading.Barrier(len(users))
    outcomes = []

    def claim(user):
        try:
            barrier.wait()
            outcomes.append(join_household(user=user, code=household.join_code, full_name="林秀英").status)
        except JoinError as error:
            outcomes.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=claim, args=(user,)) for user in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    listed.refresh_from_db()
    assert sorted(outcomes) == ["pending"] * 7 + ["verified"]
    assert listed.user in users
    assert Resident.objects.verified().filter(user__in=users).count() == 1


# --- Existing rows get an origin ---------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_existing_rows_are_classified_by_what_the_database_remembers():
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    before = [("families", "0003_one_pending_motto_revision")]
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    User = old.get_model("auth", "User")
    OldResident = old.get_model("families", "Resident")
    Audit = old.get_model("families", "AuditEntry")
    grid = old.get_model("families", "Grid").objects.create(name="老网格")
    building = old.get_model("families", "Building").objects.create(name="老楼", grid=grid)
    household = old.get_model("families", "Household").objects.create(
        building=building, door_label="1单元101", display_name="林家", join_code="OLDCODE2"
    )
    long_ago = timezone.now() - timedelta(days=30)

    def person(name, **values):
        return OldResident.objects.create(household=household, full_name=name, **values)

    def audit(action, row, when=None):
        entry = Audit.objects.create(action=action, target_type="families.resident", target_id=str(row.pk))
        Audit.objects.filter(pk=entry.pk).update(created_at=when or row.created_at)

    imported = person("林秀英", status="verified")
    added = person("林建国", status="verified")
    audit("member.added_by_organizer", added)
    claimed = person("林一", status="verified", user=User.objects.create(username="claimer"))
    OldResident.objects.filter(pk=claimed.pk).update(created_at=long_ago)
    audit("household.joined_by_code", claimed, when=timezone.now())
    made_by_code = person("路人甲", status="verified", user=User.objects.create(username="coder"))
    audit("household.joined_by_code", made_by_code)
    asked = person("林 秀英", status="pending", user=User.objects.create(username="asker"))
    audit("household.join_requested", asked)
    written_down = person("赵新来", status="pending")

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    sources = dict(Resident.objects.values_list("full_name", "source"))
    assert sources == {
        "林秀英": "import",
        "林建国": "organizer",
        "林一": "import",
        "路人甲": "request",
        "林 秀英": "request",
        "赵新来": "import",
    }
    assert Resident.objects.get(pk=asked.pk).matched_person_id == imported.pk
    assert written_down.pk  # a person a grid worker wrote down stays a register person


# --- The import and requests ------------------------------------------------------------------------------


def test_an_import_adds_the_register_person_beside_a_pending_request_of_that_name(organizer):
    from families.register_io import check_register
    from families.services import import_register
    from tests.families.helpers import csv_bytes

    row = ["第一网格", "幸福里1号楼", "1单元101", "王家", "王建国", "王建国", "13812345678"]
    import_register(plan=check_register(csv_bytes([row[:5] + ["", ""]]), "a.csv"), actor=organizer)
    household = Household.objects.get(door_label="1单元101")
    stranger, request = _queue(household, "王建国")
    import_register(plan=check_register(csv_bytes([row]), "b.csv"), actor=organizer)
    request.refresh_from_db()
    assert request.phone == "" and request.status == "pending"  # the stranger's row never gets the real number
    person = Resident.objects.get(household=household, source="import")
    assert person.full_name == "王建国" and person.phone == "+8613812345678" and person.user is None
    assert "13812345678" not in _client(stranger).get("/me/data/").content.decode()
