"""The register's part of a resident's own data, and how it is anonymised when an account is deleted.

The account's profile (name, mobile number) is the core's part (project/privacy.py)."""

from __future__ import annotations

from django.utils import timezone

from project import publiccache, registry
from project.privacy import ANONYMOUS_NAME

from .models import MottoRevision, Resident


def personal_data(user) -> dict:
    memberships = Resident.objects.filter(user=user).select_related("household__building__grid")
    return {
        "memberships": [
            {
                "grid": person.household.building.grid.name,
                "building": person.household.building.name,
                "door": person.household.door_label,
                "household": person.household.display_name,
                "name": person.full_name,
                "phone": person.phone,
                "status": person.status,
                "verified_at": person.verified_at.isoformat() if person.verified_at else None,
                "show_name_publicly": person.show_name_publicly,
                "show_name_changed_at": person.show_name_changed_at.isoformat()
                if person.show_name_changed_at
                else None,
            }
            for person in memberships
        ],
        "mottos_written": [
            {"text": revision.text, "written_at": revision.created_at.isoformat(), "status": revision.status}
            for revision in MottoRevision.objects.filter(author=user).order_by("created_at")
        ],
    }


def anonymise(user) -> None:
    """Keep the person's row (ledger entries and results point at it) without anything that names them."""
    Resident.objects.filter(user=user).update(
        full_name=ANONYMOUS_NAME,
        phone="",
        show_name_publicly=False,
        show_name_changed_at=timezone.now(),
        status=Resident.Status.REMOVED,
        user=None,
    )
    # Motto revisions keep their text (it is the household's motto) but not the author's name.
    MottoRevision.objects.filter(author=user).update(author_name="", author=None)
    # update() sends no signal: the pages that showed the name are refreshed here, after the deletion commits.
    publiccache.changed(Resident)
    publiccache.changed(MottoRevision)


registry.privacy(personal_data=personal_data, anonymise=anonymise)
