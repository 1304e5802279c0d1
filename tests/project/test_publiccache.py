"""Cached public pages: per-family versions, keys from known parameters only, fresh after every change."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.http import HttpResponse
from django.test import RequestFactory

from project import publiccache

pytestmark = pytest.mark.django_db

PAGES = publiccache.family("test-pages", shows_names=False)
OTHER = publiccache.family("test-other", shows_names=False)


def counting_view(*shown, **options):
    calls = []

    @publiccache.cache_public_page(*(shown or (PAGES,)), **options)
    def view(request, **kwargs):
        calls.append(1)
        return HttpResponse(f"render {len(calls)} {request.get_full_path()}")

    return view, calls


def anonymous_get(path="/x/", data=None):
    from django.contrib.auth.models import AnonymousUser

    request = RequestFactory().get(path, data)
    request.user = AnonymousUser()
    return request


def test_a_change_to_its_family_makes_a_cached_page_stale():
    view, calls = counting_view()
    assert view(anonymous_get()).content.startswith(b"render 1")
    assert view(anonymous_get()).content.startswith(b"render 1")
    publiccache.expire([PAGES.version_key()])
    assert view(anonymous_get()).content.startswith(b"render 2")


def test_a_change_to_another_family_leaves_the_page_cached():
    view, calls = counting_view()
    view(anonymous_get())
    publiccache.expire([OTHER.version_key()])
    assert view(anonymous_get()).content.startswith(b"render 1") and len(calls) == 1


def test_one_objects_change_refreshes_its_page_only():
    from activities.freshness import ACTIVITY
    from tests.activities.factories import ActivityFactory

    view, calls = counting_view(ACTIVITY.of("pk"))
    first, second = ActivityFactory(), ActivityFactory()
    view(anonymous_get(f"/a/{first.pk}/"), pk=first.pk)
    view(anonymous_get(f"/a/{second.pk}/"), pk=second.pk)
    publiccache.expire([ACTIVITY.version_key(first.pk)])
    assert view(anonymous_get(f"/a/{first.pk}/"), pk=first.pk).content.startswith(b"render 3")
    assert view(anonymous_get(f"/a/{second.pk}/"), pk=second.pk).content.startswith(b"render 2")
    publiccache.expire([ACTIVITY.version_key()])  # the whole family (an activity type renamed)
    assert view(anonymous_get(f"/a/{second.pk}/"), pk=second.pk).content.startswith(b"render 4")


def test_a_refresh_waits_for_the_commit(django_capture_on_commit_callbacks):
    from activities.freshness import STORE
    from tests.activities.factories import StoreItemFactory

    view, calls = counting_view(STORE)
    view(anonymous_get())
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        StoreItemFactory()
    assert view(anonymous_get()).content.startswith(b"render 1")  # not committed: nothing is stale
    for callback in callbacks:
        callback()
    assert view(anonymous_get()).content.startswith(b"render 2")


def test_a_refresh_after_the_version_was_evicted_never_reuses_an_old_version():
    view, calls = counting_view()
    publiccache.expire([PAGES.version_key()])
    assert view(anonymous_get()).content.startswith(b"render 1")  # cached under this version
    publiccache.expire([PAGES.version_key()])
    cache.delete(PAGES.version_key())  # evicted, or culled by the database cache
    publiccache.expire([PAGES.version_key()])
    assert view(anonymous_get()).content.startswith(b"render 2")


def test_another_process_change_reaches_this_process_copies_within_the_memo():
    """Each process keeps its own copies, under the versioned key: another process's change makes them stale."""
    view, calls = counting_view()
    assert view(anonymous_get()).content.startswith(b"render 1")
    cache.incr(PAGES.version_key())  # what expire() does in another worker
    assert view(anonymous_get()).content.startswith(b"render 1")  # within this process's one-second memo
    publiccache._memo.clear()  # the second has passed
    assert view(anonymous_get()).content.startswith(b"render 2")


def test_each_request_gets_its_own_response_from_the_process_copy():
    """Middleware adds headers and cookies to the response it is given; that must not reach the next visitor."""
    view, calls = counting_view()
    view(anonymous_get())
    first = view(anonymous_get())
    first.set_cookie("messages", "for this visitor only")
    first["X-Only-Mine"] = "1"
    second = view(anonymous_get())
    assert not second.cookies and "X-Only-Mine" not in second
    assert second.content == b"render 1 /x/" and len(calls) == 1


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
        assert view(request).content.startswith(b"render 1")
    other = anonymous_get()
    other.META["HTTP_HOST"] = "127.0.0.1"
    assert view(other).content.startswith(b"render 2")


# --- Keys: the page's known parameters only ----------------------------------------------


def cache_keys() -> int:
    """How many entries the shared cache holds (the test settings use LocMemCache, or Redis)."""
    backend = cache._cache  # both backends keep their store here
    return backend.get_client().dbsize() if hasattr(backend, "get_client") else len(backend)


def test_a_thousand_junk_query_strings_leave_the_number_of_cache_entries_unchanged(client):
    from tests.activities.factories import ActivityFactory

    ActivityFactory(title="楼道清理")
    assert client.get("/activities/").status_code == 200
    entries, copies = cache_keys(), len(publiccache._local)
    for n in range(1000):
        response = client.get(f"/activities/?utm_source=x{n}&page%5B%5D={n}&{n}=<b>{n}</b>")
        assert response.status_code == 200 and "楼道清理" in response.content.decode()
        assert f"x{n}" not in response.content.decode()  # the junk never reaches the page (footer links)
    assert cache_keys() == entries and len(publiccache._local) == copies


def test_known_parameters_share_one_entry_however_they_are_written(client):
    view, calls = counting_view(query=("page", "type"))
    for query in ["page=2&type=3", "type=3&page=2", "page=02&type=3&utm=1", "page=+2+&type=3&type="]:
        response = view(anonymous_get("/x/?" + query))
        assert response.content == b"render 1 /x/?page=2&type=3", query
    assert view(anonymous_get("/x/?page=3")).content == b"render 2 /x/?page=3"
    assert view(anonymous_get("/x/?utm=1")).content == b"render 3 /x/"


def test_a_free_text_search_is_answered_without_the_cache(client):
    view, calls = counting_view(query=("page",), uncached=("q",))
    view(anonymous_get("/x/"))
    entries = cache_keys()
    for n in range(20):
        assert view(anonymous_get("/x/", {"q": f"家和{n}"})).content.startswith(f"render {n + 2} ".encode())
    assert cache_keys() == entries
    assert client.get("/mottos/", {"q": "孝敬"}).status_code == 200


def test_signed_in_pages_are_never_cached_whole(client):
    from tests.factories import UserFactory

    view, calls = counting_view()
    request = RequestFactory().get("/x/")
    request.user = UserFactory()
    view(request)
    view(request)
    assert len(calls) == 2 and cache_keys() == 0


def test_a_fragment_is_kept_in_the_process_until_its_family_changes(db):
    calls = []

    def render() -> str:
        calls.append(1)
        return f"<p>render {len(calls)}</p>"

    assert publiccache.cached_fragment("t", publiccache.HOME, render) == "<p>render 1</p>"
    cache.clear()  # the shared copy is gone (its version memo stays): this process's copy answers
    assert publiccache.cached_fragment("t", publiccache.HOME, render) == "<p>render 1</p>"
    publiccache.expire([publiccache.HOME.version_key()])
    assert publiccache.cached_fragment("t", publiccache.HOME, render) == "<p>render 2</p>"
    assert len(calls) == 2
