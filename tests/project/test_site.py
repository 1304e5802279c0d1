"""The foundation: pages, health, preferences, errors and security headers."""

from __future__ import annotations

import io
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import OperationalError
from django.test import override_settings

pytestmark = pytest.mark.django_db


def test_home_is_chinese_by_default(client):
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'lang="zh-Hans"' in html
    assert "社区荣誉" in html


def test_home_speaks_english_when_asked(client):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en")
    assert 'lang="en"' in response.content.decode()
    assert "Community Honours" in response.content.decode()


def test_language_switch_persists_in_a_cookie(client):
    response = client.get("/prefs/", {"language": "en", "next": "/me/"})
    assert response.status_code == 302 and response["Location"] == "/me/"
    assert 'lang="en"' in client.get("/").content.decode()
    client.get("/prefs/", {"language": "zh-hans", "next": "/"})
    assert 'lang="zh-Hans"' in client.get("/").content.decode()


def test_large_text_switch_persists_without_javascript(client):
    response = client.get("/prefs/", {"text": "large", "next": "/"})
    assert response.status_code == 302
    assert 'class="text-large"' in client.get("/").content.decode()


def test_preferences_ignore_unknown_values_and_foreign_redirects(client):
    response = client.get("/prefs/", {"text": "huge", "language": "xx", "next": "https://evil.example/"})
    assert response["Location"] == "/"
    html = client.get("/").content.decode()
    assert 'class="text-normal"' in html and 'lang="zh-Hans"' in html


def test_anonymous_pages_carry_no_csrf_token_so_they_can_be_cached(client):
    assert "csrfmiddlewaretoken" not in client.get("/").content.decode()


def test_healthz_reports_a_working_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_healthz_reports_503_when_the_database_is_down(client):
    with mock.patch("project.views.connection") as connection:
        connection.cursor.side_effect = OperationalError("could not connect to server")
        response = client.get("/healthz")
    assert response.status_code == 503


def test_lost_database_connection_gives_a_clean_503(client, resident_client):
    with mock.patch("families.views.verified_membership", side_effect=OperationalError("server closed the connection")):
        response = resident_client.get("/join/")
    assert response.status_code == 503
    assert "Retry-After" in response


def test_404_page_is_translated(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "找不到" in response.content.decode()
    response = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="en")
    assert "Page not found" in response.content.decode()


@override_settings(DEBUG=False)
def test_500_page_is_friendly(client):
    client.raise_request_exception = False
    with mock.patch("project.registry.home_panels", side_effect=RuntimeError("boom")):
        response = client.get("/")
    assert response.status_code == 500
    assert "出了点问题" in response.content.decode()


def test_security_headers_on_every_response(client):
    response = client.get("/")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_pages_load_nothing_from_other_hosts(client, resident_client):
    for page in ["/", "/accounts/login/", "/accounts/signup/"]:
        html = client.get(page).content.decode()
        assert "http://" not in html.replace("http://testserver", "") or "http://www.w3.org" in html
        assert "//cdn" not in html and "https://" not in html


def test_organizer_area_is_for_organizers_only(client, resident_client, organizer_client):
    assert client.get("/organize/").status_code == 302
    assert resident_client.get("/organize/").status_code == 403
    assert organizer_client.get("/organize/").status_code == 200


def test_seed_demo_is_idempotent(db):
    from django.contrib.auth import get_user_model

    from families.models import Household, Resident

    call_command("seed_demo", households=40, stdout=io.StringIO())
    counts = (Household.objects.count(), Resident.objects.count(), get_user_model().objects.count())
    call_command("seed_demo", households=40, stdout=io.StringIO())
    assert (Household.objects.count(), Resident.objects.count(), get_user_model().objects.count()) == counts
    assert counts[0] == 40
    assert get_user_model().objects.filter(username__startswith="resident").count() == 20


def test_make_organizer_command(newcomer):
    from project.access import is_organizer

    call_command("make_organizer", "newcomer", stdout=io.StringIO())
    newcomer.refresh_from_db()
    assert is_organizer(newcomer)


def test_anonymous_home_page_is_served_from_the_cache(client, django_assert_max_num_queries):
    client.get("/")
    with django_assert_max_num_queries(0):
        assert client.get("/").status_code == 200


def test_bench_baseline_is_off_unless_asked_for(client):
    assert client.get("/bench/baseline").status_code == 404


def test_the_benchmarks_settings_put_the_baseline_view_in_front_of_the_whole_site(client):
    from bench import settings as bench_settings

    assert bench_settings.ROOT_URLCONF == "bench.urls"
    with override_settings(ROOT_URLCONF=bench_settings.ROOT_URLCONF):
        response = client.get("/bench/baseline")
        assert (response.status_code, response.content) == (200, b"ok")
        assert client.get("/healthz").status_code == 200
        assert "找不到页面" in client.get("/no-such-page/").content.decode()
