"""Who may do what in the register: "is this a verified resident?" and "which grids does this organizer see?".

Every app asks these functions (and their decorators) and nothing else, so the
rule for who may nominate, vote, sign up or earn points lives here only. Who is
an organizer at all is the core's rule (``project.access``).
"""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from project.access import is_organizer

from .models import Resident

_MEMBERSHIP_CACHE = "_verified_membership_cache"


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


def scope_to_organizer(queryset, user, *, grid_path: str | None = None):
    """Narrow ``queryset`` to the organizer's grids: the one scope rule for every organizer page about people.

    ``grid_path`` is the lookup to the grid id; without it, the path registered
    for the queryset's model (``register_grid_paths``). A grid worker sees only
    rows in their grids (a list leaves the others out; one object out of scope
    is fetched through this and so is a 404); an organizer without assignments
    sees all.
    """
    grid_ids = organizer_grid_ids(user)
    if grid_ids is None:
        return queryset
    if grid_path is None:
        grid_path = GRID_PATHS[queryset.model._meta.label_lower]
        if grid_path is None:
            return queryset  # community-wide: no grid to narrow by
    return queryset.filter(**{f"{grid_path}__in": grid_ids})


def organizer_may_edit_grid(user, grid_id: int) -> bool:
    grid_ids = organizer_grid_ids(user)
    return grid_ids is None or grid_id in grid_ids


def in_organizer_scope(user, obj) -> bool:
    """Whether one object of a registered model is in the organizer's grids (one query for a grid worker)."""
    if organizer_grid_ids(user) is None:
        return True
    return scope_to_organizer(type(obj)._default_manager.filter(pk=obj.pk), user).exists()


def sees_whole_register(user) -> bool:
    """An organizer without grid assignments: the community committee rather than one grid's worker."""
    return is_organizer(user) and organizer_grid_ids(user) is None


def whole_register_required(view):
    """Organizers who see the whole register only (visitors log in; grid workers and residents get 403).

    For steps that act on or list the whole community at once, such as counting
    and publishing an award round: a grid worker could not do them without
    seeing other grids' people.
    """

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not sees_whole_register(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


# Where each model's grid is, by model label: the lookup from a row to its grid id, or None for rows that belong
# to the whole community (activities, rounds, store items). Each app registers its own models when it is ready
# (apps.py); scope_to_organizer, the audit log and the access sweep read this one table.
GRID_PATHS: dict[str, str | None] = {}


def register_grid_paths(paths: dict) -> None:
    """Declare, for each model class, the lookup to its grid (``"resident__household__building__grid"``) or None."""
    for model, path in paths.items():
        GRID_PATHS[model._meta.label_lower] = path


def audit_entries_for(user, queryset):
    """The audit lines an organizer may read: all of them for the whole register; for a grid worker, their own
    lines, lines about community-wide objects, and lines about people and places in their grids. Lines about
    anything else (accounts, imports, objects of no registered kind) name people the worker may not see."""
    from django.apps import apps
    from django.db.models import CharField, Q
    from django.db.models.functions import Cast

    if organizer_grid_ids(user) is None:
        return queryset
    community_wide = [label for label, path in GRID_PATHS.items() if path is None]
    visible = Q(actor=user) | Q(target_type__in=community_wide)
    for label, path in GRID_PATHS.items():
        if path is None:
            continue
        ids = scope_to_organizer(apps.get_model(label)._default_manager.all(), user, grid_path=path)
        visible |= Q(target_type=label, target_id__in=ids.annotate(text_id=Cast("pk", CharField())).values("text_id"))
    return queryset.filter(visible)
