"""Who may see and change the register and the mottos: refusals, grid scoping, and nothing changed."""

from __future__ import annotations

import pytest

from families.models import FamilyMotto, Household, MottoRevision
from families.services import review_motto, submit_motto
from tests.factories import BuildingFactory, HouseholdFactory, ResidentFactory, make_grid_worker
from tests.project.test_access_sweep import row_counts
from tests.tokens import token

pytestmark = pytest.mark.django_db

ORGANIZER_URLS = [
    "/organize/register/",
    "/organize/register/households/new/",
    "/organize/register/households/{household}/",
    "/organize/register/residents/{person}/",
    "/organize/register/waiting/",
    "/organize/register/grids/",
    "/organize/register/grids/new/",
    "/organize/register/grids/{grid}/",
    "/organize/register/buildings/",
    "/organize/register/buildings/new/",
    "/organize/register/buildings/{building}/",
    "/organize/register/buildings/{building}/slips/",
    "/organize/register/export.csv",
    "/organize/register/export.xlsx",
    "/organize/register/import/",
    "/organize/mottos/",
    "/organize/audit/",
]
ORGANIZER_POSTS = [
    "/organize/register/residents/{person}/action/",
    "/organize/mottos/{revision}/review/",
]


@pytest.fixture
def targets(household, resident):
    person = ResidentFactory(household=household)
    revision = submit_motto(household=household, author=resident, text="家和万事兴")
    return {
        "household": household.pk,
        "person": person.pk,
        "grid": household.building.grid_id,
        "building": household.building_id,
        "revision": revision.pk,
    }


def _hit(client, targets, url):
    formatted = url.format(**targets)
    if url in ORGANIZER_POSTS:
        return client.post(formatted, {"action": "remove", "decision": "approve"})
    return client.get(formatted)


def test_visitors_are_sent_to_log_in_everywhere_in_the_register(client, targets):
    for url in ORGANIZER_URLS + ORGANIZER_POSTS:
        response = _hit(client, targets, url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url


def test_residents_and_unverified_users_are_refused_everywhere_in_the_register(
    resident_client, newcomer_client, targets
):
    from families.models import Resident

    before = row_counts()
    for client in (resident_client, newcomer_client):
        for url in ORGANIZER_URLS + ORGANIZER_POSTS:
            assert _hit(client, targets, url).status_code == 403, url
    assert row_counts() == before
    assert MottoRevision.objects.get().status == "pending"
    assert Resident.objects.get(pk=targets["person"]).status == "verified"


def test_a_resident_of_another_household_cannot_edit_a_motto(neighbour_client, household, resident, organizer):
    revision = submit_motto(household=household, author=resident, text="家和万事兴")
    review_motto(revision=revision, reviewer=organizer, approve=True)
    url = f"/households/{household.pk}/motto/"
    assert neighbour_client.get(url).status_code == 404
    assert neighbour_client.post(url, {"form": "motto", "text": "被改掉了"}).status_code == 404
    assert neighbour_client.post(url, {"form": "consent", "show_on_wall": "on"}).status_code == 404
    assert MottoRevision.objects.count() == 1
    motto = FamilyMotto.objects.get()
    assert motto.approved_revision.text == "家和万事兴" and motto.show_on_wall is False


def test_unverified_users_and_visitors_cannot_write_mottos(newcomer_client, client, household):
    url = f"/households/{household.pk}/motto/"
    before = row_counts()
    assert newcomer_client.post(url, {"form": "motto", "text": "x家训"}).status_code == 302
    assert client.post(url, {"form": "motto", "text": "x家训"}).status_code == 302
    assert row_counts() == before and not MottoRevision.objects.exists()


def test_a_grid_worker_sees_and_edits_only_their_grids(organizer_client, organizer, household):
    other = HouseholdFactory(building=BuildingFactory(), display_name="别的网格家")
    make_grid_worker(organizer, household.building.grid)
    page = organizer_client.get("/organize/register/").content.decode()
    assert household.display_name in page and "别的网格家" not in page
    assert organizer_client.get(f"/organize/register/households/{other.pk}/").status_code == 404
    response = organizer_client.post(
        f"/organize/register/households/{other.pk}/", {"form": "household", "display_name": "改名"}
    )
    assert response.status_code == 404
    assert Household.objects.get(pk=other.pk).display_name == "别的网格家"
    assert organizer_client.get(f"/organize/register/buildings/{other.building_id}/slips/").status_code == 404
    assert organizer_client.get("/organize/register/grids/new/").status_code == 403
    export = b"".join(organizer_client.get("/organize/register/export.csv").streaming_content).decode()
    assert household.display_name in export and "别的网格家" not in export


def test_a_grid_worker_cannot_review_mottos_of_other_grids(organizer_client, organizer, household, resident):
    make_grid_worker(organizer, BuildingFactory().grid)
    revision = submit_motto(household=household, author=resident, text="家和万事兴")
    before = row_counts()
    response = organizer_client.post(f"/organize/mottos/{revision.pk}/review/", {"decision": "approve"})
    assert response.status_code == 404
    revision.refresh_from_db()
    assert revision.status == "pending" and row_counts() == before


def test_the_audit_log_cannot_be_changed(organizer):
    from project.models import AuditEntry

    entry = AuditEntry.objects.log(actor=organizer, action="x.y")
    with pytest.raises(TypeError):
        entry.save()
    with pytest.raises(TypeError):
        AuditEntry.objects.all().delete()


def test_a_grid_worker_cannot_add_households_or_buildings_outside_their_grids(organizer_client, organizer, household):
    from families.models import Building

    make_grid_worker(organizer, household.building.grid)
    elsewhere = BuildingFactory()
    before = row_counts()
    response = organizer_client.post(
        "/organize/register/households/new/",
        {"building": elsewhere.pk, "door_label": "1单元1", "display_name": "越界家", "head_name": ""}
        | token(organizer, "families.household_new"),
    )
    assert response.status_code == 200
    response = organizer_client.post(
        "/organize/register/buildings/new/",
        {"grid": elsewhere.grid_id, "name": "越界楼", "address": "", "ethos": "", "sort_order": 0}
        | token(organizer, "families.building_new"),
    )
    assert response.status_code == 200
    assert not Household.objects.filter(display_name="越界家").exists()
    assert not Building.objects.filter(name="越界楼").exists()
    assert row_counts() == before
