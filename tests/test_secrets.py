"""Secrets at rest: a GOV.UK Notify API key is stored encrypted with a key from the environment; the migration
encrypts keys saved before; rotation; production refuses to run without the key."""

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from pledgecard.core import crypto
from pledgecard.delivery.models import NotifySettings

from .test_security import _check_deploy, _production_env

pytestmark = pytest.mark.django_db

# The shape of a Notify key: name, service id, secret.
KEY = "pledgecard_test-0a2d4c3e-5f6a-4b7c-8d9e-0f1a2b3c4d5e-9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a"


def _raw() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT api_key FROM delivery_notifysettings")
        return cursor.fetchone()[0]


def _saved(alliance) -> NotifySettings:
    return NotifySettings.objects.create(alliance=alliance, api_key=KEY, callback_token="t" * 32)  # noqa: S106


def test_the_column_holds_ciphertext_and_the_model_the_key(alliance):
    _saved(alliance)
    raw = _raw()
    assert raw.startswith(crypto.PREFIX) and KEY not in raw and KEY[-36:] not in raw and KEY[-4:] not in raw
    row = NotifySettings.objects.get()
    assert row.api_key == KEY and row.key_last4 == KEY[-4:] and row.service_id == KEY[-73:-37]
    # Saving again encrypts again (a fresh IV): the same key never gives the same column twice.
    row.save()
    assert _raw() != raw and NotifySettings.objects.get().api_key == KEY


def test_another_key_cannot_read_it(alliance, settings):
    _saved(alliance)
    settings.PLEDGECARD_ENCRYPTION_KEY = Fernet.generate_key().decode()
    with pytest.raises(crypto.CannotDecrypt, match="another key"):
        NotifySettings.objects.get()


def test_rotation_encrypts_again_with_the_new_key(alliance, settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.PLEDGECARD_ENCRYPTION_KEY = old
    _saved(alliance)
    settings.PLEDGECARD_ENCRYPTION_KEY = f"{new},{old}"
    assert NotifySettings.objects.get().api_key == KEY  # both keys read it
    call_command("secrets", "rotate")
    settings.PLEDGECARD_ENCRYPTION_KEY = new
    assert NotifySettings.objects.get().api_key == KEY  # the old key is no longer needed
    settings.PLEDGECARD_ENCRYPTION_KEY = old
    with pytest.raises(crypto.CannotDecrypt):
        NotifySettings.objects.get()


def test_production_without_the_key_neither_encrypts_nor_passes_the_deploy_check(settings, tmp_path):
    settings.PRODUCTION, settings.PLEDGECARD_ENCRYPTION_KEY = True, ""
    with pytest.raises(ImproperlyConfigured, match="PLEDGECARD_ENCRYPTION_KEY"):
        crypto.encrypt("secret")
    assert [e.id for e in crypto.check_encryption_key(None)] == ["pledgecard.E101"]
    env = _production_env(tmp_path)
    del env["PLEDGECARD_ENCRYPTION_KEY"]
    result = _check_deploy(env)
    assert result.returncode != 0 and "pledgecard.E101" in result.stdout + result.stderr
    result = _check_deploy(_production_env(tmp_path, PLEDGECARD_ENCRYPTION_KEY="not-a-fernet-key"))
    assert result.returncode != 0 and "pledgecard.E102" in result.stdout + result.stderr


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_migration_encrypts_keys_saved_in_clear(alliance):
    before, after = [("delivery", "0004_message_subject")], [("delivery", "0005_notify_api_key_encrypted")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old_apps = executor.loader.project_state(before).apps
    old_apps.get_model("delivery", "NotifySettings").objects.create(
        alliance_id=alliance.pk, api_key=KEY, callback_token="t" * 32
    )  # noqa: S106
    assert _raw() == KEY
    executor = MigrationExecutor(connection)
    executor.migrate(after)
    assert _raw().startswith(crypto.PREFIX) and KEY not in _raw()
    assert NotifySettings.objects.get().api_key == KEY
    # And back: unapplying it leaves the key as it was.
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    assert _raw() == KEY
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    assert NotifySettings.objects.get().api_key == KEY
