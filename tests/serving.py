"""Run the real site in gunicorn on its own database, for fault and concurrency tests.

Tests that kill workers or take the database away cannot run inside the test
process; they start the production WSGI app in a subprocess instead.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
GUNICORN = str(Path(PY).parent / "gunicorn")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def site_env(database_url: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO_"))}
    env.pop("REDIS_URL", None)
    env.update(
        DJANGO_SETTINGS_MODULE="project.settings",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DJANGO_SECURE_SSL_REDIRECT="0",
        DJANGO_SECURE_COOKIES="0",
        DJANGO_HSTS_SECONDS="0",
        DATABASE_URL=database_url,
        LOG_LEVEL="ERROR",
        PYTHONUNBUFFERED="1",
    )
    return env


def manage(env: dict, *args: str) -> str:
    completed = subprocess.run([PY, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    if completed.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{completed.stdout}\n{completed.stderr}")
    return completed.stdout


def prepare_database(database_url: str) -> dict:
    env = site_env(database_url)
    manage(env, "migrate", "--noinput")
    manage(env, "createcachetable")
    return env


@contextmanager
def gunicorn(env: dict, *, workers: int = 2, threads: int = 1):
    port = free_port()
    argv = [GUNICORN, "project.wsgi", "--workers", str(workers), "--threads", str(threads)]
    argv += ["--bind", f"127.0.0.1:{port}", "--log-level", "error", "--timeout", "60"]
    url = f"http://127.0.0.1:{port}"
    with process(env, argv) as started:
        try:
            wait_until_up(url)
        except RuntimeError:
            os.killpg(started.pid, signal.SIGKILL)
            raise RuntimeError("gunicorn did not come up:\n" + started.stderr.read().decode()[-3000:]) from None
        yield url, started


def wait_until_up(url: str, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2):
                return
        except (OSError, urllib.error.HTTPError):
            time.sleep(0.2)
    raise RuntimeError("the site did not come up")


def request(
    url: str, *, method: str = "GET", data: bytes | None = None, headers: dict | None = None
) -> tuple[int, str]:
    """One HTTP request without following redirects; returns (status, body)."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with opener.open(req, timeout=60) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace")


def session_for(user) -> tuple[str, str]:
    """A logged-in session id and a CSRF secret for ``user``, in the site's session store (call inside the site)."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.middleware.csrf import _get_new_csrf_string

    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]  # what a sign-in with a password records
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return store.session_key, _get_new_csrf_string()


def login_sessions(env: dict, usernames: list[str]) -> list[tuple[str, str]]:
    """Logged-in session ids and CSRF secrets for ``usernames``, made in the site's own database (one process)."""
    code = (
        "from django.contrib.auth import get_user_model\n"
        "from tests.serving import session_for\n"
        f"for name in {list(usernames)!r}:\n"
        "    print('SESSION', *session_for(get_user_model().objects.get(username=name)))\n"
    )
    out = manage(env, "shell", "-c", code)
    return [tuple(line.split()[1:3]) for line in out.splitlines() if line.startswith("SESSION ")]


def post_form(url: str, path: str, fields: dict, session: tuple[str, str]) -> tuple[int, str]:
    from urllib.parse import urlencode

    sessionid, csrf = session
    return request(
        url + path,
        method="POST",
        data=urlencode({**fields, "csrfmiddlewaretoken": csrf}).encode(),
        headers={
            "Cookie": f"sessionid={sessionid}; csrftoken={csrf}",
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )


def run_python(env: dict, code: str) -> str:
    return manage(env, "shell", "-c", code)


# --- Background workers, scratch databases -------------------------------------------------------------------


@contextmanager
def process(env: dict, argv: list[str]):
    """A long-running process (a task worker, a web server) in its own session, stopped afterwards."""
    log = open(os.devnull, "wb")  # noqa: SIM115 - closed below, after the process
    started = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.PIPE, start_new_session=True)
    try:
        yield started
    finally:
        if started.poll() is None:
            os.killpg(started.pid, signal.SIGTERM)
            try:
                started.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(started.pid, signal.SIGKILL)
                started.wait()
        started.stderr.close()
        log.close()


def worker_argv(env: dict) -> list[str]:
    """The worker for ``env``'s task backend: ``db_worker``, or RQ's worker with its scheduler (deferred tasks)."""
    if env.get("TASKS_BACKEND") == "django_tasks_rq.RQBackend":
        return [PY, "manage.py", "rqworker", "--job-class", "django_tasks_rq.Job", "--with-scheduler", "default"]
    return [PY, "manage.py", "db_worker", "--interval", "0.2", "--no-startup-delay"]


def wait_for(env: dict, code: str, expected: str, *, timeout: float = 60) -> str:
    """Run ``code`` (which prints one line) in the site until it prints ``expected``; the last line it printed."""
    deadline = time.time() + timeout
    last = ""
    while time.time() < deadline:
        last = run_python(env, code).strip().splitlines()[-1]
        if last == expected:
            return last
        time.sleep(0.3)
    return last


@contextmanager
def scratch_postgres_database(prefix: str):
    """A PostgreSQL database of its own beside the suite's (same server and user), dropped afterwards: its URL."""
    import psycopg
    from django.db import connection

    params = connection.settings_dict
    name = f"{prefix}_{secrets.token_hex(5)}"
    host, port = params["HOST"] or "127.0.0.1", params["PORT"] or 5432
    password = params["PASSWORD"] or None
    admin = psycopg.connect(host=host, port=port, user=params["USER"], password=password, dbname="postgres")
    admin.autocommit = True
    admin.execute(f'CREATE DATABASE "{name}"')
    credentials = params["USER"] + (f":{params['PASSWORD']}" if params["PASSWORD"] else "")
    try:
        yield f"postgres://{credentials}@{host}:{port}/{name}"
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


# The Redis database that processes started by tests share: the last one (the suite's caches take REDIS_URL's
# number and the ones after it, one per parallel test worker). One test at a time holds it (a lock file).
SCRATCH_REDIS_DB = 15


@contextmanager
def scratch_redis():
    """``redis://…/15``, empty, for one test at a time; skips the test when the suite runs without REDIS_URL."""
    import fcntl
    import tempfile

    import pytest
    import redis
    from django.conf import settings

    if not settings.REDIS_URL:
        pytest.skip("needs Redis: run with REDIS_URL=redis://…")
    base, _slash, _number = settings.REDIS_URL.rpartition("/")
    url = f"{base}/{SCRATCH_REDIS_DB}"
    with open(Path(tempfile.gettempdir()) / f"honours-redis-{SCRATCH_REDIS_DB}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        client = redis.Redis.from_url(url)
        client.flushdb()
        try:
            yield url
        finally:
            client.flushdb()
            client.close()
