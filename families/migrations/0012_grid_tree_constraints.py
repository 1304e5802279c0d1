"""The tree's rules in the database, now that every grid has its community and every household its move-in day."""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("families", "0011_existing_register_joins_one_community"),
    ]

    operations = [
        migrations.AlterField(
            model_name="grid",
            name="community",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="grids",
                to="families.community",
                verbose_name="community",
            ),
        ),
        migrations.AlterField(
            model_name="grid",
            name="name",
            field=models.CharField(max_length=50, verbose_name="name"),
        ),
        migrations.AlterField(
            model_name="household",
            name="moved_in_on",
            field=models.DateField(default=django.utils.timezone.localdate, verbose_name="moved in"),
        ),
        migrations.AddConstraint(
            model_name="grid",
            constraint=models.CheckConstraint(
                condition=models.Q(("level", 1), ("parent__isnull", True))
                | models.Q(("level", 2), ("parent__isnull", False)),
                name="grid_level_parent",
            ),
        ),
        migrations.AddConstraint(
            model_name="grid",
            constraint=models.UniqueConstraint(
                condition=models.Q(("parent__isnull", True)),
                fields=("community", "name"),
                name="grid_unique_name_in_community",
            ),
        ),
        migrations.AddConstraint(
            model_name="grid",
            constraint=models.UniqueConstraint(fields=("parent", "name"), name="grid_unique_name_in_parent"),
        ),
        migrations.RemoveConstraint(model_name="household", name="household_unique_door_per_building"),
        migrations.AddConstraint(
            model_name="household",
            constraint=models.UniqueConstraint(
                condition=models.Q(("moved_out_on__isnull", True)),
                fields=("building", "door_label"),
                name="household_unique_door_per_building",
            ),
        ),
        migrations.AddConstraint(
            model_name="household",
            constraint=models.CheckConstraint(
                condition=models.Q(("moved_out_on__isnull", True))
                | models.Q(("moved_out_on__gte", models.F("moved_in_on"))),
                name="household_moves_out_after_moving_in",
            ),
        ),
    ]
