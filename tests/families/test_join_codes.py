"""Verification by join code (入户码)."""

from __future__ import annotations

import pytest

from families.access import verified_membership
from families.models import JOIN_CODE_ALPHABET, Household, Resident, normalize_join_code
from tests.factories import HouseholdFactory, ResidentFactory

pytestmark = pytest.mark.django_db


def test_join_codes_have_eight_characters_without_look_alikes(db):
    codes = {HouseholdFactory().join_code for _ in range(30)}
    for code in codes:
        assert len(code) == 8
        assert not set(code) & set("0O1IL")
        assert set(code) <= set(JOIN_CODE_ALPHABET)


def test_a_newcomer_joins_with_the_right_code(newcomer_client, newcomer, household):
    code = household.join_code
    typed = f"{code[:4].lower()} {code[4:]}"
    response = newcomer_client.post("/join/", {"code": typed, "full_name": "王 秀英"})
    assert response.status_code == 302
    membership = verified_membership(newcomer)
    assert membership.household == household and membership.full_name == "王 秀英"


def test_joining_claims_the_listed_person_instead_of_adding_one(newcomer_client, newcomer, household):
    listed = ResidentFactory(household=household, full_name="李桂兰", user=None)
    newcomer_client.post("/join/", {"code": household.join_code, "full_name": "李桂兰"})
    listed.refresh_from_db()
    assert listed.user == newcomer
    assert household.residents.count() == 1


def test_a_wrong_code_is_refused_with_a_clear_message(newcomer_client, newcomer):
    response = newcomer_client.post("/join/", {"code": "ZZZZZZZZ", "full_name": "王秀英"})
    assert response.status_code == 200
    assert "入户码不正确" in response.content.decode()
    assert not Resident.objects.filter(user=newcomer).exists()


def test_wrong_codes_are_rate_limited_per_user(newcomer_client, household):
    for _ in range(5):
        newcomer_client.post("/join/", {"code": "ZZZZZZZZ", "full_name": "王秀英"})
    response = newcomer_client.post("/join/", {"code": household.join_code, "full_name": "王秀英"})
    assert response.status_code == 429
    assert "15" in response.content.decode()


def test_a_member_cannot_join_a_second_household(resident_client, resident, other_household):
    response = resident_client.post("/join/", {"code": other_household.join_code, "full_name": "x"})
    assert response.status_code == 302  # already verified: sent to their page
    assert Resident.objects.filter(user=resident).count() == 1


def test_visitors_must_log_in_to_join(client, household):
    response = client.post("/join/", {"code": household.join_code, "full_name": "王秀英"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not Resident.objects.exists()


def test_normalize_join_code():
    assert normalize_join_code(" ab-cd efgh ") == "ABCDEFGH"


def test_rotated_code_stops_working(newcomer_client, household, organizer):
    from families.services import rotate_join_code

    old = household.join_code
    new = rotate_join_code(household=household, actor=organizer)
    assert new != old
    response = newcomer_client.post("/join/", {"code": old, "full_name": "王秀英"})
    assert response.status_code == 200
    assert Household.objects.get(pk=household.pk).join_code == new
