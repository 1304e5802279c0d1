"""Writes to the register that span several rows: joining a household, memberships, join codes,
organizer edits, the register import and family mottos. Each organizer write logs an AuditEntry."""

from __future__ import annotations

import logging
import math
import re
import unicodedata
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from functools import partial

from django.contrib.auth import get_user_model
from django.db import IntegrityError, models, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from project import formtokens, publiccache
from project.errors import ServiceError
from project.models import AuditEntry, Profile, private_storage
from project.notices import notify
from project.phones import same_number
from project.progress import set_state, write_progress
from project.ratelimit import Limit, count_all, refuse_if_reached

from . import conf
from .access import forget_membership, forget_scope, is_street_organizer, organizer_community_ids
from .models import (
    Building,
    Community,
    FamilyMotto,
    Grid,
    Household,
    MottoRevision,
    RegisterImport,
    Resident,
    clean_person_name,
    name_key,
    new_join_code,
    normalize_join_code,
)

# The create forms' one-time tokens (project.formtokens): the names their templates' {% form_token %} tags use.
HOUSEHOLD_FORM = "families.household_new"
RESIDENT_FORM = "families.resident_new"
GRID_FORM = "families.grid_new"
BUILDING_FORM = "families.building_new"
COMMUNITY_FORM = "families.community_new"
MOTTO_FORM = "families.motto"
UPLOAD_FORM = "families.import_upload"
logger = logging.getLogger(__name__)
_NEW_OBJECT_FORMS = {
    Household: HOUSEHOLD_FORM,
    Resident: RESIDENT_FORM,
    Grid: GRID_FORM,
    Building: BUILDING_FORM,
    Community: COMMUNITY_FORM,
}


class JoinError(ServiceError):
    """A join attempt that must be refused, with the message to show."""


@contextmanager
def _join_attempt(*, user, client: str | None) -> Iterator[Limit]:
    """One try at joining, under the join limits: refused once they are used up; a refused try counts against them.

    Wrong codes are limited per account and per client address (``client``,
    from the view; ``None`` from a command or a test: the account's limit
    only). Yields the account's limit, for a try that succeeds but must count
    too.
    """
    window = conf.join_window_seconds()
    per_account = Limit("join-user", str(user.pk), conf.join_attempts_per_account(), window)
    limits = [per_account]
    if client is not None:
        limits.append(Limit("join-ip", client, conf.join_attempts_per_address(), window))
    minutes = math.ceil(window / 60)
    refuse_if_reached(
        limits,
        ngettext(
            "Too many wrong codes. Please wait %(minutes)d minute, or ask your grid worker for help.",
            "Too many wrong codes. Please wait %(minutes)d minutes, or ask your grid worker for help.",
            minutes,
        )
        % {"minutes": minutes},
    )
    try:
        yield per_account
    except JoinError:
        count_all(limits)
        raise


def _links_at_once(person: Resident, profile: Profile | None) -> bool:
    """The join table's middle rows: no phone in the register, or the account verified that same number.

    A register person an organizer has not confirmed yet (pending) is never linked at once.
    """
    if person.status != Resident.Status.VERIFIED:
        return False
    if not person.phone.strip():
        return True
    return profile is not None and profile.phone_verified and same_number(person.phone, profile.phone)


def _match(candidates: list[Resident], full_name: str, profile: Profile | None) -> tuple[Resident | None, bool]:
    """The unlinked register person ``full_name`` names, and whether the table links the account at once.

    Names are compared by ``name_key``. Two listed people with one name (rare,
    but a father and son can share one): the one whose number the account
    verified is linked; otherwise the request waits, naming the first, and an
    organizer decides.
    """
    key = name_key(full_name)
    matches = [person for person in candidates if name_key(person.full_name) == key]
    if not matches:
        return None, False
    by_phone = [person for person in matches if person.phone.strip() and _links_at_once(person, profile)]
    if by_phone:
        return by_phone[0], True
    if len(matches) == 1:
        return matches[0], _links_at_once(matches[0], profile)
    return matches[0], False


def _tell_household(member: Resident) -> None:
    """Tell the household's other verified members with an account that ``member`` joined, so a misuse is seen."""
    User = get_user_model()
    others = User.objects.filter(
        residencies__household_id=member.household_id,
        residencies__status=Resident.Status.VERIFIED,
        is_active=True,
    ).exclude(pk=member.user_id or 0)
    notify(
        users=others.distinct(),
        kind="household_joined",
        params={"name": member.full_name, "household": member.household.display_name},
    )


def _link(*, person: Resident, user, request: Resident | None) -> Resident:
    """Link ``user`` to the register person ``person`` (verified), closing their request if they had one."""
    if request is not None:
        # The request is answered by the link: its row stays (removed) for the record.
        Resident.objects.filter(pk=request.pk).update(status=Resident.Status.REMOVED)
    try:
        with transaction.atomic():
            updated = (
                Resident.objects.filter(pk=person.pk, user__isnull=True)
                .exclude(status=Resident.Status.REMOVED)
                .update(user=user, status=Resident.Status.VERIFIED, verified_at=timezone.now())
            )
    except IntegrityError as exc:
        raise JoinError(_("You already belong to a household. Ask your grid worker to move you.")) from exc
    if not updated:
        raise JoinError(_("This person has just been claimed by another account."))
    publiccache.changed(Resident)  # the updates here send no signal
    person.refresh_from_db()
    return person


def _remember_name(user, full_name: str) -> None:
    profile, _created = Profile.objects.get_or_create(user=user)
    if not profile.full_name:
        profile.full_name = full_name[:50]
        profile.save(update_fields=["full_name"])


def save_profile_name(*, user, full_name: str) -> Profile:
    """The account holder's own full name, as they write it (one field: Chinese names do not split)."""
    with transaction.atomic():
        profile, _created = Profile.objects.get_or_create(user=user)
        profile.full_name = full_name
        profile.save(update_fields=["full_name"])
    return profile


def join_household(*, user, code: str, full_name: str, client: str | None = None) -> Resident:
    """Join the household whose join code is ``code``, following the join table (README, "Joining").

    A code proves that you hold the slip, not that you live there, so:

    - a wrong code is refused and counts against the limits (per account, and
      per ``client`` address), which refuse every try once used up;
    - a name that matches an unlinked register person of the household
      (``families.models.name_key``) links the account to that person, verified at
      once, when the register has no phone for them or the account has
      verified the same number;
    - anything else (the register has another number, or the account verified
      none; or the name matches nobody unlinked) queues a pending request that
      names the matched person, if any, for an organizer to approve. It gives
      no rights until then.

    A pending request of the same household follows the same table when the
    code is entered (it never becomes a member by the code alone, and the
    register's name is never overwritten). Returns the verified register person
    or the pending request. Every link tells the household's other members. A
    right code that links nobody counts against the account's limit too: a slip
    holder cannot try name after name (the answer is the same whether the name
    matched or not).
    """
    with _join_attempt(user=user, client=client) as per_account:
        result = _join_by_code(user=user, code=code, full_name=full_name)
        if not result.is_verified:
            per_account.count()
    return result


def _join_by_code(*, user, code: str, full_name: str) -> Resident:
    code = normalize_join_code(code)
    full_name = clean_person_name(full_name)
    if not full_name:
        raise JoinError(_("Please enter your full name."))
    with transaction.atomic():
        household = Household.objects.current().select_related("building").filter(join_code=code).first()
        if household is None:
            raise JoinError(_("That join code is not right. Check the slip from your grid worker and try again."))
        existing = Resident.objects.filter(user=user).exclude(status=Resident.Status.REMOVED).first()
        if existing is not None:
            if existing.status == Resident.Status.VERIFIED:
                if existing.household_id == household.pk:
                    raise JoinError(_("You are already a member of this household."))
                raise JoinError(_("You already belong to a household. Ask your grid worker to move you."))
            if existing.household_id != household.pk or existing.source != Resident.Source.REQUEST:
                raise JoinError(_("You have already asked to join a household. An organizer will confirm it."))
        # Lock the household's unlinked register persons so two accounts cannot claim the same person.
        candidates = list(
            Resident.objects.unlinked_register_persons().select_for_update().filter(household=household).order_by("pk")
        )
        profile = Profile.objects.filter(user=user).first()
        person, at_once = _match(candidates, full_name, profile)
        if at_once:
            person = _link(person=person, user=user, request=existing)
            _remember_name(user, full_name)
            AuditEntry.objects.log(
                actor=user,
                action="household.joined_by_code",
                target=person,
                details={"request": existing.pk} if existing is not None else {},
            )
            _tell_household(person)
            result = person
        else:
            result = _queue_request(
                household=household, user=user, full_name=full_name, match=person, with_code=True, request=existing
            )
    forget_membership(user)
    return result


def _queue_request(
    *, household: Household, user, full_name: str, match: Resident | None, with_code: bool, request: Resident | None
) -> Resident:
    """Write (or, for the same household, update) the user's pending request; the caller holds the transaction."""
    if request is not None:
        request.full_name = full_name
        request.matched_person = match
        request.with_code = request.with_code or with_code
        request.save(update_fields=["full_name", "matched_person", "with_code"])
    else:
        try:
            with transaction.atomic():
                request = Resident.objects.create(
                    household=household,
                    full_name=full_name,
                    user=user,
                    status=Resident.Status.PENDING,
                    source=Resident.Source.REQUEST,
                    matched_person=match,
                    with_code=with_code,
                )
        except IntegrityError as exc:
            raise JoinError(_("You have already asked to join a household. An organizer will confirm it.")) from exc
    _remember_name(user, full_name)
    AuditEntry.objects.log(
        actor=user,
        action="household.join_requested",
        target=request,
        details={"with_code": with_code, "matches": match.pk if match is not None else None},
    )
    return request


def request_membership(*, user, building: Building, door: str, full_name: str, client: str | None = None) -> Resident:
    """A signed-in user without a slip asks to join the household at ``door``; an organizer confirms by hand.

    The request is a ``pending`` Resident row (``source = request``): it counts
    as the user's one live membership (so they cannot ask twice), but gives no
    rights until approved. It names the register person its name matches, so
    approval links to them instead of adding a second row. A refused request
    counts against the join limits, as a wrong code does.
    """
    with _join_attempt(user=user, client=client):
        return _request_membership(user=user, building=building, door=door, full_name=full_name)


def _request_membership(*, user, building: Building, door: str, full_name: str) -> Resident:
    full_name = clean_person_name(full_name)
    door = " ".join(unicodedata.normalize("NFKC", door or "").split())
    if not full_name:
        raise JoinError(_("Please enter your full name."))
    with transaction.atomic():
        household = Household.objects.current().filter(building=building, door_label=door).first()
        if household is None:
            raise JoinError(
                _("There is no door %(door)s in %(building)s in the register. Check it, or ask your grid worker.")
                % {"door": door, "building": building.name}
            )
        existing = Resident.objects.filter(user=user).exclude(status=Resident.Status.REMOVED).first()
        if existing is not None:
            if existing.status == Resident.Status.PENDING:
                raise JoinError(_("You have already asked to join a household. An organizer will confirm it."))
            raise JoinError(_("You already belong to a household. Ask your grid worker to move you."))
        candidates = list(Resident.objects.unlinked_register_persons().filter(household=household).order_by("pk"))
        match, _at_once = _match(candidates, full_name, None)
        person = _queue_request(
            household=household, user=user, full_name=full_name, match=match, with_code=False, request=None
        )
    return person


def rotate_join_code(*, household: Household, actor) -> str:
    """Issue a new join code; the old one stops working at once."""
    with transaction.atomic():
        household.join_code = new_join_code()
        household.join_code_rotated_at = timezone.now()
        household.save(update_fields=["join_code", "join_code_rotated_at"])
        AuditEntry.objects.log(actor=actor, action="household.join_code_rotated", target=household)
    return household.join_code


def set_public_consent(*, resident: Resident, name_public: bool, household_public: bool, actor) -> None:
    """Record what a member agrees to show in public, with the time; cached public pages go stale at once."""
    now = timezone.now()
    with transaction.atomic():
        resident = Resident.objects.select_for_update().select_related("household").get(pk=resident.pk)
        household = Household.objects.select_for_update().get(pk=resident.household_id)
        if resident.show_name_publicly != name_public:
            resident.show_name_publicly = name_public
            resident.show_name_changed_at = now
            resident.save(update_fields=["show_name_publicly", "show_name_changed_at"])
            AuditEntry.objects.log(
                actor=actor, action="consent.name_shown" if name_public else "consent.name_withdrawn", target=resident
            )
        if household.show_publicly != household_public:
            household.show_publicly = household_public
            household.show_publicly_changed_at = now
            household.save(update_fields=["show_publicly", "show_publicly_changed_at"])
            AuditEntry.objects.log(
                actor=actor,
                action="consent.household_shown" if household_public else "consent.household_withdrawn",
                target=household,
            )


class RegisterError(ServiceError):
    """An organizer change that must be refused, with the message to show."""


# Fields whose values are personal: the audit log records that they changed, not what to.
PRIVATE_FIELDS = frozenset({"phone"})


def _changes(obj: models.Model, before: dict, fields) -> dict:
    changes = {}
    for field in fields:
        old, new = before.get(field), getattr(obj, field)
        if hasattr(new, "pk"):
            new = new.pk
        if old != new:
            changes[field] = "…" if field in PRIVATE_FIELDS else [str(old or ""), str(new or "")]
    return changes


def _snapshot(obj: models.Model, fields) -> dict:
    return {f: (getattr(obj, f).pk if hasattr(getattr(obj, f), "pk") else getattr(obj, f)) for f in fields}


def _register_page(obj: models.Model) -> str:
    """The organizer's page that shows a grid, building, household or resident."""
    if isinstance(obj, Household):
        return reverse("families:organize_household", args=[obj.pk])
    if isinstance(obj, Resident):
        return reverse("families:organize_household", args=[obj.household_id])
    if isinstance(obj, Building):
        return reverse("families:organize_buildings")
    if isinstance(obj, Community):
        return reverse("families:organize_communities")
    return reverse("families:organize_grids")


def save_register_object(*, obj: models.Model, fields: list[str], actor, action: str, token: str | None = None) -> dict:
    """Save an organizer's edit (or a new row) of a grid, building, household or resident, with an audit line.

    ``obj`` carries the new values (e.g. from ``form.save(commit=False)``);
    returns the changes written (field: [old, new]). Public pages are refreshed
    because display names, buildings and ethos texts are public. A new row is
    made once per form ``token``.
    """
    model = type(obj)
    with transaction.atomic():
        created = obj.pk is None
        claim = formtokens.claim(
            token=token if created else None, user=actor, form_name=_NEW_OBJECT_FORMS.get(model, "")
        )
        before = {}
        if not created:
            before = _snapshot(model.objects.select_for_update().get(pk=obj.pk), fields)
        if isinstance(obj, Building) and "ethos" in fields and (created or before.get("ethos") != obj.ethos):
            obj.ethos_updated_at = timezone.now()
            fields = [*fields, "ethos_updated_at"]
        changes = _changes(obj, before, fields)
        if not created and not changes:
            return {}
        try:
            with transaction.atomic():
                if created:
                    obj.save()
                else:
                    obj.save(update_fields=fields)
        except IntegrityError as exc:
            if "grid_tree" in str(exc):  # the tree's trigger (families 0013)
                raise RegisterError(
                    _("A second-level grid belongs to a first-level grid of its own community.")
                ) from exc
            raise RegisterError(_("This would duplicate an existing entry (the same name or door).")) from exc
        AuditEntry.objects.log(actor=actor, action=action, target=obj, details={"changes": changes})
        claim.done(obj, url=_register_page(obj))
    return changes


def _place_grid(grid: Grid, *, actor) -> None:
    """Put a new or edited grid on the tree, or refuse: a first-level grid in a community the actor runs, or a
    second-level grid in a first-level grid of that community that holds no building. Locks the parent, so a
    building cannot be added to it meanwhile (``save_building`` locks the same row)."""
    if grid.pk is not None:
        before = Grid.objects.select_for_update().get(pk=grid.pk)
        if (before.community_id, before.parent_id) != (grid.community_id, grid.parent_id):
            raise RegisterError(_("A grid stays where it was made: add a new grid instead."))
        return
    communities = organizer_community_ids(actor)
    if grid.parent_id is not None:
        parent = Grid.objects.select_for_update().get(pk=grid.parent_id)
        if parent.parent_id is not None:
            raise RegisterError(_("A second-level grid belongs to a first-level grid."))
        if parent.buildings.exists():
            raise RegisterError(
                _("This grid holds buildings. Move them to another grid before dividing it into second-level grids.")
            )
        grid.community_id, grid.level = parent.community_id, Grid.SECOND
    else:
        grid.level = Grid.FIRST
    if grid.community_id is None or (communities is not None and grid.community_id not in communities):
        raise RegisterError(_("Choose one of your communities for the grid."))


def save_grid(*, grid: Grid, actor, organizers=None, token: str | None = None) -> dict:
    """Save a new grid (once per form ``token``) or an edit of one and, given ``organizers``, scope exactly those
    grid workers to it: all or nothing, each with its audit line. Returns the grid's changes.

    A new grid goes in a community the actor runs, as a first-level grid or inside one (``_place_grid``)."""
    with transaction.atomic():
        _place_grid(grid, actor=actor)
        changes = save_register_object(
            obj=grid,
            fields=["community", "parent", "level", "name", "worker_name", "sort_order"],
            actor=actor,
            action="grid.changed" if grid.pk else "grid.created",
            token=token,
        )
        if organizers is not None:
            set_grid_assignments(grid=grid, users=organizers, actor=actor)
    return changes


def save_building(*, building: Building, actor, token: str | None = None) -> dict:
    """Save a new building (once per form ``token``) or an edit of one: it belongs to a lowest grid, never to a
    first-level grid divided into second-level grids. Returns the changes."""
    with transaction.atomic():
        # The same lock as _place_grid: a grid is not divided while a building is put in it.
        grid = Grid.objects.select_for_update().get(pk=building.grid_id)
        if grid.children.exists():
            raise RegisterError(_("This grid is divided into second-level grids: choose one of them for the building."))
        return save_register_object(
            obj=building,
            fields=["grid", "name", "address", "ethos", "sort_order"],
            actor=actor,
            action="building.created" if building.pk is None else "building.changed",
            token=token,
        )


def _refuse_own_scope(users_changed, actor) -> None:
    if any(user.pk == actor.pk for user in users_changed):
        raise RegisterError(_("Nobody changes their own place: ask the organizer above you."))


def set_grid_assignments(*, grid, users, actor) -> dict:
    """Scope exactly ``users`` to ``grid`` (grid workers); returns who was added and removed.

    Only a street organizer or an organizer of the grid's community assigns its grid workers, and nobody adds or
    removes themselves."""
    from .models import GridAssignment

    communities = organizer_community_ids(actor)
    if communities is not None and grid.community_id not in communities:
        raise RegisterError(_("Only the organizers of this grid's community assign its grid workers."))
    with transaction.atomic():
        current = {a.user_id: a for a in GridAssignment.objects.select_related("user").filter(grid=grid)}
        wanted = {user.pk: user for user in users}
        added = [wanted[pk] for pk in wanted.keys() - current.keys()]
        removed = [current[pk] for pk in current.keys() - wanted.keys()]
        _refuse_own_scope([*added, *(a.user for a in removed)], actor)
        GridAssignment.objects.bulk_create([GridAssignment(grid=grid, user=user) for user in added])
        GridAssignment.objects.filter(pk__in=[a.pk for a in removed]).delete()
        changes = {
            "added": sorted(u.get_username() for u in added),
            "removed": sorted(a.user.get_username() for a in removed),
        }
        if added or removed:
            AuditEntry.objects.log(actor=actor, action="grid.assignments_changed", target=grid, details=changes)
    for user in [*added, *(a.user for a in removed)]:
        forget_scope(user)
    return changes


def save_community(*, community: Community, actor, organizers=None, token: str | None = None) -> dict:
    """A street organizer adds a community (once per form ``token``) or edits one and, given ``organizers``,
    makes exactly those its community organizers. Returns the community's changes."""
    if not is_street_organizer(actor):
        raise RegisterError(_("Only street organizers add communities and assign their organizers."))
    with transaction.atomic():
        changes = save_register_object(
            obj=community,
            fields=["name", "slug", "committee_name", "sort_order"],
            actor=actor,
            action="community.changed" if community.pk else "community.created",
            token=token,
        )
        if organizers is not None:
            set_community_assignments(community=community, users=organizers, actor=actor)
    return changes


def set_community_assignments(*, community: Community, users, actor) -> dict:
    """Make exactly ``users`` the organizers of ``community`` (a street organizer's act; nobody their own)."""
    from .models import CommunityAssignment

    if not is_street_organizer(actor):
        raise RegisterError(_("Only street organizers add communities and assign their organizers."))
    with transaction.atomic():
        current = {a.user_id: a for a in CommunityAssignment.objects.select_related("user").filter(community=community)}
        wanted = {user.pk: user for user in users}
        added = [wanted[pk] for pk in wanted.keys() - current.keys()]
        removed = [current[pk] for pk in current.keys() - wanted.keys()]
        _refuse_own_scope([*added, *(a.user for a in removed)], actor)
        CommunityAssignment.objects.bulk_create([CommunityAssignment(community=community, user=u) for u in added])
        CommunityAssignment.objects.filter(pk__in=[a.pk for a in removed]).delete()
        changes = {
            "added": sorted(u.get_username() for u in added),
            "removed": sorted(a.user.get_username() for a in removed),
        }
        if added or removed:
            AuditEntry.objects.log(
                actor=actor, action="community.assignments_changed", target=community, details=changes
            )
    for user in [*added, *(a.user for a in removed)]:
        forget_scope(user)
    return changes


def move_out_household(*, household: Household, actor, moved_out_on: date) -> int:
    """A household moved out: its row and its people's rows stay (votes, ledger entries and honours point at
    them), but its members are members no more (their accounts may join their new home), its join code is
    replaced so old slips stop working, and the door is free for the next household. Returns how many members
    were taken off."""
    with transaction.atomic():
        locked = Household.objects.select_for_update().get(pk=household.pk)
        if locked.moved_out_on is not None:
            raise RegisterError(_("This household has already moved out."))
        if moved_out_on > timezone.localdate():
            raise RegisterError(_("A move-out date cannot be in the future."))
        if moved_out_on < locked.moved_in_on:
            raise RegisterError(_("A household cannot move out before it moved in."))
        members = list(locked.residents.exclude(status=Resident.Status.REMOVED).select_related("user"))
        Resident.objects.filter(pk__in=[m.pk for m in members]).update(
            status=Resident.Status.REMOVED, show_name_publicly=False, show_name_changed_at=timezone.now()
        )
        locked.moved_out_on = moved_out_on
        locked.join_code, locked.join_code_rotated_at = new_join_code(), timezone.now()
        locked.show_publicly, locked.show_publicly_changed_at = False, timezone.now()
        locked.save(
            update_fields=[
                "moved_out_on",
                "join_code",
                "join_code_rotated_at",
                "show_publicly",
                "show_publicly_changed_at",
            ]
        )
        AuditEntry.objects.log(
            actor=actor,
            action="household.moved_out",
            target=locked,
            details={"moved_out_on": moved_out_on.isoformat(), "members": len(members)},
        )
        publiccache.changed(Resident)  # update() sends no signal
    for member in members:
        if member.user is not None:
            forget_membership(member.user)
    household.refresh_from_db()
    return len(members)


def approve_member(*, resident: Resident, actor) -> Resident:
    """An organizer confirms a waiting member by hand; returns the verified row.

    A request that names a register person links the account to that person
    (the request's row is closed), so the register keeps one row per person
    and its name; a request for a new member becomes the member. Either way
    the household's other members are told, and so is the person asking.
    """
    with transaction.atomic():
        waiting = (
            Resident.objects.select_for_update(of=("self",))
            .select_related("household__building", "user")
            .filter(pk=resident.pk, status=Resident.Status.PENDING)
            .first()
        )
        if waiting is None:
            raise RegisterError(_("This member is no longer waiting for approval."))
        now = timezone.now()
        member = waiting
        if waiting.source == Resident.Source.REQUEST and waiting.matched_person_id is not None:
            person = Resident.objects.select_for_update().get(pk=waiting.matched_person_id)
            if person.user_id is not None or person.status == Resident.Status.REMOVED:
                raise RegisterError(
                    _(
                        "%(name)s in the register is no longer free: another account was linked, or the person was "
                        "removed. Reject this request, or correct the register first."
                    )
                    % {"name": person.full_name}
                )
            Resident.objects.filter(pk=waiting.pk).update(status=Resident.Status.REMOVED)
            Resident.objects.filter(pk=person.pk).update(
                user=waiting.user, status=Resident.Status.VERIFIED, verified_at=now
            )
            member = Resident.objects.select_related("household__building", "user").get(pk=person.pk)
            AuditEntry.objects.log(
                actor=actor, action="member.approved", target=member, details={"request": waiting.pk}
            )
        else:
            Resident.objects.filter(pk=waiting.pk).update(status=Resident.Status.VERIFIED, verified_at=now)
            member.status, member.verified_at = Resident.Status.VERIFIED, now
            AuditEntry.objects.log(actor=actor, action="member.approved", target=member)
        publiccache.changed(Resident)  # the updates here send no signal
        _tell_household(member)
        if waiting.user is not None:
            notify(
                users=[waiting.user],
                kind="join_approved",
                params={"household": member.household.public_name},
                url=reverse("families:me"),
            )
    if resident.user is not None:
        forget_membership(resident.user)
    return member


def reject_request(*, resident: Resident, actor) -> None:
    """An organizer turns down a request to join; the person asking is told (the row stays, removed)."""
    with transaction.atomic():
        updated = Resident.objects.filter(
            pk=resident.pk, status=Resident.Status.PENDING, source=Resident.Source.REQUEST
        ).update(status=Resident.Status.REMOVED)
        if not updated:
            raise RegisterError(_("This member is no longer waiting for approval."))
        publiccache.changed(Resident)  # update() sends no signal
        AuditEntry.objects.log(actor=actor, action="member.rejected", target=resident)
        if resident.user is not None:
            notify(
                users=[resident.user],
                kind="join_rejected",
                params={"building": resident.household.building.name},
                url=reverse("families:join"),
            )


def remove_member(*, resident: Resident, actor) -> None:
    """Take a person off the household: the row stays (history points at it) with status removed."""
    with transaction.atomic():
        updated = (
            Resident.objects.filter(pk=resident.pk)
            .exclude(status=Resident.Status.REMOVED)
            .update(status=Resident.Status.REMOVED, show_name_publicly=False, show_name_changed_at=timezone.now())
        )
        if not updated:
            raise RegisterError(_("This person has already been removed."))
        AuditEntry.objects.log(
            actor=actor, action="member.removed", target=resident, details={"had_account": resident.user_id is not None}
        )
        publiccache.changed(Resident)  # update() sends no signal
    if resident.user is not None:
        forget_membership(resident.user)


def rotate_join_codes_of_building(*, building: Building, actor, households) -> int:
    """Issue new join codes for several households at once (e.g. before printing a fresh sheet)."""
    count = 0
    with transaction.atomic():
        for household in households.select_for_update():
            rotate_join_code(household=household, actor=actor)
            count += 1
    return count


def record_register_export(*, actor, fmt: str, filters: dict[str, str]) -> None:
    """The audit line of a register download (it holds names and phones): who, in which format, with which filters."""
    AuditEntry.objects.log(actor=actor, action="register.exported", details={"format": fmt, "filters": filters})


def record_join_slips_printed(*, actor, building: Building, slips: int) -> None:
    """The audit line of a building's join slips written as a PDF (it holds every household's code): who, which
    building, how many slips."""
    AuditEntry.objects.log(actor=actor, action="building.join_slips_printed", target=building, details={"slips": slips})


# --- Family mottos -------------------------------------------------------------

_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\u00ad]")


def clean_motto_text(raw: str) -> str:
    """Plain text as it will be shown: NFC, no control or zero-width characters, tidy lines."""
    text = unicodedata.normalize("NFC", raw or "")
    text = _INVISIBLE.sub("", text)
    text = "".join(ch for ch in text if ch == "\n" or unicodedata.category(ch) != "Cc")
    lines = [" ".join(line.split()) for line in text.replace("\r", "").split("\n")]
    text = "\n".join(lines).strip()
    return re.sub("\n{3,}", "\n\n", text)


class MottoError(ServiceError):
    """A motto write that must be refused, with the message to show."""


def submit_motto(*, household: Household, author, text: str, token: str | None = None) -> MottoRevision:
    """A verified member writes a new version of the household's motto; it waits for an organizer.

    The history is append-only: a new revision is added, and an older one still
    waiting is marked as replaced so the queue holds one per household.
    """
    text = clean_motto_text(text)
    if len(text) < 2:
        raise MottoError(_("Please write the motto (at least 2 characters)."))
    if len(text) > MottoRevision.MAX_LENGTH:
        raise MottoError(
            _("A motto can be at most %(limit)d characters; this one has %(count)d.")
            % {"limit": MottoRevision.MAX_LENGTH, "count": len(text)}
        )
    now = timezone.now()
    with transaction.atomic():
        claim = formtokens.claim(token=token, user=author, form_name=MOTTO_FORM)
        motto, _created = FamilyMotto.objects.get_or_create(household=household)
        # Lock the motto so two members saving at once leave exactly one revision waiting.
        motto = FamilyMotto.objects.select_for_update(of=("self",)).select_related("approved_revision").get(pk=motto.pk)
        waiting = list(motto.revisions.pending())
        if waiting and waiting[0].text == text:
            raise MottoError(_("This text is already waiting for review."))
        if not waiting and motto.approved_revision is not None and motto.approved_revision.text == text:
            raise MottoError(_("This is already your approved motto."))
        for revision in waiting:
            revision.status = MottoRevision.Status.SUPERSEDED
            revision.save(update_fields=["status"])
        profile_name = getattr(getattr(author, "profile", None), "full_name", "") or author.get_username()
        try:
            with transaction.atomic():
                revision = MottoRevision.objects.create(
                    motto=motto, text=text, author=author, author_name=profile_name[:50], created_at=now
                )
        except IntegrityError as exc:
            raise MottoError(_("Another member has just sent a version. Reload the page and try again.")) from exc
        claim.done(revision, url=reverse("families:household_motto", args=[household.pk]))
    return revision


def review_motto(*, revision: MottoRevision, reviewer, approve: bool, reason: str = "") -> MottoRevision:
    """An organizer approves a waiting revision or rejects it with a reason the household sees."""
    reason = " ".join((reason or "").split())[:300]
    if not approve and not reason:
        raise MottoError(_("Please give the household a reason."))
    with transaction.atomic():
        # Lock the motto: a review and a new revision must not cross.
        motto = FamilyMotto.objects.select_for_update().get(pk=revision.motto_id)
        revision = MottoRevision.objects.get(pk=revision.pk)
        if revision.status != MottoRevision.Status.PENDING:
            raise MottoError(_("This version has already been reviewed or replaced."))
        revision.status = MottoRevision.Status.APPROVED if approve else MottoRevision.Status.REJECTED
        revision.reviewer = reviewer
        revision.reviewer_name = reviewer.get_username()
        revision.reviewed_at = timezone.now()
        revision.reason = reason
        revision.save(update_fields=["status", "reviewer", "reviewer_name", "reviewed_at", "reason"])
        if approve:
            motto.approved_revision = revision
            motto.save(update_fields=["approved_revision"])
        AuditEntry.objects.log(
            actor=reviewer,
            action="motto.approved" if approve else "motto.rejected",
            target=motto,
            details={"revision": revision.pk, "reason": reason},
        )
    return revision


def set_motto_consent(*, household: Household, show: bool, actor) -> FamilyMotto:
    """The household chooses whether its approved motto is on the wall; withdrawal is immediate."""
    with transaction.atomic():
        motto, _created = FamilyMotto.objects.get_or_create(household=household)
        motto = FamilyMotto.objects.select_for_update().get(pk=motto.pk)
        if motto.show_on_wall != show:
            motto.show_on_wall = show
            motto.show_on_wall_changed_at = timezone.now()
            motto.save(update_fields=["show_on_wall", "show_on_wall_changed_at"])
            AuditEntry.objects.log(
                actor=actor, action="consent.motto_shown" if show else "consent.motto_withdrawn", target=motto
            )
    return motto


# --- The register import ---------------------------------------------------------

APPLY_IMPORT_FORM = "families.apply_import"
# How often a running check or import writes its progress to its row: every this many rows.
PROGRESS_EVERY = 1000


def _record_state(record_id: int, *, expect=None, **fields) -> bool:
    """Write a register import's state (compare-and-set when ``expect`` is given; ``project.progress.set_state``)."""
    return set_state(RegisterImport, record_id, expect=expect, **fields)


def receive_upload(*, actor, upload, language: str, token: str | None = None) -> RegisterImport:
    """Keep an uploaded register file in the site's storage and queue its check; nothing in it is read here.

    The caller has checked only what is cheap (the size). The check runs in a task
    (``families.tasks.check_register_upload``), enqueued after the commit; the
    organizer follows it on the record's page. A new upload is kept once per form ``token``.
    """
    stored = private_storage().save(f"imports/{uuid.uuid4().hex}", upload)
    try:
        with transaction.atomic():
            claim = formtokens.claim(token=token, user=actor, form_name=UPLOAD_FORM)
            record = RegisterImport.objects.create(
                uploaded_by=actor, filename=upload.name[:200], file=stored, language=language[:10]
            )
            claim.done(record, url=reverse("families:organize_import_preview", args=[record.pk]))
            transaction.on_commit(partial(_enqueue, "check_register_upload", record.pk), robust=True)
    except BaseException:
        private_storage().delete(stored)
        raise
    return record


def _enqueue(name: str, record_id: int) -> None:
    from . import tasks

    getattr(tasks, name).enqueue(record_id)


def check_upload(
    *,
    actor,
    filename: str,
    content: bytes,
    grid_ids: frozenset[int] | None,
    record: RegisterImport,
    progress: Callable[[int], None] | None = None,
) -> RegisterImport:
    """Check an uploaded register file once and keep what the check found with the upload.

    This is the only place an upload is parsed (in the check task): the preview
    page shows ``record.preview`` and "Import now" writes ``record.plan``,
    however often the page is reloaded. The plan holds only what an import
    would write. Uploads never imported are emptied on the way once they are
    ``FAMILIES_IMPORT_KEPT_DAYS`` old. A file that cannot be read as a whole
    (format, size, rows) leaves the record failed, with the reason.
    """
    from .register_io import apply_plan, check_register

    plan = check_register(content, filename, grid_ids=grid_ids, progress=progress)
    whole_file = [message for row, message in plan.errors if row == 0]
    preview = {
        "row_count": plan.row_count,
        "ignored_columns": plan.ignored_columns,
        "errors": [list(error) for error in plan.errors[: conf.import_errors_kept()]],
        "error_count": len(plan.errors),
        "summary": apply_plan(plan, dry_run=True) if plan.ok else None,
    }
    fields = {
        "row_count": plan.row_count,
        "error_count": len(plan.errors),
        "preview": preview,
        # A plan with problems can never be imported: its rows are not kept.
        "plan": plan.to_json() if plan.ok else None,
        "status": RegisterImport.Status.FAILED if whole_file else RegisterImport.Status.PREVIEWED,
        "message": whole_file[0][:500] if whole_file else "",
        "done": plan.row_count,
        "total": plan.row_count,
        "updated_at": timezone.now(),
    }
    with transaction.atomic():
        empty_stale_imports(now=timezone.now())
        for name, value in fields.items():
            setattr(record, name, value)
        record.save(update_fields=list(fields))
    return record


def empty_stale_imports(*, now: datetime) -> int:
    """Empty the checks never imported that are ``FAMILIES_IMPORT_KEPT_DAYS`` old: their checked rows hold phone
    numbers. The row stays (file name, counts, who uploaded it). Run by the scheduled tick and on each upload."""
    return (
        RegisterImport.objects.filter(
            status=RegisterImport.Status.PREVIEWED, created_at__lt=now - conf.import_kept_for()
        )
        .exclude(plan__isnull=True, preview={})
        .update(plan=None, preview={})
    )


def release_stuck_imports(*, now: datetime) -> int:
    """Give back to the organizer the imports queued or running for ``FAMILIES_IMPORT_STUCK_MINUTES`` without a
    word from their worker (it died, or the queue lost the task): "checked" again, with the reason, so "Import
    now" starts it afresh. The import is one transaction, so a dead one wrote nothing; one still running after
    all finds the row changed at its last step (a compare-and-set from "being imported") and rolls back, so a
    file is never imported twice. Run by the scheduled tick."""
    released = 0
    stuck = RegisterImport.objects.filter(
        status__in=[RegisterImport.Status.TO_IMPORT, RegisterImport.Status.IMPORTING],
        updated_at__lt=now - conf.import_stuck_after(),
    )
    for record in stuck.only("pk", "status", "language"):
        with translation.override(record.language or None):
            message = _("The import stopped before it finished, so nothing was imported. Press “Import now” again.")
        released += _record_state(
            record.pk, expect=record.status, status=RegisterImport.Status.PREVIEWED, message=message
        )
    return released


def queue_import(*, record: RegisterImport, actor, token: str | None) -> None:
    """ "Import now": claim the form's token and queue the import of the checked upload (a task does it).

    Compare-and-set from "checked": a second press, a second tab or a resent form
    queues nothing more. Raises ``RegisterError`` if the upload cannot be imported.
    """
    with transaction.atomic():
        claim = formtokens.claim(token=token, user=actor, form_name=APPLY_IMPORT_FORM)
        queued = _record_state(
            record.pk,
            expect=RegisterImport.Status.PREVIEWED,
            status=RegisterImport.Status.TO_IMPORT,
            imported_by=actor,
            message="",
            done=0,
            total=0,
        )
        if not queued:
            if RegisterImport.objects.filter(pk=record.pk, status=RegisterImport.Status.IMPORTED).exists():
                raise RegisterError(_("This file has already been imported."))
            raise RegisterError(_("This file is not ready to be imported."))
        if not RegisterImport.objects.filter(pk=record.pk, plan__isnull=False).exists():
            raise RegisterError(_("The file has problems; nothing was imported."))
        claim.done(record, url=reverse("families:organize_import_preview", args=[record.pk]))
        transaction.on_commit(partial(_enqueue, "import_checked_upload", record.pk), robust=True)


def import_register(
    *,
    actor,
    plan=None,
    record: RegisterImport | None = None,
    progress: Callable[[int, int], None] | None = None,
    grid_ids: frozenset[int] | None = None,
) -> dict:
    """Write a checked import plan in one transaction: all or nothing.

    From the import task, ``record`` is the upload (queued by ``queue_import``)
    and its stored plan is written: what its preview showed, or nothing if the
    register changed since (the counts would differ) or a building is no longer
    in the importer's ``grid_ids``. The command passes a fresh ``plan``
    (``register_io.check_register``). Upserts by building + door and by
    household + full name, so importing the same file twice changes nothing
    the second time. Refuses a plan with problems.
    """
    from .register_io import Plan, apply_plan, scope_problems

    problems = _("The file has problems; nothing was imported.")
    if plan is not None and plan.errors:
        raise RegisterError(problems)
    with transaction.atomic():
        expected = None
        if record is not None:
            record.refresh_from_db(fields=["plan", "preview"])
            if record.plan is None:
                raise RegisterError(problems)
            plan = Plan.from_json(record.plan)
            expected = record.preview.get("summary")
        if plan is None:
            raise RegisterError(problems)
        outside = scope_problems(plan, grid_ids)
        if outside:
            raise RegisterError(
                _("%(buildings)s is not in your grids; nothing was imported.") % {"buildings": "、".join(outside[:5])}
            )
        summary = apply_plan(plan, progress=progress)
        if expected is not None and summary != expected:
            # Rolled back with everything above: the preview promised other changes.
            raise RegisterError(
                _(
                    "The register has changed since this file was checked, so nothing was imported. "
                    "Upload the file again to check it against the register as it is now."
                )
            )
        if record is not None:
            # Compare-and-set, last, so that the row is not locked while the import writes its progress to it
            # (project.progress): the same upload is imported once, whoever runs the task how often.
            # The rows hold phone numbers: once imported they are no longer needed, so they are not kept.
            claimed = RegisterImport.objects.filter(pk=record.pk, status=RegisterImport.Status.IMPORTING).update(
                status=RegisterImport.Status.IMPORTED,
                imported_at=timezone.now(),
                updated_at=timezone.now(),
                summary=summary,
                plan=None,
                done=plan.row_count,
                total=plan.row_count,
            )
            if not claimed:
                raise RegisterError(_("This file has already been imported."))
            record.refresh_from_db(fields=["status", "imported_at", "summary", "plan"])
        AuditEntry.objects.log(
            actor=actor,
            action="register.imported",
            target=record,
            details={"file": plan.filename, "rows": plan.row_count, **summary},
        )
    return summary


def _throttled(record_id: int, *, total: int | None = None) -> Callable:
    """A progress callback that writes the record's ``done`` (and ``total``) at most every ``PROGRESS_EVERY`` rows."""
    last = {"done": -PROGRESS_EVERY}

    def report(done: int, total_now: int | None = None) -> None:
        if done - last["done"] < PROGRESS_EVERY:
            return
        last["done"] = done
        write_progress(RegisterImport, record_id, done=done, total=total_now if total_now is not None else total or 0)

    return report


def _failure_message() -> str:
    return _("The server stopped on an error while working on this file; nothing was imported. Upload it again.")


def run_check(*, record_id: int) -> None:
    """The check task's work: read the stored upload once, keep the check, delete the file.

    Runs once per upload (compare-and-set from "queued"); a failure leaves the
    record failed with a message in the uploader's language.
    """
    from .access import organizer_grid_ids

    if not _record_state(record_id, expect=RegisterImport.Status.QUEUED, status=RegisterImport.Status.CHECKING):
        return
    record = RegisterImport.objects.select_related("uploaded_by").get(pk=record_id)
    with translation.override(record.language or None):
        try:
            with record.file.open("rb") as stored:
                content = stored.read(conf.import_max_bytes() + 1)
            check_upload(
                actor=record.uploaded_by,
                filename=record.filename,
                content=content,
                grid_ids=organizer_grid_ids(record.uploaded_by) if record.uploaded_by else frozenset(),
                record=record,
                progress=_throttled(record_id),
            )
        except Exception:
            logger.exception("register import %s: the check failed", record_id)
            _record_state(record_id, status=RegisterImport.Status.FAILED, message=_failure_message())
        finally:
            _delete_upload(record)


def _delete_upload(record: RegisterImport) -> None:
    if record.file:
        record.file.storage.delete(record.file.name)
        RegisterImport.objects.filter(pk=record.pk).update(file="")


def remove_stale_uploads(now=None) -> int:
    """Delete stored register files whose check never ended (a worker died or the queue lost the task): a file
    still kept a day after its row last moved. The row ends failed, saying to upload again. The scheduled tick
    calls this; returns how many files were removed."""
    cutoff = (now or timezone.now()) - timedelta(days=1)
    removed = 0
    for record in RegisterImport.objects.exclude(file="").filter(updated_at__lt=cutoff).iterator():
        _delete_upload(record)
        _record_state(
            record.pk,
            expect=[RegisterImport.Status.QUEUED, RegisterImport.Status.CHECKING],
            status=RegisterImport.Status.FAILED,
            message=_failure_message(),
        )
        removed += 1
    return removed


def run_import(*, record_id: int) -> None:
    """The import task's work: write the checked plan of a queued import, all or nothing.

    Runs once per "Import now" (compare-and-set from "waiting to be imported"). A
    refusal (the register changed, a grid no longer the importer's) puts the
    record back to "checked" with the reason; an error marks it failed.
    """
    from .access import organizer_grid_ids

    if not _record_state(record_id, expect=RegisterImport.Status.TO_IMPORT, status=RegisterImport.Status.IMPORTING):
        return
    record = RegisterImport.objects.select_related("imported_by").get(pk=record_id)
    actor = record.imported_by
    with translation.override(record.language or None):
        try:
            import_register(
                actor=actor,
                record=record,
                progress=_throttled(record_id),
                grid_ids=organizer_grid_ids(actor) if actor else frozenset(),
            )
        except RegisterError as refusal:
            _record_state(
                record_id,
                expect=RegisterImport.Status.IMPORTING,
                status=RegisterImport.Status.PREVIEWED,
                message=str(refusal)[:500],
            )
        except Exception:
            logger.exception("register import %s: the import failed", record_id)
            _record_state(
                record_id,
                expect=RegisterImport.Status.IMPORTING,
                status=RegisterImport.Status.FAILED,
                message=_failure_message(),
            )
