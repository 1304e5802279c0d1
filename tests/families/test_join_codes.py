"""Verification by join code (入户码): joining follows one table (issue #13).

| code  | name given                               | register person's phone                      | outcome                      |
|-------|------------------------------------------|----------------------------------------------|------------------------------|
| wrong | any                                      | any                                          | refused, one attempt counted |
| right | matches an unlinked register person      | none in the register                         | linked and verified at once  |
| right | matches an unlinked register person      | in the register, the account verified it     | linked and verified at once  |
| right | matches an unlinked register person      | in the register, account has none or another | queued, naming the person    |
| right | matches nobody unlinked                  | any                                          | queued as a new member       |
"""

from __future__ import annotations

import re

import pytest

from awards.models import TargetKind
from awards.services import AwardError, cast_vote
from families.access import verified_membership
from families.models import Household, Resident, name_key, normalize_join_code
from project.codes import CODE_ALPHABET
from project.models import Notice, Profile
from project.ratelimit import is_limited
from tests.awards.factories import make_entry, make_nomination, make_round
from tests.factories import HouseholdFactory, ResidentFactory, UserFactory
from tests.project.test_access_sweep import row_counts

pytestmark = pytest.mark.django_db

WAITING_ZH = "您的申请正在等待网格员确认"
WAITING_EN = "Your request is waiting for your grid worker to confirm it."


def _join(client, household, name, **extra):
    return client.post("/join/", {"code": household.join_code, "full_name": name}, follow=True, **extra)


def _listed(household, name="林秀英", phone=""):
    """A register person an organizer listed, without an account."""
    return ResidentFactory(household=household, full_name=name, phone=phone, user=None)


def _verified_phone(user, phone="+8613812345678", verified=True):
    Profile.objects.filter(user=user).update(phone=phone, phone_verified=verified)


def test_join_codes_have_eight_characters_without_look_alikes(db):
    codes = {HouseholdFactory().join_code for _ in range(30)}
    for code in codes:
        assert len(code) == 8
        assert not set(code) & set("0O1IL")
        assert set(code) <= set(CODE_ALPHABET)


def test_normalize_join_code():
    assert normalize_join_code(" ab-cd efgh ") == "ABCDEFGH"


# --- Row 1: a wrong code ----------------------------------------------------------------------------


def test_a_wrong_code_is_refused_with_a_clear_message_and_writes_nothing(newcomer_client, newcomer, household):
    _listed(household)
    before = row_counts()
    response = newcomer_client.post("/join/", {"code": "ZZZZZZZZ", "full_name": "林秀英"})
    assert response.status_code == 200
    assert "入户码不正确。请核对网格员给您的纸条后重试。" in response.content.decode()
    assert row_counts() == before and not Notice.objects.exists()


def test_a_wrong_code_counts_one_attempt_against_the_limits(newcomer_client, newcomer, household):
    for attempt in range(5):
        assert not is_limited("join-user", str(newcomer.pk), limit=5, window_seconds=900)
        newcomer_client.post("/join/", {"code": "ZZZZZZZZ", "full_name": "王秀英"})
    assert is_limited("join-user", str(newcomer.pk), limit=5, window_seconds=900)
    response = newcomer_client.post("/join/", {"code": household.join_code, "full_name": "王秀英"})
    assert response.status_code == 429
    assert "15" in response.content.decode()
    assert not Resident.objects.filter(user=newcomer).exists()


# --- Row 2: a listed person without a phone in the register -------------------------------------------


def test_a_name_matching_a_listed_person_without_a_phone_links_at_once(newcomer_client, newcomer, household):
    listed = _listed(household)
    response = _join(newcomer_client, household, "林秀英")
    assert "欢迎" in response.content.decode()
    listed.refresh_from_db()
    assert listed.user == newcomer and listed.status == "verified"
    assert verified_membership(newcomer) == listed
    assert household.residents.count() == 1  # the listed person was claimed, not a second row added


# --- Row 3: a listed person whose number the account verified ----------------------------------------


@pytest.mark.parametrize("register_phone", ["+8613812345678", "13812345678", "138 1234 5678", "+86 138-1234-5678"])
def test_a_listed_person_whose_number_the_account_verified_links_at_once(
    newcomer_client, newcomer, household, register_phone
):
    listed = _listed(household, phone=register_phone)
    _verified_phone(newcomer, "+8613812345678")
    response = _join(newcomer_client, household, "林秀英")
    assert "欢迎" in response.content.decode()
    assert verified_membership(newcomer) == listed


# --- Row 4: a listed person with a number the account has not verified --------------------------------


@pytest.mark.parametrize(
    "profile_phone,verified",
    [(None, False), ("+8613812345678", False), ("+8613900000000", True)],
    ids=["no number", "same number, not verified", "another verified number"],
)
def test_a_listed_person_with_a_number_the_account_has_not_verified_is_queued_naming_them(
    newcomer_client, newcomer, household, profile_phone, verified
):
    listed = _listed(household, phone="+8613812345678")
    _verified_phone(newcomer, profile_phone, verified)
    response = _join(newcomer_client, household, "林秀英")
    assert WAITING_ZH in response.content.decode()
    request = Resident.objects.get(user=newcomer)
    assert request.status == "pending" and request.source == "request" and request.with_code
    assert request.matched_person == listed
    listed.refresh_from_db()
    assert listed.user is None
    assert verified_membership(newcomer) is None


# --- Row 5: a name that matches nobody unlinked ------------------------------------------------------


def test_a_name_matching_nobody_is_queued_as_a_new_member(newcomer_client, newcomer, household):
    _listed(household)
    response = _join(newcomer_client, household, "王小明")
    assert WAITING_ZH in response.content.decode()
    request = Resident.objects.get(user=newcomer)
    assert request.status == "pending" and request.matched_person is None and request.full_name == "王小明"
    assert verified_membership(newcomer) is None


def test_a_name_already_linked_to_an_account_matches_nobody(newcomer_client, newcomer, household, resident):
    taken = verified_membership(resident)
    _join(newcomer_client, household, taken.full_name)
    request = Resident.objects.get(user=newcomer)
    assert request.status == "pending" and request.matched_person is None
    taken.refresh_from_db()
    assert taken.user == resident


def test_another_strangers_request_is_not_a_register_person(newcomer_client, newcomer, household):
    stranger = UserFactory(username="stranger")
    Resident.objects.create(household=household, full_name="李四", user=stranger, status="pending", source="request")
    _join(newcomer_client, household, "李四")
    request = Resident.objects.get(user=newcomer)
    assert request.status == "pending" and request.matched_person is None


def test_a_removed_person_is_not_a_register_person(newcomer_client, newcomer, household):
    ResidentFactory(household=household, full_name="已注销居民", phone="", user=None, status="removed")
    _join(newcomer_client, household, "已注销居民")
    assert Resident.objects.get(user=newcomer).status == "pending"


def test_a_queued_answer_says_nothing_about_whether_the_name_matched(household):
    _listed(household, phone="+8613812345678")
    bodies = []
    for username, name in (("qx1stranger", "林秀英"), ("qx2stranger", "随便写")):
        client = _client(UserFactory(username=username))
        response = _join(client, household, name)
        body = response.content.decode().replace(username, "USER")
        bodies.append(re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", body))
    assert response.redirect_chain == [("/me/", 302)]
    assert bodies[0] == bodies[1]


def test_the_waiting_message_is_in_english_for_english_readers(newcomer_client, household):
    response = _join(newcomer_client, household, "Someone", HTTP_ACCEPT_LANGUAGE="en")
    assert WAITING_EN in response.content.decode()


# --- Names and numbers in one form ------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["林 秀英", "林　秀英", " 林秀英 ", "林\u200b秀英", "林\t秀\n英"])
def test_chinese_names_match_without_spaces_or_invisible_characters(newcomer_client, newcomer, household, typed):
    listed = _listed(household, name="林秀英")
    _join(newcomer_client, household, typed)
    assert verified_membership(newcomer) == listed
    listed.refresh_from_db()
    assert listed.full_name == "林秀英"  # the register keeps its own spelling


@pytest.mark.parametrize("typed", ["anna  LI", "Ａｎｎａ　Ｌｉ", " Anna Li "])
def test_latin_names_match_ignoring_case_width_and_extra_spaces(newcomer_client, newcomer, household, typed):
    listed = _listed(household, name="Anna Li")
    _join(newcomer_client, household, typed)
    assert verified_membership(newcomer) == listed


def test_latin_names_keep_their_word_boundaries(newcomer_client, newcomer, household):
    _listed(household, name="Anna Li")
    _join(newcomer_client, household, "AnnaLi")
    assert verified_membership(newcomer) is None


def test_name_keys():
    assert name_key("阿依古丽・买买提") == name_key("阿依古丽·买买提") == name_key("阿依古丽．买买提")
    assert name_key("ＷＡＮＧ　Xiu") == name_key("wang xiu")
    assert name_key("王 秀英") == name_key("王秀英") != name_key("王秀")


def test_two_listed_people_of_one_name_wait_for_an_organizer(newcomer_client, newcomer, household):
    first = _listed(household, name="张伟")
    _listed(household, name="张伟")
    _join(newcomer_client, household, "张伟")
    request = Resident.objects.get(user=newcomer)
    assert request.status == "pending" and request.matched_person == first


def test_of_two_listed_people_of_one_name_the_verified_number_decides(newcomer_client, newcomer, household):
    _listed(household, name="张伟", phone="+8613900000001")
    mine = _listed(household, name="张伟", phone="+8613812345678")
    _verified_phone(newcomer, "+8613812345678")
    _join(newcomer_client, household, "张伟")
    assert verified_membership(newcomer) == mine


def test_a_listed_person_still_waiting_for_confirmation_is_not_linked_at_once(newcomer_client, newcomer, household):
    listed = _listed(household)
    Resident.objects.filter(pk=listed.pk).update(status="pending")
    _join(newcomer_client, household, "林秀英")
    request = Resident.objects.get(user=newcomer)
    assert request.pk != listed.pk and request.matched_person == listed and request.status == "pending"


# --- A request, then the code ------------------------------------------------------------------------


def _ask(client, household, name):
    return client.post(
        "/join/",
        {
            "form": "request",
            "ask-building": household.building_id,
            "ask-door": household.door_label,
            "ask-full_name": name,
        },
    )


def test_a_code_after_a_request_does_not_make_a_stranger_a_member(newcomer_client, newcomer, household):
    _ask(newcomer_client, household, "赵新来")
    response = _join(newcomer_client, household, "赵新来")
    assert WAITING_ZH in response.content.decode()
    request = Resident.objects.get(user=newcomer)
    assert request.status == "pending" and request.with_code and request.matched_person is None
    assert verified_membership(newcomer) is None


def test_a_code_after_a_request_links_a_listed_person_and_keeps_the_register_name(newcomer_client, newcomer, household):
    listed = _listed(household, name="林秀英")
    _ask(newcomer_client, household, "林 秀英")
    request = Resident.objects.get(user=newcomer)
    assert request.status == "pending" and request.matched_person == listed  # no slip: never linked at once
    _join(newcomer_client, household, "林  秀英")
    listed.refresh_from_db()
    request.refresh_from_db()
    assert verified_membership(newcomer) == listed and listed.full_name == "林秀英"
    assert request.status == "removed"
    assert Resident.objects.filter(user=newcomer).exclude(status="removed").count() == 1


def test_a_code_for_another_household_does_not_replace_a_request(newcomer_client, newcomer, household, other_household):
    _ask(newcomer_client, household, "赵新来")
    _listed(other_household, name="赵新来")
    response = newcomer_client.post("/join/", {"code": other_household.join_code, "full_name": "赵新来"})
    assert "您已经申请加入一户家庭" in response.content.decode()
    assert Resident.objects.get(user=newcomer).household == household


def test_trying_names_with_a_real_code_is_limited_too(newcomer_client, newcomer, household):
    _listed(household, name="林秀英")
    for guess in ("王一", "王二", "王三", "王四", "王五"):
        _join(newcomer_client, household, guess)
    response = newcomer_client.post("/join/", {"code": household.join_code, "full_name": "林秀英"})
    assert response.status_code == 429
    assert verified_membership(newcomer) is None


# --- Housemates are told ------------------------------------------------------------------------------


def test_a_link_tells_the_households_other_verified_members(newcomer_client, newcomer, household, resident, housemate):
    _listed(household, name="林秀英")
    neighbour_elsewhere = ResidentFactory(user=UserFactory(username="far"))
    _join(newcomer_client, household, "林秀英")
    told = set(Notice.objects.filter(kind="household_joined").values_list("user__username", flat=True))
    assert told == {"resident", "housemate"}
    assert not Notice.objects.filter(user__in=[newcomer, neighbour_elsewhere.user]).exists()
    page = _client(housemate).get("/notices/").content.decode()
    assert "林秀英已成为您家的认证成员" in page
    english = _client(resident).get("/notices/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "林秀英 is now a verified member of your household" in english


def test_a_queued_request_tells_nobody_yet(newcomer_client, household, resident):
    _join(newcomer_client, household, "王小明")
    assert not Notice.objects.exists()


def test_the_header_shows_unread_notices_until_they_are_read(newcomer_client, household, resident):
    _listed(household, name="林秀英")
    _join(newcomer_client, household, "林秀英")
    client = _client(resident)
    assert '<span class="badge warn">1<' in client.get("/me/").content.decode()
    client.get("/notices/")
    assert '<span class="badge warn">1<' not in client.get("/me/").content.decode()


# --- The abuse case ----------------------------------------------------------------------------------


def test_one_code_and_made_up_names_from_several_accounts_make_no_voter(household, resident):
    for name, phone in (("王建国", "13812345678"), ("李桂兰", "13912345678")):
        _listed(household, name=name, phone=phone)
    entry = make_entry(make_round("voting"), TargetKind.PERSON, votes_per_voter=3)
    nomination = make_nomination(entry)
    members_before = Resident.objects.verified().count()
    strangers = []
    for index, name in enumerate(["张三", "李四", "王五", "赵六", "王建国"]):
        stranger = UserFactory(username=f"stranger{index}")
        response = _join(_client(stranger), household, name)
        assert WAITING_ZH in response.content.decode()
        strangers.append(stranger)
    assert Resident.objects.verified().count() == members_before
    for stranger in strangers:
        assert verified_membership(stranger) is None
        with pytest.raises(AwardError):
            cast_vote(nomination=nomination, user=stranger)
    assert not Notice.objects.filter(kind="household_joined").exists()


def test_visitors_must_log_in_to_join(client, household):
    response = client.post("/join/", {"code": household.join_code, "full_name": "王秀英"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not Resident.objects.exists()


def test_a_member_cannot_join_a_second_household(resident_client, resident, other_household):
    response = resident_client.post("/join/", {"code": other_household.join_code, "full_name": "x"})
    assert response.status_code == 302  # already verified: sent to their page
    assert Resident.objects.filter(user=resident).count() == 1


def test_rotated_code_stops_working(newcomer_client, household, organizer):
    from families.services import rotate_join_code

    old = household.join_code
    new = rotate_join_code(household=household, actor=organizer)
    assert new != old
    response = newcomer_client.post("/join/", {"code": old, "full_name": "王秀英"})
    assert response.status_code == 200
    assert Household.objects.get(pk=household.pk).join_code == new


def _client(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client
