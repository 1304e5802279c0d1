"""Going over allauth's SMS limit ("verify_phone": one code per number per 30 s, three a minute per address)
during phone sign-up, phone login or a phone change is a message with the wait, in the reader's language,
never a 500."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from project import sms
from project.models import Profile
from tests.factories import UserFactory
from tests.outbox import delivered_texts

pytestmark = pytest.mark.django_db

PASSWORD = "plum-blossom-77"
WAIT_ZH = "验证码发送过于频繁"
WAIT_EN = "Wait 1 minute, then log in to receive your code."


@pytest.fixture(autouse=True)
def memory_sms(settings):
    settings.SMS_SENDER = "project.sms.MemorySMSSender"
    sms.outbox.clear()
    yield delivered_texts  # what the provider received once the worker ran


def _client() -> Client:
    return Client(raise_request_exception=False)


def _sign_up(client: Client, n: int, **headers):
    return client.post(
        "/accounts/signup/",
        {
            "username": f"laowang{n}",
            "full_name": "王秀英",
            "phone": f"1381234{n:04d}",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
        headers=headers,
        follow=True,
    )


def test_a_sign_up_over_the_sms_limit_says_how_long_to_wait_and_the_account_can_log_in_later(memory_sms):
    for n in range(3):  # three codes a minute from one address
        assert _sign_up(_client(), n).status_code == 200
    assert len(memory_sms()) == 3
    client = _client()
    response = _sign_up(client, 3)
    assert response.status_code == 200
    html = response.content.decode()
    assert WAIT_ZH in html and "1分钟" in html
    assert len(memory_sms()) == 3  # no fourth code went out
    assert "_auth_user_id" not in client.session  # not signed in half-verified
    user = get_user_model().objects.get(username="laowang3")
    assert Profile.objects.get(user=user).phone_verified is False


def test_the_wait_is_in_english_for_english_readers():
    for n in range(3):
        _sign_up(_client(), n)
    response = _sign_up(_client(), 3, **{"accept-language": "en"})
    assert response.status_code == 200
    assert WAIT_EN in response.content.decode()


def test_a_phone_login_over_the_sms_limit_says_how_long_to_wait(memory_sms):
    user = get_user_model().objects.create_user("laoli", password=PASSWORD)
    Profile.objects.create(user=user, phone="+8613912345678", phone_verified=False)
    first = _client().post("/accounts/login/", {"login": "13912345678", "password": PASSWORD})
    assert first.status_code == 302 and "/accounts/phone/verify/" in first["Location"]
    assert len(memory_sms()) == 1
    client = _client()
    again = client.post("/accounts/login/", {"login": "13912345678", "password": PASSWORD}, follow=True)
    assert again.status_code == 200
    assert WAIT_ZH in again.content.decode()
    assert len(memory_sms()) == 1
    assert "_auth_user_id" not in client.session


def test_changing_ones_phone_over_the_sms_limit_says_how_long_to_wait(memory_sms):
    for n in range(3):  # three codes a minute from one address, each account within its own change limit
        client = _client()
        client.force_login(UserFactory())
        assert client.post("/accounts/phone/change/", {"phone": f"1391234567{n}"}).status_code == 302
    assert len(memory_sms()) == 3
    client = _client()
    client.force_login(UserFactory())
    response = client.post("/accounts/phone/change/", {"phone": "13912345679"})
    assert response.status_code == 429
    html = response.content.decode()
    assert WAIT_ZH in html and "1分钟" in html
    assert len(memory_sms()) == 3


def test_allauths_other_limits_answer_with_the_translated_page(resident_client):
    resident_client.post("/accounts/phone/change/", {"phone": "13912345670"})
    response = resident_client.post("/accounts/phone/change/", {"phone": "13912345671"})
    assert response.status_code == 429  # "change_phone": once a minute per account
    assert "请求过于频繁" in response.content.decode()
