"""The outbox: every e-mail and text message is a row first, written in the caller's transaction, and a task sends
it after the commit, so a rolled-back write sends nothing and a mail server that is down loses nothing.

Writing:

- E-mail: Django's ``EMAIL_BACKEND`` is ``OutboxEmailBackend``, which only writes rows. ``send_mail`` anywhere,
  allauth's mails (through the account adapter, which marks those that hold a link or a code as secret) and the
  e-mail copies of notices (``project.notices.notify``) all arrive here. The real backend (SMTP in production) is
  ``EMAIL_DELIVERY_BACKEND``, and only the sender below uses it.
- Text messages: ``project.sms.send_sms``.

Sending: ``deliver`` (a task, enqueued after the commit) sends the rows it is given that are due. Each row is claimed
with a compare-and-set (queued → sending), so two workers never send one message twice; it ends sent, queued again
with a later ``next_attempt_at`` after a temporary failure (``OUTBOX_RETRY_MINUTES``: 1, 5, 30, 120 minutes, then
failed), or failed after a permanent one. Text messages go to the provider at most ``OUTBOX_SMS_PER_MINUTE`` a minute
across every worker (``take_quota``); over it they wait for the next minute. ``send_due`` (``deliver_due``, run by
the scheduled tick) sends whatever is due, takes back claims a stopped worker left, fails expired messages and prunes
old rows.

Secrets (verification codes, password-reset and confirmation links): organizers never see any body; a secret's body
is replaced in the very update that marks it sent; once ``expires_at`` has passed it is never sent or resent, and its
body is replaced too.
"""

from __future__ import annotations

import contextlib
import logging
import smtplib
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import IntegrityError, transaction
from django.db.models import Case, F, Q, TextField, Value, When
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_tasks import task

from .errors import ServiceError
from .models import AuditEntry, OutboxMessage, SendingQuota

logger = logging.getLogger(__name__)

State = OutboxMessage.State
Channel = OutboxMessage.Channel

# How many rows one task sends: a large notice (voting opens for every household) becomes several tasks, so that
# several workers share it.
BATCH = 100
# A claim older than this belongs to a worker that stopped while sending: the message is queued again (it may have
# gone out; a second copy is the price of never losing one).
CLAIM_LEASE = timedelta(minutes=15)

# Reasons the site itself gives for a failure (stored as these markers, shown translated by ``error_text``).
EXPIRED = "outbox:expired"
INTERRUPTED = "outbox:interrupted"
SMS_DISABLED = "outbox:sms_disabled"
NO_TEMPLATE = "outbox:no_template"
_REASONS = {
    EXPIRED: _("Expired before it could be sent: it holds a code or link that no longer works, so it is never resent."),
    INTERRUPTED: _("The worker stopped while sending it."),
    SMS_DISABLED: _("This site cannot send text messages (no SMS provider is configured)."),
    NO_TEMPLATE: _("The SMS provider has no template for this kind of message."),
}

# Labels of the kinds of message that are not notices (notices' kinds are registered with project.notices).
_KIND_LABELS = {
    "mail": _("E-mail"),
    "verification_code": _("Verification code"),
    "email_confirmation": _("E-mail address confirmation"),
    "email_confirmation_signup": _("E-mail address confirmation"),
    "password_reset_key": _("Password reset"),
    "password_reset_code": _("Password reset"),
    "login_code": _("Login code"),
    "unknown_account": _("No account for this address"),
    "account_already_exists": _("Account already exists"),
    "email_changed": _("Account security notice"),
    "email_confirm": _("Account security notice"),
    "email_deleted": _("Account security notice"),
    "password_changed": _("Account security notice"),
    "password_set": _("Account security notice"),
    "password_reset": _("Account security notice"),
}


class TemporaryFailure(Exception):
    """The message may go through later (a mail server's 4xx, a network error, the provider's flow control)."""


class PermanentFailure(Exception):
    """The message will never go through as it is (a 5xx refusal, an invalid number): failed at once."""


class OutboxError(ServiceError):
    pass


# --- Settings -------------------------------------------------------------------------------------------------


def retry_delays() -> tuple[int, ...]:
    """Minutes to wait after the 1st, 2nd, … temporary failure; after the last, the message has failed."""
    return tuple(int(minutes) for minutes in settings.OUTBOX_RETRY_MINUTES)


def sms_per_minute() -> int:
    return int(settings.OUTBOX_SMS_PER_MINUTE)


def keep_days() -> int:
    return int(settings.OUTBOX_KEEP_DAYS)


# --- What organizers see ---------------------------------------------------------------------------------------


def mask(recipient: str) -> str:
    """A recipient as organizers see it: ``138****5678``, ``w***@example.com``."""
    if "@" in recipient:
        local, _at, domain = recipient.rpartition("@")
        return f"{local[:1]}***@{domain}"
    digits = recipient.lstrip("+")
    if recipient.startswith("+86"):
        digits = digits[2:]
    elif recipient.startswith("+"):
        return f"+{digits[:2]} {_mask_digits(digits[2:])}"
    return _mask_digits(digits)


def _mask_digits(digits: str) -> str:
    if len(digits) >= 9:
        return f"{digits[:3]}****{digits[-4:]}"
    return f"{digits[:1]}***{digits[-2:]}" if len(digits) > 3 else "***"


def kind_label(kind: str) -> str:
    from .notices import get_kind

    registered = get_kind(kind)
    if registered is not None:
        return str(registered.label)
    label = _KIND_LABELS.get(kind)
    return str(label) if label is not None else kind


def error_text(last_error: str) -> str:
    reason = _REASONS.get(last_error)
    return str(reason) if reason is not None else last_error


# --- Writing rows ---------------------------------------------------------------------------------------------


def queue(
    *,
    channel: str,
    recipient: str,
    kind: str,
    body: str,
    subject: str = "",
    html_body: str = "",
    params: dict | None = None,
    user=None,
    secret: bool = False,
    expires_at: datetime | None = None,
) -> OutboxMessage:
    """Write one message in the caller's transaction; a task sends it after the commit."""
    return queue_many(
        [
            OutboxMessage(
                channel=channel,
                recipient=recipient,
                kind=kind,
                subject=subject[:255],
                body=body,
                html_body=html_body,
                params=params or {},
                user=user,
                secret=secret,
                expires_at=expires_at,
            )
        ]
    )[0]


queue.alters_data = True


def queue_many(messages: list[OutboxMessage]) -> list[OutboxMessage]:
    """Write ``messages`` in the caller's transaction (one statement); a task sends them after the commit."""
    if not messages:
        return []
    now = timezone.now()
    for message in messages:
        message.created_at = message.next_attempt_at = now
    written = OutboxMessage.objects.bulk_create(messages)  # both databases return the new ids
    ids = [message.pk for message in written]
    # robust: a queue that is down must not turn the committed write into an error page; the rows stay queued
    # and the scheduled tick (send_due) sends them.
    transaction.on_commit(partial(enqueue, ids), robust=True)
    return written


queue_many.alters_data = True


class OutboxEmailBackend(BaseEmailBackend):
    """Django's ``EMAIL_BACKEND``: every message becomes one outbox row per recipient, in the caller's transaction.

    A message may carry ``outbox_kind``, ``outbox_user``, ``outbox_secret`` and ``outbox_expires_at`` (the account
    adapter and ``notify`` set them); any other mail (``send_mail``, ``mail_admins``) is of kind ``mail``.
    """

    def send_messages(self, email_messages) -> int:
        rows = []
        for email in email_messages:
            if email.attachments:
                raise ValueError("The outbox carries text and HTML only, not attachments.")
            html = next(
                (content for content, mimetype in getattr(email, "alternatives", []) if mimetype == "text/html"), ""
            )
            for address in email.recipients():
                rows.append(
                    OutboxMessage(
                        channel=Channel.EMAIL,
                        recipient=address,
                        kind=getattr(email, "outbox_kind", "mail"),
                        subject=str(email.subject)[:255],
                        body=str(email.body),
                        html_body=str(html),
                        user=getattr(email, "outbox_user", None),
                        secret=getattr(email, "outbox_secret", False),
                        expires_at=getattr(email, "outbox_expires_at", None),
                    )
                )
        queue_many(rows)
        return len(email_messages)


def tag(email, *, kind: str, user=None, secret: bool = False, expires_at: datetime | None = None):
    """Mark a Django ``EmailMessage`` for the outbox (its kind, its account, whether it holds a secret)."""
    email.outbox_kind = kind
    email.outbox_user = user if user is not None and getattr(user, "pk", None) else None
    email.outbox_secret = secret
    email.outbox_expires_at = expires_at
    return email


# --- Tasks ----------------------------------------------------------------------------------------------------


@task()
def deliver(message_ids: list[int]) -> dict:
    """Send those of ``message_ids`` that are due (enqueued after the commit that wrote them, and for each retry)."""
    return dict(deliver_messages(message_ids))


@task()
def deliver_due() -> dict:
    """Send everything that is due and tidy the outbox (the scheduled tick enqueues this)."""
    return send_due()


def enqueue(ids: Iterable[int], *, run_after: datetime | None = None) -> None:
    """Ask a worker to send ``ids`` (now, or at ``run_after`` when the task backend can wait; otherwise the
    scheduled tick finds them when they are due)."""
    ids = list(ids)
    scheduled = deliver
    if run_after is not None:
        if not deliver.get_backend().supports_defer:
            return
        scheduled = deliver.using(run_after=run_after)
    for start in range(0, len(ids), BATCH):
        scheduled.enqueue(ids[start : start + BATCH])


# --- Sending --------------------------------------------------------------------------------------------------


def deliver_messages(ids: Iterable[int], *, now: datetime | None = None) -> Counter:
    """Send each of ``ids`` that is due, claiming it first; returns how many were sent, retried, failed, ….

    ``now`` fixes the clock (tests); otherwise each step reads the time.
    """
    clock: Callable[[], datetime] = (lambda: now) if now is not None else timezone.now
    ids = list(ids)
    results: Counter = Counter()
    results["expired"] = _expire(clock(), OutboxMessage.objects.filter(pk__in=ids))
    candidates = list(OutboxMessage.objects.due(clock()).filter(pk__in=ids).order_by("next_attempt_at", "pk"))
    mail = _MailConnection()
    quota_full_until: datetime | None = None
    postponed: list[int] = []
    try:
        for message in candidates:
            if message.channel == Channel.SMS and quota_full_until is not None:
                if _postpone(message, quota_full_until):
                    postponed.append(message.pk)
                continue
            if not _claim(message, clock()):
                results["skipped"] += 1  # another worker has it, or it changed since it was read
                continue
            if message.channel == Channel.SMS and not take_quota(Channel.SMS, limit=sms_per_minute(), now=clock()):
                quota_full_until = _next_minute(clock())
                _release(message, quota_full_until)
                postponed.append(message.pk)
                continue
            try:
                if message.channel == Channel.EMAIL:
                    mail.send(message)
                else:
                    _send_sms(message)
            except PermanentFailure as failure:
                _record_failure(message, str(failure), retry=False, now=clock())
                results["failed"] += 1
            except TemporaryFailure as failure:
                retry_at = _record_failure(message, str(failure), retry=True, now=clock())
                results["retry" if retry_at else "failed"] += 1
            except Exception as error:  # a bug or an unexpected library error: retried like a network error
                logger.exception("outbox: message %s could not be sent", message.pk)
                retry_at = _record_failure(message, f"{type(error).__name__}: {error}", retry=True, now=clock())
                results["retry" if retry_at else "failed"] += 1
            else:
                _record_sent(message, clock())
                results["sent"] += 1
    finally:
        mail.close()
    if postponed:
        results["postponed"] = len(postponed)
        enqueue(postponed, run_after=quota_full_until)
    return +results


def send_due(*, now: datetime | None = None, limit: int = 1000) -> dict:
    """Send what is due, take back claims a stopped worker left, fail expired messages, prune old rows."""
    at = now or timezone.now()
    stale = list(OutboxMessage.objects.filter(state=State.SENDING, claimed_at__lt=at - CLAIM_LEASE))
    for message in stale:
        _record_failure(message, INTERRUPTED, retry=True, now=at)
    expired = _expire(at, OutboxMessage.objects.all())
    pruned, _by_model = OutboxMessage.objects.filter(
        state__in=[State.SENT, State.FAILED], created_at__lt=at - timedelta(days=keep_days())
    ).delete()
    due = list(OutboxMessage.objects.due(at).order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:limit])
    results = deliver_messages(due, now=now)
    results.update(interrupted=len(stale), expired=expired, pruned=pruned)
    return dict(+results)


def _claim(message: OutboxMessage, now: datetime) -> bool:
    """queued → sending, only if the row is still exactly as read (the compare-and-set two workers race on)."""
    return bool(
        OutboxMessage.objects.filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=now),
            pk=message.pk,
            state=State.QUEUED,
            attempts=message.attempts,
            next_attempt_at__lte=now,
        ).update(state=State.SENDING, claimed_at=now)
    )


def _record_sent(message: OutboxMessage, now: datetime) -> None:
    changes = {"state": State.SENT, "sent_at": now, "attempts": F("attempts") + 1, "last_error": "", "claimed_at": None}
    if message.secret:
        # In the same update that marks it sent: there is no moment at which a sent code is still stored.
        changes.update(body=OutboxMessage.REDACTED, html_body="", params={})
    OutboxMessage.objects.filter(pk=message.pk, state=State.SENDING).update(**changes)
    logger.info("outbox: message %s (%s, %s) sent", message.pk, message.channel, message.kind)


def _record_failure(message: OutboxMessage, error: str, *, retry: bool, now: datetime) -> datetime | None:
    """Count the attempt; queue the message again after the next delay, or mark it failed. Returns the retry time."""
    attempts = message.attempts + 1
    delays = retry_delays()
    changes = {"attempts": attempts, "last_error": error[:500], "claimed_at": None}
    retry_at = None
    if retry and attempts <= len(delays):
        retry_at = now + timedelta(minutes=delays[attempts - 1])
        changes.update(state=State.QUEUED, next_attempt_at=retry_at)
    else:
        changes.update(state=State.FAILED)
    OutboxMessage.objects.filter(pk=message.pk, state=State.SENDING).update(**changes)
    logger.warning(
        "outbox: message %s (%s, %s) attempt %s failed%s",
        message.pk,
        message.channel,
        message.kind,
        attempts,
        f", next try at {retry_at:%H:%M}" if retry_at else ", given up",
    )
    if retry_at is not None:
        try:
            enqueue([message.pk], run_after=retry_at)
        except Exception:  # the queue is down: the row is queued all the same, and the scheduled tick sends it
            logger.exception("outbox: the retry of message %s could not be enqueued", message.pk)
    return retry_at


def _release(message: OutboxMessage, until: datetime) -> None:
    """sending → queued without counting an attempt (the provider's minute was full)."""
    OutboxMessage.objects.filter(pk=message.pk, state=State.SENDING).update(
        state=State.QUEUED, next_attempt_at=until, claimed_at=None
    )


def _postpone(message: OutboxMessage, until: datetime) -> int:
    return OutboxMessage.objects.filter(pk=message.pk, state=State.QUEUED).update(next_attempt_at=until)


def _expire(now: datetime, queryset) -> int:
    """Queued messages past ``expires_at`` fail unsent; every expired secret's body is replaced. Returns how many
    queued messages expired."""
    redacted_if_secret = Case(
        When(secret=True, then=Value(OutboxMessage.REDACTED)), default=F("body"), output_field=TextField()
    )
    html_gone_if_secret = Case(When(secret=True, then=Value("")), default=F("html_body"), output_field=TextField())
    expired = queryset.filter(state=State.QUEUED, expires_at__lte=now).update(
        state=State.FAILED, last_error=EXPIRED, body=redacted_if_secret, html_body=html_gone_if_secret, params={}
    )
    queryset.filter(state=State.FAILED, secret=True, expires_at__lte=now).exclude(body=OutboxMessage.REDACTED).update(
        body=OutboxMessage.REDACTED, html_body="", params={}
    )
    return expired


def _next_minute(now: datetime) -> datetime:
    return now.replace(second=0, microsecond=0) + timedelta(minutes=1)


def take_quota(channel: str, *, limit: int, now: datetime) -> bool:
    """Count one message toward ``channel``'s ``limit`` for the current minute; False when the minute is full.

    One conditional ``UPDATE`` decides, so concurrent workers (threads, processes, servers) never exceed the
    limit together: PostgreSQL re-checks ``used < limit`` on the row a concurrent update just committed, and
    SQLite runs one writer at a time. A limit of 0 means no limit.
    """
    if limit <= 0:
        return True
    window = now.replace(second=0, microsecond=0)
    quotas = SendingQuota.objects.filter(channel=channel)
    for _try in range(2):
        if quotas.filter(window_start=window, used__lt=limit).update(used=F("used") + 1):
            return True
        if quotas.filter(window_start__lt=window).update(window_start=window, used=1):
            return True
        if quotas.exists():
            return False  # this minute is full
        try:
            with transaction.atomic():
                SendingQuota.objects.create(channel=channel, window_start=window, used=1)
            return True
        except IntegrityError:
            continue  # another worker created it first: count against theirs
    return False


class _MailConnection:
    """One connection to the delivery backend for a batch, opened at the first e-mail and reopened after an error."""

    def __init__(self) -> None:
        self.connection = None

    def send(self, message: OutboxMessage) -> None:
        if self.connection is None:
            self.connection = get_connection(settings.EMAIL_DELIVERY_BACKEND, fail_silently=False)
            try:
                self.connection.open()
            except Exception as error:
                self.connection = None
                raise _mail_failure(error) from error
        email = EmailMultiAlternatives(
            subject=message.subject,
            body=message.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[message.recipient],
            connection=self.connection,
        )
        if message.html_body:
            email.attach_alternative(message.html_body, "text/html")
        try:
            sent = email.send()
        except Exception as error:
            self.close()  # the conversation with the server may be half-way: start the next message afresh
            raise _mail_failure(error) from error
        if not sent:
            raise TemporaryFailure(gettext("The mail server accepted nothing."))

    def close(self) -> None:
        if self.connection is not None:
            # Closing a broken connection may fail too; the next send opens a new one.
            with contextlib.suppress(Exception):
                self.connection.close()
            self.connection = None


def _mail_failure(error: Exception) -> Exception:
    """An SMTP error as a temporary failure (4xx, network) or a permanent one (a 5xx refusal of this message)."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        answers = list(error.recipients.values())
        text = "; ".join(f"SMTP {code} {_text(reply)}" for code, reply in answers)
        permanent = bool(answers) and all(500 <= code < 600 for code, _reply in answers)
        return (PermanentFailure if permanent else TemporaryFailure)(text)
    if isinstance(error, smtplib.SMTPResponseException):
        text = f"SMTP {error.smtp_code} {_text(error.smtp_error)}"
        # A refused sender or failed login is the site's configuration, not this message: retried while it is fixed.
        configuration = isinstance(error, smtplib.SMTPSenderRefused | smtplib.SMTPAuthenticationError)
        permanent = 500 <= error.smtp_code < 600 and not configuration
        return (PermanentFailure if permanent else TemporaryFailure)(text)
    if isinstance(error, TemporaryFailure | PermanentFailure):
        return error
    return TemporaryFailure(f"{type(error).__name__}: {error}")


def _text(reply) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


def _send_sms(message: OutboxMessage) -> None:
    from .sms import sender_class

    sender_class()().send(message.recipient, message.body, kind=message.kind, params=message.params)


# --- Organizers -----------------------------------------------------------------------------------------------


def resend(*, message: OutboxMessage, actor) -> None:
    """Queue a failed message again (an organizer's button), once; never one that expired. Logs who did it."""
    now = timezone.now()
    if message.expired(now) or message.redacted:
        _expire(now, OutboxMessage.objects.filter(pk=message.pk))  # kept: the refusal below changes nothing else
        raise OutboxError(
            gettext(
                "This message held a code or link that has expired, so it is not sent again. "
                "The person can ask for a new one."
            )
        )
    with transaction.atomic():
        requeued = OutboxMessage.objects.filter(pk=message.pk, state=State.FAILED).update(
            state=State.QUEUED, attempts=0, next_attempt_at=now, last_error="", claimed_at=None
        )
        if not requeued:
            raise OutboxError(gettext("This message is not one that failed: it was sent or is already waiting."))
        AuditEntry.objects.log(
            actor=actor,
            action="outbox.resent",
            target=message,
            details={"attempts": message.attempts, "error": message.last_error[:200]},
        )
        transaction.on_commit(partial(enqueue, [message.pk]), robust=True)


resend.alters_data = True
