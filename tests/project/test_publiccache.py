"""Cached public pages go stale the moment something public changes, even if the cache lost its version."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.http import HttpResponse
from django.test import RequestFactory

from project import publiccache

pytestmark = pytest.mark.django_db


def counting_view():
    calls = []

    @publiccache.cache_public_page()
    def view(request):
        calls.append(1)
        return HttpResponse(f"render {len(calls)}")

    return view, calls


def anonymous_get(path="/x/"):
    from django.contrib.auth.models import AnonymousUser

    request = RequestFactory().get(path)
    request.user = AnonymousUser()
    return request


def test_a_bump_makes_cached_pages_stale(django_capture_on_commit_callbacks):
    view, calls = counting_view()
    assert view(anonymous_get()).content == b"render 1"
    assert view(anonymous_get()).content == b"render 1"
    with django_capture_on_commit_callbacks(execute=True):
        publiccache.bump_public_version()
    assert view(anonymous_get()).content == b"render 2"


def test_a_bump_after_the_version_was_evicted_never_reuses_an_old_version(django_capture_on_commit_callbacks):
    view, calls = counting_view()
    with django_capture_on_commit_callbacks(execute=True):
        publiccache.bump_public_version()
    assert view(anonymous_get()).content == b"render 1"  # cached under this version
    with django_capture_on_commit_callbacks(execute=True):
        publiccache.bump_public_version()
    cache.delete(publiccache.VERSION_KEY)  # evicted, or culled by the database cache
    with django_capture_on_commit_callbacks(execute=True):
        publiccache.bump_public_version()
    assert view(anonymous_get()).content == b"render 2"


def test_another_process_bump_reaches_this_process_copies_within_the_memo(django_capture_on_commit_callbacks):
    """Each process keeps its own copies, under the versioned key: another process's bump makes them stale."""
    view, calls = counting_view()
    assert view(anonymous_get()).content == b"render 1"
    cache.incr(publiccache.VERSION_KEY)  # what bump_public_version() does in another worker
    assert view(anonymous_get()).content == b"render 1"  # within this process's one-second memo
    publiccache._memo.update(read_at=0.0)  # the second has passed
    assert view(anonymous_get()).content == b"render 2"


def test_each_request_gets_its_own_response_from_the_process_copy():
    """Middleware adds headers and cookies to the response it is given; that must not reach the next visitor."""
    view, calls = counting_view()
    view(anonymous_get())
    first = view(anonymous_get())
    first.set_cookie("messages", "for this visitor only")
    first["X-Only-Mine"] = "1"
    second = view(anonymous_get())
    assert not second.cookies and "X-Only-Mine" not in second
    assert second.content == b"render 1" and len(calls) == 1


def test_the_process_copies_stay_bounded():
    view, calls = counting_view()
    for n in range(publiccache.LOCAL_PAGES + 10):
        view(anonymous_get(f"/x/{n}/"))
    assert len(publiccache._local) == publiccache.LOCAL_PAGES


def test_one_hosts_cached_page_is_not_served_to_another_host_or_scheme(client):
    """The feed holds absolute URLs: a copy made for one host (or for http) must not reach another."""
    from tests.awards.board_factories import HonourFactory

    HonourFactory()
    feeds = {}
    for host, secure in [("localhost", False), ("127.0.0.1", False), ("localhost", True), ("localhost", False)]:
        response = client.get("/honours/feed.json", headers={"host": host}, secure=secure)
        assert response.status_code == 200
        feeds[(host, secure)] = response.json()["honours"][0]["url"]
    assert feeds[("localhost", False)].startswith("http://localhost/honours/")
    assert feeds[("127.0.0.1", False)].startswith("http://127.0.0.1/")
    assert feeds[("localhost", True)].startswith("https://localhost/")


def test_the_same_host_still_shares_one_cached_copy():
    view, calls = counting_view()
    for _ in range(2):
        request = anonymous_get()
        request.META["HTTP_HOST"] = "localhost"
        assert view(request).content == b"render 1"
    other = anonymous_get()
    other.META["HTTP_HOST"] = "127.0.0.1"
    assert view(other).content == b"render 2"
