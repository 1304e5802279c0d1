"""Asking to join without a slip, confirming by hand, and scoping grid workers to their grids."""

from __future__ import annotations

import pytest

from families.access import forget_membership, organizer_grid_ids, verified_membership
from families.models import GridAssignment, Resident
from project.access import make_organizer
from project.models import AuditEntry
from tests.factories import GridFactory, UserFactory, make_grid_worker
from tests.project.test_access_sweep import row_counts

pytestmark = pytest.mark.django_db


def _ask(client, household, name="赵新来"):
    return client.post(
        "/join/",
        {
            "form": "request",
            "ask-building": household.building_id,
            "ask-door": household.door_label,
            "ask-full_name": name,
        },
    )


def test_a_newcomer_asks_to_join_and_waits_without_rights(newcomer_client, newcomer, household):
    assert _ask(newcomer_client, household).status_code == 302
    person = Resident.objects.get(user=newcomer)
    assert person.status == "pending" and person.household == household
    assert verified_membership(newcomer) is None
    assert household.building.name in newcomer_client.get("/me/").content.decode()
    # A second request is refused.
    response = _ask(newcomer_client, household)
    assert response.status_code == 200
    assert Resident.objects.filter(user=newcomer).count() == 1


def test_asking_for_a_door_that_does_not_exist_is_refused_and_counted(newcomer_client, newcomer, household):
    before = row_counts()
    for _ in range(5):
        response = newcomer_client.post(
            "/join/",
            {"form": "request", "ask-building": household.building_id, "ask-door": "99单元999", "ask-full_name": "x"},
        )
        assert response.status_code == 200
    assert _ask(newcomer_client, household).status_code == 429
    assert row_counts() == before and not Resident.objects.filter(user=newcomer).exists()


def test_the_organizer_approves_the_request(newcomer_client, newcomer, household, organizer_client):
    _ask(newcomer_client, household)
    person = Resident.objects.get(user=newcomer)
    assert "赵新来" in organizer_client.get("/organize/register/waiting/").content.decode()
    organizer_client.post(f"/organize/register/residents/{person.pk}/action/", {"action": "approve"})
    newcomer.refresh_from_db()
    assert verified_membership(newcomer).household == household


def test_a_code_confirms_a_waiting_request_only_for_a_listed_person(newcomer_client, newcomer, household):
    _ask(newcomer_client, household)
    newcomer_client.post("/join/", {"code": household.join_code, "full_name": "赵新来"})
    assert verified_membership(newcomer) is None  # nobody of that name in the register: still waiting
    listed = Resident.objects.create(household=household, full_name="赵新来", source="organizer")
    newcomer_client.post("/join/", {"code": household.join_code, "full_name": "赵新来"})
    forget_membership(newcomer)
    assert verified_membership(newcomer) == listed
    assert Resident.objects.filter(user=newcomer).exclude(status="removed").count() == 1


def test_an_unscoped_organizer_assigns_grid_workers(organizer_client, household):
    worker = UserFactory(username="gridworker")
    make_organizer(user=worker)
    grid = household.building.grid
    response = organizer_client.post(
        f"/organize/register/grids/{grid.pk}/",
        {"name": grid.name, "worker_name": "陈网格", "sort_order": 0, "organizers": [worker.pk]},
    )
    assert response.status_code == 302
    assert organizer_grid_ids(worker) == frozenset({grid.pk})
    assert AuditEntry.objects.get(action="grid.assignments_changed").details["added"] == ["gridworker"]


def test_a_grid_worker_cannot_unscope_themselves(organizer_client, organizer, household):
    grid = household.building.grid
    make_grid_worker(organizer, grid)
    page = organizer_client.get(f"/organize/register/grids/{grid.pk}/").content.decode()
    assert 'name="organizers"' not in page
    assignments = list(GridAssignment.objects.values_list("user", "grid"))
    organizer_client.post(
        f"/organize/register/grids/{grid.pk}/",
        {"name": grid.name, "worker_name": "", "sort_order": 0, "organizers": []},
    )
    assert list(GridAssignment.objects.values_list("user", "grid")) == assignments
    other = GridFactory()
    assert organizer_client.get(f"/organize/register/grids/{other.pk}/").status_code == 404
