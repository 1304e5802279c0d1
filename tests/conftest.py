"""The cast every test can use, and the switches for browser and PostgreSQL-only tests.

The suite's settings are ``tests/settings.py`` (named in pyproject.toml).

The cast: ``organizer``; ``resident`` and ``neighbour`` (verified members of two
different households in the same building); ``housemate`` (same household as
``resident``); ``newcomer`` (signed up, not verified); and anonymous visitors.
"""

from __future__ import annotations

import os
import shutil

import pytest
from django.db import connection
from django.test import Client

from .factories import PASSWORD, BuildingFactory, HouseholdFactory, UserFactory, make_street_organizer, verified_user

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")
REQUIRE_BROWSER = os.environ.get("REQUIRE_BROWSER") == "1"


def pytest_sessionstart(session):
    from django.conf import settings

    if settings.SETTINGS_MODULE != "tests.settings":
        # An exported DJANGO_SETTINGS_MODULE beats pyproject.toml's: the suite would run on the site's own settings.
        raise pytest.UsageError(
            f"the tests run under tests.settings, not {settings.SETTINGS_MODULE}: unset DJANGO_SETTINGS_MODULE."
        )
    if REQUIRE_BROWSER and not CHROMIUM:
        raise pytest.UsageError("REQUIRE_BROWSER=1 but no Chromium was found (apt-get install chromium).")


def pytest_collection_modifyitems(config, items):
    if CHROMIUM:
        return
    skip = pytest.mark.skip(reason="browser tests need Chromium (apt-get install chromium); not found on this machine")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session", autouse=True)
def _mail_through_the_outbox(django_test_environment):
    """Django's test set-up swaps EMAIL_BACKEND for its mailbox; the site's mail goes through the outbox, whose
    sender then delivers into that mailbox (``EMAIL_DELIVERY_BACKEND`` in tests/settings.py)."""
    from django.conf import settings

    settings.EMAIL_BACKEND = "project.outbox.OutboxEmailBackend"


@pytest.fixture(autouse=True)
def _site_language():
    """Every test starts in the site's own language: a request in English (the locale middleware) or a test
    that activates a language would otherwise leave it active in its thread for the next test."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _clear_cache():
    from project import publiccache

    publiccache.clear()  # the shared cache, and this process's version memo and page copies
    yield
    publiccache.clear()


@pytest.fixture
def postgres(db):
    """Skip unless the tests run against PostgreSQL (SQLite serialises writers and hides races)."""
    if connection.vendor != "postgresql":
        pytest.skip("race tests need PostgreSQL: run with DATABASE_URL=postgres://…")


@pytest.fixture
def password():
    return PASSWORD


@pytest.fixture
def building(db):
    return BuildingFactory()


@pytest.fixture
def household(building):
    return HouseholdFactory(building=building)


@pytest.fixture
def other_household(building):
    return HouseholdFactory(building=building)


@pytest.fixture
def resident(household):
    return verified_user(household, username="resident")


@pytest.fixture
def housemate(household):
    return verified_user(household, username="housemate")


@pytest.fixture
def neighbour(other_household):
    return verified_user(other_household, username="neighbour")


@pytest.fixture
def newcomer(db):
    return UserFactory(username="newcomer")


@pytest.fixture
def organizer(db):
    return make_street_organizer(UserFactory(username="organizer"))


def _client_for(user) -> Client:
    client = Client(enforce_csrf_checks=False)
    client.force_login(user)
    return client


@pytest.fixture
def resident_client(resident):
    return _client_for(resident)


@pytest.fixture
def neighbour_client(neighbour):
    return _client_for(neighbour)


@pytest.fixture
def newcomer_client(newcomer):
    return _client_for(newcomer)


@pytest.fixture
def organizer_client(organizer):
    return _client_for(organizer)


@pytest.fixture
def csrf_client():
    """A client that enforces CSRF like a browser does."""
    return Client(enforce_csrf_checks=True)


# --- Playwright driving Debian's Chromium (no `playwright install`) ------------

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    # A phone-sized screen in Chinese is the common case; TV-mode tests override it.
    return {**browser_context_args, "locale": "zh-CN", "viewport": {"width": 390, "height": 844}}


@pytest.fixture
def login(live_server):
    """Log a Playwright page in through the real login form."""

    def _login(page, username: str, password: str = PASSWORD):
        page.goto(f"{live_server.url}/accounts/login/")
        page.locator("input[name=login]").fill(username)
        page.locator("input[name=password]").fill(password)
        page.locator("form button[type=submit]").first.click()
        page.wait_for_load_state()

    return _login
