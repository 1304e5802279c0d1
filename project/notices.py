"""On-site notices every app shares: a registry of kinds, and ``notify`` to send them.

An app registers its kinds in ``<app>/notices.py`` (found at start-up, the way
the admin finds ``admin.py``)::

    register("household_joined", label=gettext_lazy("A new member in your household"),
             message=gettext_lazy("%(name)s joined your household."))

A notice stores its kind, its ``params`` (plain values such as a name or a
round's title) and a link, never rendered text: the label and the message are
translated when the notice is read, in the reader's language. Two params are
shown by the notices page whatever the kind: ``title`` (the link's text) and
``detail`` (a text someone wrote, such as an organizer's reason).

``notify`` writes the notices in the caller's transaction, and with them an
email copy for each who has an address and did not opt out
(``NoticeSettings.by_email``), in the site's default language, as outbox rows
that a task sends after the commit (``project.outbox``).

An app may also add a setting of its own to the notices page
(``register_settings_form``), e.g. awards' "tell me when voting opens".
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Kind:
    key: str
    label: str | Promise
    message: str | Promise | None = None


_KINDS: dict[str, Kind] = {}
_SETTINGS_FORMS: list[Callable] = []


def register(key: str, *, label: str | Promise, message: str | Promise | None = None) -> Kind:
    """Declare a kind of notice: its label, and a message with ``%(name)s`` placeholders filled from params."""
    if key in _KINDS:
        raise ImproperlyConfigured(f"The notice kind {key!r} is registered twice.")
    registered = Kind(key=key, label=label, message=message)
    _KINDS[key] = registered
    return registered


def get_kind(key: str) -> Kind | None:
    return _KINDS.get(key)


class _Params(dict):
    """Params for a message: a value the message names but the notice lacks reads as empty, never an error."""

    def __missing__(self, key):
        return ""


def label_of(notice) -> str:
    registered = _KINDS.get(notice.kind)
    return str(registered.label) if registered else notice.kind


def text_of(notice) -> str:
    """The notice's message in the active language, or empty for kinds without one."""
    registered = _KINDS.get(notice.kind)
    if registered is None or not registered.message:
        return ""
    try:
        return str(registered.message) % _Params(notice.params or {})
    except (TypeError, ValueError):
        # A translation with a broken placeholder must not break the page: show the untranslated message.
        logger.warning("notice kind %s: its message does not format", notice.kind)
        with translation.override(None):
            return str(registered.message) % _Params(notice.params or {})


def notify(*, users: Iterable, kind: str, params: dict | None = None, url: str = "") -> list:
    """Leave one notice of ``kind`` for each of ``users`` (None and repeats skipped), in the caller's transaction.

    Users with an address who did not opt out also get an email copy: an outbox
    row in the same transaction, sent by a task after the commit, with retries;
    one that cannot be delivered is shown to organizers as failed, with a resend.
    Returns the notices written.
    """
    from . import outbox
    from .models import Notice, NoticeSettings, OutboxMessage

    if kind not in _KINDS:
        raise ImproperlyConfigured(f"Unknown notice kind {kind!r}: register it in the app's notices.py.")
    people = list({user.pk: user for user in users if user is not None}.values())
    if not people:
        return []
    params = dict(params or {})
    notices = Notice.objects.bulk_create([Notice(user=user, kind=kind, params=params, url=url) for user in people])
    opted_out = set(NoticeSettings.objects.filter(user__in=people, by_email=False).values_list("user_id", flat=True))
    recipients = [user for user in people if user.email and user.pk not in opted_out]
    if recipients:
        with translation.override(settings.LANGUAGE_CODE):
            subject, body = _email(notices[0])
        outbox.queue_many(
            [
                OutboxMessage(
                    channel=OutboxMessage.Channel.EMAIL,
                    recipient=user.email,
                    kind=kind,
                    subject=subject[:255],
                    body=body,
                    user=user,
                )
                for user in recipients
            ]
        )
    return notices


def _email(notice) -> tuple[str, str]:
    label, title = notice.label, str(notice.params.get("title") or "")
    parts = [label, notice.text, title, str(notice.params.get("detail") or "")]
    parts.append(_("See all your notices on the site under “My notices”."))
    subject = f"{label} · {title}" if title else label
    return subject, "\n\n".join(part for part in parts if part)


def register_settings_form(factory: Callable) -> None:
    """Add an app's own setting to the notices page: ``factory(user, data)`` returns a bound or unbound form.

    The form's field names must differ from every other settings form's (they share one HTML form);
    ``form.save()`` is called when all of them are valid.
    """
    _SETTINGS_FORMS.append(factory)


def settings_forms(user, data=None) -> list:
    from .forms import NoticeSettingsForm
    from .models import NoticeSettings

    own = NoticeSettings.objects.filter(user=user).first() or NoticeSettings(user=user)
    return [NoticeSettingsForm(data, instance=own), *(factory(user, data) for factory in _SETTINGS_FORMS)]


def save_settings(forms: list) -> None:
    """Save the notices page's settings forms (all valid), the core's and each app's, all or nothing."""
    with transaction.atomic():
        for form in forms:
            form.save()


def mark_read(notices: list) -> set[int]:
    """Mark the unread ones of ``notices`` (those shown on a page) read now; returns their ids."""
    from .models import Notice

    unread = {notice.pk for notice in notices if notice.read_at is None}
    if unread:
        Notice.objects.filter(pk__in=unread, read_at__isnull=True).update(read_at=timezone.now())
    return unread


# The core's own kinds.
register(
    "export_ready",
    label=gettext_lazy("Your export is ready"),
    message=gettext_lazy("“%(title)s” is ready to download on the exports page. It is kept for a few days."),
)
