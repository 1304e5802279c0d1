"""Existing data joins one community: named by COMMUNITY_NAME (or "本社区"), its grids its first-level grids, its
households moved in on the day they were entered; today's organizers without a grid get the street, so nobody
loses access on upgrade (grid workers stay grid workers)."""

from django.conf import settings
from django.db import migrations
from django.db.models import Q
from django.db.models.functions import TruncDate


def forwards(apps, schema_editor):
    Community = apps.get_model("families", "Community")
    Grid = apps.get_model("families", "Grid")
    Household = apps.get_model("families", "Household")
    GridAssignment = apps.get_model("families", "GridAssignment")
    CommunityAssignment = apps.get_model("families", "CommunityAssignment")
    User = apps.get_model(*settings.AUTH_USER_MODEL.split("."))

    if Grid.objects.filter(community__isnull=True).exists():
        name = getattr(settings, "COMMUNITY_NAME", "") or "本社区"
        community, _created = Community.objects.get_or_create(
            name=name, defaults={"slug": "main", "committee_name": f"{name}居民委员会"}
        )
        Grid.objects.filter(community__isnull=True).update(community=community, level=1, parent=None)
    # The day (in the site's time zone) each household was entered: the best "moved in" the register knows.
    Household.objects.filter(moved_in_on__isnull=True).update(moved_in_on=TruncDate("created_at"))

    organizers = User.objects.filter(Q(is_staff=True) | Q(is_superuser=True) | Q(groups__name="organizer"))
    unplaced = (
        organizers.exclude(pk__in=GridAssignment.objects.values("user"))
        .exclude(pk__in=CommunityAssignment.objects.values("user"))
        .distinct()
    )
    CommunityAssignment.objects.bulk_create(
        [CommunityAssignment(user_id=pk, community=None) for pk in unplaced.values_list("pk", flat=True)]
    )


class Migration(migrations.Migration):
    dependencies = [
        ("families", "0010_communities_and_grid_levels"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
