from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("delivery", "0007_message_subject_from_foreign_keys")]

    operations = [
        migrations.RemoveField(model_name="message", name="postcard"),
        migrations.RemoveField(model_name="message", name="registration"),
    ]
