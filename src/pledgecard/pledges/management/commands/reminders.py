import datetime as dt
import re
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email
from django.utils import timezone

from pledgecard.core import formats
from pledgecard.delivery.channels import PermanentFailure, TemporaryFailure
from pledgecard.delivery.models import NotifySettings
from pledgecard.events.models import Event
from pledgecard.pledges import reminder_test, services

HH_MM = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


class Command(BaseCommand):
    help = ("See, move and try an event's reminders: `reminders status SLUG`, "
            "`reminders reschedule SLUG YYYY-MM-DD [--time HH:MM]`, `reminders send-test SLUG EMAIL`.")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        status = sub.add_parser("status", help="Count the event's reminders by status.")
        status.add_argument("event_slug")
        move = sub.add_parser("reschedule", help="Move the day (and time) the event's scheduled reminders go out.")
        move.add_argument("event_slug")
        move.add_argument("date", help="The new day, YYYY-MM-DD, in the event's time zone")
        move.add_argument("--time", dest="send_time", default=None,
                          help="The new time of day, HH:MM in the event's time zone (default: keep the event's)")
        test = sub.add_parser("send-test", help="Send EMAIL the reminder as an attendee gets it, marked as a test.")
        test.add_argument("event_slug")
        test.add_argument("email")

    def handle(self, *args, action, event_slug, **options):
        event = Event.objects.select_related("alliance").filter(slug=event_slug).first()
        if event is None:
            raise CommandError(f"There is no event '{event_slug}'.")
        if action == "reschedule":
            self.reschedule(event, options["date"], options["send_time"])
        elif action == "send-test":
            self.send_test(event, options["email"])
        else:
            counts = services.event_reminder_counts(event)
            self.stdout.write(f"Reminders for '{event.slug}', due {formats.local_datetime(event.reminder_due_at, event.time_zone)}:")
            for status, n in counts.items():
                self.stdout.write(f"  {status:<10} {n}")
            self.stdout.write(f"  {'total':<10} {sum(counts.values())}")

    def reschedule(self, event, date_text: str, time_text: str | None):
        try:
            day = dt.date.fromisoformat(date_text)
        except ValueError as exc:
            raise CommandError(f"'{date_text}' is not a date. Write it as YYYY-MM-DD.") from exc
        at = None
        if time_text is not None:
            match = HH_MM.match(time_text)
            if match is None:
                raise CommandError(f"'{time_text}' is not a time of day. Write it as HH:MM, e.g. 09:30.")
            at = dt.time(int(match[1]), int(match[2]))
        now = timezone.now()
        if day < now.astimezone(ZoneInfo(event.time_zone)).date():
            raise CommandError(f"The new day must be today or later (today in {event.time_zone}).")
        moved = services.event_reminders_reschedule(event, day, at)
        when = formats.local_datetime(event.reminder_due_at, event.time_zone)
        self.stdout.write(f"Moved {moved} scheduled reminders to {when} ({event.time_zone}).")
        if event.reminder_due_at <= now:
            self.stdout.write(
                "That time has already passed today, so they are due now: the worker sends them at once, "
                "on its next sweep."
            )

    def send_test(self, event, email: str):
        try:
            validate_email(email)
        except ValidationError as exc:
            raise CommandError(f"'{email}' is not an email address.") from exc
        try:
            message_id = reminder_test.send_test_reminder(event, email)
        except reminder_test.NotWritten as exc:
            raise CommandError(str(exc)) from exc
        except (TemporaryFailure, PermanentFailure) as exc:
            raise CommandError(f"The test reminder was not sent. {exc}") from exc
        self.stdout.write(f"Sent a test reminder for '{event.slug}' to {email} (Message-ID {message_id}).")
        self.stdout.write("It is the email attendees get, with '[Test]' before its subject and made-up words; "
                          "no attendee's reminder was touched, and its links open nothing (the test postcard "
                          "was not kept).")
        notify = NotifySettings.objects.filter(alliance=event.alliance).first()
        if notify is not None and notify.email_template_id:
            self.stdout.write("This alliance sends reminder emails through GOV.UK Notify: attendees get the same "
                              "subject and words in its email template. The test went by the mail server.")
