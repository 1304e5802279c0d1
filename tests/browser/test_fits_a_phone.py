"""Every page of the URL map fits a 390 px phone: nothing scrolls sideways, in both languages, at every text size.

The pages are read from the URL map at test time (as the access sweep does), filled with the ids of grid B's
world (``tests/project/grid_b.py``: one row with the same id in every table a URL names), and visited as the
user who may see them: organizer pages as a committee member, the others as a resident, the sign-up and
login pages as a visitor. One browser, one context per role and language and text size (the preferences are
cookies), one page reused for every path.

It runs once in CI, on SQLite (marked ``once``): layout does not depend on the database.
"""

from __future__ import annotations

import io

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import get_resolver
from PIL import Image

from project.context_processors import TEXT_SIZE_COOKIE, TEXT_SIZES
from project.images import clean_photo, store_photo
from tests.project.test_access_sweep import _walk

pytestmark = [pytest.mark.browser, pytest.mark.once, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
LANGUAGES = ("zh-hans", "en")
# Not pages: files, feeds, health checks, and redirects that only a form's POST makes sense of.
NOT_PAGES = (".json", ".ics", ".csv", ".xlsx", "export.", "results.", "/exports/", "healthz", "/prefs/", "/status/")
VISITOR_ONLY = ("/accounts/login/", "/accounts/signup/", "/accounts/password/reset/")


def _pages(world) -> list[str]:
    from tests.project.test_access_sweep import _paths_for

    routes = {route for route in _walk(get_resolver().url_patterns) if "(?P" not in route and "admin/" not in route}
    paths = {path for route in routes for path in _paths_for(route, world)}
    return sorted(p for p in paths if not any(part in p for part in NOT_PAGES))


def _role(path: str) -> str:
    if path.startswith(VISITOR_ONLY):
        return "visitor"
    if path.startswith("/organize/"):
        return "organizer"
    return "resident"


def _client(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _html_pages(client: Client, paths: list[str]) -> list[str]:
    """The paths that answer this reader with a page (not a refusal, a redirect or a POST-only 405)."""
    pages = []
    for path in paths:
        response = client.get(path)
        if response.status_code == 200 and response["Content-Type"].startswith("text/html"):
            pages.append(path)
    return pages


def _session_cookie(client: Client, live_server) -> list[dict]:
    name = django_settings.SESSION_COOKIE_NAME
    if name not in client.cookies:
        return []
    value = client.cookies[name].value
    return [{"name": name, "value": value, "url": live_server.url}]


# The innermost elements that reach past the screen's right edge, named for the failure message.
CULPRITS = """() => [...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5)
  .filter(e => ![...e.children].some(c => c.getBoundingClientRect().right > window.innerWidth + 0.5))
  .slice(0, 3)
  .map(e => e.tagName.toLowerCase() + (e.className && typeof e.className === 'string' ? '.' + e.className.trim().replace(/\\s+/g, '.') : ''))"""


def _overflow(page) -> tuple[int, list[str]] | None:
    """The page's width and what sticks out, if it is wider than the screen."""
    width = page.evaluate("document.documentElement.scrollWidth")
    if width <= page.evaluate("window.innerWidth"):
        return None
    return width, page.evaluate(CULPRITS)


def _with_photos(settings, tmp_path) -> None:
    """Grid B's store item and honour get a wide photo: a picture is the widest thing on their pages."""
    from activities.models import StoreItem
    from awards.models import Honour
    from tests.project.grid_b import B

    settings.MEDIA_ROOT = tmp_path
    buffer = io.BytesIO()
    Image.new("RGB", (1600, 900), "teal").save(buffer, format="JPEG")
    for model, folder in ((StoreItem, "store"), (Honour, "honours")):
        photo = clean_photo(SimpleUploadedFile("wide.jpg", buffer.getvalue(), content_type="image/jpeg"))
        model.objects.filter(pk=B).update(photo=store_photo(photo, folder=folder))


def test_every_page_fits_a_390_px_phone_in_both_languages_at_every_text_size(live_server, browser, settings, tmp_path):
    from tests.project.grid_b import build_grid_world

    world = build_grid_world()
    _with_photos(settings, tmp_path)
    users = {"visitor": None, "resident": world.b_person.user, "organizer": world.committee}
    pages = _pages(world)
    clients = {role: _client(user) for role, user in users.items()}
    by_role = {role: _html_pages(clients[role], [p for p in pages if _role(p) == role]) for role in users}
    assert sum(map(len, by_role.values())) > 50 and all(by_role.values())

    overflowing = []
    for role, client in clients.items():
        session = _session_cookie(client, live_server)
        for language in LANGUAGES:
            for size in TEXT_SIZES:
                context = browser.new_context(viewport=PHONE, locale="zh-CN")
                language_cookie = django_settings.LANGUAGE_COOKIE_NAME
                context.add_cookies(
                    session
                    + [
                        {"name": language_cookie, "value": language, "url": live_server.url},
                        {"name": TEXT_SIZE_COOKIE, "value": size, "url": live_server.url},
                    ]
                )
                page = context.new_page()
                for path in by_role[role]:
                    page.goto(live_server.url + path)
                    wide = _overflow(page)
                    if wide:
                        overflowing.append((language, size, path, *wide))
                context.close()
    assert not overflowing, "\n".join(map(str, overflowing))
