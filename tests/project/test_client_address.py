"""Whose address a limit counts: the socket's, unless a proxy we were told about says otherwise.

allauth's login limits and our own (join codes, check-in codes) read the client's
address by one rule (``project.ratelimit.client_ip``, which asks allauth's
adapter), from ``ALLAUTH_TRUSTED_PROXY_COUNT`` / ``ALLAUTH_TRUSTED_CLIENT_IP_HEADER``.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client, RequestFactory

from families.conf import DEFAULTS as FAMILIES_DEFAULTS
from project.ratelimit import UNKNOWN_CLIENT, client_ip
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

JOIN_LIMIT_PER_USER = FAMILIES_DEFAULTS["FAMILIES_JOIN_ATTEMPTS_PER_ACCOUNT"]
JOIN_LIMIT_PER_IP = FAMILIES_DEFAULTS["FAMILIES_JOIN_ATTEMPTS_PER_ADDRESS"]
PASSWORD = "plum-blossom-77"
LOCKED_OUT = "登录失败次数过多"  # allauth's "Too many failed login attempts", in Chinese


def _request(remote="10.0.0.9", **headers):
    return RequestFactory().get("/", REMOTE_ADDR=remote, headers=headers)


@pytest.fixture
def behind_nginx(settings):
    """The documented nginx: it overwrites X-Real-IP with the address it saw."""
    settings.ALLAUTH_TRUSTED_CLIENT_IP_HEADER = "X-Real-IP"
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 0


def test_without_a_configured_proxy_the_socket_address_counts_whatever_the_headers_say():
    request = _request(**{"X-Real-IP": "1.2.3.4", "X-Forwarded-For": "5.6.7.8"})
    assert client_ip(request) == "10.0.0.9"


def test_a_trusted_header_names_the_client(behind_nginx):
    assert client_ip(_request(**{"X-Real-IP": "1.2.3.4", "X-Forwarded-For": "5.6.7.8"})) == "1.2.3.4"


def test_a_proxy_count_takes_that_entry_from_the_right_of_x_forwarded_for(settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    # The client wrote "6.6.6.6" itself; nginx appended the address it really saw.
    assert client_ip(_request(**{"X-Forwarded-For": "6.6.6.6, 1.2.3.4"})) == "1.2.3.4"
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 2
    assert client_ip(_request(**{"X-Forwarded-For": "6.6.6.6, 1.2.3.4, 10.0.0.2"})) == "1.2.3.4"


def test_a_request_without_the_configured_header_shares_one_strict_bucket(behind_nginx):
    assert client_ip(_request()) == UNKNOWN_CLIENT
    assert client_ip(_request(**{"X-Real-IP": "not an address"})) == UNKNOWN_CLIENT


def test_ipv6_clients_count_per_network_as_in_allauths_limits(behind_nginx):
    one = client_ip(_request(**{"X-Real-IP": "2001:db8:1:2::1"}))
    other = client_ip(_request(**{"X-Real-IP": "2001:db8:1:2:ffff::9"}))
    assert one == other == "2001:db8:1:2::"


def _wrong_codes_from_many_accounts(count: int, headers_for) -> None:
    """``count`` wrong join codes, spread over accounts so that no account reaches its own limit."""
    for n in range(count):
        if n % (JOIN_LIMIT_PER_USER - 1) == 0:
            client = Client()
            client.force_login(UserFactory())
        client.post("/join/", {"code": "ZZZZZZZZ", "full_name": "王秀英"}, headers=headers_for(n))


def test_a_spoofed_address_header_does_not_escape_the_join_code_limit(household):
    def spoofed(n):
        return {"X-Real-IP": f"203.0.113.{n}", "X-Forwarded-For": f"198.51.100.{n}"}

    _wrong_codes_from_many_accounts(JOIN_LIMIT_PER_IP, spoofed)
    fresh = Client()
    fresh.force_login(UserFactory())
    response = fresh.post(
        "/join/", {"code": household.join_code, "full_name": "王秀英"}, headers=spoofed(JOIN_LIMIT_PER_IP + 1)
    )
    assert response.status_code == 429
    assert "请15分钟后再试" in response.content.decode()


def test_behind_the_proxy_two_clients_are_limited_separately(behind_nginx, household):
    _wrong_codes_from_many_accounts(JOIN_LIMIT_PER_IP, lambda n: {"X-Real-IP": "203.0.113.7"})
    same, other = Client(), Client()
    same.force_login(UserFactory())
    other.force_login(UserFactory())
    limited = same.post(
        "/join/", {"code": household.join_code, "full_name": "王秀英"}, headers={"X-Real-IP": "203.0.113.7"}
    )
    assert limited.status_code == 429
    joined = other.post(
        "/join/", {"code": household.join_code, "full_name": "王秀英"}, headers={"X-Real-IP": "198.51.100.4"}
    )
    assert joined.status_code == 302


def _failed_login_storm(headers: dict) -> None:
    for n in range(11):  # allauth's login_failed: 10 a minute per address
        Client().post("/accounts/login/", {"login": f"nobody{n}", "password": "wrong"}, headers=headers)


def test_behind_the_proxy_a_failed_login_storm_from_one_client_does_not_lock_out_another(behind_nginx):
    get_user_model().objects.create_user("laozhao", password=PASSWORD)
    _failed_login_storm({"X-Real-IP": "203.0.113.7"})
    attacker = Client()
    refused = attacker.post(
        "/accounts/login/", {"login": "laozhao", "password": PASSWORD}, headers={"X-Real-IP": "203.0.113.7"}
    )
    assert LOCKED_OUT in refused.content.decode()
    assert "_auth_user_id" not in attacker.session
    resident = Client()
    response = resident.post(
        "/accounts/login/", {"login": "laozhao", "password": PASSWORD}, headers={"X-Real-IP": "198.51.100.4"}
    )
    assert response.status_code == 302
    assert "_auth_user_id" in resident.session


def test_without_a_proxy_a_failed_login_storm_cannot_hide_behind_spoofed_headers():
    get_user_model().objects.create_user("laozhao", password=PASSWORD)
    for n in range(11):
        Client().post(
            "/accounts/login/", {"login": f"nobody{n}", "password": "wrong"}, headers={"X-Real-IP": f"203.0.113.{n}"}
        )
    resident = Client()
    response = resident.post(
        "/accounts/login/", {"login": "laozhao", "password": PASSWORD}, headers={"X-Real-IP": "198.51.100.4"}
    )
    assert LOCKED_OUT in response.content.decode()
    assert "_auth_user_id" not in resident.session


def _settings_with(env: dict) -> str:
    import os
    import subprocess
    import sys

    script = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.ALLAUTH_TRUSTED_PROXY_COUNT, settings.ALLAUTH_TRUSTED_CLIENT_IP_HEADER)"
    )
    environment = {key: value for key, value in os.environ.items() if not key.startswith("ALLAUTH_")}
    environment.update({"DJANGO_SETTINGS_MODULE": "tests.settings", **env})
    result = subprocess.run([sys.executable, "-c", script], env=environment, capture_output=True, text=True)
    return result.stdout.strip() or result.stderr.strip().splitlines()[-1]


def test_the_proxy_settings_come_from_the_environment():
    assert _settings_with({}) == "0 None"
    assert _settings_with({"ALLAUTH_TRUSTED_CLIENT_IP_HEADER": "X-Real-IP"}) == "0 X-Real-IP"
    assert _settings_with({"ALLAUTH_TRUSTED_PROXY_COUNT": "1"}) == "1 None"
    assert "whole number" in _settings_with({"ALLAUTH_TRUSTED_PROXY_COUNT": "one"})
