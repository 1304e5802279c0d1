"""A resident downloads their data and deletes their account; the community's records still add up."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model

from families.models import Resident
from project.models import AuditEntry
from tests.factories import PASSWORD
from tests.project.test_access_sweep import row_counts

pytestmark = pytest.mark.django_db


def test_a_resident_downloads_their_own_data(resident_client, resident):
    response = resident_client.get("/me/data/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    data = json.loads(response.content)
    assert data["account"]["username"] == "resident"
    assert data["families"]["memberships"][0]["household"] == Resident.objects.get(user=resident).household.display_name


def test_visitors_cannot_download_anyones_data(client):
    assert client.get("/me/data/").status_code == 302


def test_deleting_needs_the_password_and_changes_nothing_without_it(resident_client, resident):
    person = Resident.objects.get(user=resident)
    before = row_counts()
    response = resident_client.post("/me/delete/", {"password": "wrong"})
    assert response.status_code == 200
    assert row_counts() == before and get_user_model().objects.filter(pk=resident.pk).exists()
    person.refresh_from_db()
    assert person.user == resident and person.full_name == "resident"


def test_deleting_an_account_anonymises_the_person_and_keeps_the_row(resident_client, resident):
    person = Resident.objects.get(user=resident)
    response = resident_client.post("/me/delete/", {"password": PASSWORD})
    assert response.status_code == 302
    assert not get_user_model().objects.filter(pk=resident.pk).exists()
    person.refresh_from_db()
    assert person.user is None and person.phone == "" and person.full_name != "resident"
    assert not person.show_name_publicly
    assert AuditEntry.objects.filter(action="account.deleted").exists()
    assert resident_client.get("/me/").status_code == 302  # logged out


def test_the_download_includes_my_ballot_and_deleting_keeps_my_votes_counted(resident_client, resident, neighbour):
    from awards.models import TargetKind, Vote
    from awards.services import cast_vote
    from tests.awards.factories import make_entry, make_nomination, make_round

    entry = make_entry(make_round("voting"), kind=TargetKind.HOUSEHOLD)
    nomination = make_nomination(entry, target=Resident.objects.get(user=neighbour).household)
    cast_vote(nomination=nomination, resident=Resident.objects.get(user=resident))
    data = json.loads(resident_client.get("/me/data/").content)
    assert len(data["awards"]["votes"]) == 1
    assert resident_client.post("/me/delete/", {"password": PASSWORD}).status_code == 302
    assert Vote.objects.filter(nomination=nomination).count() == 1


def test_the_download_includes_my_points_and_deleting_keeps_the_ledger_whole(resident_client, resident):
    from django.core.management import call_command

    from activities.models import LedgerEntry
    from activities.services import award_points

    person = Resident.objects.get(user=resident)
    award_points(resident=person, amount=40, reason="助老服务", actor=None)
    data = json.loads(resident_client.get("/me/data/").content)
    assert data["activities"]["balances"][0]["points"] == 40
    assert [line["points"] for line in data["activities"]["ledger"]] == [40]
    assert resident_client.post("/me/delete/", {"password": PASSWORD}).status_code == 302
    assert LedgerEntry.objects.filter(resident=person).count() == 1
    call_command("verify_ledger")  # raises SystemExit on any difference
