"""The register's phone numbers in E.164, like the accounts' (project.phones.to_e164).

The register kept national digits (``13812345678``, ``01012345678``); they
become ``+8613812345678`` and ``+861012345678``, so the join table compares a
register number and an account's number as one value. A value that is not a
phone number is kept as it was, and the migration's output names those rows by
id (never the numbers), for an organizer to correct. Going back writes the
national digits again.
"""

from django.db import migrations

from project.phones import for_people, to_e164

CHUNK = 2000


def _convert(apps, convert, *, report: bool) -> None:
    Resident = apps.get_model("families", "Resident")
    changed, kept = [], []
    for pk, phone in Resident.objects.exclude(phone="").values_list("pk", "phone").iterator(chunk_size=CHUNK):
        stored = convert(phone)
        if stored is None:
            kept.append(pk)
        elif stored != phone:
            changed.append(Resident(pk=pk, phone=stored))
        if len(changed) >= CHUNK:
            Resident.objects.bulk_update(changed, ["phone"])
            changed = []
    Resident.objects.bulk_update(changed, ["phone"])
    if kept and report:
        print(f"\n  register persons whose phone was kept as it was (not a phone number): ids {kept}")


def forwards(apps, schema_editor):
    _convert(apps, to_e164, report=True)


def backwards(apps, schema_editor):
    _convert(apps, lambda phone: for_people(phone) if to_e164(phone) else None, report=False)


class Migration(migrations.Migration):
    dependencies = [
        ("families", "0007_accounts_and_audit_move_to_core"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards, elidable=True),
    ]
