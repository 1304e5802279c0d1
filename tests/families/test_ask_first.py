"""Reissuing every join code of a building asks first (#13, item 4): the GET says how many households get new
codes and changes nothing; the POST reissues them, one audit line per household; scoping still applies."""

from __future__ import annotations

import pytest
from django.test import Client

from families.models import GridAssignment, Household
from project.access import make_organizer
from project.management.commands.backup import row_counts
from project.models import AuditEntry
from tests.factories import GridFactory, HouseholdFactory, UserFactory, verified_user

pytestmark = pytest.mark.django_db


def _rows() -> dict[str, int]:
    return {label: n for label, n in row_counts().items() if label != "sessions.Session"}


def _codes(building) -> set[str]:
    return set(Household.objects.filter(building=building).values_list("join_code", flat=True))


@pytest.fixture
def building_with_three_households(household):
    HouseholdFactory(building=household.building)
    verified_user(HouseholdFactory(building=household.building))
    verified_user(household)
    return household.building


def test_reissuing_all_codes_asks_first_and_says_how_many_households(organizer_client, building_with_three_households):
    building = building_with_three_households
    url = f"/organize/register/buildings/{building.pk}/slips/reissue/"
    slips = organizer_client.get(f"/organize/register/buildings/{building.pk}/slips/").content.decode()
    assert f'href="{url}"' in slips and 'name="form" value="rotate_all"' not in slips
    before, codes = _rows(), _codes(building)

    body = organizer_client.get(url).content.decode()
    assert "3 户将获得新的入户码，旧码条立即失效。" in body and "已加入的 2 名居民仍是家庭成员。" in body
    assert "确定，重新生成入户码" in body
    assert _rows() == before and _codes(building) == codes

    response = organizer_client.post(url)
    assert response["Location"] == f"/organize/register/buildings/{building.pk}/slips/"
    assert not _codes(building) & codes
    assert AuditEntry.objects.filter(action="household.join_code_rotated").count() == 3


def test_the_question_speaks_english_too(organizer_client, building_with_three_households):
    organizer_client.cookies["django_language"] = "en"
    building = building_with_three_households
    body = organizer_client.get(f"/organize/register/buildings/{building.pk}/slips/reissue/").content.decode()
    assert "3 households get new codes; the old slips stop working." in body


def test_the_slips_page_itself_no_longer_reissues_codes(organizer_client, building_with_three_households):
    building = building_with_three_households
    codes = _codes(building)
    response = organizer_client.post(f"/organize/register/buildings/{building.pk}/slips/", {"form": "rotate_all"})
    assert response.status_code == 405 and _codes(building) == codes


def test_a_grid_worker_scoped_elsewhere_gets_404_for_the_buildings_reissue(building_with_three_households):
    building = building_with_three_households
    worker = UserFactory(username="grid-worker")
    make_organizer(user=worker)
    GridAssignment.objects.create(user=worker, grid=GridFactory())
    client = Client()
    client.force_login(worker)
    codes, audited = _codes(building), AuditEntry.objects.count()
    url = f"/organize/register/buildings/{building.pk}/slips/reissue/"
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    assert _codes(building) == codes and AuditEntry.objects.count() == audited
    GridAssignment.objects.create(user=worker, grid=building.grid)
    assert client.get(url).status_code == 200
