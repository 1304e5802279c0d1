"""Notices move to the core (project.Notice): every awards notice is copied, then the old table goes.

Each old row becomes a core notice of the same kind, user, read and sent times,
with the values the notices page shows: ``title`` (the round's title, and the
category for a notice about a nomination) and ``detail`` (the reason or answer),
and a link to the nomination or the round (the paths these pages have today).
The "also send notices by email" choice moves to ``project.NoticeSettings``;
"tell me when voting opens" stays here.

Going back recreates the old tables empty: the rows' round and nomination
links cannot be rebuilt from the copies.
"""

from django.db import migrations

BATCH = 2000


def copy_to_core(apps, schema_editor):
    OldNotice = apps.get_model("awards", "Notice")
    NoticePreference = apps.get_model("awards", "NoticePreference")
    Notice = apps.get_model("project", "Notice")
    NoticeSettings = apps.get_model("project", "NoticeSettings")

    batch = []
    rows = OldNotice.objects.select_related("round", "nomination__entry__category").order_by("pk")
    for old in rows.iterator(chunk_size=BATCH):
        if old.nomination_id:
            title = f"{old.round.title} · {old.nomination.entry.category.name}"
            url = f"/nominations/{old.nomination_id}/"
        else:
            title, url = old.round.title, f"/rounds/{old.round_id}/"
        batch.append(
            Notice(
                user_id=old.user_id,
                kind=old.kind,
                params={"title": title, "detail": old.detail},
                url=url,
                read_at=old.read_at,
                created_at=old.created_at,
            )
        )
        if len(batch) >= BATCH:
            Notice.objects.bulk_create(batch)
            batch = []
    Notice.objects.bulk_create(batch)

    NoticeSettings.objects.bulk_create(
        [
            NoticeSettings(user_id=user_id, by_email=by_email)
            for user_id, by_email in NoticePreference.objects.values_list("user_id", "by_email")
        ],
        batch_size=BATCH,
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("awards", "0004_nomination_typed_names_to_be_matched"),
        ("project", "0002_notices"),
    ]

    operations = [
        migrations.RunPython(copy_to_core, migrations.RunPython.noop),
        migrations.RemoveField(
            model_name="noticepreference",
            name="by_email",
        ),
        migrations.DeleteModel(
            name="Notice",
        ),
    ]
