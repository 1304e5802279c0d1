"""Text messages, through one pluggable sender.

``settings.SMS_SENDER`` names the class; a deployment points it at a class
that calls its provider. Unset, it is the console sender in development
(``DJANGO_DEBUG=1``: codes are printed) and the disabled sender otherwise: no
verification code ever goes to the logs, and phone sign-up, phone login and
changing one's number say they are unavailable (``sms_available``). Choosing
the console sender with debug off fails ``manage.py check --deploy``
(project/checks.py). The tests use ``MemorySMSSender`` and read ``outbox``.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)
outbox: list[tuple[str, str]] = []


class ConsoleSMSSender:
    """Development only: prints every message, verification codes included."""

    def send(self, phone: str, message: str) -> None:
        logger.info("SMS to %s: %s", phone, message)
        print(f"[SMS to {phone}] {message}", flush=True)


class MemorySMSSender:
    def send(self, phone: str, message: str) -> None:
        outbox.append((phone, message))


class DisabledSMSSender:
    """No text messages at all (the default with debug off until a provider's sender is configured).

    The site offers nothing that needs a text (``sms_available`` is False), so
    nothing should reach ``send``; if something does, the message is dropped
    and only the fact is logged, never the text, which may hold a code.
    """

    available = False

    def send(self, phone: str, message: str) -> None:
        logger.warning("SMS is disabled (SMS_SENDER): a text message was not sent.")


def sender_class() -> type:
    return import_string(settings.SMS_SENDER)


def sms_available() -> bool:
    """Whether this site can send text messages: phone sign-up, phone login and number changes need it."""
    return getattr(sender_class(), "available", True)


def send_sms(phone: str, message: str) -> None:
    sender_class()().send(phone, message)
