from django.db import migrations

# Core20PLUS5 (NHS England): the most deprived 20% of the population, locally chosen PLUS groups, and five
# clinical areas for adults; and the five for children and young people.
THEMES = [
    ("Most deprived 20%", "adults"),
    ("PLUS groups (locally chosen)", "adults"),
    ("Maternity", "adults"),
    ("Severe mental illness", "adults"),
    ("Chronic respiratory disease", "adults"),
    ("Early cancer diagnosis", "adults"),
    ("Hypertension", "adults"),
    ("Asthma (children)", "children"),
    ("Diabetes (children)", "children"),
    ("Epilepsy (children)", "children"),
    ("Oral health (children)", "children"),
    ("Mental health (children and young people)", "children"),
    ("Other", "other"),
]


def seed(apps, schema_editor):
    Theme = apps.get_model("pledges", "Theme")
    for position, (name, group) in enumerate(THEMES):
        Theme.objects.get_or_create(name=name, defaults={"group": group, "position": position})


class Migration(migrations.Migration):
    dependencies = [("pledges", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
