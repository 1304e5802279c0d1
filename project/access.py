"""The organizer role: who runs the site, the decorator for their pages, and how an account is given the role.

Staff, superusers and members of the ``organizer`` group are organizers. The
group holds the permissions of the core's profiles and audit log and of every
app that declares its own (``project.registry.organizer_permissions`` in the
app's ``apps.py``).
What a verified resident may do, and which grids an organizer sees, are the
register's rules: ``families.access``.
"""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db import transaction

from . import registry
from .models import AuditEntry

ORGANIZER_GROUP = "organizer"
_ORGANIZER_CACHE = "_is_organizer_cache"


def is_organizer(user) -> bool:
    """Staff, superusers and members of the ``organizer`` group run the site."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if not hasattr(user, _ORGANIZER_CACHE):
        setattr(
            user,
            _ORGANIZER_CACHE,
            user.is_staff or user.is_superuser or user.groups.filter(name=ORGANIZER_GROUP).exists(),
        )
    return getattr(user, _ORGANIZER_CACHE)


def has_place(user) -> bool:
    """Whether every app gives the organizer a place to see (families: the street, a community or a grid)."""
    return all(check(user) for check in registry.place_checks())


def no_place_response(request):
    """The one page an organizer without a place sees: who can give them one."""
    from django.shortcuts import render

    return render(request, "organize_no_place.html", status=403)


def organizer_required(view):
    """Organizers only: visitors are sent to log in, everyone else gets 403, and an organizer with no place a page
    saying so."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not is_organizer(request.user):
            raise PermissionDenied
        if not has_place(request.user):
            return no_place_response(request)
        return view(request, *args, **kwargs)

    return wrapper


def sees_whole_community(user) -> bool:
    """An organizer no app narrows to a part of the community (families: a grid worker sees only their grids)."""
    return is_organizer(user) and all(check(user) for check in registry.whole_community_checks())


def whole_community_required(view):
    """Organizers who see the whole community only (visitors log in; grid workers and residents get 403): the core's
    pages about every account, such as the outbox."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not sees_whole_community(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


# The core's models organizers run (in the admin): accounts' profiles and the audit log (read-only there).
# Notices and form tokens are each account's own, so the role does not include them.
ORGANIZER_CORE_MODELS = ("profile", "auditentry")


def ensure_organizer_group():
    """The ``organizer`` group, with the core's permissions and those of every app that declared its own."""
    from django.contrib.auth.models import Group, Permission
    from django.db.models import Q

    group, _created = Group.objects.get_or_create(name=ORGANIZER_GROUP)
    permissions = Permission.objects.filter(
        Q(content_type__app_label="project", content_type__model__in=ORGANIZER_CORE_MODELS)
        | Q(content_type__app_label__in=registry.organizer_permission_apps())
    )
    group.permissions.add(*permissions)
    return group


def make_organizer(*, user, actor=None):
    """Give ``user`` the organizer role (and log who did it)."""
    with transaction.atomic():
        user.groups.add(ensure_organizer_group())
        AuditEntry.objects.log(actor=actor, action="account.made_organizer", target=user)
