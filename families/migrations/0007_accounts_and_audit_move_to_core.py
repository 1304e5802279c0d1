"""The account profile and the audit log move to the core (project.Profile, project.AuditEntry).

Only Django's idea of the models moves: the tables ``families_profile`` and
``families_auditentry`` and their rows stay where they are, and the core's
models name them (``db_table``). project 0003 takes them over; here they leave
the register's state, touching nothing in the database.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("families", "0006_register_import_keeps_its_check"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="AuditEntry"),
                migrations.DeleteModel(name="Profile"),
            ],
            database_operations=[],
        ),
    ]
