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
from django.db.models import Q, Value
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _

from project.access import is_organizer

from .models import Community, Resident

_MEMBERSHIP_CACHE = "_verified_membership_cache"


def verified_membership(user) -> Resident | None:
    """The user's verified membership of a household, or None.

    Only verified residents may nominate, vote, sign up for activities or earn
    points. The answer is remembered on the user object for the request.
    """
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    if not hasattr(user, _MEMBERSHIP_CACHE):
        membership = Resident.objects.verified_of_user(user.pk)
        if membership is not None:
            membership.user = user  # the signed-in user, so ``membership.user`` costs no query of its own
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
_STREET = 0  # no grid has id 0: in organizer_grid_ids' one query it stands for "the whole street"


def organizer_grid_ids(user) -> frozenset[int] | None:
    """The grids an organizer is scoped to, or None for everything: the one scope rule.

    - A **street organizer** (``CommunityAssignment`` without a community) and a superuser: None, everything.
    - A **community organizer** (``CommunityAssignment`` of a community): every grid of their communities.
    - A **grid worker** (``GridAssignment``): their grids, and a first-level grid's second-level grids.
    - An organizer with **no place**: the empty set, nothing (``has_place`` is False; pages say so).

    One query (the street as a row with id 0 in a union), remembered on the user object for the request.
    """
    from .models import CommunityAssignment, Grid, GridAssignment

    if user is None or not user.is_authenticated or user.is_superuser:
        return None
    if not hasattr(user, _GRID_IDS_CACHE):
        communities = CommunityAssignment.objects.filter(user=user, community__isnull=False).values("community")
        grids = GridAssignment.objects.filter(user=user).values("grid")
        in_place = (
            Grid.objects.filter(Q(community__in=communities) | Q(pk__in=grids) | Q(parent__in=grids))
            .order_by()
            .values_list("pk", flat=True)
        )
        street = (
            CommunityAssignment.objects.filter(user=user, community__isnull=True)
            .annotate(street=Value(_STREET))
            .order_by()
            .values_list("street", flat=True)
        )
        ids = frozenset(in_place.union(street))
        setattr(user, _GRID_IDS_CACHE, None if _STREET in ids else ids)
    return getattr(user, _GRID_IDS_CACHE)


def forget_scope(user) -> None:
    """Drop the per-request memo after an organizer's place changed."""
    if hasattr(user, _GRID_IDS_CACHE):
        delattr(user, _GRID_IDS_CACHE)


def has_place(user) -> bool:
    """Whether an organizer has a place on the tree (the street, a community or a grid) and so sees anything."""
    grid_ids = organizer_grid_ids(user)
    return grid_ids is None or bool(grid_ids)


def is_street_organizer(user) -> bool:
    return is_organizer(user) and organizer_grid_ids(user) is None


def organizer_community_ids(user) -> frozenset[int] | None:
    """The communities a community organizer runs (None for a street organizer, empty for anyone else): whose
    grid workers they may assign."""
    from .models import CommunityAssignment

    if organizer_grid_ids(user) is None:
        return None
    return frozenset(
        CommunityAssignment.objects.filter(user=user, community__isnull=False).values_list("community", flat=True)
    )


def place_community_ids(user) -> frozenset[int] | None:
    """The communities an organizer's place lies in: None for a street organizer (every community and the
    street's own activities and store); a community organizer's communities; a grid worker's grids' communities.

    What they see of activities and store items and where they may host them (unlike
    ``organizer_community_ids``: the communities they *run*, which a grid worker has none of)."""
    from .models import Grid

    grid_ids = organizer_grid_ids(user)
    if grid_ids is None:
        return None
    return frozenset(Grid.objects.filter(pk__in=grid_ids).values_list("community_id", flat=True).distinct())


def scope_to_organizer(queryset, user, *, grid_path: str | None = None):
    """Narrow ``queryset`` to the organizer's grids: the one scope rule for every organizer page about people.

    ``grid_path`` is the lookup to the grid id; without it, the path registered
    for the queryset's model (``register_grid_paths``). A grid worker sees only
    rows in their grids (a list leaves the others out; one object out of scope
    is fetched through this and so is a 404); a community organizer their
    communities' grids; a street organizer all; an organizer with no place none.
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
    """A street organizer: what belongs to no place yet (rounds, activities, the store) is theirs to run."""
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


def get_community(slug: str | None) -> Community | None:
    """The community of a public page under ``/c/<slug>/`` (404 for an unknown slug), or None for the street's."""
    return get_object_or_404(Community, slug=slug) if slug is not None else None
