from django.db import migrations, models


def publish_what_was_already_public(apps, schema_editor):
    # Before moderation, every shared pledge was on the wall the moment it was written: keep showing those.
    Postcard = apps.get_model("pledges", "Postcard")
    Postcard.objects.filter(share_on_wall=True).update(wall_status="published")


class Migration(migrations.Migration):
    dependencies = [("pledges", "0003_postcard_channel")]

    operations = [
        migrations.AddField(
            model_name="postcard",
            name="wall_status",
            field=models.CharField(
                choices=[("pending", "Waiting for approval"), ("published", "Published"), ("hidden", "Hidden")],
                default="pending",
                max_length=10,
            ),
        ),
        migrations.RunPython(publish_what_was_already_public, migrations.RunPython.noop),
    ]
