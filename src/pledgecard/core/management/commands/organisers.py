import secrets

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from pledgecard.core.models import Alliance, Membership, Role


class Command(BaseCommand):
    help = "Add an organiser: `organisers add EMAIL [--alliance SLUG] [--role organiser|facilitator|leader]`."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add")
        add.add_argument("email")
        add.add_argument("--alliance", help="Give them a role in this alliance")
        add.add_argument("--role", choices=Role.values, default=Role.ORGANISER)

    def handle(self, *args, email, alliance, role, **options):
        User = get_user_model()
        email = email.strip().lower()
        with transaction.atomic():
            user = User.objects.filter(email__iexact=email).first()
            password = None
            if user is None:
                password = secrets.token_urlsafe(12)
                user = User.objects.create_user(username=email, email=email, password=password)
                EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
            if alliance:
                found = Alliance.objects.filter(slug=alliance).first()
                if found is None:
                    raise CommandError(f"There is no alliance '{alliance}'.")
                Membership.objects.update_or_create(user=user, alliance=found, defaults={"role": role})
        if password:
            self.stdout.write(f"Created {email} with the one-time password: {password}")
            self.stdout.write("Ask them to sign in, change it, and set up their authenticator app.")
        else:
            self.stdout.write(f"{email} already had an account; role updated.")
