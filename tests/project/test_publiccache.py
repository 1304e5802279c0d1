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
