"""Bad input everywhere people type: a clear answer, never a 500, nothing half-written, everything escaped."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from activities.models import Activity, ActivityType, StoreItem
from awards.models import TIMELINE_FIELDS, AwardRound
from families.models import FamilyMotto, Resident
from project.management.commands.backup import row_counts
from project.models import AuditEntry, Profile
from tests.tokens import token

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert('x')</script><img src=x onerror=alert(1)>"
HOSTILE_TEXTS = [
    "",
    "   ",
    "长" * 5000,
    "👨‍👩‍👧 家和万事兴 🏠",
    "\u202eevil\u202c 右到左",
    "\u200b\u200d\ufeff",
    SCRIPT,
    "=cmd|' /C calc'!A0",
    "null\x00byte",
]


def _rows():
    counts = row_counts()
    counts.pop("sessions.Session", None)
    counts.pop("project.AuditEntry", None)
    return counts


@pytest.mark.parametrize("text", HOSTILE_TEXTS)
def test_my_name_and_our_motto_take_hostile_text_without_a_500(resident_client, resident, text):
    household = Resident.objects.get(user=resident).household
    for path, data in [
        ("/me/", {"full_name": text}),
        (f"/households/{household.pk}/motto/", {"text": text, **token(resident, "families.motto")}),
        ("/join/", {"code": text, "full_name": text}),
    ]:
        response = resident_client.post(path, data)
        assert response.status_code < 500, (path, response.status_code)
    for path in ["/me/", f"/households/{household.pk}/motto/"]:
        html = resident_client.get(path).content.decode()
        assert "<script>alert" not in html and "<img src=x" not in html


def test_script_in_a_motto_is_escaped_for_the_organizer_too(resident_client, resident, organizer_client):
    household = Resident.objects.get(user=resident).household
    resident_client.post(
        f"/households/{household.pk}/motto/", {"text": "家和万事兴" + SCRIPT, **token(resident, "families.motto")}
    )
    assert FamilyMotto.objects.filter(household=household).exists()
    html = organizer_client.get("/organize/mottos/").content.decode()
    assert "家和万事兴" in html and "<script>alert" not in html


def test_too_long_and_empty_names_are_refused_and_change_nothing(resident_client, resident):
    before, rows = Profile.objects.get(user=resident).full_name, row_counts()
    for text in ["", "长" * 5000]:
        response = resident_client.post("/me/", {"full_name": text})
        assert response.status_code == 200  # the form again, with the error
    assert Profile.objects.get(user=resident).full_name == before
    assert row_counts() == rows


def _activity_form(**overrides):
    start = timezone.localtime() + timedelta(days=3)
    data = {
        "title": "楼道清理",
        "type": ActivityType.objects.get_or_create(name="环境整治")[0].pk,
        "description": "",
        "place": "3号楼",
        "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        "signup_deadline": (start - timedelta(hours=12)).strftime("%Y-%m-%dT%H:%M"),
        "capacity": "10",
        "points_per_hour": "10",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    "overrides",
    [
        {"capacity": "-5"},
        {"capacity": "0"},
        {"capacity": "1000000000000"},
        {"points_per_hour": "-10"},
        {"points_per_hour": "99999999"},
        {"title": ""},
        {"title": "长" * 500},
        {"starts_at": "not a date"},
        {"ends_at": (timezone.localtime() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")},  # ends before it starts
        {"signup_deadline": (timezone.localtime() + timedelta(days=9)).strftime("%Y-%m-%dT%H:%M")},  # after the start
    ],
)
def test_absurd_activity_numbers_and_dates_are_refused_with_a_message(organizer_client, organizer, overrides):
    data = _activity_form(**overrides) | token(organizer, "activities.activity_new")
    before = _rows()
    response = organizer_client.post("/organize/activities/new/", data)
    assert response.status_code == 200
    assert 'class="errorlist' in response.content.decode()
    assert Activity.objects.count() == 0
    assert _rows() == before


def test_a_hostile_activity_title_is_escaped_on_the_public_list(organizer_client, organizer):
    data = _activity_form(title="清理" + SCRIPT[:60]) | token(organizer, "activities.activity_new")
    response = organizer_client.post("/organize/activities/new/", data)
    assert response.status_code == 302
    html = organizer_client.get("/activities/").content.decode()
    assert "清理" in html and "<script>alert" not in html


@pytest.mark.parametrize("price,stock", [("-1", "5"), ("10", "-3"), ("abc", "5"), ("10", "99999999999999")])
def test_store_items_refuse_negative_or_absurd_numbers(organizer_client, organizer, price, stock):
    response = organizer_client.post(
        "/organize/store/items/new/",
        {
            "name": "毛巾",
            "description": "",
            "price": price,
            "stock": stock,
            "is_active": "on",
            "sort_order": "0",
            **token(organizer, "activities.store_item_new"),
        },
    )
    assert response.status_code == 200
    assert StoreItem.objects.count() == 0


def test_a_round_whose_dates_are_out_of_order_is_refused(organizer_client, organizer):
    now = timezone.localtime()
    stamps = [now + timedelta(days=d) for d in (1, 10, 5, 12, 20, 30, 31)]  # review ends before nominations close
    names = TIMELINE_FIELDS
    data = {"title": "2026年度评选", "year": "2026", "description": "", **token(organizer, "awards.round_new")}
    data.update({name: stamp.strftime("%Y-%m-%dT%H:%M") for name, stamp in zip(names, stamps, strict=True)})
    response = organizer_client.post("/organize/rounds/new/", data)
    assert response.status_code == 200
    assert AwardRound.objects.count() == 0
    assert not AuditEntry.objects.filter(action__startswith="awards.round").exists()


def test_extra_post_fields_are_ignored(resident_client, resident, other_household):
    member = Resident.objects.get(user=resident)
    response = resident_client.post(
        "/me/",
        {
            "full_name": "王秀英",
            "is_staff": "on",
            "is_superuser": "on",
            "household": other_household.pk,
            "points": "99999",
            "status": "verified",
        },
    )
    assert response.status_code == 302
    resident.refresh_from_db()
    member.refresh_from_db()
    assert not resident.is_staff and not resident.is_superuser
    assert member.household_id != other_household.pk
    from activities.models import PointsBalance

    assert not PointsBalance.objects.filter(resident=member, balance__gt=0).exists()
