"""One phone normaliser: every spelling residents and organizers type is stored as E.164, and shown back as typed."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from families.models import Resident
from families.register_io import check_register
from project.phones import for_people, same_number, to_e164
from tests.factories import ResidentFactory
from tests.tokens import token


@pytest.mark.parametrize(
    "typed,stored",
    [
        ("13812345678", "+8613812345678"),
        ("138 1234 5678", "+8613812345678"),
        ("138-1234-5678", "+8613812345678"),
        ("+86 138 1234 5678", "+8613812345678"),
        ("+8613812345678", "+8613812345678"),
        ("008613812345678", "+8613812345678"),
        ("8613812345678", "+8613812345678"),
        ("010-12345678", "+861012345678"),
        ("(010)12345678", "+861012345678"),
        ("（010）12345678", "+861012345678"),
        ("0755-1234567", "+867551234567"),  # a seven-digit local number, as today's import accepts
        ("0571.8888.8888", "+8657188888888"),
        ("+44 7911 123456", "+447911123456"),
    ],
)
def test_every_spelling_of_a_number_is_stored_in_e164(typed, stored):
    assert to_e164(typed) == stored
    assert to_e164(stored) == stored  # storing twice changes nothing


@pytest.mark.parametrize("typed", ["", "12345", "1381234567", "01381234567", "abc", "138123456789", "+44 12", "1" * 30])
def test_what_is_not_a_phone_number_is_refused(typed):
    assert to_e164(typed) is None


def test_an_accounts_mobile_number_must_be_a_mobile():
    assert to_e164("13812345678", mobile=True) == "+8613812345678"
    assert to_e164("010-12345678", mobile=True) is None
    assert to_e164("+44 20 7946 0958", mobile=True) is None  # a London landline
    assert to_e164("+44 7911 123456", mobile=True) == "+447911123456"


def test_organizers_read_chinese_numbers_as_their_digits():
    assert for_people("+8613812345678") == "13812345678"
    assert for_people("+861012345678") == "01012345678"
    assert for_people("+447911123456") == "+447911123456"
    assert for_people("12345") == "12345"  # a register value kept as it was is shown as it is
    assert for_people("") == ""


def test_two_spellings_of_one_number_are_one_number():
    assert same_number("13812345678", "+8613812345678")
    assert same_number("010 1234 5678", "+861012345678")
    assert not same_number("13812345678", "13812345679")
    assert not same_number("", "")
    assert not same_number("12345", "12345")  # not numbers: never "the same phone"


@pytest.mark.django_db
def test_the_register_import_stores_e164_and_the_export_writes_what_reimports_unchanged(organizer_client, organizer):
    from families.services import import_register

    rows = [
        ["第一网格", "幸福里1号楼", "1单元101", "王家", "王建国", "王建国", "138 1234 5678"],
        ["第一网格", "幸福里1号楼", "1单元101", "王家", "王建国", "王秀英", "010-12345678"],
    ]
    text = io.StringIO()
    csv.writer(text).writerows([["网格", "楼院", "门牌", "家庭名称", "户主", "姓名", "电话"], *rows])
    import_register(plan=check_register(text.getvalue().encode(), "a.csv"), actor=organizer)
    assert dict(Resident.objects.values_list("full_name", "phone")) == {
        "王建国": "+8613812345678",
        "王秀英": "+861012345678",
    }
    exported = organizer_client.get(reverse("families:organize_export", args=["csv"]))
    body = b"".join(exported.streaming_content) if exported.streaming else exported.content
    decoded = body.decode("utf-8-sig")
    assert "13812345678" in decoded and "01012345678" in decoded and "+86" not in decoded
    again = check_register(body, "export.csv")
    assert again.errors == [] and {r.phone for r in again.residents} == {"+8613812345678", "+861012345678"}


@pytest.mark.django_db
def test_an_organizer_types_and_reads_the_national_digits(organizer_client, organizer, household):
    url = reverse("families:organize_household", args=[household.pk])
    organizer_client.post(
        url,
        {
            "form": "resident",
            "new-full_name": "赵六",
            "new-phone": "139-0000-1111",
            **token(organizer, "families.resident_new"),
        },
    )
    person = Resident.objects.get(full_name="赵六")
    assert person.phone == "+8613900001111"
    page = organizer_client.get(url).content.decode()
    assert "13900001111" in page and "+8613900001111" not in page
    edit = organizer_client.get(reverse("families:organize_resident", args=[person.pk])).content.decode()
    assert 'value="13900001111"' in edit


@pytest.mark.django_db
def test_a_walk_in_is_found_by_any_spelling_of_the_number(organizer_client, organizer):
    from activities.models import Signup
    from tests.activities.factories import finished_activity

    activity = finished_activity()
    person = ResidentFactory(phone="+8613900001111")
    before = Signup.objects.count()
    organizer_client.post(
        reverse("activities:organize_walk_in", args=[activity.pk]),
        {"phone": "+86 139-0000-1111", **token(organizer, "activities.walk_in")},
    )
    assert Signup.objects.count() == before + 1
    assert Signup.objects.filter(activity=activity, resident=person).exists()
