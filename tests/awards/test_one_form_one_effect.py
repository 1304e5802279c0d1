"""Nominating, seconding and objecting: the same form sent twice, or three times at once, has one effect (#13)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.test import Client

from awards.models import Nomination, NominationStatus, Objection, Second, TargetKind
from project import formtokens
from project.models import FormSubmission
from tests.factories import HouseholdFactory, ResidentFactory

from .factories import (
    CITATION,
    english_messages,  # noqa: F401
    form_token,
    make_entry,
    make_nomination,
    make_round,
)

ALREADY = "This was already recorded; nothing was added a second time."
EXPIRED = "This form had expired. Nothing was saved; please check it and send it again."


def _in_english(client: Client) -> Client:
    client.cookies["django_language"] = "en"
    return client


def _nomination_data(client, entry, household, **fields) -> dict:
    return {
        "step": "submit",
        "entry": entry.pk,
        "building": household.building_id,
        "household": household.pk,
        "person_name": "王秀英",
        "citation": CITATION,
        **form_token(client, "awards.nominate"),
        **fields,
    }


def _objection_round():
    round = make_round("publicity")
    entry = make_entry(round, TargetKind.PERSON, winners=1)
    winner = make_nomination(entry, status=NominationStatus.SHORTLISTED, is_winner=True)
    return round, winner


# --- Sent twice in a row -------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_nomination_sent_twice_makes_one_nomination_and_the_second_answer_says_already_recorded(resident_client):
    entry = make_entry(make_round("nominating"), TargetKind.PERSON)
    data = _nomination_data(_in_english(resident_client), entry, HouseholdFactory())
    first = resident_client.post(f"/rounds/{entry.round_id}/nominate/", data)
    again = resident_client.post(f"/rounds/{entry.round_id}/nominate/", data, follow=True)
    nomination = Nomination.objects.get()  # a typed name would otherwise be taken twice
    assert first["Location"] == again.redirect_chain[0][0] == f"/nominations/{nomination.pk}/"
    assert ALREADY in again.content.decode()
    assert FormSubmission.objects.get().object_id == str(nomination.pk)


@pytest.mark.django_db
def test_a_picked_nomination_sent_twice_does_not_turn_into_a_second(resident_client):
    entry = make_entry(make_round("nominating"), TargetKind.PERSON)
    person = ResidentFactory(show_name_publicly=True)
    data = _nomination_data(_in_english(resident_client), entry, person.household, person=person.pk, person_name="")
    resident_client.post(f"/rounds/{entry.round_id}/nominate/", data)
    again = resident_client.post(f"/rounds/{entry.round_id}/nominate/", data, follow=True)
    assert ALREADY in again.content.decode()
    assert Nomination.objects.count() == 1 and not Second.objects.exists()


@pytest.mark.django_db
def test_a_second_sent_twice_makes_one_second_and_links_to_the_nomination(neighbour_client):
    nomination = make_nomination(make_entry(make_round("nominating")), status=NominationStatus.SUBMITTED)
    data = {**form_token(_in_english(neighbour_client), "awards.second"), "next": f"/rounds/{nomination.round_id}/"}
    neighbour_client.post(f"/nominations/{nomination.pk}/second/", data)
    again = neighbour_client.post(f"/nominations/{nomination.pk}/second/", data, follow=True)
    assert again.redirect_chain[0][0] == f"/nominations/{nomination.pk}/"
    assert ALREADY in again.content.decode()
    assert Second.objects.count() == 1


@pytest.mark.django_db
def test_an_objection_sent_twice_is_filed_once(resident_client):
    round, winner = _objection_round()
    data = {
        "nomination": winner.pk,
        "text": "该候选人的事迹有夸大之处，请核实。",
        **form_token(_in_english(resident_client), "awards.objection"),
    }
    resident_client.post(f"/rounds/{round.pk}/objection/", data)
    again = resident_client.post(f"/rounds/{round.pk}/objection/", data, follow=True)
    assert again.redirect_chain[0][0] == f"/rounds/{round.pk}/#objections"
    assert ALREADY in again.content.decode()
    assert Objection.objects.count() == 1


@pytest.mark.django_db
def test_a_refused_write_leaves_its_token_usable(resident_client):
    """A nomination refused by a rule uses nothing up: corrected and sent again, it goes through."""
    entry = make_entry(make_round("nominating"), TargetKind.PERSON)
    data = _nomination_data(resident_client, entry, HouseholdFactory())
    resident_client.post(f"/rounds/{entry.round_id}/nominate/", {**data, "citation": "太短"})
    assert not FormSubmission.objects.exists()
    response = resident_client.post(f"/rounds/{entry.round_id}/nominate/", data)
    assert response.status_code == 302 and Nomination.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("token", ["", "forged", "other-user"])
def test_a_missing_or_foreign_token_writes_nothing_and_shows_the_form_again(
    resident_client, neighbour, neighbour_client, token
):
    entry = make_entry(make_round("nominating"), TargetKind.PERSON)
    nomination = make_nomination(entry, status=NominationStatus.SUBMITTED)
    value = formtokens.new_token(neighbour, "awards.nominate") if token == "other-user" else token
    _in_english(resident_client)
    response = resident_client.post(
        f"/rounds/{entry.round_id}/nominate/",
        {**_nomination_data(resident_client, entry, HouseholdFactory()), formtokens.FIELD_NAME: value},
    )
    body = response.content.decode()
    assert response.status_code == 200 and EXPIRED in body and 'name="form_token"' in body and "王秀英" in body
    seconded = resident_client.post(
        f"/nominations/{nomination.pk}/second/", {formtokens.FIELD_NAME: value}, follow=True
    )
    assert EXPIRED in seconded.content.decode()
    assert Nomination.objects.count() == 1 and not Second.objects.exists() and not FormSubmission.objects.exists()


# --- Three at once, on PostgreSQL ---------------------------------------------------------------------------------


def _post_at_once(user, path: str, data: dict, times: int = 3) -> list[int]:
    barrier = threading.Barrier(times)
    statuses: list[int] = []

    def worker():
        client = Client()
        client.force_login(user)
        try:
            barrier.wait()
            statuses.append(client.post(path, data).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def _token(user, form_name: str) -> dict:
    return {formtokens.FIELD_NAME: formtokens.new_token(user, form_name)}


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres_only
def test_three_identical_nominations_at_once_make_one(postgres, resident):
    entry = make_entry(make_round("nominating"), TargetKind.PERSON)
    household = HouseholdFactory()
    data = {
        "step": "submit",
        "entry": entry.pk,
        "building": household.building_id,
        "household": household.pk,
        "person_name": "王秀英",
        "citation": CITATION,
        **_token(resident, "awards.nominate"),
    }
    statuses = _post_at_once(resident, f"/rounds/{entry.round_id}/nominate/", data)
    assert statuses == [302, 302, 302]
    assert Nomination.objects.count() == 1 and FormSubmission.objects.count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres_only
def test_three_identical_seconds_at_once_make_one(postgres, neighbour):
    nomination = make_nomination(make_entry(make_round("nominating")), status=NominationStatus.SUBMITTED)
    statuses = _post_at_once(neighbour, f"/nominations/{nomination.pk}/second/", _token(neighbour, "awards.second"))
    assert statuses == [302, 302, 302]
    assert Second.objects.count() == 1 and FormSubmission.objects.count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres_only
def test_three_identical_objections_at_once_file_one(postgres, resident):
    round, winner = _objection_round()
    data = {"nomination": winner.pk, "text": "请核实该候选人的事迹。", **_token(resident, "awards.objection")}
    statuses = _post_at_once(resident, f"/rounds/{round.pk}/objection/", data)
    assert statuses == [302, 302, 302]
    assert Objection.objects.count() == 1 and FormSubmission.objects.count() == 1
