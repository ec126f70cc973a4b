"""`pledgecard demo`: the Reducing Inequalities Alliance's event of 7 November 2023 with synthetic people, and
its later events. Running it again changes nothing: everything is looked up by a natural key first."""

from django.core.management.base import BaseCommand

from pledgecard.demo import first_event, later_events


class Command(BaseCommand):
    help = "Load the demo: the Reducing Inequalities event of 7 November 2023, 140 attendees, and an organiser."

    def handle(self, *args, **options):
        event = first_event.load()
        self.stdout.write(
            self.style.SUCCESS(f"Demo ready: event '{event.slug}' ({event.postcards.count()} postcards).")
        )
        self.stdout.write(
            f"Organiser sign-in: {first_event.DEMO_ORGANISER_EMAIL} / {first_event.DEMO_ORGANISER_PASSWORD}"
        )
        later_events.load(self.stdout)  # later events, follow-ups and meetings for the insights pages; a leader
