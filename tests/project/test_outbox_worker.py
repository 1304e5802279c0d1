"""The outbox with the real worker: a mail written by one process is sent by ``manage.py db_worker`` (the database
task backend of the production settings) through SMTP, and its retry after a 451 is a deferred task the worker
runs. On SQLite, and on PostgreSQL when the suite runs there."""

from __future__ import annotations

import pytest
from aiosmtpd.controller import Controller

from tests import serving
from tests.project.test_smtp_delivery import MailServer

SEND = "from django.core.mail import send_mail; send_mail('站点通知', '正文', None, ['wang@example.com'])"
ROWS = "from project.models import OutboxMessage as M; print(list(M.objects.values_list('state', 'attempts')))"


@pytest.fixture
def smtp():
    handler = MailServer()
    port = serving.free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    handler.port = port
    yield handler
    controller.stop()


def _round_trip(database_url: str, smtp) -> str:
    env = serving.prepare_database(database_url)
    env.update(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(smtp.port),
        DEFAULT_FROM_EMAIL="noreply@honours.example.org",
        OUTBOX_RETRY_MINUTES="0",  # retry at once, so that one worker run sees the retry too
    )
    smtp.busy = 1  # the first attempt is refused for now
    serving.run_python(env, SEND)
    assert smtp.received == []  # written, and left for the worker
    serving.manage(env, "db_worker", "--batch", "--no-startup-delay")
    return serving.run_python(env, ROWS).strip().splitlines()[-1]  # after the shell's own greeting


def test_the_worker_sends_the_mail_and_its_retry_on_sqlite(tmp_path, smtp):
    assert _round_trip(f"sqlite:///{tmp_path / 'worker.sqlite3'}", smtp) == "[('sent', 2)]"
    assert [recipients for recipients, _message in smtp.received] == [["wang@example.com"]]


@pytest.fixture
def scratch_postgres(postgres):
    """A database of its own for the processes, dropped afterwards."""
    with serving.scratch_postgres_database("outbox") as url:
        yield url


@pytest.mark.postgres_only
def test_the_worker_sends_the_mail_and_its_retry_on_postgres(scratch_postgres, smtp):
    assert _round_trip(scratch_postgres, smtp) == "[('sent', 2)]"
    assert [recipients for recipients, _message in smtp.received] == [["wang@example.com"]]
