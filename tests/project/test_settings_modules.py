"""The site's settings say what they are: the suite's switches live in tests/settings.py, never guessed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
REDIS = "redis://127.0.0.1:6379/10"


def _settings(module: str, *names: str, **env: str) -> list[str]:
    """``names`` read from ``module`` in a fresh process that has pytest loaded, as a test run has."""
    environment = {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": module,
        "DJANGO_SECRET_KEY": "k" * 50,
        "DJANGO_ALLOWED_HOSTS": "honours.example.org",
        **env,
    }
    code = (
        "import pytest, django; django.setup(); from django.conf import settings; "
        f"print(*(repr(eval('settings.' + name)) for name in {list(names)!r}), sep='\\n')"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def test_the_sites_settings_do_not_change_because_pytest_is_loaded():
    assert _settings(
        "project.settings",
        "CACHES['default']['LOCATION']",
        "PASSWORD_HASHERS[0]",
        "SECURE_SSL_REDIRECT",
        "SESSION_COOKIE_SECURE",
        "STORAGES['staticfiles']['BACKEND']",
        REDIS_URL=REDIS,
        PYTEST_XDIST_WORKER="gw1",
    ) == [
        repr(REDIS),
        repr("django.contrib.auth.hashers.PBKDF2PasswordHasher"),
        "True",
        "True",
        repr("whitenoise.storage.CompressedManifestStaticFilesStorage"),
    ]
    assert _settings("project.settings", "CACHES['default']['BACKEND']") == [
        repr("django.core.cache.backends.db.DatabaseCache")
    ]


def test_each_parallel_test_worker_gets_its_own_redis_database():
    for worker, location in (("gw0", "redis://127.0.0.1:6379/11"), ("gw1", "redis://127.0.0.1:6379/12"), ("", REDIS)):
        read = _settings("tests.settings", "CACHES['default']['LOCATION']", REDIS_URL=REDIS, PYTEST_XDIST_WORKER=worker)
        assert read == [repr(location)]


def test_without_redis_the_suite_caches_in_memory_and_speaks_plain_http():
    assert _settings(
        "tests.settings", "CACHES['default']['BACKEND']", "SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE"
    ) == [repr("django.core.cache.backends.locmem.LocMemCache"), "False", "False"]
