"""Writes to the register that span several rows: joining a household, memberships, join codes."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from project.publiccache import bump_public_version

from .access import forget_membership
from .models import AuditEntry, Household, Profile, Resident, new_join_code, normalize_join_code


class JoinError(Exception):
    """A join attempt that must be refused, with the message to show."""


def join_household(*, user, code: str, full_name: str) -> Resident:
    """Make ``user`` a verified member of the household whose join code is ``code``.

    Refuses a wrong code, and a user who already belongs to a household. If
    the register already lists a person of that name in the household without
    an account, the account is linked to that person instead of adding a new one.
    """
    code = normalize_join_code(code)
    full_name = " ".join((full_name or "").split())
    if not full_name:
        raise JoinError(_("Please enter your full name."))
    with transaction.atomic():
        household = Household.objects.select_related("building").filter(join_code=code).first()
        if household is None:
            raise JoinError(_("That join code is not right. Check the slip from your grid worker and try again."))
        existing = Resident.objects.filter(user=user).exclude(status=Resident.Status.REMOVED).first()
        if existing is not None:
            if existing.household_id == household.pk:
                raise JoinError(_("You are already a member of this household."))
            raise JoinError(_("You already belong to a household. Ask your grid worker to move you."))
        # Lock the household's unlinked residents so two accounts cannot claim the same person.
        person = (
            Resident.objects.select_for_update()
            .filter(household=household, user__isnull=True, full_name=full_name)
            .exclude(status=Resident.Status.REMOVED)
            .first()
        )
        try:
            with transaction.atomic():
                if person is not None:
                    updated = Resident.objects.filter(pk=person.pk, user__isnull=True).update(
                        user=user, status=Resident.Status.VERIFIED, verified_at=timezone.now()
                    )
                    if not updated:
                        raise JoinError(_("This person has just been claimed by another account."))
                    person.refresh_from_db()
                else:
                    person = Resident.objects.create(
                        household=household,
                        full_name=full_name,
                        user=user,
                        status=Resident.Status.VERIFIED,
                        verified_at=timezone.now(),
                    )
        except IntegrityError as exc:
            raise JoinError(_("You already belong to a household. Ask your grid worker to move you.")) from exc
        profile, _created = Profile.objects.get_or_create(user=user)
        if not profile.full_name:
            profile.full_name = full_name
            profile.save(update_fields=["full_name"])
        AuditEntry.objects.log(actor=user, action="household.joined_by_code", target=person)
    forget_membership(user)
    return person


def rotate_join_code(*, household: Household, actor) -> str:
    """Issue a new join code; the old one stops working at once."""
    with transaction.atomic():
        household.join_code = new_join_code()
        household.join_code_rotated_at = timezone.now()
        household.save(update_fields=["join_code", "join_code_rotated_at"])
        AuditEntry.objects.log(actor=actor, action="household.join_code_rotated", target=household)
    return household.join_code


def ensure_organizer_group():
    """The ``organizer`` group, with the permissions to run the register, rounds and activities."""
    from django.contrib.auth.models import Group, Permission

    from .access import ORGANIZER_GROUP

    group, _created = Group.objects.get_or_create(name=ORGANIZER_GROUP)
    permissions = Permission.objects.filter(content_type__app_label__in=["families", "awards", "activities"])
    group.permissions.add(*permissions)
    return group


def make_organizer(*, user, actor=None):
    """Give ``user`` the organizer role (and log who did it)."""
    with transaction.atomic():
        user.groups.add(ensure_organizer_group())
        AuditEntry.objects.log(actor=actor, action="account.made_organizer", target=user)


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
        bump_public_version()
