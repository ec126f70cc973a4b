from django.db import migrations

SECTORS = [
    "NHS",
    "Local authority",
    "Voluntary and community sector",
    "Education",
    "Police",
    "Housing",
    "Business",
    "Other",
]


def seed(apps, schema_editor):
    Sector = apps.get_model("core", "Sector")
    for position, name in enumerate(SECTORS):
        Sector.objects.get_or_create(name=name, defaults={"position": position})


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
