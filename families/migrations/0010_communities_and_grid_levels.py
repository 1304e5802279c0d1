"""The street holds communities: the tables and columns, nullable until 0011 fills them."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("families", "0009_register_import_in_tasks"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Community",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=50, unique=True, verbose_name="name")),
                ("slug", models.SlugField(unique=True, verbose_name="short name for addresses")),
                (
                    "committee_name",
                    models.CharField(
                        blank=True,
                        help_text="The residents' committee that issues its papers, for example 幸福里社区居民委员会.",
                        max_length=80,
                        verbose_name="committee",
                    ),
                ),
                ("sort_order", models.PositiveIntegerField(default=0, verbose_name="order")),
            ],
            options={
                "verbose_name": "community",
                "verbose_name_plural": "communities",
                "ordering": ["sort_order", "name"],
            },
        ),
        migrations.AddField(
            model_name="grid",
            name="community",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="grids",
                to="families.community",
                verbose_name="community",
            ),
        ),
        migrations.AddField(
            model_name="grid",
            name="parent",
            field=models.ForeignKey(
                blank=True,
                help_text="Empty for a first-level grid; for a second-level grid, the first-level grid it belongs to.",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="children",
                to="families.grid",
                verbose_name="first-level grid",
            ),
        ),
        migrations.AddField(
            model_name="grid",
            name="level",
            field=models.PositiveSmallIntegerField(default=1, editable=False, verbose_name="level"),
        ),
        migrations.AddField(
            model_name="household",
            name="moved_in_on",
            field=models.DateField(null=True, verbose_name="moved in"),
        ),
        migrations.AddField(
            model_name="household",
            name="moved_out_on",
            field=models.DateField(blank=True, null=True, verbose_name="moved out"),
        ),
        migrations.CreateModel(
            name="CommunityAssignment",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="created")),
                (
                    "community",
                    models.ForeignKey(
                        blank=True,
                        help_text="Empty: the whole street.",
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="assignments",
                        to="families.community",
                        verbose_name="community",
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="community_assignments",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="organizer",
                    ),
                ),
            ],
            options={
                "verbose_name": "community assignment",
                "verbose_name_plural": "community assignments",
                "ordering": ["community__sort_order", "community__name", "user__username"],
                "constraints": [
                    models.UniqueConstraint(fields=("user", "community"), name="community_assignment_unique"),
                    models.UniqueConstraint(
                        condition=models.Q(("community__isnull", True)),
                        fields=("user",),
                        name="community_assignment_one_street",
                    ),
                ],
            },
        ),
    ]
