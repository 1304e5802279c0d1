"""The signed-in user is loaded by our backends on every request, exactly as Django's would."""

from __future__ import annotations

import pytest
from django.contrib.auth import BACKEND_SESSION_KEY
from django.utils.module_loading import import_string

from project.backends import AuthenticationBackend, ModelBackend
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_signing_in_on_the_site_records_our_backend_and_keeps_the_user_signed_in(client, password):
    user = UserFactory(username="wangfang")
    user.set_password(password)
    user.save()
    response = client.post("/accounts/login/", {"login": "wangfang", "password": password})
    assert response.status_code == 302
    assert client.session[BACKEND_SESSION_KEY] in (
        "project.backends.ModelBackend",
        "project.backends.AuthenticationBackend",
    )
    assert client.get("/me/").status_code == 200  # the next request loads the user through it


def test_every_configured_backend_loads_users_the_lean_way(settings):
    for path in settings.AUTHENTICATION_BACKENDS:
        assert import_string(path).get_user is ModelBackend.get_user


@pytest.mark.parametrize("backend", [ModelBackend(), AuthenticationBackend()])
def test_the_lean_load_returns_the_same_user_and_refuses_what_django_refuses(backend):
    user = UserFactory()
    loaded = backend.get_user(str(user.pk))
    assert loaded == user and loaded.username == user.username and loaded.password == user.password
    assert loaded.last_login == user.last_login and loaded.date_joined == user.date_joined
    assert loaded.is_active is True
    assert backend.get_user("999999") is None
    assert backend.get_user("not a number") is None
    user.is_active = False
    user.save()
    assert backend.get_user(str(user.pk)) is None
