import io
import os
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from pledgecard.core.models import Alliance
from pledgecard.events.models import Event
from pledgecard.insights import exports, report, selectors


class Command(BaseCommand):
    help = (
        "An event's or an alliance's figures as CSV (measure,group,count; exact counts): "
        "`insights export EVENT_SLUG --out FILE.csv`, or `insights export --alliance SLUG --out FILE.csv`."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        export = sub.add_parser("export", help="Write the figures to a CSV file.")
        export.add_argument("event_slug", nargs="?", help="the event (leave out with --alliance)")
        export.add_argument("--alliance", help="the whole alliance instead of one event")
        export.add_argument("--year", type=int, help="with --alliance: only the events of this year")
        export.add_argument("--out", required=True, help="the CSV file to write ('-' for the screen)")

    def handle(self, *args, action, event_slug, alliance, year, out, **options):
        if bool(event_slug) == bool(alliance):
            raise CommandError("Give an event's slug, or --alliance SLUG for the whole alliance (not both).")
        if event_slug:
            if year is not None:
                raise CommandError("--year goes with --alliance; an event is already one day.")
            event = Event.objects.select_related("alliance").filter(slug=event_slug).first()
            if event is None:
                raise CommandError(f"There is no event '{event_slug}'.")
            scope = selectors.Scope(event.alliance, event=event)
        else:
            found = Alliance.objects.filter(slug=alliance).first()
            if found is None:
                raise CommandError(f"There is no alliance '{alliance}'.")
            scope = selectors.Scope(found, year=year)
        built = report.build(selectors.figures(scope), exact_counts=True)
        if out == "-":
            text = io.StringIO()
            exports.write_csv(built, text)
            self.stdout.write(text.getvalue().lstrip("\ufeff"), ending="")
        else:
            rows = self._write(built, Path(out))
            self.stderr.write(f"Wrote {rows} figures for {scope.label} to {out}.")

    def _write(self, built, path: Path) -> int:
        """Write next to the target and rename, so a failure never leaves half a file behind."""
        if not path.parent.is_dir():
            raise CommandError(f"There is no folder '{path.parent}' to write {path.name} in.")
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(handle, "w", newline="", encoding="utf-8") as stream:
                rows = exports.write_csv(built, stream)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return rows
