"""A resident's own data: download it all, or delete the account.

Each app may add a ``<app>/privacy.py`` with ``personal_data(user) -> dict``
and ``anonymise(user) -> None``. Deleting an account anonymises what must stay
for the community's records (ledger entries, votes, honours keep their rows, so
balances and results still add up) and removes the account itself.
"""

from __future__ import annotations

from importlib import import_module

from django.db import transaction
from django.utils import timezone

APPS = ("families", "awards", "activities")
ANONYMOUS_NAME = "已注销居民"


def _hooks(name: str):
    for app in APPS:
        try:
            module = import_module(f"{app}.privacy")
        except ModuleNotFoundError as error:
            if error.name != f"{app}.privacy":
                raise
            continue
        hook = getattr(module, name, None)
        if hook is not None:
            yield app, hook


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
        },
    }
    data["notices"] = _notices(user)
    for app, hook in _hooks("personal_data"):
        data[app] = hook(user)
    return data


def _notices(user) -> list[dict]:
    from .models import Notice

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


def delete_account(*, user) -> None:
    """Anonymise what the community's records must keep, then delete the account, all or nothing."""
    from families.models import AuditEntry

    with transaction.atomic():
        for _app, hook in _hooks("anonymise"):
            hook(user)
        AuditEntry.objects.log(actor=None, action="account.deleted", details={"user_id": user.pk})
        user.delete()
