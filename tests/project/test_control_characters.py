"""Control characters (a NUL byte above all) are refused with the translated 400 page, before any view or query.

PostgreSQL refuses NUL in text, so ``/verify/%00/`` or a search for ``%00``
answered 500 there. ``project.middleware.ControlCharacterMiddleware`` refuses
them in the path, the query, cookies and forms (tabs and line breaks stay
allowed in form values: textareas send them). The sweep below reads the URL map
and the pages' own search forms, so new URLs and new search fields are covered
the day they are added. Run it on PostgreSQL too (``DATABASE_URL``).
"""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser
from urllib.parse import urlencode, urlsplit

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import get_resolver

from families.models import Resident
from tests.project.test_access_sweep import _walk, row_counts
from tests.tokens import token

pytestmark = pytest.mark.django_db

REFUSED_ZH = "看不见的控制字符"
REFUSED_EN = "invisible control character"
HOSTILE_VALUES = ["\x00", "a\x00b", "\x01\x1f", "\x7f", "line\nbreak"]


@pytest.fixture
def community(db):
    call_command("seed_demo", households=20, stdout=io.StringIO())


@pytest.fixture
def clients(community, few_clients):
    return few_clients


@pytest.fixture
def few_clients(resident, organizer):
    """A visitor, a resident and an organizer, without the demo community (for the quick tests)."""
    visitor = Client(raise_request_exception=False)
    member = Client(raise_request_exception=False)
    member.force_login(resident)
    staff = Client(raise_request_exception=False)
    staff.force_login(organizer)
    return {"visitor": visitor, "resident": member, "organizer": staff}


def _routes() -> list[str]:
    return sorted(
        {route for route in _walk(get_resolver().url_patterns) if "(?P" not in route and "admin/" not in route}
    )


def _fill(route: str, text: str) -> str:
    """A path for the route: integer ids that name rows of the demo community, ``text`` in every other part."""
    path = re.sub(r"<int:[^>]+>", "1", route)
    path = re.sub(r"<(?:str|slug|path):[^>]+>", text, path)
    return "/" + path.lstrip("/")


def _refused(response) -> bool:
    return response.status_code == 400 and REFUSED_ZH in response.content.decode()


def test_nul_in_a_url_or_a_search_is_a_translated_400_in_both_languages(few_clients):
    clients = few_clients
    visitor = clients["visitor"]
    for path in ["/verify/%00/", "/verify/abc%00def/", "/organize/volunteers/?q=%00"]:
        response = visitor.get(path)
        assert response.status_code == 400, path
    assert _refused(visitor.get("/verify/%00/"))
    english = visitor.get("/verify/%00/", headers={"accept-language": "en"})
    assert english.status_code == 400 and REFUSED_EN in english.content.decode()
    assert clients["organizer"].get("/organize/volunteers/", {"q": "王\x00"}).status_code == 400
    # The refusal carries the site's security headers like every other page.
    assert "frame-ancestors 'none'" in english["Content-Security-Policy"]


def test_every_url_pattern_refuses_control_characters_in_its_path_query_and_form(clients):
    """Every route of the URL map, as a visitor, a resident and an organizer: 400, never a 500, nothing written."""
    before = row_counts()
    wrong = []
    for route in _routes():
        has_text_part = bool(re.search(r"<(?:str|slug|path):", route))
        for who, client in clients.items():
            if has_text_part:
                for text in ("%00", "a%01b"):
                    for method in ("get", "post"):
                        response = getattr(client, method)(_fill(route, text))
                        if response.status_code != 400:
                            wrong.append((who, method, route, text, response.status_code))
            path = _fill(route, "csv")
            for value in HOSTILE_VALUES:
                response = client.get(path, {"q": value, "page": value})
                if not _refused(response):
                    wrong.append((who, "get", path, repr(value), response.status_code))
            response = client.post(path, {"q": "\x00", "text": "a\x00b", "reason": "\x1b[31m"})
            if not _refused(response):
                wrong.append((who, "post", path, "form", response.status_code))
    assert not wrong
    assert row_counts() == before


class _GetForms(HTMLParser):
    """The names of the fields of each GET form on a page, with the form's action."""

    def __init__(self):
        super().__init__()
        self.forms: list[tuple[str, list[str]]] = []
        self._current = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            method = (attrs.get("method") or "get").lower()
            self._current = (attrs.get("action") or "", []) if method == "get" else None
        elif (
            tag in ("input", "select", "textarea")
            and self._current is not None
            and attrs.get("name")
            and (attrs.get("type") or "").lower() not in ("submit", "button", "image")
        ):
            self._current[1].append(attrs["name"])

    def handle_endtag(self, tag):
        if tag == "form" and self._current is not None:
            self.forms.append(self._current)
            self._current = None


def test_every_search_field_on_every_page_refuses_control_characters(clients):
    """Find the GET forms (searches, filters) on every page each reader can open and send each field a NUL."""
    searched, wrong = set(), []
    for who, client in clients.items():
        for route in _routes():
            page = _fill(route, "csv")
            response = client.get(page)
            if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
                continue
            parser = _GetForms()
            parser.feed(response.content.decode())
            for action, names in parser.forms:
                target = urlsplit(action).path or page
                for name in names:
                    for value in ("\x00", "王\x00秀英"):
                        answer = client.get(target + "?" + urlencode({name: value}))
                        searched.add((target, name))
                        if not _refused(answer):
                            wrong.append((who, target, name, answer.status_code))
    assert not wrong
    # The sweep really met the searches it is about.
    assert ("/organize/volunteers/", "q") in searched
    assert ("/organize/register/", "q") in searched
    assert ("/organize/audit/", "q") in searched


def test_a_control_character_in_a_cookie_is_refused(few_clients):
    client = few_clients["visitor"]
    client.cookies["text_size"] = "large\x00"
    assert _refused(client.get("/"))


def test_line_breaks_and_tabs_in_a_textarea_are_still_taken(resident_client, resident):
    household = Resident.objects.get(user=resident).household
    response = resident_client.post(
        f"/households/{household.pk}/motto/", {"text": "家和万事兴，\r\n\t勤俭持家久。", **token(resident, "families.motto")}
    )
    assert response.status_code == 302
    assert household.motto.revisions.get().text.startswith("家和万事兴")


def test_a_nul_in_a_textarea_is_refused_and_nothing_is_written(resident_client, resident):
    household = Resident.objects.get(user=resident).household
    before = row_counts()
    response = resident_client.post(f"/households/{household.pk}/motto/", {"text": "家和\x00万事兴"})
    assert _refused(response)
    assert row_counts() == before
