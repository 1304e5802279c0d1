"""Text messages, through one pluggable sender.

``settings.SMS_SENDER`` names the class; a deployment points it at a class
that calls its provider. The default prints to the console (development); the
tests use ``MemorySMSSender`` and read ``outbox``.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)
outbox: list[tuple[str, str]] = []


class ConsoleSMSSender:
    def send(self, phone: str, message: str) -> None:
        logger.info("SMS to %s: %s", phone, message)
        print(f"[SMS to {phone}] {message}", flush=True)


class MemorySMSSender:
    def send(self, phone: str, message: str) -> None:
        outbox.append((phone, message))


def send_sms(phone: str, message: str) -> None:
    import_string(settings.SMS_SENDER)().send(phone, message)
