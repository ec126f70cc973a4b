"""Secrets at rest (a GOV.UK Notify API key): encrypted with a key from the environment, never in clear.

Fernet (from `cryptography`: AES-128-CBC with HMAC-SHA256, authenticated) with the keys in
PLEDGECARD_ENCRYPTION_KEY, comma-separated: the first encrypts, every one decrypts (MultiFernet), so a key is
rotated by putting a new one first, running `pledgecard secrets rotate`, then removing the old one.
In development, without the variable, a key is derived from SECRET_KEY; in production the variable is required
(`pledgecard check --deploy` says so, and nothing is encrypted or decrypted without it).
"""

import base64

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.db import models

PREFIX = "fernet:"


class CannotDecrypt(ImproperlyConfigured):
    pass


def _derived_key(secret: str) -> bytes:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"pledgecard secrets at rest").derive(
        secret.encode()
    )
    return base64.urlsafe_b64encode(key)


def configured_keys() -> list[str]:
    return [k.strip() for k in settings.PLEDGECARD_ENCRYPTION_KEY.split(",") if k.strip()]


def _fernet() -> MultiFernet:
    keys = configured_keys()
    if not keys:
        if settings.PRODUCTION:
            raise ImproperlyConfigured("PLEDGECARD_ENCRYPTION_KEY is required in production (see README).")
        keys = [_derived_key(settings.SECRET_KEY).decode()]
    try:
        return MultiFernet([Fernet(k) for k in keys])
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"PLEDGECARD_ENCRYPTION_KEY holds a key that is not a Fernet key: {exc}"
        ) from exc


def encrypt(plain: str) -> str:
    return PREFIX + _fernet().encrypt(plain.encode()).decode()


def decrypt(stored: str) -> str:
    if not stored.startswith(PREFIX):
        raise CannotDecrypt("A secret in the database is not encrypted: run `pledgecard migrate`.")
    try:
        return _fernet().decrypt(stored[len(PREFIX) :].encode()).decode()
    except InvalidToken as exc:
        raise CannotDecrypt(
            "A secret in the database cannot be decrypted with PLEDGECARD_ENCRYPTION_KEY: it was encrypted "
            "with another key. Put that key back (after the new one, comma-separated) and run "
            "`pledgecard secrets rotate`, or enter the secret again."
        ) from exc


class EncryptedTextField(models.TextField):
    """A text column whose value is encrypted in the database and plain in Python. Cannot be searched."""

    def from_db_value(self, value, expression, connection):
        return value if value is None or value == "" else decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return value if value is None or value == "" else encrypt(value)


def encrypted_fields():
    """(model, field name) for every encrypted column, for `pledgecard secrets rotate`."""
    from django.apps import apps

    return [
        (model, f.name)
        for model in apps.get_models()
        for f in model._meta.fields
        if isinstance(f, EncryptedTextField)
    ]


@checks.register(checks.Tags.security, deploy=True)
def check_encryption_key(app_configs, **kwargs):
    errors = []
    if settings.PRODUCTION and not configured_keys():
        errors.append(
            checks.Error(
                "PLEDGECARD_ENCRYPTION_KEY is not set: secrets in the database (GOV.UK Notify API keys) "
                "cannot be encrypted or decrypted.",
                hint='Make one with: python -c "from cryptography.fernet import Fernet; '
                'print(Fernet.generate_key().decode())", and keep it apart from database backups.',
                id="pledgecard.E101",
            )
        )
    for key in configured_keys():
        try:
            Fernet(key)
        except ValueError:
            errors.append(
                checks.Error(
                    "PLEDGECARD_ENCRYPTION_KEY holds a key that is not a Fernet key "
                    "(32 bytes, URL-safe base64).",
                    id="pledgecard.E102",
                )
            )
    return errors
