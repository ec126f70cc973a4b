"""An event's registrations as CSV or XLSX: one row per registration, with spreadsheet formula escaping.

The columns are those the import reads (`first_name`, `last_name`, `email`, ...), so an exported file can be
imported again, into the same event (it updates nobody that has not changed) or into another. Access needs and
dietary requirements are special-category data and never leave in a file.
"""

import csv
import datetime as dt

from pledgecard.core.csv import escape_formula
from pledgecard.events.models import Event

COLUMNS = [
    "first_name",
    "last_name",
    "email",
    "organisation",
    "sector",
    "role",
    "status",
    "group",
    "registered_at",
    "checked_in_at",
    "source",
    "external_ref",
]


def split_name(name: str) -> tuple[str, str]:
    """Registration keeps one name: first names are everything before the last space."""
    first, _, last = " ".join(name.split()).rpartition(" ")
    return (first, last) if first else (last, "")


def rows(event: Event):
    """Each registration as a list of values (datetimes in the event's time zone, without the zone)."""
    tz = event.zone

    def local(moment):
        return moment.astimezone(tz).replace(tzinfo=None, microsecond=0) if moment else None

    registrations = event.registrations.select_related("sector").order_by("name", "pk")
    for r in registrations.iterator(chunk_size=2000):
        first, last = split_name(r.name)
        yield [
            first,
            last,
            r.email,
            r.organisation,
            r.sector.name,
            r.role,
            r.status,
            r.group,
            local(r.created_at),
            local(r.checked_in_at),
            r.source,
            r.external_ref,
        ]


def _cell(value) -> str:
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ", timespec="minutes")  # 2024-11-29 22:28: the same in every country
    return escape_formula(value)


def write_csv(event: Event, out) -> int:
    """Write the CSV (with a byte-order mark, so Excel reads it as UTF-8) to a text stream; returns rows."""
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    count = 0
    for values in rows(event):
        writer.writerow(_cell(v) for v in values)
        count += 1
    return count


def write_xlsx(event: Event, out) -> int:
    """Write an XLSX workbook to a binary stream; returns rows. Dates are real dates; no cell is a formula."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Attendees")
    sheet.append(COLUMNS)
    count = 0
    for values in rows(event):
        cells = []
        for value in values:
            if isinstance(value, dt.datetime):
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = "yyyy-mm-dd hh:mm"
            else:
                # The same escaping as CSV: a value that starts like a formula gets a leading apostrophe,
                # so it stays text when the sheet is saved as CSV or its cell is edited.
                cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", escape_formula(value)))
                cell.data_type = "s"
            cells.append(cell)
        sheet.append(cells)
        count += 1
    workbook.save(out)
    return count
