"""E-mail leaves through Django's SMTP backend, from the outbox, to a real SMTP server on loopback (aiosmtpd):
delivered, refused for now (451) and accepted on the retry, refused for good (550), or unreachable."""

from __future__ import annotations

import socket
from datetime import timedelta
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller

from project.models import OutboxMessage
from project.notices import notify
from project.outbox import deliver_messages
from tests.factories import UserFactory
from tests.outbox import deliver

pytestmark = pytest.mark.django_db

State = OutboxMessage.State


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class MailServer:
    """An SMTP server's handler: keeps what it accepts; refuses the next ``busy`` messages with 451 and any
    recipient in ``unknown`` with 550."""

    def __init__(self) -> None:
        self.received: list = []
        self.busy = 0
        self.unknown: set[str] = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.unknown:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.busy:
            self.busy -= 1
            return "451 4.3.0 Mailbox busy, try again later"
        self.received.append((envelope.rcpt_tos, message_from_bytes(envelope.content, policy=policy.default)))
        return "250 2.0.0 Accepted"


@pytest.fixture
def smtp(settings):
    handler = MailServer()
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_DELIVERY_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", port, False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.DEFAULT_FROM_EMAIL = "noreply@honours.example.org"
    yield handler
    controller.stop()


def _notice_for(user) -> OutboxMessage:
    notify(users=[user], kind="household_joined", params={"name": "林秀英"})
    return OutboxMessage.objects.get(user=user)


def test_a_notice_copy_reaches_a_real_smtp_server(smtp):
    user = UserFactory(email="wang@example.com")
    message = _notice_for(user)
    assert deliver() == {"sent": 1}
    [(recipients, received)] = smtp.received
    assert recipients == ["wang@example.com"] and received["From"] == "noreply@honours.example.org"
    assert "林秀英已成为您家的认证成员" in received.get_body(("plain",)).get_content()
    message.refresh_from_db()
    assert message.state == State.SENT and message.attempts == 1


def test_a_server_that_refuses_with_451_gets_the_message_again_a_minute_later(smtp):
    smtp.busy = 1
    message = _notice_for(UserFactory(email="wang@example.com"))
    assert deliver() == {"retry": 1}
    message.refresh_from_db()
    assert (message.state, message.attempts) == (State.QUEUED, 1)
    assert message.last_error.startswith("SMTP 451 4.3.0 Mailbox busy")
    assert smtp.received == []
    assert deliver_messages([message.pk], now=message.next_attempt_at - timedelta(seconds=1)) == {}
    assert deliver_messages([message.pk], now=message.next_attempt_at) == {"sent": 1}
    message.refresh_from_db()
    assert (message.state, message.attempts, message.last_error) == (State.SENT, 2, "")
    assert [recipients for recipients, _received in smtp.received] == [["wang@example.com"]]


def test_a_recipient_the_server_refuses_for_good_fails_at_once_and_shows_on_the_dashboard(smtp, organizer_client):
    smtp.unknown = {"gone@example.com"}
    message = _notice_for(UserFactory(email="gone@example.com"))
    assert deliver() == {"failed": 1}
    message.refresh_from_db()
    assert (message.state, message.attempts) == (State.FAILED, 1)
    assert "SMTP 550 5.1.1 No such mailbox" in message.last_error
    page = organizer_client.get("/organize/outbox/").content.decode()
    assert "g***@example.com" in page and "SMTP 550 5.1.1 No such mailbox" in page


def test_one_refused_recipient_does_not_stop_the_others_in_the_batch(smtp):
    smtp.unknown = {"gone@example.com"}
    users = [UserFactory(email="gone@example.com"), UserFactory(email="li@example.com")]
    notify(users=users, kind="household_joined", params={"name": "林秀英"})
    assert deliver() == {"failed": 1, "sent": 1}
    assert [recipients for recipients, _received in smtp.received] == [["li@example.com"]]


def test_a_mail_server_that_is_down_loses_nothing(settings):
    settings.EMAIL_DELIVERY_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", _free_port()  # nobody listens there
    message = _notice_for(UserFactory(email="wang@example.com"))
    assert deliver() == {"retry": 1}
    message.refresh_from_db()
    assert message.state == State.QUEUED and "ConnectionRefusedError" in message.last_error
