"""Say where each existing register row came from (``Resident.source``), from what the database remembers.

Rows only got an origin with this migration, so it is inferred:

- ``request`` (a row a join created, which a join code may never claim): rows
  the audit log shows were asked for (``household.join_requested``); rows a
  join code created (a ``household.joined_by_code`` line for the row written
  within a minute of the row itself; a code that claimed a listed person came
  later than the import or the organizer that listed them); and pending rows
  that have an account (only a request makes one).
- ``organizer``: rows with a ``member.added_by_organizer`` line.
- ``import``: everything else. The register import and the demo seed write
  one audit line for a whole file, not one per row, and rows typed into the
  Django admin leave none; all of these are register persons, like imports,
  so the guess cannot give a join code more than it could claim before.

Pending requests also get the register person their name matches, if one is
unlinked in that household (the name compared without spaces, full-width
forms folded and case ignored), so the queue shows what matched.
"""

import unicodedata
from datetime import timedelta

from django.db import migrations

CHUNK = 1000
SAME_MOMENT = timedelta(minutes=1)


def _targets(AuditEntry, action):
    rows = AuditEntry.objects.filter(target_type="families.resident", action=action)
    return {int(pk): when for pk, when in rows.values_list("target_id", "created_at") if pk.isdigit()}


def _update(Resident, ids, **values):
    ids = sorted(ids)
    for start in range(0, len(ids), CHUNK):
        Resident.objects.filter(pk__in=ids[start : start + CHUNK]).update(**values)


def _key(name):
    return "".join(unicodedata.normalize("NFKC", name or "").split()).casefold()


def classify(apps, schema_editor):
    Resident = apps.get_model("families", "Resident")
    AuditEntry = apps.get_model("families", "AuditEntry")

    Resident.objects.update(source="import")
    _update(Resident, _targets(AuditEntry, "member.added_by_organizer"), source="organizer")

    requests = set(_targets(AuditEntry, "household.join_requested"))
    joined = _targets(AuditEntry, "household.joined_by_code")
    joined_ids = sorted(joined)
    for start in range(0, len(joined_ids), CHUNK):
        for pk, created in Resident.objects.filter(pk__in=joined_ids[start : start + CHUNK]).values_list(
            "pk", "created_at"
        ):
            if abs(joined[pk] - created) <= SAME_MOMENT:
                requests.add(pk)
    requests |= set(Resident.objects.filter(status="pending", user__isnull=False).values_list("pk", flat=True))
    _update(Resident, requests, source="request")

    for request in Resident.objects.filter(source="request", status="pending"):
        match = next(
            (
                person
                for person in Resident.objects.filter(
                    household_id=request.household_id, user__isnull=True, source__in=["import", "organizer"]
                ).exclude(status="removed").order_by("pk")
                if _key(person.full_name) == _key(request.full_name)
            ),
            None,
        )
        if match is not None:
            Resident.objects.filter(pk=request.pk).update(matched_person=match)


def forget(apps, schema_editor):
    Resident = apps.get_model("families", "Resident")
    Resident.objects.update(source="organizer", matched_person=None)


class Migration(migrations.Migration):
    dependencies = [
        ("families", "0004_resident_source_and_join_requests"),
    ]

    operations = [
        migrations.RunPython(classify, forget),
    ]
