from django.core.management.base import BaseCommand
from django.db import transaction

from pledgecard.core import crypto


class Command(BaseCommand):
    help = (
        "Secrets at rest: `secrets rotate` encrypts every stored secret again with the first key in "
        "PLEDGECARD_ENCRYPTION_KEY (run it after putting a new key first; then remove the old key)."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("rotate")

    def handle(self, *args, action, **options):
        total = 0
        with transaction.atomic():
            for model, name in crypto.encrypted_fields():
                # Read with every key (the field decrypts), written with the first (the field encrypts).
                for pk, plain in list(model.objects.values_list("pk", name)):
                    model.objects.filter(pk=pk).update(**{name: plain})
                    total += 1
        self.stdout.write(f"Encrypted {total} secret{'s' if total != 1 else ''} again with the first key.")
