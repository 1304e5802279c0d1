"""Each task backend with its real worker process: a message written by the site is sent by the worker.

The database backend's ``db_worker`` on SQLite and on PostgreSQL (the embedded default), and the scale path,
``django_tasks_rq.RQBackend`` with ``manage.py rqworker``, on PostgreSQL and Redis. The worker runs on its own
while the test polls the outbox row (bounded), as an operator would watch it."""

from __future__ import annotations

import pytest

from tests import serving

SEND = "from django.core.mail import send_mail; send_mail('站点通知', '正文', None, ['wang@example.com'])"
STATES = "from project.models import OutboxMessage as M; print(sorted(M.objects.values_list('state', flat=True)))"
TICKED = "from project.models import TickState; print(TickState.objects.get().last_run_at is not None)"
DEFERRED = (
    "from datetime import timedelta; from django.utils import timezone; from project.outbox import deliver_due;"
    "print(deliver_due.using(run_after=timezone.now() + timedelta(seconds=2)).enqueue().id)"
)


def _env(database_url: str, **extra: str) -> dict:
    env = serving.site_env(database_url)
    env.update(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend", **extra)
    serving.manage(env, "migrate", "--noinput")
    serving.manage(env, "createcachetable")
    return env


def _sends_through_the_worker(env: dict) -> None:
    """A mail written by the site is sent by the worker, and the scheduled tick started before it runs."""
    serving.run_python(env, SEND)
    assert serving.run_python(env, STATES).strip().splitlines()[-1] == "['queued']"  # written, left for the worker
    serving.manage(env, "start_tick")
    serving.manage(env, "start_tick")  # a second start (another server, a restart) adds no tick
    with serving.process(env, serving.worker_argv(env)):
        assert serving.wait_for(env, STATES, "['sent']") == "['sent']"
        assert serving.wait_for(env, TICKED, "True") == "True"


def test_db_worker_sends_on_sqlite(tmp_path):
    _sends_through_the_worker(_env(f"sqlite:///{tmp_path / 'worker.sqlite3'}"))


@pytest.fixture
def scratch_postgres(postgres):
    with serving.scratch_postgres_database("tasks") as url:
        yield url


@pytest.mark.postgres_only
def test_db_worker_sends_on_postgres(scratch_postgres):
    _sends_through_the_worker(_env(scratch_postgres))


@pytest.mark.postgres_only
def test_rq_worker_sends_on_postgres_and_redis(scratch_postgres):
    with serving.scratch_redis() as redis_url:
        env = _env(scratch_postgres, TASKS_BACKEND="django_tasks_rq.RQBackend", REDIS_URL=redis_url)
        _sends_through_the_worker(env)


@pytest.mark.postgres_only
def test_rq_worker_runs_a_deferred_task_when_it_is_due(scratch_postgres):
    """The scheduled tick depends on ``run_after``: RQ keeps such a task in its schedule until the time comes."""
    with serving.scratch_redis() as redis_url:
        env = _env(scratch_postgres, TASKS_BACKEND="django_tasks_rq.RQBackend", REDIS_URL=redis_url)
        result_id = serving.run_python(env, DEFERRED).strip().splitlines()[-1]
        status = f"from project.outbox import deliver_due; print(deliver_due.get_result('{result_id}').status)"
        assert serving.run_python(env, status).strip().splitlines()[-1] == "READY"
        with serving.process(env, serving.worker_argv(env)):
            assert serving.wait_for(env, status, "SUCCESSFUL") == "SUCCESSFUL"
