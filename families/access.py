"""Who may do what: the one place that answers "is this a verified resident?" and "is this an organizer?".

Every app asks these functions (and their decorators) and nothing else, so the
rule for who may nominate, vote, sign up or earn points lives here only.
"""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from .models import Resident

ORGANIZER_GROUP = "organizer"
_MEMBERSHIP_CACHE = "_verified_membership_cache"
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


def verified_membership(user) -> Resident | None:
    """The user's verified membership of a household, or None.

    Only verified residents may nominate, vote, sign up for activities or earn
    points. The answer is remembered on the user object for the request.
    """
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    if not hasattr(user, _MEMBERSHIP_CACHE):
        membership = Resident.objects.verified().select_related("household__building__grid").filter(user=user).first()
        setattr(user, _MEMBERSHIP_CACHE, membership)
    return getattr(user, _MEMBERSHIP_CACHE)


def forget_membership(user) -> None:
    """Drop the per-request memo after a membership changed."""
    if hasattr(user, _MEMBERSHIP_CACHE):
        delattr(user, _MEMBERSHIP_CACHE)


def verified_resident_required(view):
    """Let verified residents through with ``request.membership`` set.

    Visitors are sent to log in; signed-in users who are not yet verified are
    sent to the join page with an explanation.
    """

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        membership = verified_membership(request.user)
        if membership is None:
            return not_verified_response(request)
        request.membership = membership
        return view(request, *args, **kwargs)

    return wrapper


def not_verified_response(request):
    """Where a signed-in user who is not (or no longer) a verified resident is sent, and why."""
    messages.info(request, _("Join your household with the code from your grid worker first."))
    return redirect("families:join")


def organizer_required(view):
    """Organizers only: visitors are sent to log in, everyone else gets 403."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not is_organizer(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


_GRID_IDS_CACHE = "_organizer_grid_ids_cache"


def organizer_grid_ids(user) -> frozenset[int] | None:
    """The grids an organizer is scoped to, or None for the whole register.

    A grid worker assigned to grids (``GridAssignment``) sees and edits only
    those grids; an organizer without assignments, and a superuser, sees all.
    Remembered on the user object for the request.
    """
    from .models import GridAssignment

    if user is None or not user.is_authenticated or user.is_superuser:
        return None
    if not hasattr(user, _GRID_IDS_CACHE):
        ids = frozenset(GridAssignment.objects.filter(user=user).values_list("grid_id", flat=True))
        setattr(user, _GRID_IDS_CACHE, ids or None)
    return getattr(user, _GRID_IDS_CACHE)


def scope_to_organizer(queryset, user, *, grid_path: str):
    """Narrow ``queryset`` to the organizer's grids; ``grid_path`` is the lookup to the grid id."""
    grid_ids = organizer_grid_ids(user)
    if grid_ids is None:
        return queryset
    return queryset.filter(**{f"{grid_path}__in": grid_ids})


def organizer_may_edit_grid(user, grid_id: int) -> bool:
    grid_ids = organizer_grid_ids(user)
    return grid_ids is None or grid_id in grid_ids
