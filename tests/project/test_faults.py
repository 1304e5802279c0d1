"""Faults: the real site under gunicorn, with its database taken away or many writers at once."""

from __future__ import annotations

import threading
import uuid

import pytest

from tests import serving

MAKE_MEMBERS = """
from django.contrib.auth import get_user_model
from families.models import Building, Community, Grid, Household, Resident
grid = Grid.objects.create(name="网格", community=Community.objects.only_one())
building = Building.objects.create(grid=grid, name="幸福里1号楼")
User = get_user_model()
for i in range({count}):
    user = User.objects.create(username=f"writer{{i}}", password="!")  # unusable: sessions are made directly
    household = Household.objects.create(building=building, door_label=f"1单元{{i:03d}}", display_name=f"王家{{i}}")
    Resident.objects.create(household=household, full_name=f"王{{i}}", user=user, status="verified")
print("OK")
"""


def _consent_writes(url: str, sessions: list) -> list[tuple[int, str]]:
    results: list = [None] * len(sessions)
    barrier = threading.Barrier(len(sessions))

    def write(index: int) -> None:
        barrier.wait()
        results[index] = serving.post_form(
            url,
            "/me/",
            {"form": "consent", "show_name_publicly": "on", "household_show_publicly": "on"},
            sessions[index],
        )

    threads = [threading.Thread(target=write, args=(i,)) for i in range(len(sessions))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.fixture
def static_root(tmp_path_factory):
    return tmp_path_factory.mktemp("static")


def _prepare(database_url: str, static_root) -> dict:
    env = serving.prepare_database(database_url)
    env["STATIC_ROOT"] = str(static_root)
    serving.manage(env, "collectstatic", "--noinput")
    return env


def test_fifty_concurrent_writers_on_sqlite_never_see_database_locked(tmp_path, static_root):
    env = _prepare(f"sqlite:///{tmp_path / 'site.sqlite3'}", static_root)
    serving.run_python(env, MAKE_MEMBERS.format(count=50))
    sessions = serving.login_sessions(env, [f"writer{i}" for i in range(50)])
    with serving.gunicorn(env, workers=2, threads=8) as (url, _process):
        results = _consent_writes(url, sessions)
    statuses = [status for status, _body in results]
    assert all("database is locked" not in body for _status, body in results)
    assert statuses == [302] * 50, statuses
    out = serving.run_python(
        env,
        "from families.models import Resident; from project.models import AuditEntry;"
        "print('COUNTS', AuditEntry.objects.filter(action='consent.name_shown').count(),"
        " Resident.objects.filter(show_name_publicly=True).count())",
    )
    assert "COUNTS 50 50" in out


@pytest.fixture
def scratch_postgres(postgres):
    """A database of its own, dropped afterwards (the test suite's database stays untouched)."""
    import psycopg
    from django.db import connection

    settings_dict = connection.settings_dict
    name = f"fault_{uuid.uuid4().hex[:10]}"
    admin = psycopg.connect(
        host=settings_dict["HOST"] or "127.0.0.1",
        port=settings_dict["PORT"] or 5432,
        user=settings_dict["USER"],
        password=settings_dict["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    )
    admin.execute(f'CREATE DATABASE "{name}"')
    url = "postgres://{user}{password}@{host}:{port}/{name}".format(
        user=settings_dict["USER"],
        password=(":" + settings_dict["PASSWORD"]) if settings_dict["PASSWORD"] else "",
        host=settings_dict["HOST"] or "127.0.0.1",
        port=settings_dict["PORT"] or 5432,
        name=name,
    )
    try:
        yield url, name, admin
    finally:
        admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture
def one_member_site(scratch_postgres, static_root):
    """A scratch PostgreSQL site with one verified member and their session: (env, db name, admin, session)."""
    url_db, name, admin = scratch_postgres
    env = _prepare(url_db, static_root)
    serving.run_python(env, MAKE_MEMBERS.format(count=1))
    return env, name, admin, serving.login_sessions(env, ["writer0"])[0]


def _my_page(url: str, session) -> tuple[int, str]:
    return serving.request(url + "/me/", headers={"Cookie": f"sessionid={session[0]}"})


@pytest.mark.django_db(transaction=True)
def test_postgres_outage_gives_clean_503s_and_the_site_recovers_without_a_restart(one_member_site):
    env, name, admin, session = one_member_site
    with serving.gunicorn(env, workers=2) as (url, _process):
        assert serving.request(url + "/healthz")[0] == 200
        assert _my_page(url, session)[0] == 200

        # The database goes away: new connections refused, existing ones cut.
        admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        admin.execute(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'")
        for _ in range(4):  # both workers, whichever answers
            assert serving.request(url + "/healthz")[0] == 503
        status, body = _my_page(url, session)
        assert status == 503 and "Traceback" not in body
        status, _ = serving.post_form(url, "/me/", {"form": "consent", "show_name_publicly": "on"}, session)
        assert status == 503

        # It comes back: the same processes serve again.
        admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        for _ in range(4):
            assert serving.request(url + "/healthz")[0] == 200
        assert _my_page(url, session)[0] == 200
    out = serving.run_python(
        env,
        "from families.models import Resident; print('PUBLIC', Resident.objects.filter(show_name_publicly=True).count())",
    )
    assert "PUBLIC 0" in out  # the write attempted during the outage left nothing behind


@pytest.mark.django_db(transaction=True)
def test_a_database_restart_while_idle_costs_at_most_one_clean_503_per_worker(one_member_site):
    """Without per-request health checks, a cut connection is found by the next request, which fails cleanly."""
    env, name, admin, session = one_member_site
    with serving.gunicorn(env, workers=2) as (url, _process):
        for _ in range(4):  # both workers hold a connection
            assert _my_page(url, session)[0] == 200
        admin.execute(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'")
        answers = [_my_page(url, session) for _ in range(12)]
        statuses = [status for status, _body in answers]
        assert set(statuses) <= {200, 503} and statuses.count(503) <= 2, statuses  # at most one per worker
        assert all("Traceback" not in body for _status, body in answers)
