"""The language and text-size cookies: Secure under https, SameSite=Lax, and out of reach of scripts
(no script of ours reads them; the server renders both)."""

from __future__ import annotations

import pytest
from django.conf import settings

from project.context_processors import TEXT_SIZE_COOKIE

pytestmark = pytest.mark.django_db


def _cookies(client, secure: bool):
    response = client.get("/prefs/", {"language": "en", "text": "large", "next": "/"}, secure=secure)
    assert response.status_code == 302
    return response.cookies[settings.LANGUAGE_COOKIE_NAME], response.cookies[TEXT_SIZE_COOKIE]


def test_preference_cookies_are_secure_under_https(client):
    for cookie in _cookies(client, secure=True):
        assert cookie["secure"] is True
        assert cookie["httponly"] is True
        assert cookie["samesite"] == "Lax"


def test_preference_cookies_still_work_over_plain_http_in_development(client):
    language, size = _cookies(client, secure=False)
    assert language.value == "en" and size.value == "large"
    assert not language["secure"] and not size["secure"]
    assert language["httponly"] is True and size["httponly"] is True
    assert '<html lang="en" class="text-large">' in client.get("/").content.decode()
