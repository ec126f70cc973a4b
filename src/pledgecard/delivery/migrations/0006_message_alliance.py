import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0005_job"),
        ("delivery", "0005_notify_api_key_encrypted"),
    ]

    operations = [
        migrations.AddField(
            model_name="message",
            name="alliance",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="outbox_messages",
                to="core.alliance",
            ),
        ),
    ]
