"""The outbox in tests: a test runs in one transaction that never commits, so the task that sends after the commit
never runs. ``deliver()`` runs the worker's pass over the outbox (``project.outbox.send_due``) by hand; the tests
that need the commit itself run with ``transaction=True`` or ``django_capture_on_commit_callbacks``."""

from __future__ import annotations

from project import sms
from project.outbox import send_due


def deliver() -> dict:
    """Send everything due now, as a worker would."""
    return send_due()


def delivered_texts() -> list[tuple[str, str]]:
    """What the memory SMS provider (``MemorySMSSender``) received, once a worker sent what is due."""
    deliver()
    return list(sms.outbox)
