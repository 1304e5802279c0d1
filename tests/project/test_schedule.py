"""The scheduled tick: one chain of ticks however often it is started, each tick the next one's only parent, and
every registered handler run on each tick, one's failure not stopping the others."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from project import schedule
from project.models import ScheduledWorkDone, TickState

pytestmark = pytest.mark.django_db

TICK = "project.schedule.tick"


@pytest.fixture
def database_tasks(settings):
    """The production backend: tasks are rows a worker would run, so the chain can be read from the database."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


def _waiting_ticks():
    return DBTaskResult.objects.filter(task_path=TICK, status="READY")


def test_starting_twice_leaves_one_waiting_tick(database_tasks):
    assert schedule.ensure_tick() is True
    assert schedule.ensure_tick() is False  # the second start: `make run` again, a second server, a restart
    assert _waiting_ticks().count() == 1
    assert TickState.objects.get().result_id == str(_waiting_ticks().get().id)


def test_a_tick_enqueues_the_next_one_interval_later_before_its_work(database_tasks, settings):
    settings.TICK_SECONDS = 60
    schedule.ensure_tick()
    first = _waiting_ticks().get()
    now = timezone.now()
    schedule.run_tick(result_id=str(first.id), now=now)
    DBTaskResult.objects.filter(pk=first.pk).update(status="SUCCESSFUL")  # what the worker records
    following = _waiting_ticks().get()
    assert following.run_after == now + timedelta(seconds=60)
    assert TickState.objects.get().result_id == str(following.id) and TickState.objects.get().last_run_at == now


def test_a_tick_run_twice_does_not_fork_the_chain(database_tasks):
    schedule.ensure_tick()
    first = str(_waiting_ticks().get().id)
    schedule.run_tick(result_id=first)
    schedule.run_tick(result_id=first)  # the same tick again (a retry, or two workers): not the chain's any more
    schedule.run_tick(result_id="a-tick-enqueued-by-hand")
    DBTaskResult.objects.filter(pk=first).update(status="SUCCESSFUL")
    assert _waiting_ticks().count() == 1


def test_a_restart_keeps_the_waiting_tick_and_a_lost_one_is_replaced(database_tasks):
    schedule.ensure_tick()
    waiting = _waiting_ticks().get()
    assert schedule.ensure_tick() is False  # the worker restarted: its tick is still in the queue
    waiting.delete()  # the queue lost it (emptied, pruned)
    assert schedule.ensure_tick() is True
    assert _waiting_ticks().count() == 1


def test_a_tick_that_died_with_its_worker_is_replaced_after_the_lease(database_tasks):
    schedule.ensure_tick()
    waiting = _waiting_ticks().get()
    started = timezone.now() - schedule.RUNNING_LEASE - timedelta(minutes=1)
    DBTaskResult.objects.filter(pk=waiting.pk).update(status="RUNNING", started_at=started)
    assert schedule.ensure_tick(now=timezone.now()) is True
    assert _waiting_ticks().count() == 1


def test_a_backend_that_cannot_wait_is_refused():
    with pytest.raises(ImproperlyConfigured):
        schedule.ensure_tick()  # the tests' ImmediateBackend runs everything at once


def test_every_app_registers_its_scheduled_work():
    assert set(schedule.handlers()) >= {
        "outbox.deliver_due",
        "exports.remove_stale",
        "awards.voting_open",
        "awards.publicity_ended",
        "activities.reminders",
        "families.stale_imports",
    }


def test_one_handler_failing_does_not_stop_the_others(monkeypatch, caplog):
    ran = []

    def broken(now):
        raise RuntimeError("boom")

    handlers = {"a.broken": broken, "b.fine": lambda now: ran.append(now) or 1}
    monkeypatch.setattr(schedule, "_HANDLERS", handlers)
    done = schedule.run_due()
    assert done == {"a.broken": "error", "b.fine": 1} and len(ran) == 1
    assert "a.broken failed" in caplog.text


def test_once_is_once():
    assert schedule.once("work:1") is True
    assert schedule.once("work:1") is False
    assert ScheduledWorkDone.objects.filter(key="work:1").count() == 1


def test_start_tick_command_is_idempotent(database_tasks):
    from django.core.management import call_command

    call_command("start_tick")
    call_command("start_tick")
    assert _waiting_ticks().count() == 1


def test_the_tick_sends_what_the_outbox_has_due(resident):
    from django.core import mail

    from project.models import OutboxMessage
    from project.outbox import queue

    queue(channel="email", recipient=resident.email, kind="mail", subject="s", body="b", user=resident)
    OutboxMessage.objects.update(next_attempt_at=timezone.now() - timedelta(minutes=1))
    mail.outbox.clear()
    schedule.run_due()
    assert OutboxMessage.objects.get().state == "sent"
