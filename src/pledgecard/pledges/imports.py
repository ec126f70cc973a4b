"""Paper postcards from a CSV file: check every row first, then save all of them or none."""

import csv
import io
from dataclasses import dataclass, field

from django.db import transaction

from pledgecard.core.csv import cells_too_long
from pledgecard.pledges import services
from pledgecard.pledges.forms import ImportRowForm
from pledgecard.pledges.models import Postcard

REQUIRED_COLUMNS = ["name", "email", "organisation", "sector", "learnt", "commitment", "reminder"]
OPTIONAL_COLUMNS = ["theme", "share"]
MAX_ROWS = 20_000


class ImportError_(Exception):
    """The file as a whole cannot be read (not a CSV, wrong encoding, missing columns)."""


@dataclass
class ImportReport:
    errors: list[tuple[int, str]] = field(default_factory=list)
    created: int = 0
    already_there: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors

    def error_list(self, limit: int = 50) -> list[dict]:
        """The error summary's list: "Line n: problem", each linking to the file input."""
        return [
            {"text": (f"Line {line}: " if line else "") + text, "href": "#file"} for line, text in self.errors[:limit]
        ]


def _decode(data: bytes) -> str:
    # Files saved from Excel start with a byte-order mark; older ones may be Windows-1252.
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError as exc:
            raise ImportError_("The file is not text. Save it from your spreadsheet as ‘CSV UTF-8’.") from exc


def read_rows(data: bytes) -> list[tuple[int, dict]]:
    text = _decode(data)
    if "\x00" in text:
        raise ImportError_("The file is not a CSV file. Save it from your spreadsheet as ‘CSV UTF-8’.")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        header = reader.fieldnames
    except csv.Error as exc:
        raise ImportError_("The header row could not be read as CSV. Save the file as ‘CSV UTF-8’.") from exc
    if not header:
        raise ImportError_("The file is empty. It needs a header row: " + ", ".join(REQUIRED_COLUMNS + OPTIONAL_COLUMNS))
    columns = {(name or "").strip().lower(): name for name in reader.fieldnames}
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise ImportError_(f"The header row is missing the column{'s' if len(missing) > 1 else ''}: {', '.join(missing)}")
    rows = []
    try:
        for row in reader:
            line = reader.line_num
            if len(rows) >= MAX_ROWS:
                raise ImportError_(f"The file has more than {MAX_ROWS:,} rows. Split it into smaller files.")
            values = {
                c: (row.get(columns[c]) or "").strip() for c in REQUIRED_COLUMNS + OPTIONAL_COLUMNS if c in columns
            }
            if not any(values.values()):
                continue  # blank lines at the end of a spreadsheet
            too_long = cells_too_long([(line, [row.get(name) for name in reader.fieldnames])])
            if too_long:
                raise ImportError_(too_long)
            values["reminder"] = values.get("reminder", "").lower()
            values["share"] = values.get("share", "").lower()
            rows.append((line, values))
    except csv.Error as exc:
        # A cell over the csv module's size limit (a quote left open swallows the rest of the file).
        raise ImportError_(
            f"The file could not be read as CSV near line {reader.line_num}: a cell is too long, "
            "or a quote mark is not closed."
        ) from exc
    return rows


def postcards_import(*, event, data: bytes, created_by=None) -> ImportReport:
    """Import postcards; with any bad row, nothing is saved and every problem is reported by line."""
    report = ImportReport()
    try:
        rows = read_rows(data)
    except ImportError_ as exc:
        report.errors.append((0, str(exc)))
        return report
    checked = []
    for line, values in rows:
        form = ImportRowForm(values)
        if form.is_valid():
            checked.append(form.words())
        else:
            for name, errors in form.errors.items():
                report.errors.append((line, f"{name}: {errors[0]}"))
    if not rows:
        report.errors.append((0, "The file has a header row but no postcards."))
    if report.errors:
        return report
    with transaction.atomic():
        for words in checked:
            written = services.postcard_write(
                event=event, words=words, source=Postcard.Source.IMPORT, created_by=created_by,
                send_confirmation=False,
            )
            if written.created:
                report.created += 1
            else:
                report.already_there += 1
    return report
