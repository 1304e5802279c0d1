"""What the core itself adds to the organizer area: the outbox's failures (project/registry.py)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from . import registry
from .access import sees_whole_community
from .models import OutboxMessage


@registry.organizer_panel(order=90)
def outbox_panel(request) -> dict | None:
    """E-mails and text messages that failed (each can be resent) and those still waiting: two counts."""
    if not sees_whole_community(request.user):
        return None
    return {
        "template": "panel_outbox.html",
        "failed": OutboxMessage.objects.failed().count(),
        "waiting": OutboxMessage.objects.waiting().count(),
    }


registry.audit_labels({"outbox.resent": gettext_lazy("Message resent")})

# Readable names for the core's own audit actions; each app registers its own (project.registry.audit_labels).
registry.audit_labels(
    {
        "account.made_organizer": gettext_lazy("Made an organizer"),
        "account.deleted": gettext_lazy("Account deleted"),
    }
)
# Names for the details every app's lines may carry.
registry.audit_detail_names(
    {
        "reason": gettext_lazy("Reason"),
        "note": gettext_lazy("Note"),
        "kind": gettext_lazy("Kind"),
        "changes": gettext_lazy("Changes"),
        "fields": gettext_lazy("Fields"),
        "format": gettext_lazy("Format"),
        "attempts": gettext_lazy("Attempts"),
        "error": gettext_lazy("Error"),
        "user_id": gettext_lazy("Account number"),
    }
)
