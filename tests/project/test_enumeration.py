"""Sign-up does not tell whether an e-mail address already has an account.

Email is optional here and its verification too (many residents have no
address), so allauth's documented way is ``ACCOUNT_PREVENT_ENUMERATION =
"strict"``: a sign-up with a taken address goes through like any other, and only
one account can ever verify the address.
"""

from __future__ import annotations

import re

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client

from tests.outbox import deliver

pytestmark = pytest.mark.django_db

PASSWORD = "plum-blossom-77"


def _sign_up(username: str, email: str):
    client = Client()
    response = client.post(
        "/accounts/signup/",
        {"username": username, "full_name": "王秀英", "email": email, "password1": PASSWORD, "password2": PASSWORD},
    )
    page = client.get(response["Location"]) if response.status_code == 302 else response
    return client, response, page


def _visible(page, *names: str) -> str:
    """The page as its reader sees it, without the tokens that differ on every request and the names typed."""
    html = page.content.decode()
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
    for name in names:
        html = html.replace(name, "NAME")
    return html


def test_signing_up_with_a_taken_email_looks_exactly_like_signing_up_with_a_fresh_one():
    owner = get_user_model().objects.create_user("laozhao", email="zhao@example.com", password=PASSWORD)
    EmailAddress.objects.create(user=owner, email="zhao@example.com", verified=True, primary=True)
    mail.outbox.clear()

    _taken_client, taken, taken_page = _sign_up("stranger1", "zhao@example.com")
    _fresh_client, fresh, fresh_page = _sign_up("stranger2", "new@example.com")

    assert taken.status_code == fresh.status_code == 302
    assert taken["Location"] == fresh["Location"]
    assert _visible(taken_page, "stranger1", "zhao@example.com") == _visible(fresh_page, "stranger2", "new@example.com")
    # Each address got one message (once a worker sent the outbox), and the owner's account keeps its verified address.
    deliver()
    assert sorted(message.to[0] for message in mail.outbox) == ["new@example.com", "zhao@example.com"]
    assert EmailAddress.objects.get(user=owner).verified
    stranger = get_user_model().objects.get(username="stranger1")
    assert not EmailAddress.objects.filter(user=stranger, verified=True).exists()


def test_the_owner_still_logs_in_with_the_address_after_a_stranger_signed_up_with_it():
    owner = get_user_model().objects.create_user("laozhao", email="zhao@example.com", password=PASSWORD)
    EmailAddress.objects.create(user=owner, email="zhao@example.com", verified=True, primary=True)
    _sign_up("stranger1", "zhao@example.com")
    client = Client()
    response = client.post("/accounts/login/", {"login": "zhao@example.com", "password": PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(owner.pk)


def test_signing_up_with_a_taken_mobile_number_looks_like_signing_up_with_a_fresh_one(settings):
    from project import sms
    from project.models import Profile

    settings.SMS_SENDER = "project.sms.MemorySMSSender"
    sms.outbox.clear()
    owner = get_user_model().objects.create_user("laozhao", password=PASSWORD)
    Profile.objects.create(user=owner, phone="+8613912345678", phone_verified=True)

    def sign_up(username: str, phone: str):
        client = Client()
        response = client.post(
            "/accounts/signup/",
            {"username": username, "full_name": "王秀英", "phone": phone, "password1": PASSWORD, "password2": PASSWORD},
        )
        return response, client.get(response["Location"]) if response.status_code == 302 else response

    taken, taken_page = sign_up("stranger1", "13912345678")
    fresh, fresh_page = sign_up("stranger2", "13912345679")
    assert taken.status_code == fresh.status_code == 302
    assert taken["Location"] == fresh["Location"]
    assert _visible(taken_page, "+8613912345678") == _visible(fresh_page, "+8613912345679")
    deliver()
    assert [phone for phone, _text in sms.outbox] == ["+8613912345678", "+8613912345679"]
    assert Profile.objects.get(user=owner).phone_verified
