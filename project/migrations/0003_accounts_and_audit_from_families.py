"""The account profile and the audit log become the core's (they were the families app's).

The tables and their rows stay (``families_profile``, ``families_auditentry``):
the models are created in the core's state only (``SeparateDatabaseAndState``),
after families 0007 dropped them from the register's state. The content types
follow (renamed from ``families`` to ``project``, same ids), so the permissions
that point at them, the organizer group holding those permissions, admin log
lines, form tokens and notices that name them all keep working.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

MOVED = ("profile", "auditentry")


def _move_content_types(apps, from_label: str, to_label: str) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MOVED:
        old = ContentType.objects.filter(app_label=from_label, model=model).first()
        if old is None:
            continue  # a new database: the content types are created after the migrations
        # A stale row under the new label (a database migrated back and forth) gives way to the one in use.
        ContentType.objects.filter(app_label=to_label, model=model).delete()
        old.app_label = to_label
        old.save(update_fields=["app_label"])


def forwards(apps, schema_editor):
    _move_content_types(apps, "families", "project")


def backwards(apps, schema_editor):
    _move_content_types(apps, "project", "families")


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        # Permissions and admin log lines point at content types: known here, so a stale one is deleted cleanly.
        ("auth", "0012_alter_user_first_name_max_length"),
        ("admin", "0003_logentry_add_action_flag_choices"),
        ("families", "0007_accounts_and_audit_move_to_core"),
        ("project", "0002_notices"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Profile",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("full_name", models.CharField(blank=True, max_length=50, verbose_name="full name")),
                        (
                            "phone",
                            models.CharField(
                                blank=True, max_length=20, null=True, unique=True, verbose_name="mobile number"
                            ),
                        ),
                        ("phone_verified", models.BooleanField(default=False, verbose_name="mobile number verified")),
                        (
                            "user",
                            models.OneToOneField(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="profile",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "profile",
                        "verbose_name_plural": "profiles",
                        "db_table": "families_profile",
                    },
                ),
                migrations.CreateModel(
                    name="AuditEntry",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("actor_name", models.CharField(blank=True, max_length=150, verbose_name="who")),
                        ("action", models.CharField(db_index=True, max_length=60, verbose_name="action")),
                        ("target_type", models.CharField(blank=True, max_length=60, verbose_name="object type")),
                        ("target_id", models.CharField(blank=True, max_length=40, verbose_name="object id")),
                        ("target_repr", models.CharField(blank=True, max_length=200, verbose_name="object")),
                        ("details", models.JSONField(blank=True, default=dict, verbose_name="details")),
                        (
                            "created_at",
                            models.DateTimeField(db_index=True, default=django.utils.timezone.now, verbose_name="when"),
                        ),
                        (
                            "actor",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="who",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "audit entry",
                        "verbose_name_plural": "audit log",
                        "db_table": "families_auditentry",
                        "ordering": ["-created_at", "-id"],
                        "indexes": [
                            models.Index(fields=["target_type", "target_id"], name="families_au_target__54d9af_idx")
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(forwards, backwards),
    ]
