from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from pledgecard.events.models import Event
from pledgecard.pledges import imports


class Command(BaseCommand):
    help = "Work with postcards. `postcards import EVENT_SLUG FILE.csv` imports paper postcards."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        do_import = sub.add_parser("import", help="Import postcards from a CSV file (all rows or none).")
        do_import.add_argument("event_slug")
        do_import.add_argument("file", type=Path)

    def handle(self, *args, action, event_slug, file, **options):
        event = Event.objects.filter(slug=event_slug).first()
        if event is None:
            raise CommandError(f"There is no event '{event_slug}'.")
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror}") from exc
        report = imports.postcards_import(event=event, data=data)
        if not report.ok:
            for line, text in report.errors:
                self.stderr.write(f"{file}:{line}: {text}" if line else f"{file}: {text}")
            raise CommandError(f"Nothing imported: {len(report.errors)} problem(s) in {file}.")
        self.stdout.write(f"Imported {report.created} postcards into '{event.slug}' "
                          f"({report.already_there} were already there).")
