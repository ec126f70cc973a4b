import io
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from pledgecard.core.models import AuditEntry
from pledgecard.events import exports, imports
from pledgecard.events.models import Event

HELP = """Attendees in and out of an event.

attendees import EVENT_SLUG FILE [--format eventbrite|csv|xlsx] [--dry-run]
  Checks every row, then imports all of them or none, and lists each row's problems.
  --format eventbrite: an Eventbrite attendee report (CSV or XLSX) read with its own column names
    (Order #, First Name, Last Name, Email, Attendee #, Attendee Status, Job Title, Company, ...).
    Only Attending and Checked In attendees are registered; anyone else is not, and an existing
    registration for them is cancelled.
  --format csv / xlsx: any other file, whose header row must name the columns
    first_name, last_name (or name), email, organisation, sector, role
    (optional: status, external_ref, registered_at, group). The web page can match other names.
  Without --format, the file's content decides. Importing the same file again updates people
  (matched by attendee number, else by email address) instead of adding them twice.

attendees export EVENT_SLUG [--format csv|xlsx] [--out FILE]
  One row per registration (first_name, last_name, email, organisation, sector, role, status, ...)
  to FILE, or to standard output: CSV in UTF-8 with a byte-order mark, so that Excel opens it.
  Cells that a spreadsheet would run as a formula are written as text."""


class Command(BaseCommand):
    help = HELP

    def create_parser(self, prog_name, subcommand, **kwargs):
        from argparse import RawDescriptionHelpFormatter

        kwargs.setdefault("formatter_class", RawDescriptionHelpFormatter)
        return super().create_parser(prog_name, subcommand, **kwargs)

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        do_import = sub.add_parser("import", help="Import attendees from a file (all rows or none).")
        do_import.add_argument("event_slug")
        do_import.add_argument("file", type=Path)
        do_import.add_argument(
            "--format",
            choices=["eventbrite", "csv", "xlsx"],
            dest="file_format",
            help="eventbrite: an Eventbrite attendee report (CSV or XLSX); csv/xlsx: columns "
            f"named {imports.GENERIC_COLUMNS}",
        )
        do_import.add_argument("--dry-run", action="store_true", help="check and report, import nothing")
        do_import.add_argument(
            "--send-confirmations",
            action="store_true",
            help="email each newly confirmed person their confirmation and personal link",
        )
        do_export = sub.add_parser("export", help="Write the event's registrations as CSV or XLSX.")
        do_export.add_argument("event_slug")
        do_export.add_argument(
            "--format",
            choices=["csv", "xlsx"],
            dest="file_format",
            help="default: from --out's extension, else csv",
        )
        do_export.add_argument("--out", type=Path, help="file to write (default: standard output)")

    def handle(self, *args, action, event_slug, **options):
        event = Event.objects.select_related("alliance").filter(slug=event_slug).first()
        if event is None:
            raise CommandError(f"There is no event '{event_slug}'.")
        if action == "import":
            self.do_import(
                event,
                options["file"],
                options["file_format"],
                options["dry_run"],
                options["send_confirmations"],
            )
        else:
            self.do_export(event, options["file_format"], options["out"])

    def do_import(self, event, file, file_format, dry_run, send_confirmations):
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror}") from exc
        try:
            table, result = imports.import_file(
                event,
                data,
                format=file_format,
                filename=file.name,
                dry_run=dry_run,
                send_confirmations=send_confirmations,
            )
        except imports.FileProblem as exc:
            raise CommandError(f"Nothing imported. {file}: {exc}") from None
        kind = (
            "an Eventbrite attendee report"
            if result.eventbrite
            else {"csv": "a CSV file", "xlsx": "an XLSX file"}[table.kind]
        )
        for note in result.notes:
            self.stdout.write(f"Note: {note}")
        if not result.ok:
            for line, text in result.problems():
                self.stderr.write(f"{file}:{line}: {text}" if line else f"{file}: {text}")
            raise CommandError(f"Nothing imported: {len(result.problems())} problem(s) in {file} ({kind}).")
        if dry_run:
            self.stdout.write(
                f"Checked {len(result.rows)} rows of {file} ({kind}); nothing imported. "
                f"Importing it would give: {result.summary()}."
            )
        else:
            self.stdout.write(f"Imported {file} ({kind}) into '{event.slug}': {result.summary()}.")

    def do_export(self, event, file_format, out):
        file_format = file_format or ("xlsx" if out and out.suffix.lower() == ".xlsx" else "csv")
        if file_format == "xlsx":
            buffer = io.BytesIO()
            count = exports.write_xlsx(event, buffer)
            data = buffer.getvalue()
        else:
            text = io.StringIO(newline="")
            count = exports.write_csv(event, text)
            data = text.getvalue().encode("utf-8")
        if out is not None:
            try:
                out.write_bytes(data)
            except OSError as exc:
                raise CommandError(f"Cannot write {out}: {exc.strerror}") from exc
            self.stderr.write(f"Wrote {count} registrations to {out}.")
        elif file_format == "xlsx":
            binary = getattr(self.stdout._out, "buffer", None)
            if binary is None or self.stdout.isatty():
                raise CommandError(
                    "An XLSX file is not text: give --out FILE.xlsx, or redirect standard output."
                )
            self.stdout.flush()
            binary.write(data)
            binary.flush()
        else:
            self.stdout.write(data.decode("utf-8"), ending="")
        AuditEntry.objects.create(
            alliance=event.alliance,
            action="attendees.export",
            detail={"event": event.slug, "format": file_format, "rows": count, "by": "cli"},
        )
