"""GOV.UK Notify API keys are stored encrypted (core/crypto.py): existing keys are encrypted in place."""

from django.db import migrations, models

import pledgecard.core.crypto


def encrypt_keys(apps, schema_editor):
    from pledgecard.core import crypto

    NotifySettings = apps.get_model("delivery", "NotifySettings")
    for pk, stored in NotifySettings.objects.values_list("pk", "api_key"):
        if stored and not stored.startswith(crypto.PREFIX):
            NotifySettings.objects.filter(pk=pk).update(api_key=crypto.encrypt(stored))


def decrypt_keys(apps, schema_editor):
    from pledgecard.core import crypto

    NotifySettings = apps.get_model("delivery", "NotifySettings")
    for pk, stored in NotifySettings.objects.values_list("pk", "api_key"):
        if stored.startswith(crypto.PREFIX):
            NotifySettings.objects.filter(pk=pk).update(api_key=crypto.decrypt(stored))


class Migration(migrations.Migration):
    dependencies = [("delivery", "0004_message_subject")]

    operations = [
        # Plain text first (an encrypted key is longer than 200 characters), then encrypt the rows as they
        # are,
        # then the column becomes the encrypted field (same type in the database: nothing else changes).
        migrations.AlterField("notifysettings", "api_key", models.TextField()),
        migrations.RunPython(encrypt_keys, decrypt_keys),
        migrations.AlterField("notifysettings", "api_key", pledgecard.core.crypto.EncryptedTextField()),
    ]
