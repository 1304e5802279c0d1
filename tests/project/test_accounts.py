"""Accounts: sign up and log in by username, email or mobile number."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from project import sms
from project.models import Profile
from tests.outbox import delivered_texts
from tests.project.test_access_sweep import row_counts

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def memory_sms(settings):
    settings.SMS_SENDER = "project.sms.MemorySMSSender"
    sms.outbox.clear()
    yield delivered_texts  # what the provider received once the worker ran


def signup(client, **fields):
    data = {
        "username": "laowang",
        "full_name": "王秀英",
        "password1": "plum-blossom-77",
        "password2": "plum-blossom-77",
    }
    data.update(fields)
    return client.post("/accounts/signup/", data)


def test_sign_up_with_only_a_username_and_name(client):
    response = signup(client)
    assert response.status_code == 302
    user = get_user_model().objects.get(username="laowang")
    assert user.profile.full_name == "王秀英"


def test_sign_up_with_a_chinese_mobile_number_sends_a_code(client, memory_sms):
    response = signup(client, phone="138 1234 5678")
    assert response.status_code == 302
    profile = Profile.objects.get(user__username="laowang")
    assert profile.phone == "+8613812345678"
    assert profile.phone_verified is False
    assert memory_sms()[-1][0] == "+8613812345678"


def test_bad_mobile_number_gets_a_clear_message_and_creates_nothing(client):
    before = row_counts()
    response = signup(client, phone="12345")
    assert response.status_code == 200
    assert "11" in response.content.decode()
    assert row_counts() == before and not get_user_model().objects.filter(username="laowang").exists()


def test_log_in_with_a_mobile_number_typed_without_country_code(client):
    user = get_user_model().objects.create_user("laoli", password="plum-blossom-77")
    Profile.objects.create(user=user, phone="+8613912345678", phone_verified=True)
    response = client.post("/accounts/login/", {"login": "13912345678", "password": "plum-blossom-77"})
    assert response.status_code == 302
    assert client.get("/me/").status_code == 200


def test_log_in_with_username_and_email(client):
    get_user_model().objects.create_user("laozhao", email="zhao@example.com", password="plum-blossom-77")
    assert client.post("/accounts/login/", {"login": "laozhao", "password": "plum-blossom-77"}).status_code == 302
    client.logout()
    assert (
        client.post("/accounts/login/", {"login": "zhao@example.com", "password": "plum-blossom-77"}).status_code == 302
    )


def test_wrong_password_is_refused_in_the_users_language(client):
    get_user_model().objects.create_user("laozhao", password="plum-blossom-77")
    before = row_counts()
    response = client.post("/accounts/login/", {"login": "laozhao", "password": "wrong"})
    assert response.status_code == 200
    assert "不正确" in response.content.decode()
    assert row_counts() == before


def test_session_id_changes_at_login(client):
    get_user_model().objects.create_user("laozhao", password="plum-blossom-77")
    client.get("/accounts/login/")
    client.session["probe"] = 1
    before = client.cookies.get("sessionid")
    client.post("/accounts/login/", {"login": "laozhao", "password": "plum-blossom-77"})
    assert client.cookies["sessionid"].value != (before.value if before else None)


def test_failed_logins_are_rate_limited_even_for_the_right_password(client):
    get_user_model().objects.create_user("laozhao", password="plum-blossom-77")
    for i in range(5):
        client.post("/accounts/login/", {"login": "laozhao", "password": f"wrong{i}"})
    response = client.post("/accounts/login/", {"login": "laozhao", "password": "plum-blossom-77"})
    assert response.status_code in (200, 429)
    assert "_auth_user_id" not in client.session


def test_admin_login_goes_through_the_rate_limited_login(client):
    response = client.get("/admin/")
    assert response.status_code == 302
    follow = client.get(response["Location"])
    assert follow.status_code == 302 and "/accounts/login/" in follow["Location"]


def test_disabled_accounts_sessions_stop_working(resident_client, resident):
    assert resident_client.get("/me/").status_code == 200
    resident.is_active = False
    resident.save()
    assert resident_client.get("/me/").status_code == 302


def test_consent_to_be_named_is_opt_in_recorded_and_revocable(resident_client, resident):
    from families.models import Resident
    from project.models import AuditEntry

    member = Resident.objects.get(user=resident)
    assert not member.show_name_publicly and not member.household.show_publicly
    response = resident_client.post(
        "/me/", {"form": "consent", "show_name_publicly": "on", "household_show_publicly": "on"}
    )
    assert response.status_code == 302
    member.refresh_from_db()
    member.household.refresh_from_db()
    assert member.show_name_publicly and member.show_name_changed_at is not None
    assert member.household.show_publicly and member.household.show_publicly_changed_at is not None
    resident_client.post("/me/", {"form": "consent"})
    member.refresh_from_db()
    assert not member.show_name_publicly
    assert AuditEntry.objects.filter(action="consent.name_withdrawn").count() == 1


def test_profile_name_can_be_changed(resident_client, resident):
    assert resident_client.post("/me/", {"full_name": "王秀英"}).status_code == 302
    resident.profile.refresh_from_db()
    assert resident.profile.full_name == "王秀英"
