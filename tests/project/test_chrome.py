"""The shared header and footer (project.chrome): one copy per kind of reader, each reader's own parts filled in."""

import re

import pytest
from django.test import Client

from project import chrome
from project.notices import notify


def _header(response) -> str:
    return response.content.decode().split("</header>")[0]


def _footer(response) -> str:
    return response.content.decode().split('<footer class="site-footer">')[1]


@pytest.fixture(autouse=True)
def _no_copies():
    chrome.forget()
    yield
    chrome.forget()


def test_each_reader_sees_their_own_unread_count_and_csrf_token_in_a_shared_header(
    resident, housemate, resident_client, django_user_model
):
    # The abuse case: two residents of the same kind, one after the other, from one shared copy.
    notify(users=[resident], kind="household_joined", params={"name": "甲"})
    notify(users=[resident], kind="household_joined", params={"name": "乙"})
    housemate_client = Client()
    housemate_client.force_login(housemate)
    first = resident_client.get("/points/")
    second = housemate_client.get("/points/")
    assert '<span class="badge warn">2<' in _header(first)
    assert '<span class="badge warn">' not in _header(second)
    tokens = [re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', _header(r)).group(1) for r in (first, second)]
    assert tokens[0] != tokens[1]
    assert len(chrome._copies) == 2  # one header and one footer served both residents
    assert chrome.CSRF_MARK not in second.content.decode() and chrome.NEXT_MARK not in second.content.decode()


def test_the_log_out_form_in_a_shared_header_carries_a_token_that_works(resident, csrf_client):
    csrf_client.force_login(resident)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', _header(csrf_client.get("/points/"))).group(1)
    assert csrf_client.post("/accounts/logout/", {"csrfmiddlewaretoken": token}).status_code == 302
    assert csrf_client.get("/notices/").status_code == 302  # signed out


def test_organizers_resident_and_visitors_each_get_their_own_links(organizer_client, resident_client, client):
    organizer, resident, visitor = (_header(c.get("/activities/")) for c in (organizer_client, resident_client, client))
    assert 'href="/organize/"' in organizer
    assert 'href="/organize/"' not in resident and 'href="/notices/"' in resident
    assert 'href="/accounts/login/"' in visitor and 'href="/notices/"' not in visitor


def test_language_and_text_size_each_have_their_own_copy(resident_client):
    chinese = resident_client.get("/points/")
    resident_client.cookies["django_language"] = "en"
    english = resident_client.get("/points/")
    resident_client.cookies["text_size"] = "large"
    large = resident_client.get("/points/")
    assert "我的" in _header(chinese) and "My page" not in _header(chinese) and "My page" in _header(english)
    assert '<details class="menu">' in _header(large) and '<details class="menu">' not in _header(english)
    assert "Standard text size" in _header(large) and "Elder mode" in _header(english)
    assert 'aria-current="true">中文' in _footer(chinese) and 'aria-current="true">English' in _footer(english)


def test_the_large_text_menu_shows_the_unread_count_in_its_summary(resident, resident_client):
    notify(users=[resident], kind="household_joined", params={"name": "甲"})
    resident_client.cookies["text_size"] = "xlarge"
    summary = _header(resident_client.get("/points/")).split("</summary>")[0]
    assert '<span class="badge warn">1<' in summary


def test_links_back_carry_each_pages_own_path_and_query(resident_client):
    page = resident_client.get("/activities/?page=2").content.decode()
    assert "next=/activities/%3Fpage%3D2" in page
    again = resident_client.get("/points/?period=year").content.decode()
    assert "next=/points/%3Fperiod%3Dyear" in again and "page%3D2" not in again


def test_the_navigation_marks_the_section_the_page_is_in(resident_client):
    from tests.activities.factories import ActivityFactory

    activity = ActivityFactory()
    cases = {
        f"/activities/{activity.pk}/": 'href="/activities/" aria-current="page"',
        "/activities/": 'href="/activities/" aria-current="page"',
        "/points/": 'href="/points/" aria-current="page"',
        "/notices/": 'href="/notices/" aria-current="page"',
        "/me/": None,
    }
    for path, marked in cases.items():
        header = _header(resident_client.get(path))
        if marked:
            assert marked in header, path
            assert header.count('aria-current="page"') == 1, path
        else:
            assert 'aria-current="page"' not in header, path


def test_hostile_paths_are_escaped_and_junk_paths_make_no_new_copies(resident_client):
    # The abuse case: a path and query chosen to break out of the href, and a thousand paths that match nothing.
    response = resident_client.get('/activities/?q="><script>alert(1)</script>')
    page = response.content.decode()
    assert "<script>alert(1)" not in page
    links_back = re.findall(r'next=([^"]*)"', page)
    assert len(links_back) == 7 and all("script" in link and re.fullmatch(r"[\w%/.~-]+", link) for link in links_back)
    for n in range(50):
        assert resident_client.get(f"/junk-{n}/deeper/").status_code == 404
    assert len(chrome._copies) <= 4  # the activities page's header and footer, and "nowhere"'s


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/", "/"),
        ("/points/", "/points/"),
        ("/activities/", "/activities/"),
        ("/activities/7/", "/activities/~"),
        ("/rounds/3/nominations/", "/rounds/~"),
    ],
)
def test_a_page_is_placed_by_its_first_path_segment(rf, path, expected):
    request = rf.get(path)
    request.resolver_match = object()
    assert chrome.section(request) == expected
    request.resolver_match = None
    assert chrome.section(request) == chrome.NOWHERE
