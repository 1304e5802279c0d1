"""Panels this app adds to the home page, the organizer area and the header, its values for every template,
and its part of the audit log (project/registry.py)."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy

from project import registry
from project.access import is_organizer

from . import conf
from .access import audit_entries_for, has_place, scope_to_organizer, sees_whole_register, verified_membership
from .models import Building, Community, Grid, Household, MottoRevision, Resident


@registry.organizer_panel(order=30)
def register_panel(request) -> dict | None:
    """What waits for organizers in the register: join requests to approve, unusual joins, mottos to review."""
    if not is_organizer(request.user):
        return None
    members = scope_to_organizer(Resident.objects.pending(), request.user, grid_path="household__building__grid")
    mottos = scope_to_organizer(
        MottoRevision.objects.pending(), request.user, grid_path="motto__household__building__grid"
    )
    unusual = scope_to_organizer(
        Household.objects.with_unusual_joins(
            since=timezone.now() - conf.unusual_join_window(), accounts=conf.unusual_join_accounts()
        ).select_related("building"),
        request.user,
        grid_path="building__grid",
    )
    return {
        "template": "families/panel_register.html",
        "members_waiting": members.count(),
        "mottos_waiting": mottos.count(),
        "unusual_joins": list(unusual[: conf.unusual_joins_shown()]),
    }


@registry.home_panel(order=40)
def motto_wall_panel(request) -> dict:
    """The newest mottos on the wall (one query), or an explanation of what will appear."""
    from .models import FamilyMotto

    mottos = FamilyMotto.objects.on_wall()
    community = registry.home_community(request)
    if community is not None:
        mottos = mottos.in_community(community)
    return {"template": "families/panel_mottos.html", "mottos": list(mottos[:3]), "community": community}


@registry.template_context
def communities(request) -> dict:
    """The street's communities, for the community switcher (includes/community_switcher.html): a callable, so
    only a page that shows the switcher asks, in one query."""
    return {"communities": lambda: list(Community.objects.only("pk", "name", "slug"))}


@registry.template_context
def membership(request) -> dict:
    """The reader's verified membership, for every template: a callable, so the query (one, remembered on the
    request's user) is made only by a page that shows it or whose view asked already."""
    user = getattr(request, "user", None)
    signed_in = user is not None and user.is_authenticated
    return {"user_membership": (lambda: verified_membership(user)) if signed_in else None}


registry.nav_item("families/nav_items.html", order=40)

# A grid worker reads the audit lines about their grids, community-wide objects and their own actions.
registry.audit_scope(audit_entries_for)

# A grid worker does not see the core's pages about every account (the outbox).
registry.whole_community_check(sees_whole_register)

# An organizer with no place on the street's tree sees nothing but a page saying so.
registry.place_check(has_place)

# Readable names for this app's actions in the audit log; actions without one are shown by their code.
registry.audit_labels(
    {
        "household.created": gettext_lazy("Household added"),
        "household.changed": gettext_lazy("Household changed"),
        "household.moved_out": gettext_lazy("Household moved out"),
        "community.created": gettext_lazy("Community added"),
        "community.changed": gettext_lazy("Community changed"),
        "community.assignments_changed": gettext_lazy("Community organizers changed"),
        "household.joined_by_code": gettext_lazy("Joined with a join code"),
        "household.join_requested": gettext_lazy("Asked to join"),
        "household.join_code_rotated": gettext_lazy("New join code issued"),
        "member.added_by_organizer": gettext_lazy("Person added"),
        "member.changed": gettext_lazy("Person changed"),
        "member.approved": gettext_lazy("Member approved"),
        "member.rejected": gettext_lazy("Request to join turned down"),
        "member.removed": gettext_lazy("Member removed"),
        "grid.created": gettext_lazy("Grid added"),
        "demo.mottos_seeded": gettext_lazy("Demo mottos added"),
        "grid.changed": gettext_lazy("Grid changed"),
        "grid.assignments_changed": gettext_lazy("Grid workers changed"),
        "building.created": gettext_lazy("Building added"),
        "building.changed": gettext_lazy("Building changed"),
        "register.imported": gettext_lazy("Register imported"),
        "register.exported": gettext_lazy("Register exported"),
        "building.join_slips_printed": gettext_lazy("Join slips written as a PDF"),
        "motto.approved": gettext_lazy("Motto approved"),
        "motto.rejected": gettext_lazy("Motto not approved"),
        "consent.motto_shown": gettext_lazy("Motto put on the wall"),
        "consent.motto_withdrawn": gettext_lazy("Motto taken off the wall"),
        "consent.name_shown": gettext_lazy("Name shown in public"),
        "consent.name_withdrawn": gettext_lazy("Name no longer shown"),
        "consent.household_shown": gettext_lazy("Household name shown in public"),
        "consent.household_withdrawn": gettext_lazy("Household name no longer shown"),
    }
)
registry.audit_detail_names(
    {
        "file": gettext_lazy("File"),
        "rows": gettext_lazy("Rows"),
        "grids_created": gettext_lazy("Grids added"),
        "buildings_created": gettext_lazy("Buildings added"),
        "households_created": gettext_lazy("Households added"),
        "households_updated": gettext_lazy("Households changed"),
        "residents_created": gettext_lazy("People added"),
        "residents_updated": gettext_lazy("People changed"),
        "filters": gettext_lazy("Filters"),
        "had_account": gettext_lazy("Had an account"),
        "request": gettext_lazy("Request"),
        "revision": gettext_lazy("Revision"),
        "with_code": gettext_lazy("With a join code"),
        "matches": gettext_lazy("Matches person"),
        "mottos": gettext_lazy("Mottos"),
        "slips": gettext_lazy("Slips"),
        # The fields a register change lists ("changes": {field: [before, after]}), by their own names.
        **{
            field.name: field.verbose_name
            for model in (Grid, Building, Household, Resident)
            for field in model._meta.fields
            if not field.primary_key
        },
    }
)
