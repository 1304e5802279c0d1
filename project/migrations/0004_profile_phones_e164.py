"""Every account's mobile number in one form, E.164 (project.phones.to_e164).

Profiles stored ``+86…`` already; this makes the rest (any other spelling an
older version let through) the same form. A value that is not a phone number,
or that would become a number another profile already has, is kept as it was,
and the migration's output names the profiles by id (never the numbers).
Going back changes nothing: E.164 was always a valid stored form.
"""

from django.db import migrations

from project.phones import to_e164


def to_e164_everywhere(apps, schema_editor):
    Profile = apps.get_model("project", "Profile")
    taken = set(Profile.objects.exclude(phone=None).exclude(phone="").values_list("phone", flat=True))
    kept = []
    for pk, phone in Profile.objects.exclude(phone=None).exclude(phone="").values_list("pk", "phone").iterator():
        stored = to_e164(phone)
        if stored == phone:
            continue
        if stored is None or stored in taken:
            kept.append(pk)
            continue
        Profile.objects.filter(pk=pk).update(phone=stored)
        taken.discard(phone)
        taken.add(stored)
    if kept:
        print(f"\n  profiles whose mobile number was kept as it was (not a number, or a duplicate): ids {kept}")


class Migration(migrations.Migration):
    dependencies = [
        ("project", "0003_accounts_and_audit_from_families"),
    ]

    operations = [
        migrations.RunPython(to_e164_everywhere, migrations.RunPython.noop, elidable=True),
    ]
