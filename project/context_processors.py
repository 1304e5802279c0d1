"""Values every template needs: the reader's display preferences, the site name, the header's parts."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from . import registry
from .access import is_organizer
from .backends import UNREAD

TEXT_SIZE_COOKIE = "text_size"
TEXT_SIZES = ("normal", "large", "xlarge")


def text_size(request: HttpRequest) -> str:
    value = request.COOKIES.get(TEXT_SIZE_COOKIE, "normal")
    return value if value in TEXT_SIZES else "normal"


def site(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    signed_in = bool(user and user.is_authenticated)
    return {
        "text_size": text_size(request),
        "community_name": settings.COMMUNITY_NAME,
        "user_is_organizer": signed_in and is_organizer(user),
        # A callable: counted only when a template shows it (the header, for signed-in readers).
        "unread_notices": (lambda: _unread_notices(user)) if signed_in else 0,
        # The apps' links in the header's navigation (project.registry.nav_item).
        "nav_templates": registry.nav_templates(),
        # The apps' own values (e.g. families: the reader's verified membership, as ``user_membership``).
        **registry.context(request),
    }


def _unread_notices(user) -> int:
    """Counted by the query that loaded the signed-in user (``backends``), else here."""
    from .models import Notice

    loaded = getattr(user, UNREAD, None)
    return loaded if loaded is not None else Notice.objects.unread().filter(user=user).count()
