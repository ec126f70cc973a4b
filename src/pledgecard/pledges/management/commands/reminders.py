import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from pledgecard.core import formats
from pledgecard.events.models import Event
from pledgecard.pledges import services


class Command(BaseCommand):
    help = "See and move an event's reminders: `reminders status SLUG`, `reminders reschedule SLUG YYYY-MM-DD`."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        status = sub.add_parser("status", help="Count the event's reminders by status.")
        status.add_argument("event_slug")
        move = sub.add_parser("reschedule", help="Move the day the event's scheduled reminders go out.")
        move.add_argument("event_slug")
        move.add_argument("date", help="The new day, YYYY-MM-DD")

    def handle(self, *args, action, event_slug, **options):
        event = Event.objects.filter(slug=event_slug).first()
        if event is None:
            raise CommandError(f"There is no event '{event_slug}'.")
        if action == "reschedule":
            try:
                day = dt.date.fromisoformat(options["date"])
            except ValueError as exc:
                raise CommandError(f"'{options['date']}' is not a date. Write it as YYYY-MM-DD.") from exc
            if day < timezone.localdate():
                raise CommandError("The new day must be today or later.")
            moved = services.event_reminders_reschedule(event, day)
            self.stdout.write(f"Moved {moved} scheduled reminders to "
                              f"{formats.local_datetime(event.reminder_due_at, event.time_zone)} ({event.time_zone}).")
        else:
            counts = services.event_reminder_counts(event)
            self.stdout.write(f"Reminders for '{event.slug}', due {formats.local_datetime(event.reminder_due_at, event.time_zone)}:")
            for status, n in counts.items():
                self.stdout.write(f"  {status:<10} {n}")
            self.stdout.write(f"  {'total':<10} {sum(counts.values())}")
