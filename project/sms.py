"""Text messages: written to the outbox, sent by a task through one pluggable sender.

``send_sms`` writes an outbox row in the caller's transaction (``project.outbox``);
a task hands it to the class ``settings.SMS_SENDER`` names, whose
``send(phone, message, *, kind, params)`` returns when the provider took the
message, or raises ``project.outbox.TemporaryFailure`` (tried again later) or
``PermanentFailure`` (failed, shown to organizers).

- ``AliyunSMSSender``: Alibaba Cloud SMS (dysmsapi ``SendSms``), settings
  ``ALIYUN_SMS_*`` (the README's settings table). Texts in mainland China must
  use templates the provider approved: each kind of message names one.
- ``ConsoleSMSSender``: development (``DJANGO_DEBUG=1``: codes are printed).
- ``DisabledSMSSender``: the default with debug off until a provider is set;
  no verification code ever goes to the logs, and phone sign-up, phone login
  and changing one's number say they are unavailable (``sms_available``).
  Choosing the console sender with debug off fails ``manage.py check --deploy``
  (project/checks.py).
- ``MemorySMSSender``: the tests read ``outbox``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import uuid
from datetime import datetime
from datetime import timezone as dt_timezone
from urllib.error import HTTPError, URLError
from urllib.parse import quote
from urllib.request import Request, urlopen

from django.conf import settings
from django.utils.module_loading import import_string

from .outbox import NO_TEMPLATE, SMS_DISABLED, PermanentFailure, TemporaryFailure

logger = logging.getLogger(__name__)
outbox: list[tuple[str, str]] = []

# The kinds of text message the site sends (allauth's phone flows).
VERIFICATION_CODE = "verification_code"
UNKNOWN_ACCOUNT = "unknown_account"
ACCOUNT_EXISTS = "account_already_exists"


class ConsoleSMSSender:
    """Development only: prints every message, verification codes included."""

    def send(self, phone: str, message: str, **kwargs) -> None:
        logger.info("SMS to %s: %s", phone, message)
        print(f"[SMS to {phone}] {message}", flush=True)


class MemorySMSSender:
    def send(self, phone: str, message: str, **kwargs) -> None:
        outbox.append((phone, message))


class DisabledSMSSender:
    """No text messages at all (the default with debug off until a provider's sender is configured).

    The site offers nothing that needs a text (``sms_available`` is False), so
    nothing should reach ``send``; if something does, the message fails (the
    organizers' outbox shows it) and only the fact is logged, never the text,
    which may hold a code.
    """

    available = False

    def send(self, phone: str, message: str, **kwargs) -> None:
        logger.warning("SMS is disabled (SMS_SENDER): a text message was not sent.")
        raise PermanentFailure(SMS_DISABLED)


def sender_class() -> type:
    return import_string(settings.SMS_SENDER)


def sms_available() -> bool:
    """Whether this site can send text messages: phone sign-up, phone login and number changes need it."""
    return getattr(sender_class(), "available", True)


def send_sms(
    phone: str,
    message: str,
    *,
    kind: str = "text",
    params: dict | None = None,
    user=None,
    secret: bool = False,
    expires_at: datetime | None = None,
) -> None:
    """Write one text message to the outbox, in the caller's transaction; a task sends it after the commit.

    ``params`` are the values a provider's template needs (``{"code": "123456"}``); ``secret`` messages (codes)
    are redacted once sent and never sent after ``expires_at``.
    """
    from .outbox import Channel, queue

    queue(
        channel=Channel.SMS,
        recipient=phone,
        kind=kind,
        body=message,
        params=params,
        user=user,
        secret=secret,
        expires_at=expires_at,
    )


# --- Alibaba Cloud SMS -----------------------------------------------------------------------------------------


def percent_encode(value: str) -> str:
    """RFC 3986 encoding as Alibaba Cloud's RPC signature wants it: only ``A-Z a-z 0-9 - _ . ~`` stay as they are
    (a space is ``%20``, ``*`` is ``%2A``), UTF-8 bytes as ``%XY``."""
    return quote(value, safe="-_.~")


def rpc_signature(params: dict[str, str], secret: str, method: str = "POST") -> str:
    """Alibaba Cloud's RPC signature (``SignatureMethod=HMAC-SHA1``, ``SignatureVersion=1.0``).

    The parameters (all but ``Signature``) sorted by name, each name and value
    percent-encoded and joined as ``a=1&b=2`` (the canonicalised query);
    ``StringToSign = METHOD & %2F & percentEncode(canonicalised query)``; the
    signature is the Base64 HMAC-SHA1 of that with the key ``secret + "&"``.
    """
    canonical = "&".join(
        f"{percent_encode(name)}={percent_encode(value)}"
        for name, value in sorted(params.items())
        if name != "Signature"
    )
    string_to_sign = f"{method}&{percent_encode('/')}&{percent_encode(canonical)}"
    digest = hmac.new(f"{secret}&".encode(), string_to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


# Provider answers that may go through later (flow control, quotas, the provider's own trouble); any other code
# is the message's or the account's problem and fails at once.
ALIYUN_RETRYABLE = {
    "isv.BUSINESS_LIMIT_CONTROL",
    "isv.DAY_LIMIT_CONTROL",
    "isv.OUT_OF_SERVICE",
    "isp.SYSTEM_ERROR",
    "isp.GATEWAY_ERROR",
    "ServiceUnavailable",
    "InternalError",
    "Throttling",
    "Throttling.User",
    "Throttling.Api",
}


class AliyunSMSSender:
    """Alibaba Cloud SMS: one signed ``SendSms`` call (RPC style, HTTPS POST) per message.

    Settings (from the environment): ``ALIYUN_SMS_ACCESS_KEY_ID``, ``ALIYUN_SMS_ACCESS_KEY_SECRET``,
    ``ALIYUN_SMS_SIGN_NAME`` (the approved signature, e.g. 幸福里社区), ``ALIYUN_SMS_TEMPLATE_CODE`` (the approved
    verification-code template, whose variable is ``${code}``), ``ALIYUN_SMS_TEMPLATES`` (optional templates for
    the other kinds: ``unknown_account=SMS_1,account_already_exists=SMS_2``), ``ALIYUN_SMS_ENDPOINT``. The secret
    is used to sign and is never logged; errors name the provider's code and message only.
    """

    available = True

    def __init__(self) -> None:
        self.access_key_id = settings.ALIYUN_SMS_ACCESS_KEY_ID
        self.access_key_secret = settings.ALIYUN_SMS_ACCESS_KEY_SECRET
        self.sign_name = settings.ALIYUN_SMS_SIGN_NAME
        self.endpoint = settings.ALIYUN_SMS_ENDPOINT
        self.timeout = settings.ALIYUN_SMS_TIMEOUT_SECONDS
        self.templates = {VERIFICATION_CODE: settings.ALIYUN_SMS_TEMPLATE_CODE, **settings.ALIYUN_SMS_TEMPLATES}

    def request_params(self, phone: str, template: str, params: dict, *, nonce: str, timestamp: str) -> dict:
        """The signed parameters of one ``SendSms`` call."""
        query = {
            "AccessKeyId": self.access_key_id,
            "Action": "SendSms",
            "Format": "JSON",
            "PhoneNumbers": provider_number(phone),
            "RegionId": "cn-hangzhou",
            "SignName": self.sign_name,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": nonce,
            "SignatureVersion": "1.0",
            "TemplateCode": template,
            "Timestamp": timestamp,
            "Version": "2017-05-25",
        }
        if params:
            query["TemplateParam"] = json.dumps(params, ensure_ascii=False, separators=(",", ":"))
        query["Signature"] = rpc_signature(query, self.access_key_secret, "POST")
        return query

    def send(self, phone: str, message: str, *, kind: str = "", params: dict | None = None, **kwargs) -> None:
        template = self.templates.get(kind)
        if not template:
            raise PermanentFailure(NO_TEMPLATE)
        query = self.request_params(
            phone,
            template,
            {str(name): str(value) for name, value in (params or {}).items()},
            nonce=uuid.uuid4().hex,
            timestamp=datetime.now(dt_timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        )
        body = "&".join(f"{percent_encode(name)}={percent_encode(value)}" for name, value in query.items()).encode()
        request = Request(  # noqa: S310 - the endpoint is the deployment's setting (https by default)
            self.endpoint,
            data=body,
            method="POST",
            headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8", "Accept": "application/json"},
        )
        try:
            with urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                status, raw = response.status, response.read()
        except HTTPError as error:
            status, raw = error.code, error.read()
        except (URLError, TimeoutError, OSError) as error:
            raise TemporaryFailure(f"SMS provider unreachable: {getattr(error, 'reason', error)}") from error
        self.check_answer(status, raw)

    @staticmethod
    def check_answer(status: int, raw: bytes) -> None:
        """Nothing when the provider took the message (``"Code": "OK"``); otherwise the failure, by its code."""
        try:
            answer = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            answer = {}
        code = str(answer.get("Code") or "")
        if status == 200 and code == "OK":
            return
        text = f"{code or f'HTTP {status}'}: {str(answer.get('Message') or '')[:300]}"
        if code in ALIYUN_RETRYABLE or code.startswith("Throttling") or (not code and (status >= 500 or status == 429)):
            raise TemporaryFailure(text)
        raise PermanentFailure(text)


def provider_number(phone: str) -> str:
    """A stored E.164 number as Alibaba Cloud wants it: 11 digits in mainland China, else country code and number."""
    if phone.startswith("+86"):
        return phone[3:]
    return phone.lstrip("+")
