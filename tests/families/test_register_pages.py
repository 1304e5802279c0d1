"""The organizer area for the register: editing, members, join codes, slips, audit log, query counts."""

from __future__ import annotations

import pytest

from families.models import Building, Household, Resident
from project.models import AuditEntry
from tests.factories import BuildingFactory, HouseholdFactory, ResidentFactory, default_community
from tests.project.test_access_sweep import row_counts
from tests.tokens import token

pytestmark = pytest.mark.django_db


def test_register_filters_by_building_and_searches_names_doors_and_people(organizer_client, household):
    other = HouseholdFactory(building=BuildingFactory(), display_name="李家", door_label="7单元701")
    ResidentFactory(household=other, full_name="李桂兰")
    page = organizer_client.get("/organize/register/", {"building": household.building_id}).content.decode()
    assert household.display_name in page and "李家" not in page
    for query in ("李桂兰", "7单元701", "李家"):
        page = organizer_client.get("/organize/register/", {"q": query}).content.decode()
        assert "李家" in page and household.display_name not in page


def test_register_query_count_does_not_grow(organizer_client, django_assert_num_queries):
    def add(n):
        for _ in range(n):
            ResidentFactory(household=HouseholdFactory())

    add(3)
    organizer_client.get("/organize/register/")  # warm the session
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        organizer_client.get("/organize/register/?q=&page=1")
    add(20)
    with django_assert_num_queries(len(small.captured_queries)):
        organizer_client.get("/organize/register/?q=&page=1")


def test_motto_queue_and_audit_query_counts_do_not_grow(organizer_client, organizer):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from families.services import submit_motto
    from tests.factories import verified_user

    def add(n):
        for _ in range(n):
            household = HouseholdFactory()
            submit_motto(household=household, author=verified_user(household), text="家和万事兴")
            AuditEntry.objects.log(actor=organizer, action="test.row", target=household)

    add(2)
    organizer_client.get("/organize/mottos/")
    counts = {}
    for url in ("/organize/mottos/", "/organize/audit/", "/organize/register/waiting/"):
        with CaptureQueriesContext(connection) as captured:
            organizer_client.get(url)
        counts[url] = len(captured.captured_queries)
    add(8)
    for url, count in counts.items():
        with CaptureQueriesContext(connection) as captured:
            organizer_client.get(url)
        assert len(captured.captured_queries) == count, url


def test_organizer_edits_a_household_and_it_is_audited(organizer_client, household):
    response = organizer_client.post(
        f"/organize/register/households/{household.pk}/",
        {
            "form": "household",
            "building": household.building_id,
            "door_label": "5单元505",
            "display_name": "新王家",
            "head_name": "王大",
        },
    )
    assert response.status_code == 302
    household.refresh_from_db()
    assert household.display_name == "新王家" and household.door_label == "5单元505"
    entry = AuditEntry.objects.get(action="household.changed")
    assert entry.details["changes"]["display_name"][1] == "新王家"


def test_a_duplicate_door_is_refused_with_a_message(organizer_client, household):
    other = HouseholdFactory(building=household.building)
    before = row_counts()
    response = organizer_client.post(
        f"/organize/register/households/{other.pk}/",
        {
            "form": "household",
            "building": household.building_id,
            "door_label": household.door_label,
            "display_name": "x",
        },
    )
    assert response.status_code == 200
    assert Household.objects.get(pk=other.pk).door_label != household.door_label
    assert row_counts() == before


def test_organizer_adds_edits_and_removes_a_person(organizer_client, organizer, household):
    url = f"/organize/register/households/{household.pk}/"
    organizer_client.post(
        url,
        {
            "form": "resident",
            "new-full_name": "赵六",
            "new-phone": "13900001111",
            **token(organizer, "families.resident_new"),
        },
    )
    person = Resident.objects.get(full_name="赵六")
    assert person.status == "verified" and person.phone == "+8613900001111"
    response = organizer_client.post(
        f"/organize/register/residents/{person.pk}/", {"full_name": "赵六六", "phone": "123"}
    )
    assert response.status_code == 200  # a bad phone number is refused
    organizer_client.post(f"/organize/register/residents/{person.pk}/", {"full_name": "赵六六", "phone": ""})
    person.refresh_from_db()
    assert person.full_name == "赵六六" and person.phone == ""
    organizer_client.post(f"/organize/register/residents/{person.pk}/action/", {"action": "remove"})
    person.refresh_from_db()
    assert person.status == "removed"
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"member.added_by_organizer", "member.changed", "member.removed"} <= actions
    changed = AuditEntry.objects.get(action="member.changed")
    assert "13900001111" not in str(changed.details)


def test_organizer_approves_a_waiting_member(organizer_client, household, newcomer):
    from families.access import verified_membership

    waiting = ResidentFactory(household=household, user=newcomer, status=Resident.Status.PENDING)
    assert organizer_client.get("/organize/register/waiting/").content.decode().count(waiting.full_name) >= 1
    organizer_client.post(f"/organize/register/residents/{waiting.pk}/action/", {"action": "approve"})
    assert verified_membership(newcomer).pk == waiting.pk
    assert AuditEntry.objects.filter(action="member.approved").exists()


def test_removed_member_is_no_longer_verified(organizer_client, resident, household):
    from families.access import verified_membership

    person = Resident.objects.get(user=resident)
    organizer_client.post(f"/organize/register/residents/{person.pk}/action/", {"action": "remove"})
    resident.refresh_from_db()
    assert verified_membership(resident) is None


def test_rotating_the_join_code_from_the_household_page(organizer_client, household):
    old = household.join_code
    organizer_client.post(f"/organize/register/households/{household.pk}/", {"form": "rotate"})
    household.refresh_from_db()
    assert household.join_code != old
    assert AuditEntry.objects.filter(action="household.join_code_rotated").exists()


def test_building_ethos_is_edited_and_audited(organizer_client, building, client):
    response = organizer_client.post(
        f"/organize/register/buildings/{building.pk}/",
        {"grid": building.grid_id, "name": building.name, "address": "", "ethos": "邻里守望", "sort_order": 0},
    )
    assert response.status_code == 302
    building.refresh_from_db()
    assert building.ethos == "邻里守望" and building.ethos_updated_at is not None
    assert AuditEntry.objects.filter(action="building.changed").exists()
    assert "邻里守望" in client.get(f"/buildings/{building.pk}/").content.decode()


def test_new_grid_and_building(organizer_client, organizer):
    default_community()  # one community: the grid goes in it without being asked
    organizer_client.post(
        "/organize/register/grids/new/",
        {"name": "第五网格", "worker_name": "", "sort_order": 5, **token(organizer, "families.grid_new")},
    )
    from families.models import Grid

    grid = Grid.objects.get(name="第五网格")
    organizer_client.post(
        "/organize/register/buildings/new/",
        {"grid": grid.pk, "name": "新楼", "address": "", "ethos": "", "sort_order": 0}
        | token(organizer, "families.building_new"),
    )
    assert Building.objects.filter(name="新楼", grid=grid).exists()
    assert AuditEntry.objects.filter(action__in=["grid.created", "building.created"]).count() == 2


def test_join_slips_list_every_household_with_its_code_in_chinese(organizer_client, household, settings):
    other = HouseholdFactory(building=household.building)
    organizer_client.cookies["django_language"] = "en"
    page = organizer_client.get(f"/organize/register/buildings/{household.building_id}/slips/").content.decode()
    assert household.join_code in page and other.join_code in page and household.door_label in page
    assert "入户码" in page
    assert 'style="' not in page


def test_audit_log_filters_by_action_and_offers_no_edit(organizer_client, organizer, household):
    AuditEntry.objects.log(actor=organizer, action="household.changed", target=household)
    AuditEntry.objects.log(actor=organizer, action="member.removed", target=household)
    page = organizer_client.get("/organize/audit/", {"action": "member.removed"}).content.decode()
    body = page.split("audit-list", 1)[1]
    assert "member.removed" in body and "household.changed" not in body
    assert 'method="post"' not in page.split("<main", 1)[1]


def test_organizer_panel_counts_what_waits(organizer_client, household, resident):
    from families.services import submit_motto

    submit_motto(household=household, author=resident, text="家和万事兴")
    ResidentFactory(household=household, status=Resident.Status.PENDING)
    page = organizer_client.get("/organize/").content.decode()
    assert "/organize/mottos/" in page and "/organize/register/waiting/" in page


def test_all_codes_of_a_building_can_be_reissued(organizer_client, household):
    other = HouseholdFactory(building=household.building)
    before = {household.join_code, other.join_code}
    organizer_client.post(f"/organize/register/buildings/{household.building_id}/slips/reissue/")
    after = set(Household.objects.filter(building=household.building).values_list("join_code", flat=True))
    assert not before & after
    assert AuditEntry.objects.filter(action="household.join_code_rotated").count() == 2


@pytest.mark.parametrize(
    "url", ["/buildings/", "/buildings/{building}/", "/organize/register/grids/", "/organize/register/buildings/"]
)
def test_building_and_grid_pages_query_count_does_not_grow(organizer_client, organizer, building, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from families.services import review_motto, set_motto_consent, submit_motto
    from tests.factories import verified_user

    def add(n):
        for _ in range(n):
            BuildingFactory(grid=building.grid)
            household = HouseholdFactory(building=building)
            user = verified_user(household)
            revision = submit_motto(household=household, author=user, text="家和万事兴")
            review_motto(revision=revision, reviewer=organizer, approve=True)
            set_motto_consent(household=household, show=True, actor=user)

    url = url.format(building=building.pk)
    add(2)
    organizer_client.get(url)
    with CaptureQueriesContext(connection) as small:
        assert organizer_client.get(url).status_code == 200
    add(6)
    with CaptureQueriesContext(connection) as large:
        organizer_client.get(url)
    assert len(large.captured_queries) == len(small.captured_queries)


def test_member_actions_never_redirect_off_site(organizer_client, household):
    person = ResidentFactory(household=household, status=Resident.Status.PENDING)
    response = organizer_client.post(
        f"/organize/register/residents/{person.pk}/action/", {"action": "approve", "next": "https://evil.example/"}
    )
    assert response["Location"] == f"/organize/register/households/{household.pk}/"


def test_register_pages_read_in_english(organizer_client, household, client):
    organizer_client.cookies["django_language"] = "en"
    client.cookies["django_language"] = "en"
    for url, heading in [
        ("/organize/register/", "Household register"),
        (f"/organize/register/households/{household.pk}/", "Join code"),
        ("/organize/register/import/", "Import the register"),
        ("/organize/mottos/", "Mottos to review"),
        ("/organize/audit/", "Audit log"),
    ]:
        assert heading in organizer_client.get(url).content.decode(), url
    page = organizer_client.get("/organize/register/").content.decode()
    assert "1 household" in page and "0 members" in page
    assert "Motto wall" in client.get("/mottos/").content.decode()
    assert "Building ethos" in client.get(f"/buildings/{household.building_id}/").content.decode()


def test_export_follows_the_register_filters(organizer_client, household):
    other = HouseholdFactory(building=BuildingFactory(), display_name="别楼家")
    response = organizer_client.get("/organize/register/export.csv", {"building": household.building_id})
    body = b"".join(response.streaming_content).decode()
    assert household.display_name in body and other.display_name not in body
    assert AuditEntry.objects.get(action="register.exported").details["filters"] == {
        "building": str(household.building_id)
    }


def test_register_shows_who_still_needs_a_slip(organizer_client, household, resident):
    waiting = HouseholdFactory(building=household.building, display_name="还没加入家")
    ResidentFactory(household=waiting, user=None)
    page = organizer_client.get("/organize/register/", {"joined": "no"}).content.decode()
    assert "还没加入家" in page and household.display_name not in page
    page = organizer_client.get("/organize/register/", {"joined": "yes"}).content.decode()
    assert household.display_name in page and "还没加入家" not in page
