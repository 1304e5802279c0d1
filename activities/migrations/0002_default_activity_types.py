from django.db import migrations

TYPES = [
    ("环境整治", "Environment clean-up"),
    ("助老", "Elder care"),
    ("文明劝导", "Civility patrol"),
    ("便民服务", "Neighbourhood services"),
]


def add_types(apps, schema_editor):
    ActivityType = apps.get_model("activities", "ActivityType")
    for order, (name, name_en) in enumerate(TYPES):
        ActivityType.objects.get_or_create(name=name, defaults={"name_en": name_en, "sort_order": order})


class Migration(migrations.Migration):
    dependencies = [("activities", "0001_initial")]

    operations = [migrations.RunPython(add_types, migrations.RunPython.noop)]
