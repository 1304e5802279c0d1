"""Scheduled work without cron: one periodic task, ``tick``, that re-enqueues itself and runs whatever is due.

Each app registers what it does on a tick in ``<app>/schedule.py`` (found at start-up like ``notices.py``)::

    @schedule.register("activities.reminders")
    def reminders(now) -> int:   # how many things it did, for the log

A handler finds its due work from the database each time and re-checks it in its own transaction, so a moved
timeline, a tick that runs twice or a worker restart changes nothing: work that must happen once is recorded under
a key that names it (``once("activities.reminder:12:2026-12-03")``, a unique row) in the transaction that does it.
One handler's error is logged and does not stop the others.

The chain: ``ensure_tick()`` (``manage.py start_tick``, run before the worker by ``make run`` and the systemd unit)
enqueues a tick unless one is already waiting; each tick first enqueues the next one (``TICK_SECONDS`` later), then
runs the handlers. ``TickState`` names the one waiting tick: only that tick continues the chain, so starting twice,
or a tick run by hand, never leaves two chains. Both task backends keep a task's ``run_after`` (the database
backend in its rows, RQ in its schedule, which ``rqworker --with-scheduler`` runs).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_tasks import TaskResultStatus, task
from django_tasks.exceptions import TaskResultDoesNotExist

from .models import ScheduledWorkDone, TickState

logger = logging.getLogger(__name__)

_HANDLERS: dict[str, Callable[[datetime], int]] = {}

# A tick that a worker has been running for longer than this died with its worker (it holds no lock meanwhile).
RUNNING_LEASE = timedelta(minutes=15)


def register(name: str) -> Callable:
    """``@register("app.work")`` on ``function(now) -> int``: run it on every tick."""

    def add(function: Callable[[datetime], int]) -> Callable[[datetime], int]:
        if name in _HANDLERS:
            raise ImproperlyConfigured(f"The scheduled work {name!r} is registered twice.")
        _HANDLERS[name] = function
        return function

    return add


def handlers() -> dict[str, Callable[[datetime], int]]:
    return dict(_HANDLERS)


def interval() -> timedelta:
    return timedelta(seconds=int(settings.TICK_SECONDS))


def once(key: str) -> bool:
    """Record ``key`` as done, in the caller's transaction: True the first time, False ever after."""
    try:
        with transaction.atomic():
            ScheduledWorkDone.objects.create(key=key)
    except IntegrityError:
        return False
    return True


def run_due(*, now: datetime | None = None) -> dict[str, int | str]:
    """Run every registered handler once at ``now``; what each did (or ``"error"``, which is logged)."""
    now = now or timezone.now()
    done: dict[str, int | str] = {}
    for name, function in _HANDLERS.items():
        try:
            done[name] = function(now)
        except Exception:
            logger.exception("scheduled work %s failed; the next tick tries again", name)
            done[name] = "error"
    return done


def _state() -> TickState:
    TickState.objects.get_or_create(pk=1)
    # Locked so that two starts, or a start and a tick, decide one after the other which tick waits.
    return TickState.objects.select_for_update().get(pk=1)


def _waiting(result_id: str, now: datetime) -> bool:
    if not result_id:
        return False
    try:
        result = tick.get_result(result_id)
    except TaskResultDoesNotExist:
        return False  # the queue lost it (pruned, or Redis emptied)
    if result.status == TaskResultStatus.READY:
        return True
    started = result.started_at or result.enqueued_at
    return result.status == TaskResultStatus.RUNNING and started is not None and now - started < RUNNING_LEASE


def ensure_tick(*, now: datetime | None = None) -> bool:
    """Start the chain of ticks unless a tick is already waiting; True if this call started it. Idempotent."""
    now = now or timezone.now()
    backend = tick.get_backend()
    if not (backend.supports_defer and backend.supports_get_result):
        raise ImproperlyConfigured("The scheduled tick needs a task backend that keeps tasks for later (database, RQ).")
    with transaction.atomic():
        state = _state()
        if _waiting(state.result_id, now):
            return False
        state.result_id = tick.enqueue().id
        state.save(update_fields=["result_id"])
    return True


def run_tick(*, result_id: str, now: datetime | None = None) -> dict[str, int | str]:
    """One tick (the task ``tick`` is ``result_id``): the next tick first, if this one is the chain's, then the work."""
    now = now or timezone.now()
    with transaction.atomic():
        state = _state()
        if state.result_id == result_id:
            state.result_id = tick.using(run_after=now + interval()).enqueue().id
        state.last_run_at = now
        state.save(update_fields=["result_id", "last_run_at"])
    return run_due(now=now)


@task(takes_context=True)
def tick(context) -> dict:
    return run_tick(result_id=context.task_result.id)


# --- The core's own scheduled work ------------------------------------------------------------------------------


@register("outbox.deliver_due")
def _outbox_due(now: datetime) -> int:
    """Messages waiting for a retry, claims a stopped worker left, expired secrets (``project.outbox.send_due``)."""
    from .outbox import deliver_due

    deliver_due.enqueue()
    return 1


@register("exports.remove_stale")
def _stale_exports(now: datetime) -> int:
    """Exports finished more than ``EXPORTS_KEPT_DAYS`` ago, file and row (``project.exports.remove_stale``)."""
    from .exports import remove_stale

    return remove_stale(now)
