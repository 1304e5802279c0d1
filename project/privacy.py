"""A resident's own data: download it all, or delete the account.

Each app registers its part in ``<app>/privacy.py`` (``project.registry.privacy``):
``personal_data(user) -> dict``, shown under the app's label, and
``anonymise(user)``. Deleting an account anonymises what must stay for the
community's records (ledger entries, votes, honours keep their rows, so
balances and results still add up) and removes the account itself.
"""

from __future__ import annotations

from functools import partial

from django.db import transaction
from django.utils import timezone

from . import registry
from .models import AuditEntry, ExportJob, Notice, OutboxMessage, Profile, private_storage

ANONYMOUS_NAME = "已注销居民"


def _iso(value):
    return value.isoformat() if value else None


def personal_data(user) -> dict:
    """Everything the site keeps about ``user``, as JSON-ready data."""
    from allauth.account.models import EmailAddress

    data = {
        "exported_at": _iso(timezone.now()),
        "account": {
            "username": user.get_username(),
            "email": user.email,
            "date_joined": _iso(user.date_joined),
            "last_login": _iso(user.last_login),
            "email_addresses": [
                {"email": address.email, "verified": address.verified}
                for address in EmailAddress.objects.filter(user=user)
            ],
            "profile": _profile(user),
        },
    }
    data["notices"] = _notices(user)
    data["messages"] = _messages(user)
    for part in registry.privacy_parts():
        if part.personal_data is not None:
            data[part.app] = part.personal_data(user)
    return data


def _profile(user) -> dict:
    profile = Profile.objects.filter(user=user).first()
    return {
        "full_name": profile.full_name if profile else "",
        "mobile": profile.phone if profile else None,
        "mobile_verified": profile.phone_verified if profile else False,
    }


def _notices(user) -> list[dict]:
    return [
        {
            "kind": notice.kind,
            "label": notice.label,
            "text": notice.text,
            "values": notice.params,
            "link": notice.url,
            "created_at": _iso(notice.created_at),
            "read_at": _iso(notice.read_at),
        }
        for notice in Notice.objects.filter(user=user)
    ]


def _messages(user) -> list[dict]:
    """The e-mails and text messages sent (or being sent) to the account: what, where, when; never a text, which
    may hold a code."""
    return [
        {
            "channel": message.channel,
            "recipient": message.recipient,
            "kind": message.kind,
            "label": message.kind_label,
            "subject": message.subject,
            "state": message.state,
            "created_at": _iso(message.created_at),
            "sent_at": _iso(message.sent_at),
        }
        for message in OutboxMessage.objects.filter(user=user)
    ]


def _delete_private_files(names: list[str]) -> None:
    storage = private_storage()
    for name in names:
        storage.delete(name)


def delete_account(*, user) -> None:
    """Anonymise what the community's records must keep, then delete the account, all or nothing."""
    with transaction.atomic():
        for part in registry.privacy_parts():
            if part.anonymise is not None:
                part.anonymise(user)
        AuditEntry.objects.log(actor=None, action="account.deleted", details={"user_id": user.pk})
        # Their exports (names and phones) go with the account; the files once the deletion has committed.
        files = [job.file.name for job in ExportJob.objects.filter(requested_by=user).exclude(file="")]
        transaction.on_commit(partial(_delete_private_files, files), robust=True)
        user.delete()
