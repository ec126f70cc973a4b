import uuid

from django.db import migrations, models

from pledgecard.core import tokens


def give_links(apps, schema_editor):
    Registration = apps.get_model("events", "Registration")
    for registration in Registration.objects.all():
        registration.public_id = uuid.uuid4()
        registration.link_id = uuid.uuid4()
        registration.token_hash = tokens.token_hash(tokens.token_for("registration", registration.link_id))
        registration.save(update_fields=["public_id", "link_id", "token_hash"])


class Migration(migrations.Migration):
    dependencies = [("events", "0001_initial")]

    operations = [
        migrations.AddField("registration", "public_id", models.UUIDField(null=True, editable=False)),
        migrations.AddField("registration", "link_id", models.UUIDField(default=uuid.uuid4)),
        migrations.AddField("registration", "token_hash", models.CharField(max_length=64, null=True)),
        migrations.RunPython(give_links, migrations.RunPython.noop),
        migrations.AlterField(
            "registration", "public_id", models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
        ),
        migrations.AlterField("registration", "token_hash", models.CharField(max_length=64, unique=True)),
    ]
