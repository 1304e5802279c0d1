"""The test suite's settings: the site's own (``project.settings``) with the switches tests need.

pytest reads this module (``DJANGO_SETTINGS_MODULE`` in pyproject.toml); nothing in
``project/settings.py`` guesses whether it runs under a test. Each override says why.
"""

from __future__ import annotations

import os
import tempfile

# The suite signs sessions and tokens with a throwaway key; a key from the environment is kept.
# Set before the import, because the site's settings refuse to load without one when debug is off.
os.environ.setdefault("DJANGO_SECRET_KEY", "tests-only-insecure-key-never-used-by-the-site-0123456789abcdef")

from project.settings import *  # noqa: E402, F403
from project.settings import REDIS_URL, env_list  # noqa: E402

# The test client and the live server answer on the loopback names.
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")

# Tests speak plain http: no redirect to https, no secure-only cookies, no HSTS.
# (tests/project/test_faults.py and the benchmarks run the real production settings in gunicorn.)
SECURE_PROXY_SSL_HEADER = None
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = False
SECURE_HSTS_PRELOAD = False

# Static files straight from the source folders: no collectstatic manifest to build first.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    # Register uploads and exports (never public media), in a folder of the suite's own.
    "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": os.path.join(tempfile.gettempdir(), "honours-tests-private")},
    },
}
WHITENOISE_USE_FINDERS = True

# Hashing thousands of test passwords with the real hasher would take minutes.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# The cache is cleared before every test (tests/conftest.py).
if REDIS_URL:
    # Clearing is a FLUSHDB, so each parallel worker (gw0, gw1, …) gets its own Redis database:
    # the one in REDIS_URL plus one plus the worker's number.
    _location = REDIS_URL
    _worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if _worker.startswith("gw"):
        _base, _slash, _number = REDIS_URL.rpartition("/")
        _location = f"{_base}/{int(_number or 0) + 1 + int(_worker[2:])}"
    CACHES = {"default": {"BACKEND": "project.cache.RedisCache", "LOCATION": _location}}
else:
    # Without Redis, one process's memory: the suite needs no cache table.
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "tests"}}

# Tasks run at once, in the test's own thread and transaction; the integration tests start a
# real `db_worker` process against the database backend themselves.
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend", "QUEUES": ["default"]}}

# Mail leaves through the outbox (project/outbox.py) into Django's test mailbox (mail.outbox). Django's test set-up
# replaces EMAIL_BACKEND with its own; tests/conftest.py puts the outbox back in front.
EMAIL_DELIVERY_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

# The site's SQLite backend (project.sqlite) is Django's under another name, and pytest-django keeps each parallel
# worker's SQLite test database in memory only for Django's own name: say "in memory" here instead.
if DATABASES["default"]["ENGINE"] == "project.sqlite":  # noqa: F405 - from project.settings
    DATABASES["default"].setdefault("TEST", {})["NAME"] = ":memory:"  # noqa: F405
