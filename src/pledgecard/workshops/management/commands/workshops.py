from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from pledgecard.allocation.csvfiles import FileProblems
from pledgecard.events.models import Event
from pledgecard.workshops.imports import choices_import


class Command(BaseCommand):
    help = "Workshop choices: `workshops import-choices EVENT_SLUG FILE.csv` (columns email, choice_1, choice_2, ...)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        do_import = sub.add_parser("import-choices")
        do_import.add_argument("event_slug")
        do_import.add_argument("file", type=Path)

    def handle(self, *args, action, event_slug, file, **options):
        event = Event.objects.filter(slug=event_slug).first()
        if event is None:
            raise CommandError(f"There is no event '{event_slug}'.")
        try:
            count = choices_import(event, file.read_bytes(), name=str(file))
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror}") from exc
        except FileProblems as exc:
            raise CommandError(f"Nothing imported. Problems in {exc}") from None
        self.stdout.write(f"Saved the choices of {count} people for '{event.slug}'.")
