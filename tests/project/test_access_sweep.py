"""A sweep over every URL the site has: nobody gets in where they should not, and nothing changes.

New URLs are covered the day they are added: the sweep reads the URL
configuration at test time. Public pages are listed here on purpose.
"""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from families.management.commands import backup


def row_counts() -> dict[str, int]:
    """Rows per model, leaving out the sessions that logging the test users in creates."""
    return {label: count for label, count in backup.row_counts().items() if label != "sessions.Session"}


pytestmark = pytest.mark.django_db

# Pages anyone may read without logging in (prefixes of the path).
PUBLIC_PREFIXES = (
    "/healthz",
    "/prefs/",
    "/accounts/",
    "/honours/",
    "/verify/",
    "/mottos/",
    "/buildings/",
    "/rounds/",
    "/nominations/",
    "/activities/",
    "/points/",
    "/store/",
    "/volunteers/",
    "/admin/",
    "/static/",
    "/media/",
    "/bench/",
)


def _walk(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern)


def _concrete(route: str, number: str = "1") -> str:
    """A path for a route, with every parameter filled by a value that names an existing row (or ``number``
    for integer ones)."""
    path = re.sub(r"<int:[^>]+>", number, route)
    path = re.sub(r"<(?:str|slug):[^>]+>", "x", path)
    path = re.sub(r"<path:[^>]+>", "x", path)
    path = re.sub(r"<uuid:[^>]+>", "00000000-0000-0000-0000-000000000000", path)
    path = path.replace("^", "").replace("$", "").replace("\\Z", "")
    return "/" + path.lstrip("/")


def all_paths() -> list[str]:
    paths = {_concrete(route) for route in _walk(get_resolver().url_patterns)}
    return sorted(p for p in paths if "(?P" not in p and "admin/" not in p)


def is_public(path: str) -> bool:
    return path == "/" or path.startswith(PUBLIC_PREFIXES)


@pytest.fixture
def community(db):
    call_command("seed_demo", households=20, stdout=io.StringIO())


def _refused(response) -> bool:
    if response.status_code in (403, 404, 405):
        return True
    return response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_visitors_are_refused_everywhere_but_public_pages_and_nothing_changes(community):
    client = Client()
    before = row_counts()
    leaks = []
    for path in all_paths():
        if not is_public(path):
            response = client.get(path)
            if not _refused(response):
                leaks.append(("GET", path, response.status_code))
        if path.startswith(("/accounts/", "/prefs/")):
            continue
        response = client.post(path, {"status": "approved", "points": "999", "is_staff": "on"})
        if is_public(path):
            if response.status_code >= 500:
                leaks.append(("POST", path, response.status_code))
        elif not _refused(response):
            leaks.append(("POST", path, response.status_code))
    assert not leaks
    assert row_counts() == before


def test_organizer_pages_refuse_residents_and_unverified_users(community, resident, newcomer):
    before = row_counts()
    leaks = []
    organizer_paths = [p for p in all_paths() if p.startswith("/organize/") or "/organize/" in p]
    assert organizer_paths
    for user in (resident, newcomer):
        client = Client()
        client.force_login(user)
        for path in organizer_paths:
            for method in ("get", "post"):
                response = getattr(client, method)(path)
                if response.status_code not in (403, 404, 405):
                    leaks.append((user.username, method, path, response.status_code))
    assert not leaks
    assert row_counts() == before


def test_csrf_is_enforced_for_signed_in_users(community, resident):
    client = Client(enforce_csrf_checks=True)
    client.force_login(resident)
    before = row_counts()
    not_enforced = []
    for path in all_paths():
        if path.startswith(("/prefs/", "/static/", "/media/", "/healthz", "/bench/")):
            continue
        response = client.post(path, {"form": "consent", "show_name_publicly": "on"})
        if response.status_code not in (403, 404, 405):
            not_enforced.append((path, response.status_code))
    assert not not_enforced
    assert row_counts() == before


def test_ids_past_any_columns_range_are_not_found_rather_than_a_500(community, resident, organizer):
    """The URL's int converter takes any number of digits; the database would refuse one past 64 bits."""
    huge = str(2**70)
    routes = [route for route in _walk(get_resolver().url_patterns) if "<int:" in route and "admin/" not in route]
    assert routes
    failures = []
    for user in (resident, organizer):
        client = Client(raise_request_exception=False)
        client.force_login(user)
        for route in routes:
            path = _concrete(route, huge)
            for method in ("get", "post"):
                response = getattr(client, method)(path)
                if response.status_code >= 500:
                    failures.append((user.username, method, path, response.status_code))
    assert not failures
