from django.db import migrations

PROMPTS = [
    "What is one inequality you see in your work that others might not?",
    "Where in the district would you most like to see life expectancy change, and why?",
    "Tell each other about a time a service worked really well for someone who usually misses out.",
    "What does ‘the most deprived 20%’ look like on the streets you know?",
    "Which group does your organisation find hardest to reach? What has helped?",
    "What is one thing your organisation could share with the other's?",
    "If you had £1,000 to reduce an inequality tomorrow, what would you spend it on?",
    "What did you learn this morning that surprised you?",
    "Who is missing from this room, and how could we bring them next time?",
    "What would co-production with communities look like in your team?",
    "How do trust and mistrust show up in your work with communities?",
    "What is one small thing you could do together in the next month?",
]


def seed(apps, schema_editor):
    Prompt = apps.get_model("networking", "Prompt")
    for position, text in enumerate(PROMPTS):
        Prompt.objects.get_or_create(alliance=None, text=text, defaults={"position": position})


class Migration(migrations.Migration):
    dependencies = [("networking", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
