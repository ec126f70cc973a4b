import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from pledgecard.core import people


def summary_lines(found: people.Found) -> list[str]:
    lines = []
    for name, records in found.held.items():
        if records:
            kinds = sorted({str(r.get("what", "record")) for r in records})
            lines.append(f"  {name}: {len(records)} ({', '.join(kinds)})")
    return lines


class Command(BaseCommand):
    help = (
        "A person's data across the installation: `people export EMAIL --out FILE.json` writes everything "
        "held about that address; `people erase EMAIL [--yes]` deletes or anonymises it."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        export = sub.add_parser("export", help="Write everything held about EMAIL to a JSON file.")
        export.add_argument("email")
        export.add_argument("--out", required=True, help="The JSON file to write ('-' for the screen).")
        erase = sub.add_parser("erase", help="Delete or anonymise everything held about EMAIL.")
        erase.add_argument("email")
        erase.add_argument("--yes", action="store_true", help="Erase without asking (for scripts).")

    def handle(self, *args, action, email, **options):
        email = people.email_clean(email)
        if not email or "@" not in email:
            raise CommandError("Give an email address.")
        if action == "export":
            self.export(email, options["out"])
        else:
            self.erase(email, options["yes"])

    def export(self, email: str, out: str):
        document = people.people_export(email, via="cli")
        text = people.export_json(document)
        if out == "-":
            self.stdout.write(text, ending="")
        else:
            Path(out).write_text(text, encoding="utf-8")
        if document.get("nothing_held"):
            self.stderr.write(f"Nothing is held about {email}." + ("" if out == "-" else f" {out} says so."))
        elif out != "-":
            total = sum(len(records) for records in document["data"].values())
            self.stdout.write(f"Wrote {total} records about {email} to {out}.")

    def erase(self, email: str, yes: bool):
        found = people.people_find(email)
        if not found.matched:
            people.people_erase(email, via="cli")  # recorded as asked for, with nothing to erase
            self.stdout.write(f"Nothing is held about {email}: nothing was erased.")
            return
        lines = summary_lines(found)
        self.stdout.write(f"Held about {email}:\n" + "\n".join(lines))
        if not yes:
            if not sys.stdin.isatty():
                raise CommandError(
                    "Not erased: add --yes to erase without being asked (no terminal to ask on)."
                )
            answer = input(f"Erase everything above about {email}? This cannot be undone. Type 'yes': ")
            if answer.strip().lower() != "yes":
                raise CommandError("Not erased.")
        report = people.people_erase(email, via="cli")
        self.stdout.write(f"Erased: {report.total_changed} rows deleted or anonymised.")
        for name, count in report.changed.items():
            self.stdout.write(f"  {name}: {count}")
        for note in report.kept:
            self.stdout.write(f"Kept: {note}")
        self.stdout.write(f"The audit log records the erasure as {report.subject} (not the address).")
