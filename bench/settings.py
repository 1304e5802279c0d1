"""The benchmarks' settings: the production settings, plus the bare view every figure is divided by.

``bench/run.py`` serves the site with ``DJANGO_SETTINGS_MODULE=bench.settings``; the
site itself never has the baseline URL.
"""

import os

from project.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"

if os.environ.get("BENCH_CACHE_OFF"):
    # The cache-miss figure: a cache that keeps nothing, so every public page is rendered.
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
