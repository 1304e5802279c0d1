"""The site's URLs with the benchmarks' yardstick in front (``bench/settings.py``)."""

import os

from django.http import HttpResponse
from django.urls import path

from project import publiccache
from project.urls import handler400, handler403, handler404, handler429, handler500  # noqa: F401 - the site's error pages
from project.urls import urlpatterns as site_urlpatterns


def bench_baseline(request):
    """The benchmarks' yardstick: no database, no template, the full middleware stack."""
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("bench/baseline", bench_baseline), *site_urlpatterns]

if os.environ.get("BENCH_CACHE_OFF"):
    # The cache-miss figure (bench/settings.py): no process-local copies of pages either.
    publiccache.LOCAL_PAGES = 0
