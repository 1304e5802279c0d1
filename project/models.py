"""The core's own tables: what every app shares (accounts' profiles, the audit log, notices, form tokens)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class FormSubmission(models.Model):
    """One use of a one-time form token: written in the same transaction as the row its form created.

    A form carries a token signed to its user and its form name when rendered;
    the service that creates the row records the token here in the same
    transaction, so the token is used up only on success, and a second
    submission (a double click, a resend after a timeout, three tabs at once)
    finds this row and shows the first result instead of creating another.
    """

    token = models.CharField(_("token"), max_length=64, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("who"),
    )
    form_name = models.CharField(_("form"), max_length=60)
    content_type = models.ForeignKey(
        ContentType, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("object type")
    )
    object_id = models.CharField(_("object id"), max_length=40, blank=True)
    result_url = models.CharField(_("result"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("form submission")
        verbose_name_plural = _("form submissions")

    def __str__(self) -> str:
        return f"{self.form_name} {self.created_at:%Y-%m-%d %H:%M}"


class NoticeQuerySet(models.QuerySet):
    def unread(self) -> NoticeQuerySet:
        return self.filter(read_at__isnull=True)


class Notice(models.Model):
    """A message on the site for one account: a kind and its values, rendered in the reader's language.

    Apps register their kinds in ``<app>/notices.py`` (``project.notices.register``);
    a notice stores the kind, its ``params`` and a link, never rendered text, so
    the same notice reads in Chinese or English, whichever the reader chose.
    Written only by ``project.notices.notify``.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notices", verbose_name=_("account")
    )
    kind = models.CharField(_("kind"), max_length=40)
    params = models.JSONField(_("values"), default=dict, blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    created_at = models.DateTimeField(_("sent"), default=timezone.now)

    objects = NoticeQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        indexes = [
            models.Index(fields=["user", "-created_at"], name="notice_user_newest"),
            # The header counts the reader's unread notices on every page: a small partial index answers it.
            models.Index(fields=["user"], condition=models.Q(read_at__isnull=True), name="notice_unread_by_user"),
        ]

    def __str__(self) -> str:
        return str(self.label)

    @property
    def label(self) -> str:
        from .notices import label_of

        return label_of(self)

    @property
    def text(self) -> str:
        from .notices import text_of

        return text_of(self)


class NoticeSettings(models.Model):
    """How an account wants its notices: on the site always, and by email unless it opted out.

    What an app's notices are about (e.g. "tell me when voting opens") stays with
    that app, which adds its own setting to the notices page.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notice_settings", verbose_name=_("account")
    )
    by_email = models.BooleanField(_("also send notices by email"), default=True)

    class Meta:
        verbose_name = _("notice settings")
        verbose_name_plural = _("notice settings")

    def __str__(self) -> str:
        return str(self.user)


class Profile(models.Model):
    """What an account knows about its person beyond Django's ``User``.

    A full name is one field: Chinese names do not split into first and last.
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    full_name = models.CharField(_("full name"), max_length=50, blank=True)
    phone = models.CharField(_("mobile number"), max_length=20, null=True, blank=True, unique=True)
    phone_verified = models.BooleanField(_("mobile number verified"), default=False)
    volunteer_reminders = models.BooleanField(_("remind me the day before an activity I signed up for"), default=True)

    class Meta:
        db_table = "families_profile"  # moved from families (project 0003): the table and its rows stay
        verbose_name = _("profile")
        verbose_name_plural = _("profiles")

    def __str__(self) -> str:
        return self.full_name or str(self.user)


class AuditEntryQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("The audit log is append-only.")

    def delete(self):
        raise TypeError("The audit log is append-only.")


class AuditEntryManager(models.Manager.from_queryset(AuditEntryQuerySet)):
    def log(self, *, actor, action: str, target: models.Model | None = None, details: dict | None = None):
        """Append one line to the audit log: who did what to which object, and when."""
        return self.create(
            actor=actor if actor is not None and actor.is_authenticated else None,
            actor_name=(actor.get_username() if actor is not None and actor.is_authenticated else ""),
            action=action,
            target_type=target._meta.label_lower if target is not None else "",
            target_id=str(target.pk) if target is not None else "",
            target_repr=str(target)[:200] if target is not None else "",
            details=details or {},
        )

    log.alters_data = True


class AuditEntry(models.Model):
    """One organizer action, kept for good: nobody can edit or delete it."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("who")
    )
    actor_name = models.CharField(_("who"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=60, db_index=True)
    target_type = models.CharField(_("object type"), max_length=60, blank=True)
    target_id = models.CharField(_("object id"), max_length=40, blank=True)
    target_repr = models.CharField(_("object"), max_length=200, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)
    created_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)

    objects = AuditEntryManager()

    class Meta:
        db_table = "families_auditentry"  # moved from families (project 0003): the table and its rows stay
        ordering = ["-created_at", "-id"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        indexes = [models.Index(fields=["target_type", "target_id"], name="families_au_target__54d9af_idx")]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_name} {self.action} {self.target_repr}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError("The audit log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("The audit log is append-only.")

    @property
    def label(self) -> str:
        """What was done, in the reader's language (each app names its actions: ``registry.audit_labels``)."""
        from . import registry

        return registry.audit_label(self.action)

    @property
    def summary(self) -> str:
        """The details in words: "Hours: 2 · Points: 30"."""
        from . import registry

        return registry.audit_summary(self.details)


class OutboxQuerySet(models.QuerySet):
    def due(self, at) -> OutboxQuerySet:
        """Messages waiting to be sent whose time has come (the sender's query: the ``outbox_due`` index)."""
        return self.filter(state=OutboxMessage.State.QUEUED, next_attempt_at__lte=at)

    def failed(self) -> OutboxQuerySet:
        """Messages that were not delivered and will not be tried again unless an organizer resends them."""
        return self.filter(state=OutboxMessage.State.FAILED)

    def waiting(self) -> OutboxQuerySet:
        return self.filter(state__in=[OutboxMessage.State.QUEUED, OutboxMessage.State.SENDING])


class OutboxMessage(models.Model):
    """One e-mail or text message to one recipient, written in the transaction of the write it tells about.

    A task sends it after the commit (``project.outbox``): a rolled-back write
    sends nothing. The row moves queued → sending → sent, or back to queued with
    a later ``next_attempt_at`` after a temporary failure, or to failed. Each
    move is a compare-and-set on ``state``, so two workers never send one
    message twice. A message that holds a secret (a verification code, a
    one-time link) has ``secret`` set: organizers never see any body, and a
    secret's body is replaced by ``REDACTED`` in the very update that marks it
    sent; once ``expires_at`` has passed it is never sent or resent.
    """

    REDACTED = "[redacted once sent]"

    class Channel(models.TextChoices):
        EMAIL = "email", _("e-mail")
        SMS = "sms", _("text message")

    class State(models.TextChoices):
        QUEUED = "queued", _("waiting to be sent")
        SENDING = "sending", _("being sent")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("account"),
    )
    channel = models.CharField(_("channel"), max_length=5, choices=Channel.choices)
    recipient = models.CharField(_("recipient"), max_length=254)
    kind = models.CharField(_("kind"), max_length=60)
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    body = models.TextField(_("text"))
    html_body = models.TextField(_("HTML text"), blank=True)
    params = models.JSONField(_("template values"), default=dict, blank=True)
    secret = models.BooleanField(_("holds a code or a one-time link"), default=False)
    state = models.CharField(_("state"), max_length=7, choices=State.choices, default=State.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    claimed_at = models.DateTimeField(_("claimed"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    objects = OutboxQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("outgoing message")
        verbose_name_plural = _("outbox")
        indexes = [
            # The sender's query: queued rows by when they are due (a small partial index: sent rows are most rows).
            models.Index(fields=["next_attempt_at"], condition=models.Q(state="queued"), name="outbox_due"),
            # The organizers' failed list and the dashboard's count.
            models.Index(fields=["-created_at"], condition=models.Q(state="failed"), name="outbox_failed"),
            # Claims a stopped worker left behind.
            models.Index(fields=["claimed_at"], condition=models.Q(state="sending"), name="outbox_sending"),
            # Pruning old rows.
            models.Index(fields=["created_at"], name="outbox_created"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(channel__in=["email", "sms"]), name="outbox_channel_known"),
            models.CheckConstraint(
                condition=models.Q(state__in=["queued", "sending", "sent", "failed"]), name="outbox_state_known"
            ),
            models.CheckConstraint(
                condition=~models.Q(state="sent") | models.Q(sent_at__isnull=False), name="outbox_sent_has_sent_at"
            ),
        ]

    def __str__(self) -> str:
        from .outbox import kind_label, mask

        return f"{kind_label(self.kind)} → {mask(self.recipient)}"

    @property
    def masked_recipient(self) -> str:
        from .outbox import mask

        return mask(self.recipient)

    @property
    def kind_label(self) -> str:
        from .outbox import kind_label

        return kind_label(self.kind)

    @property
    def error_text(self) -> str:
        from .outbox import error_text

        return error_text(self.last_error)

    def expired(self, at=None) -> bool:
        return self.expires_at is not None and self.expires_at <= (at or timezone.now())

    @property
    def redacted(self) -> bool:
        return self.body == self.REDACTED


class SendingQuota(models.Model):
    """How many messages of one channel went to the provider in the current minute, shared by every worker.

    Taken with one conditional ``UPDATE`` (``project.outbox.take_quota``), so any
    number of workers on any number of servers together stay under the limit.
    """

    channel = models.CharField(_("channel"), max_length=5, primary_key=True)
    window_start = models.DateTimeField(_("minute"))
    used = models.PositiveIntegerField(_("sent in that minute"), default=0)

    class Meta:
        verbose_name = _("sending quota")
        verbose_name_plural = _("sending quotas")

    def __str__(self) -> str:
        return f"{self.channel} {self.window_start:%H:%M} {self.used}"


class TickState(models.Model):
    """The one scheduled tick that is waiting (a single row): which task result it is, so that starting the worker
    twice, or a tick that runs twice, never leaves two chains of ticks (``project.schedule``)."""

    result_id = models.CharField(_("waiting tick"), max_length=64, blank=True)
    last_run_at = models.DateTimeField(_("last tick"), null=True, blank=True)

    class Meta:
        verbose_name = _("scheduled tick")
        verbose_name_plural = _("scheduled tick")
        constraints = [models.CheckConstraint(condition=models.Q(pk=1), name="tick_state_single_row")]

    def __str__(self) -> str:
        return self.result_id


class ScheduledWorkDone(models.Model):
    """Work the tick did once, under a key that names it (``activities.reminder:12``): the unique key makes a
    second tick, a restart or a moved timeline find it done (``project.schedule.once``)."""

    key = models.CharField(_("work"), max_length=120, unique=True)
    done_at = models.DateTimeField(_("done"), default=timezone.now)

    class Meta:
        verbose_name = _("scheduled work done")
        verbose_name_plural = _("scheduled work done")

    def __str__(self) -> str:
        return self.key


def private_storage():
    """Where files that are never public media are kept (``STORAGES["private"]``): register uploads waiting for
    their check, and exports. Served only through access-checked views."""
    from django.core.files.storage import storages

    return storages["private"]


class ExportJob(models.Model):
    """A large export or report, written to storage by a task (``project.exports.run_export``) for one organizer.

    Its progress (``status``, ``done``, ``total``) is kept here, so the exports page shows it from any app server.
    The file is not public media: it is served only through the access-checked download view, and it is deleted
    with the row ``EXPORTS_KEPT_DAYS`` after it was finished (``project.exports.remove_stale``, run by the tick).
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting")
        RUNNING = "running", _("Being written")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Failed")

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("requested by")
    )
    # Whether the requester saw the whole community when asking: such an export may be downloaded by every
    # organizer who does too; one narrowed to a grid worker's grids only by its requester.
    whole_community = models.BooleanField(_("whole community"), default=False)
    kind = models.CharField(_("kind"), max_length=60)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    fmt = models.CharField(_("format"), max_length=4)
    title = models.CharField(_("title"), max_length=150)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.QUEUED)
    done = models.PositiveIntegerField(_("rows written"), default=0)
    total = models.PositiveIntegerField(_("rows"), default=0)
    file = models.FileField(
        _("file"), upload_to="exports/", storage=private_storage, max_length=200, blank=True, editable=False
    )
    error = models.CharField(_("error"), max_length=500, blank=True)
    language = models.CharField(_("language"), max_length=10, blank=True)
    created_at = models.DateTimeField(_("asked for"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    WORKING = (Status.QUEUED, Status.RUNNING)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        indexes = [models.Index(fields=["status", "finished_at"], name="exportjob_state")]
        constraints = [models.CheckConstraint(condition=models.Q(fmt__in=["csv", "xlsx", "pdf"]), name="exportjob_fmt")]

    def __str__(self) -> str:
        return f"{self.title}.{self.fmt}"

    @property
    def working(self) -> bool:
        return self.status in self.WORKING

    @property
    def filename(self) -> str:
        return f"{self.title}.{self.fmt}"
