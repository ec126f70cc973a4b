"""Attendees from an Eventbrite attendee report, or from any CSV or XLSX file through matched columns.

Three steps, the same for the web pages and the `attendees import` command:

1. `read_table` reads the file (CSV in UTF-8, with or without Excel's byte-order mark, or Windows-1252; or an
   XLSX workbook) into a header row and data rows, or raises `FileProblem` saying what is wrong with the file.
2. `guess_columns` matches the header row to the fields of a registration (`FIELDS`); on the web the organiser
   checks and changes the match.
3. `attendees_import` checks every row first and says what it would do with each (new, update, unchanged,
   cancel, not registered) and what is wrong with it. With any problem, or on a dry run, nothing is written;
   otherwise every row is saved in one transaction.

Re-importing a file updates people instead of duplicating them: a row is the registration with the same
attendee number (Eventbrite's `Attendee #`, kept in `Registration.external_ref`), else the one with the same
email address. In an Eventbrite report only attendees whose status is Attending or Checked In are registered;
anyone else is not registered, and an existing registration for them is cancelled.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
import zipfile
import zoneinfo
from collections import Counter, defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from pledgecard.core import jobs
from pledgecard.core.csv import FORMULA_STARTS, cells_too_long, column_letter
from pledgecard.core.models import AuditEntry, Job, Sector
from pledgecard.events.models import Event, ImportUpload, Registration

Status = Registration.Status

MAX_ROWS = 20_000
MAX_BYTES = 10_000_000  # a 20,000-row Eventbrite report with ten custom questions is about 6 MB
MAX_COLUMNS = 300
MAX_XLSX_UNPACKED = 300_000_000  # a workbook that unpacks to more than this is not an attendee list


class FileProblem(Exception):
    """The file as a whole cannot be imported (not CSV or XLSX, wrong encoding, too big, missing columns)."""


# ----------------------------------------------------------------------------------------------- the fields


def normalise(header: str) -> str:
    """'Attendee #' → 'attendee number', ' E-mail_Address ' → 'e mail address': how headers are compared."""
    text = str(header or "").replace("#", " number ").replace("№", " number ").casefold()
    return " ".join(re.sub(r"[^0-9a-z]+", " ", text).split())


@dataclass(frozen=True)
class Field:
    key: str
    label: str
    hint: str = ""
    # Headers that mean this field: Eventbrite's over the years, and what people call the column.
    synonyms: tuple[str, ...] = ()

    @property
    def names(self) -> set[str]:
        """The names a column must have in a file imported without the matching step (the CLI's csv/xlsx)."""
        names = {normalise(self.key), normalise(self.key).replace(" ", "")}
        return names | {"organization"} if self.key == "organisation" else names


FIELDS = [
    Field(
        "first_name",
        "First name",
        "",
        (
            "first name",
            "firstname",
            "forename",
            "forenames",
            "given name",
            "attendee first name",
            "first name attendee",
        ),
    ),
    Field(
        "last_name",
        "Last name",
        "",
        ("last name", "lastname", "surname", "family name", "attendee last name", "last name attendee"),
    ),
    Field(
        "name",
        "Full name",
        "Only if the file has one column for the whole name instead of first and last names.",
        ("name", "full name", "fullname", "attendee name", "attendee full name", "your name"),
    ),
    Field(
        "email",
        "Email address",
        "",
        (
            "email",
            "email address",
            "e mail",
            "e mail address",
            "attendee email",
            "attendee email address",
            "emailaddress",
        ),
    ),
    Field(
        "organisation",
        "Organisation",
        "",
        (
            "organisation",
            "organization",
            "company",
            "company name",
            "organisation name",
            "organization name",
            "employer",
            "workplace",
            "company organisation",
            "company organization",
        ),
    ),
    Field(
        "sector",
        "Sector",
        "Matched to the sectors listed in Pledgecard; anything else is saved as Other.",
        ("sector", "which sector do you work in", "sector you work in", "work sector", "industry"),
    ),
    Field("role", "Role or job title", "", ("role", "job title", "jobtitle", "job role", "position", "job")),
    Field(
        "status",
        "Attendee status",
        "Eventbrite's Attendee Status: people not Attending or Checked In are not registered.",
        ("status", "attendee status", "ticket status", "registration status"),
    ),
    Field(
        "external_ref",
        "Attendee number",
        "Eventbrite's Attendee #. Importing the file again then updates these people instead of adding them.",
        ("external ref", "attendee number", "attendee no", "attendee id", "external reference"),
    ),
    Field(
        "registered_at",
        "Registration date",
        "Eventbrite's Order Date.",
        ("registered at", "order date", "registration date", "date registered", "registered", "date"),
    ),
    Field("group", "Group", "People who must come together share a group.", ("group", "group name")),
]
FIELD_KEYS = [f.key for f in FIELDS]
BY_KEY = {f.key: f for f in FIELDS}
GENERIC_COLUMNS = "first_name, last_name (or name), email, organisation, sector, role"
OPTIONAL_COLUMNS = "status, external_ref, registered_at, group"
# Special-category data is asked with the person's own consent on their registration page, never imported.
SPECIAL_WORDS = (
    "dietary",
    "diet",
    "allerg",
    "access need",
    "accessibility",
    "disab",
    "medical",
    "health condition",
)


def looks_like_eventbrite(headers: list[str]) -> bool:
    names = {normalise(h) for h in headers}
    return bool(names & {"order number", "order no", "order id"}) and bool(
        names & {"attendee number", "attendee status", "ticket type", "attendee id"}
    )


def guess_columns(headers: list[str], *, names_only: bool = False) -> dict[str, int | None]:
    """{field: column index or None}. `names_only`: only columns named as the field (first_name) count."""
    found: dict[str, int | None] = dict.fromkeys(FIELD_KEYS)
    taken: set[int] = set()
    normalised = [normalise(h) for h in headers]
    for f in FIELDS:
        wanted = f.names if names_only else f.names | set(f.synonyms)
        for i, name in enumerate(normalised):
            if i not in taken and name in wanted:
                found[f.key] = i
                taken.add(i)
                break
    if not names_only and found["sector"] is None:
        # Custom questions are long: "Which sector does your organisation belong to?"
        for i, name in enumerate(normalised):
            if i not in taken and "sector" in name.split():
                found["sector"] = i
                taken.add(i)
                break
    if found["first_name"] is not None or found["last_name"] is not None:
        # "Name" beside first and last names is usually the buyer's name: the attendee's own names win.
        if found["name"] is not None and found["first_name"] is not None:
            found["name"] = None
    return found


def columns_missing(columns: dict[str, int | None]) -> list[str]:
    """What a match cannot do without: an email address and a name."""
    missing = []
    if columns.get("first_name") is None and columns.get("name") is None:
        missing.append("first_name" if columns.get("last_name") is not None else "first_name (or name)")
    if columns.get("email") is None:
        missing.append("email")
    return missing


# --------------------------------------------------------------------------------------------- the file


@dataclass
class Table:
    kind: str  # "csv" or "xlsx"
    headers: list[str]
    rows: list[tuple[int, list]]  # (row number in the file, cells); row 1 is the header
    notes: list[str] = field(default_factory=list)

    def header_label(self, index: int) -> str:
        name = self.headers[index] if index < len(self.headers) else ""
        return (
            f"{name} (column {column_letter(index)})"
            if name
            else f"Column {column_letter(index)} (no heading)"
        )


def sniff_kind(data: bytes, filename: str = "") -> str:
    if data[:4] == b"PK\x03\x04":
        return "xlsx"
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise FileProblem(
            "This is an old Excel file (.xls). Save it as an Excel Workbook (.xlsx) or as CSV UTF-8."
        )
    if filename.lower().endswith((".xlsx", ".xlsm")):
        raise FileProblem("The file is called .xlsx but is not an Excel workbook. Save it again from Excel.")
    return "csv"


def read_table(data: bytes, kind: str | None = None, filename: str = "") -> Table:
    """The header row and the data rows of a CSV or XLSX file; raises FileProblem."""
    if not data:
        raise FileProblem("The file is empty.")
    if len(data) > MAX_BYTES:
        raise FileProblem(
            f"The file is larger than {MAX_BYTES // 1_000_000} MB. Split it into smaller files."
        )
    actual = sniff_kind(data, filename)
    if kind == "csv" and actual == "xlsx":
        raise FileProblem("This is an Excel workbook, not a CSV file: import it as XLSX.")
    if kind == "xlsx" and actual != "xlsx":
        raise FileProblem(
            "This is not an Excel workbook (.xlsx). Save it from Excel as an Excel Workbook, "
            "or import it as CSV."
        )
    table = _read_xlsx(data) if actual == "xlsx" else _read_csv(data)
    if not any(table.headers):
        raise FileProblem("The first row is empty. The first row must hold the column headings.")
    if not table.rows:
        raise FileProblem("The file has a header row but no attendees.")
    too_long = cells_too_long([(1, table.headers), *table.rows])
    if too_long:
        raise FileProblem(too_long)
    return table


def _too_many(counted: int, exact: bool) -> FileProblem:
    many = f"{counted:,}" if exact else f"more than {MAX_ROWS:,}"
    return FileProblem(
        f"The file has {many} rows of attendees; at most {MAX_ROWS:,} can be imported at once. "
        f"Split it into files of up to {MAX_ROWS:,} rows, each with the header row, "
        "and import them one by one."
    )


def _decode(data: bytes) -> tuple[str, list[str]]:
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return data.decode("utf-16"), []  # Excel's "Unicode Text"
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        raise FileProblem(
            "The file is not text in a known encoding. Save it from your spreadsheet as ‘CSV UTF-8’."
        ) from None
    return text, [
        "The file is not UTF-8; it was read as Windows-1252 (Excel's older ‘CSV’). "
        "Check that names with accents look right below."
    ]


def _read_csv(data: bytes) -> Table:
    text, notes = _decode(data)
    if "\x00" in text:
        raise FileProblem("The file is not a CSV file. Save it from your spreadsheet as ‘CSV UTF-8’.")
    first_line = text.split("\n", 1)[0]
    delimiter = max([",", ";", "\t"], key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        headers = next(reader, None)
    except csv.Error as exc:
        raise FileProblem("The header row could not be read as CSV. Save the file as ‘CSV UTF-8’.") from exc
    if headers is None:
        raise FileProblem("The file is empty.")
    headers = [h.strip() for h in headers[:MAX_COLUMNS]]
    rows, counted, start = [], 0, reader.line_num + 1
    try:
        for cells in reader:
            line, start = start, reader.line_num + 1
            if not any(c.strip() for c in cells):
                continue  # blank lines at the end of a spreadsheet
            counted += 1
            if counted <= MAX_ROWS:
                rows.append((line, cells[: len(headers)]))
    except csv.Error as exc:
        raise FileProblem(
            f"The file could not be read as CSV near line {reader.line_num}: a cell is too long, "
            "or a quote mark is not closed."
        ) from exc
    if counted > MAX_ROWS:
        raise _too_many(counted, exact=True)
    return Table("csv", headers, rows, notes)


def _read_xlsx(data: bytes) -> Table:
    import openpyxl  # noqa: PLC0415 - only imports pay for it

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(info.file_size for info in archive.infolist()) > MAX_XLSX_UNPACKED:
                raise FileProblem(
                    "The workbook is too large once unpacked. Save the attendee sheet on its own as CSV."
                )
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except FileProblem:
        raise
    except Exception as exc:  # noqa: BLE001 - any failure to open means "not a workbook we can read"
        raise FileProblem(
            "The file could not be opened as an Excel workbook (.xlsx). Save it again from Excel, "
            "or as ‘CSV UTF-8’."
        ) from exc
    notes = []
    try:
        if not workbook.worksheets:
            raise FileProblem("The workbook has no sheets.")
        sheet = workbook.worksheets[0]
        if len(workbook.worksheets) > 1:
            notes.append(
                f"The workbook has {len(workbook.worksheets)} sheets; only the first, "
                f"‘{sheet.title}’, was read."
            )
        headers, rows, counted = None, [], 0
        for number, values in enumerate(sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True), start=1):
            if not any(v not in (None, "") and str(v).strip() for v in values):
                continue
            if headers is None:
                headers = ["" if v is None else str(v).strip() for v in values]
                while headers and not headers[-1]:
                    headers.pop()
                continue
            counted += 1
            if counted > MAX_ROWS:
                raise _too_many(counted, exact=False)
            rows.append((number, list(values[: len(headers)])))
    except FileProblem:
        raise
    except Exception as exc:  # noqa: BLE001 - a damaged sheet
        raise FileProblem(
            "The workbook's first sheet could not be read. Save it again from Excel, or as ‘CSV UTF-8’."
        ) from exc
    finally:
        workbook.close()
    if headers is None:
        raise FileProblem("The workbook's first sheet is empty.")
    return Table("xlsx", headers, rows, notes)


# ------------------------------------------------------------------------------------------------ dates

_SLASHED = re.compile(
    r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})"  # 11/29/24, 29.11.2024
    r"(?:[ T,]+(\d{1,2})[:.](\d{2})(?:[:.](\d{2}))?\s*([AaPp]\.?[Mm]\.?)?)?$"  # 22:28, 10:28:00 PM
)
_WORDY = [
    "%b %d, %Y %I:%M %p",
    "%B %d, %Y %I:%M %p",
    "%b %d, %Y",
    "%B %d, %Y",
    "%d %b %Y %H:%M",
    "%d %B %Y %H:%M",
    "%d %b %Y",
    "%d %B %Y",
]


@dataclass(frozen=True)
class _Slashed:
    a: int
    b: int
    year: int
    hour: int
    minute: int
    second: int


def _slashed(text: str) -> _Slashed | None:
    m = _SLASHED.match(text)
    if not m:
        return None
    a, b, year = int(m[1]), int(m[2]), int(m[3])
    year += 2000 if year < 100 else 0
    hour, minute, second = int(m[4] or 0), int(m[5] or 0), int(m[6] or 0)
    if m[7]:
        pm = m[7][0] in "Pp"
        hour = (hour % 12) + (12 if pm else 0)
    return _Slashed(a, b, year, hour, minute, second)


def date_order(
    texts: list[tuple[int, str]], default_month_first: bool
) -> tuple[bool, str | None, str | None]:
    """(month first?, note, problem) for a file's dates written with slashes, like 11/29/24 or 29/11/24.

    One file is written one way. A day over 12 in the first place means UK order, in the second US order;
    a file with both cannot be read safely. With neither, Eventbrite's US order is assumed for its reports
    and UK order for other files, and the note says so.
    """
    us = uk = None
    ambiguous = False
    for line, text in texts:
        parts = _slashed(text)
        if parts is None:
            continue
        if parts.a > 12 >= parts.b:
            uk = uk or (line, text)
        elif parts.b > 12 >= parts.a:
            us = us or (line, text)
        elif parts.a != parts.b:
            ambiguous = True
    if us and uk:
        return (
            default_month_first,
            None,
            (
                f"The registration dates are written two ways: month first (US) on row {us[0]} ({us[1]}) "
                f"and day first (UK) on row {uk[0]} ({uk[1]}). Write them all one way, or as 2024-11-29, "
                "and import again."
            ),
        )
    if us or uk:
        return bool(us), None, None
    if ambiguous:
        how = "month first (US), as Eventbrite writes them" if default_month_first else "day first (UK)"
        return default_month_first, f"Registration dates such as 05/11/24 were read {how}.", None
    return default_month_first, None, None


def parse_date(value, month_first: bool, tz: zoneinfo.ZoneInfo) -> dt.datetime:
    """An aware datetime; raises ValueError."""
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        moment = dt.datetime.combine(value, dt.time())
    else:
        text = " ".join(str(value).split())
        parts = _slashed(text)
        if parts:
            month, day = (parts.a, parts.b) if month_first else (parts.b, parts.a)
            moment = dt.datetime(parts.year, month, day, parts.hour, parts.minute, parts.second)  # noqa: DTZ001
        else:
            try:
                moment = dt.datetime.fromisoformat(text)
            except ValueError:
                for fmt in _WORDY:
                    try:
                        moment = dt.datetime.strptime(text, fmt)  # noqa: DTZ007 - made aware below
                        break
                    except ValueError:
                        continue
                else:
                    raise ValueError(text) from None
    if not 2000 <= moment.year <= 2100:
        raise ValueError(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=tz)


# ------------------------------------------------------------------------------------------- the checks

ATTENDING = {"attending", "checked in", "confirmed", "registered", "booked", "yes"}
WAITING = {
    "waiting",
    "waiting list",
    "on the waiting list",
    "waitlist",
    "wait list",
    "waitlisted",
    "offered",
    "offered a place",
}
NOT_ATTENDING = {
    "cancelled",
    "canceled",
    "not attending",
    "refunded",
    "deleted",
    "transferred",
    "declined",
    "no",
    "cancelled by attendee",
    "cancelled by organiser",
}
STATUS_WORDS = "Attending, Checked In, confirmed, waiting or cancelled"

ACTIONS = {
    "new": "New",
    "update": "Update",
    "unchanged": "No change",
    "cancel": "Cancel registration",
    "skip": "Not registered",
    "": "Not imported",
}
LIMITS = {"name": 120, "email": 254, "organisation": 200, "role": 200, "group": 60, "external_ref": 80}
LABELS = {
    "name": "Name",
    "email": "Email address",
    "organisation": "Organisation",
    "role": "Role",
    "group": "Group",
    "external_ref": "Attendee number",
    "sector": "Sector",
    "status": "Status",
    "first_name": "First name",
    "last_name": "Last name",
    "registered_at": "Registration date",
}


@dataclass
class Row:
    line: int
    name: str = ""
    email: str = ""
    organisation: str = ""
    sector_text: str = ""
    sector: Sector | None = None
    role: str = ""
    group: str = ""
    external_ref: str = ""
    status_text: str = ""
    wanted: str = ""  # "register", "wait" or "cancel"; "" with problems
    registered_at: dt.datetime | None = None
    action: str = ""
    registration: Registration | None = None
    matched_by: str = ""
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def action_label(self) -> str:
        return ACTIONS[self.action if not self.problems else ""]


@dataclass
class ImportResult:
    file_errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)
    eventbrite: bool = False
    digest: str = ""
    imported: bool = False
    changed_since_preview: bool = False

    @property
    def ok(self) -> bool:
        return not self.file_errors and not any(r.problems for r in self.rows)

    @property
    def problem_rows(self) -> list[Row]:
        return [r for r in self.rows if r.problems]

    def problems(self) -> list[tuple[int, str]]:
        """Every problem as (row, text); row 0 for the file as a whole."""
        found = [(0, text) for text in self.file_errors]
        found += [(r.line, text) for r in self.rows for text in r.problems]
        return found

    def error_list(self, limit: int = 50, href: str = "#row-{line}") -> list[dict]:
        """The error summary's list: "Row n: problem", each linking to its row in the table."""
        items = []
        for line, text in self.problems()[:limit]:
            items.append(
                {
                    "text": f"Row {line}: {text}" if line else text,
                    "href": href.format(line=line) if line else "#main-content",
                }
            )
        return items

    def summary(self) -> str:
        c = self.counts
        parts = [
            f"{c['new']} new",
            f"{c['update']} updated",
            f"{c['unchanged']} unchanged",
            f"{c['cancel']} cancelled",
        ]
        if c["skip"]:
            parts.append(f"{c['skip']} not registered (cancelled tickets)")
        return ", ".join(parts)


def _text(value) -> str:
    """A cell as one line of text; a number from a workbook as Excel shows it (123, not 123.0)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ", timespec="minutes")
    text = " ".join(str(value).split())
    # What our own exports escaped ('=...) comes back as it was.
    if len(text) > 1 and text[0] == "'" and text[1] in FORMULA_STARTS:
        text = text[1:]
    return text


def looks_like_formula(text: str) -> bool:
    """A cell a spreadsheet would run: =SUM(..), +cmd|..., @SUM(..), -2+3 ... Hyphenated words are not."""
    if not text:
        return False
    if text[0] == "=":
        return True
    return text[0] in "+-@" and any(c in text for c in "(|!=")


def _check_row(
    line: int,
    cells: list,
    columns: dict,
    *,
    eventbrite: bool,
    sectors: dict,
    other: Sector | None,
    dates: tuple[bool, zoneinfo.ZoneInfo],
) -> Row:
    def cell(key):
        i = columns.get(key)
        return cells[i] if i is not None and i < len(cells) else None

    raw = {key: _text(cell(key)) for key in FIELD_KEYS if key != "registered_at"}
    row = Row(line)
    for key, text in raw.items():
        if looks_like_formula(text):
            shown = text if len(text) <= 40 else text[:40] + "…"
            row.problems.append(
                f"{LABELS[key]} looks like a spreadsheet formula ({shown}). Type the value itself."
            )
            raw[key] = ""
    first_last = " ".join(p for p in (raw["first_name"], raw["last_name"]) if p)
    row.name = first_last or raw["name"]
    row.email = raw["email"]
    row.organisation, row.role, row.group = raw["organisation"], raw["role"], raw["group"]
    row.external_ref, row.status_text, row.sector_text = raw["external_ref"], raw["status"], raw["sector"]

    if not row.name:
        row.problems.append("Name is missing")
    if not row.email:
        row.problems.append("Email address is missing")
    else:
        try:
            validate_email(row.email)
        except ValidationError:
            row.problems.append(f"Email address ‘{row.email}’ is not a valid email address")
    for key, limit in LIMITS.items():
        if len(getattr(row, key)) > limit:
            row.problems.append(f"{LABELS[key]} is longer than {limit} characters")

    status = normalise(row.status_text)
    if eventbrite and columns.get("status") is not None:
        row.wanted = "register" if status in ("", "attending", "checked in") else "cancel"
    elif status == "" or status in ATTENDING:
        row.wanted = "register"
    elif status in WAITING:
        row.wanted = "wait"
    elif status in NOT_ATTENDING:
        row.wanted = "cancel"
    else:
        row.problems.append(f"Status ‘{row.status_text}’ is not one of: {STATUS_WORDS}")
    if row.wanted == "cancel" and "Name is missing" in row.problems:
        row.problems.remove("Name is missing")  # nobody is registered from this row: a name is not needed

    if row.sector_text:
        row.sector = sectors.get(row.sector_text.casefold())
        if row.sector is None:
            row.sector = other
            row.notes.append(f"Sector ‘{row.sector_text}’ is not on the list: saved as {other}")
    else:
        row.sector = other
    if row.sector is None:
        row.problems.append(
            "There is no ‘Other’ sector to put this person in. Ask an administrator to add it."
        )

    when = cell("registered_at")
    if when not in (None, "") and str(when).strip():
        try:
            row.registered_at = parse_date(when, *dates)
        except ValueError:
            example = "11/29/24 22:28" if dates[0] else "29/11/2024 22:28"
            row.problems.append(f"Registration date ‘{_text(when)}’ is not a real date (like {example})")
    return row


def _plan(event: Event, table: Table, columns: dict, eventbrite: bool, result: ImportResult) -> None:
    """Fill in what would happen to each row, and every problem, without writing anything."""
    if missing := columns_missing(columns):
        result.file_errors.append(f"No column is chosen for: {', '.join(missing)}")
        return
    sectors = {s.name.casefold(): s for s in Sector.objects.all()}
    other = sectors.get("other")
    tz = event.zone
    month_first = eventbrite
    if columns.get("registered_at") is not None:
        i = columns["registered_at"]
        texts = [
            (line, str(cells[i]))
            for line, cells in table.rows
            if i < len(cells) and isinstance(cells[i], str) and cells[i].strip()
        ]
        month_first, note, problem = date_order(texts, default_month_first=eventbrite)
        if note:
            result.notes.append(note)
        if problem:
            result.file_errors.append(problem)
    rows = [
        _check_row(
            line, cells, columns, eventbrite=eventbrite, sectors=sectors, other=other, dates=(month_first, tz)
        )
        for line, cells in table.rows
    ]
    if not rows:
        result.file_errors.append("The file has a header row but no attendees.")
    result.rows = rows

    existing = list(event.registrations.select_related("sector"))
    by_ref = {r.external_ref: r for r in existing if r.external_ref}
    by_email: dict[str, Registration] = {}
    for r in sorted(existing, key=lambda r: r.status == Status.CANCELLED, reverse=True):
        by_email[r.email.casefold()] = r  # a live registration wins over a cancelled one with the same email

    # One person, one row: emails and attendee numbers must not repeat among the people registered.
    live = [r for r in rows if r.wanted in ("register", "wait")]
    lines_by_email, lines_by_ref = defaultdict(list), defaultdict(list)
    for r in live:
        if r.email:
            lines_by_email[r.email.casefold()].append(r.line)
        if r.external_ref:
            lines_by_ref[r.external_ref].append(r.line)
    for r in live:
        others = [n for n in lines_by_email.get(r.email.casefold(), []) if n != r.line]
        if others:
            r.problems.append(
                f"The email address {r.email} is also on row{'s' if len(others) > 1 else ''} "
                f"{', '.join(map(str, others))}: each attendee needs their own email address"
            )
        others = [n for n in lines_by_ref.get(r.external_ref, []) if n != r.line] if r.external_ref else []
        if others:
            r.problems.append(
                f"Attendee number {r.external_ref} is also on row{'s' if len(others) > 1 else ''} "
                f"{', '.join(map(str, others))}"
            )

    for r in rows:
        if r.email or r.external_ref:
            if r.external_ref and r.external_ref in by_ref:
                r.registration, r.matched_by = by_ref[r.external_ref], "attendee number"
            elif r.email and r.email.casefold() in by_email:
                r.registration, r.matched_by = by_email[r.email.casefold()], "email"
                if r.registration.status == Status.CANCELLED and r.wanted in ("register", "wait"):
                    # Someone signing up again with a cancelled address gets a registration (and link) of
                    # their own, never the cancelled one.
                    r.registration, r.matched_by = None, ""

    # Two rows must not become the same registration, nor take an email another registration has.
    claimed = defaultdict(list)
    for r in live:
        if r.registration is not None:
            claimed[r.registration.pk].append(r)
    for rs in claimed.values():
        if len(rs) > 1:
            for r in rs:
                others = ", ".join(str(o.line) for o in rs if o is not r)
                r.problems.append(
                    f"This row and row {others} are the same registration ({r.registration.email})"
                )
    for r in live:
        holder = by_email.get(r.email.casefold()) if r.email else None
        if holder is not None and r.registration is not None and holder is not r.registration:
            r.problems.append(
                f"Attendee number {r.external_ref} is registered as {r.registration.email}, and "
                f"{r.email} is already registered by {holder.name}: one of them is a mistake"
            )

    emails_registering = set(lines_by_email)
    for r in rows:
        if r.problems:
            continue
        reg = r.registration
        if r.wanted == "cancel":
            r.action = "skip"
            if r.email and r.email.casefold() in emails_registering:
                r.registration = None
                r.notes.append("Not registered from this row: the same person has another ticket in the file")
            elif reg is None or reg.status == Status.CANCELLED:
                r.registration = None
                r.notes.append(f"Not registered: {r.status_text or 'cancelled'}")
            elif reg.pk in claimed:
                r.registration = None
            elif eventbrite and r.matched_by == "email" and reg.source not in ("eventbrite", "import"):
                r.registration = None
                r.notes.append("Registered on the event page, not through Eventbrite: left as it is")
            else:
                r.action = "cancel"
                r.notes.append(f"Cancelled in the file ({r.status_text or 'cancelled'})")
            continue
        if reg is None:
            r.action = "new"
            if r.wanted == "wait":
                r.notes.append("Joins the waiting list")
            continue
        new_status = _status_after(reg, r, eventbrite)
        changes = [
            name
            for name, before, after in [
                ("name", reg.name, r.name),
                ("email", reg.email, r.email),
                (
                    "organisation",
                    reg.organisation,
                    r.organisation if columns.get("organisation") is not None else reg.organisation,
                ),
                (
                    "sector",
                    reg.sector_id,
                    r.sector.pk if columns.get("sector") is not None else reg.sector_id,
                ),
                ("role", reg.role, r.role if columns.get("role") is not None else reg.role),
                ("group", reg.group, r.group if columns.get("group") is not None else reg.group),
                ("attendee number", reg.external_ref, r.external_ref or reg.external_ref),
                ("status", reg.status, new_status),
            ]
            if before != after
        ]
        r.action = "update" if changes else "unchanged"
        if changes:
            r.notes.append("Changes " + ", ".join(changes))
        if new_status != reg.status:
            r.notes.append(
                f"Was {reg.get_status_display().lower()}; becomes {Status(new_status).label.lower()}"
            )

    result.counts = Counter(r.action for r in rows if not r.problems)
    holding = (Status.CONFIRMED, Status.OFFERED)
    held = sum(1 for r in existing if r.status in holding)
    for r in rows:
        if r.problems or r.registration is None and r.action != "new":
            continue
        before = r.registration.status if r.registration else None
        if r.action == "cancel":
            after = Status.CANCELLED
        elif r.action == "new":
            after = Status.WAITING if r.wanted == "wait" else Status.CONFIRMED
        else:
            after = _status_after(r.registration, r, eventbrite)
        held += (after in holding) - (before in holding)
    if event.capacity is not None and held > event.capacity:
        result.notes.append(
            f"After this import {held:,} people will have places; the event has "
            f"{event.capacity:,}. Imported people keep their places: add places, or cancel some."
        )
    ignored = [
        h
        for i, h in enumerate(table.headers)
        if h and i not in columns.values() and any(w in h.casefold() for w in SPECIAL_WORDS)
    ]
    if ignored:
        result.notes.append(
            f"Not imported: {', '.join(ignored)}. Access needs and dietary requirements are special-category "
            "data: people give them, with their consent, from their own registration link."
        )
    digest = hashlib.sha256()
    for r in rows:
        digest.update(
            f"{r.line}|{r.action}|{r.registration.pk if r.registration else ''}|{r.email}|"
            f"{len(r.problems)}\n".encode()
        )
    result.digest = digest.hexdigest()


def _status_after(reg: Registration, row: Row, eventbrite: bool) -> str:
    if row.wanted == "wait":
        return reg.status if reg.status in (Status.WAITING, Status.OFFERED) else Status.WAITING
    # "register": an Eventbrite ticket is a place; a plain file says to keep someone's current status, or
    # to register again someone who had cancelled.
    if eventbrite or normalise(row.status_text) in ATTENDING or reg.status == Status.CANCELLED:
        return Status.CONFIRMED
    return reg.status


def _update_many(registrations: list[Registration], fields: list[str]) -> None:
    """Write `fields` of many registrations at once.

    Django's `bulk_update` builds a CASE expression per field and row, and with it a first import of 10,000
    rows (whose order dates are written after the insert) took twice as long. Here PostgreSQL gets one
    UPDATE ... FROM unnest(arrays) per 2,000 rows, and SQLite (in-process, no round trips) one parameterised
    UPDATE run with `executemany`. Figures: bench/imports.py.
    """
    if not registrations:
        return
    meta, quote = Registration._meta, connection.ops.quote_name
    columns = [meta.get_field(name) for name in fields]
    table, pk = quote(meta.db_table), quote(meta.pk.column)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            names = [quote(f.column) for f in columns]
            types = [f.db_type(connection) for f in columns] + [meta.pk.rel_db_type(connection)]
            # Names and types come from the model, values go as parameters.
            sql = (
                f"UPDATE {table} SET {', '.join(f'{n} = v.{n}' for n in names)} "  # noqa: S608
                f"FROM unnest({', '.join(f'%s::{t}[]' for t in types)}) AS v({', '.join(names)}, {pk}) "
                f"WHERE {table}.{pk} = v.{pk}"
            )
            for start in range(0, len(registrations), 2000):
                batch = registrations[start : start + 2000]
                arrays = [
                    [f.get_db_prep_save(getattr(r, f.attname), connection) for r in batch] for f in columns
                ]
                cursor.execute(sql, [*arrays, [r.pk for r in batch]])
        else:
            sets = ", ".join(f"{quote(f.column)} = %s" for f in columns)
            sql = f"UPDATE {table} SET {sets} WHERE {pk} = %s"  # noqa: S608
            cursor.executemany(
                sql,
                [
                    [f.get_db_prep_save(getattr(r, f.attname), connection) for f in columns] + [r.pk]
                    for r in registrations
                ],
            )


def _apply(
    event: Event, rows: list[Row], *, eventbrite: bool, columns: dict, send_confirmations: bool
) -> list:
    now = timezone.now()
    source = "eventbrite" if eventbrite else "import"
    created, updated, dated, confirmed = [], [], [], []
    for r in rows:
        if r.action == "new":
            reg = Registration(
                event=event,
                name=r.name,
                email=r.email,
                organisation=r.organisation,
                sector=r.sector,
                role=r.role,
                group=r.group,
                external_ref=r.external_ref,
                source=source,
                status=Status.WAITING if r.wanted == "wait" else Status.CONFIRMED,
            )
            reg.set_new_link()
            created.append(reg)
            if r.registered_at:
                dated.append((reg, r.registered_at))
        elif r.action == "cancel":
            reg = r.registration
            reg.status, reg.offer_expires_at = Status.CANCELLED, None
            reg.sequence += 1
            reg.updated_at = now
            updated.append(reg)
        elif r.action == "update":
            reg = r.registration
            new_status = _status_after(reg, r, eventbrite)
            if new_status == Status.CONFIRMED and reg.status != Status.CONFIRMED:
                confirmed.append(reg)
            if new_status != reg.status:
                reg.offer_expires_at = None
            reg.status = new_status
            reg.name, reg.email = r.name, r.email
            if columns.get("organisation") is not None:
                reg.organisation = r.organisation
            if columns.get("sector") is not None:
                reg.sector = r.sector
            if columns.get("role") is not None:
                reg.role = r.role
            if columns.get("group") is not None:
                reg.group = r.group
            reg.external_ref = r.external_ref or reg.external_ref
            reg.sequence += 1
            reg.updated_at = now
            updated.append(reg)
    Registration.objects.bulk_create(created, batch_size=1000)
    _update_many(
        updated,
        [
            "name",
            "email",
            "organisation",
            "sector",
            "role",
            "group",
            "external_ref",
            "status",
            "offer_expires_at",
            "sequence",
            "updated_at",
        ],
    )
    # When they registered (Eventbrite's order date) keeps the waiting list in the order people joined.
    for reg, when in dated:
        reg.created_at = when
    _update_many([reg for reg, _ in dated], ["created_at"])
    confirmed += [reg for reg in created if reg.status == Status.CONFIRMED]
    if send_confirmations:
        from pledgecard.delivery import services as delivery
        from pledgecard.delivery.models import Message

        for reg in confirmed:
            delivery.message_schedule(
                kind=Message.Kind.REGISTRATION_CONFIRMATION,
                subject=reg.subject,
                alliance_id=event.alliance_id,
                to_address=reg.email,
                due_at=now,
            )
    return created


def attendees_import(
    event: Event,
    table: Table,
    columns: dict[str, int | None],
    *,
    eventbrite: bool,
    user=None,
    dry_run: bool = False,
    expect_digest: str | None = None,
    send_confirmations: bool = False,
    filename: str = "",
    step=None,
) -> ImportResult:
    """Check every row; unless it is a dry run or anything is wrong, save them all, a step at a time.

    `expect_digest`: the digest of the preview the organiser confirmed; if the registrations changed since
    (someone registered, another import ran), nothing is written and `changed_since_preview` is set.
    `step`: the job's `Progress.step` (core/jobs.py), so that each step also records how far it has got.
    """
    result = ImportResult(eventbrite=eventbrite, notes=list(table.notes))
    columns = {k: (int(v) if v is not None else None) for k, v in columns.items() if k in BY_KEY}
    columns = {k: v for k, v in columns.items() if v is None or 0 <= v < len(table.headers)} | {
        k: None for k in FIELD_KEYS if k not in columns
    }
    # Checking reads and writes nothing: no lock is held while 20,000 rows are checked.
    _plan(event, table, columns, eventbrite, result)
    if dry_run or not result.ok:
        return result
    if expect_digest is not None and expect_digest != result.digest:
        result.changed_since_preview = True
        return result
    for attempt in range(3):
        try:
            _apply_in_steps(event, result, eventbrite=eventbrite, columns=columns,
                            send_confirmations=send_confirmations, step=step or _plain_step)
            break
        except IntegrityError:
            # Someone registered on the event page with an address the file registers, between two steps:
            # that step was rolled back. Check the file again against the registrations as they are now
            # (rows already saved are now "unchanged") and go on.
            again = ImportResult(eventbrite=eventbrite, notes=result.notes)
            _plan(event, table, columns, eventbrite, again)
            if not again.ok:
                result.file_errors.append(
                    "Someone registered or changed a registration while the file was being imported, and the "
                    "rest of the file no longer fits. What was imported is kept: check the file and import "
                    "it again.")
                return result
            result.rows = again.rows
            result.notes.append("Someone registered on the event page during the import; their registration "
                                "is kept, and the file's row for them updated it.")
    else:
        result.file_errors.append("The import could not finish because registrations kept changing. What was "
                                  "imported is kept: import the file again to finish it.")
        return result
    if result.counts["cancel"]:
        from pledgecard.events import registrations

        registrations.places_changed(event)  # places given up go down the waiting list
    AuditEntry.objects.create(
        actor=user,
        alliance=event.alliance,
        action="attendees.import",
        detail={"event": event.slug, "file": filename[:200], "eventbrite": eventbrite, **dict(result.counts)},
    )
    result.imported = True
    return result


# Rows saved in one transaction. On SQLite every write waits for the one writer, so a step must be short:
# 500 rows are a few tens of milliseconds; the 10,000 rows of one transaction were several seconds.
STEP_ROWS = 500


@contextmanager
def _plain_step(*, done: int, total: int | None = None, text: str = "", result=None):
    """A step outside any job (the command line): one short transaction."""
    with transaction.atomic():
        yield


def _apply_in_steps(event, result, *, eventbrite, columns, send_confirmations, step) -> None:
    todo = [r for r in result.rows if not r.problems and r.action in ("new", "update", "cancel")]
    for start in range(0, len(todo), STEP_ROWS):
        part = todo[start:start + STEP_ROWS]
        with step(done=start + len(part), total=len(todo), text="Saving registrations"):
            # No place is taken from the event page while a step changes who holds them.
            Event.objects.select_for_update().get(pk=event.pk)
            _apply(event, part, eventbrite=eventbrite, columns=columns, send_confirmations=send_confirmations)


JOB_KIND = "events.attendees_import"


def attendees_import_start(upload: ImportUpload, *, user, send_confirmations: bool) -> Job:
    """The organiser confirmed the preview: the worker imports the file (`_attendees_import_run`)."""
    return jobs.job_start(
        kind=JOB_KIND, data=bytes(upload.data), alliance=upload.event.alliance,
        subject=f"events.event:{upload.event_id}", started_by=user,
        options={"event_id": upload.event_id, "upload_id": str(upload.pk), "kind": upload.kind,
                 "columns": upload.columns, "eventbrite": upload.eventbrite, "filename": upload.filename,
                 "send_confirmations": send_confirmations})


@jobs.handles(JOB_KIND)
def _attendees_import_run(job: Job, progress: jobs.Progress) -> dict:
    """Check the file again against the registrations as they are now, then save it a step at a time. Run
    again after a crash, the rows already saved are "unchanged" and the rest is saved."""
    from django.urls import reverse

    options = job.options
    event = Event.objects.select_related("alliance").get(pk=options["event_id"])
    again_url = reverse("organise:attendees_import", kwargs={"slug": event.slug})
    try:
        table = read_table(bytes(job.data), kind=options["kind"])
    except FileProblem as problem:
        raise jobs.JobFailed(str(problem), {"again_url": again_url}) from None
    result = attendees_import(event, table, options["columns"], eventbrite=options["eventbrite"],
                              user=job.started_by, send_confirmations=options["send_confirmations"],
                              filename=options["filename"], step=progress.step)
    if not result.imported:
        raise jobs.JobFailed("The file was not imported", {"errors": result.problems(), "again_url": again_url})
    ImportUpload.objects.filter(pk=options["upload_id"]).delete()  # personal data, no longer needed
    resumed = " (continued after an interruption: the figures are for the part saved after it)" \
        if job.attempts > 1 else ""
    return {"summary": f"Imported {options['filename'] or 'the file'}: {result.summary()}{resumed}.",
            "notes": result.notes, "next_url": reverse("organise:attendees", kwargs={"slug": event.slug}),
            "next_text": "See the attendees"}


def import_file(event: Event, data: bytes, *, format: str | None = None, filename: str = "", **kwargs):  # noqa: A002
    """The command line's import: no matching step, so columns are found by name. Returns (table, result).

    format "eventbrite": an Eventbrite attendee report (CSV or XLSX) with its own headers; "csv" and "xlsx":
    columns named first_name, last_name (or name), email, organisation, sector, role; None: Eventbrite if it
    looks like one, else named columns, CSV or XLSX by the file's content.
    """
    table = read_table(data, kind=format if format in ("csv", "xlsx") else None, filename=filename)
    eventbrite = format == "eventbrite" or (format is None and looks_like_eventbrite(table.headers))
    columns = guess_columns(table.headers, names_only=not eventbrite)
    if missing := columns_missing(columns):
        if eventbrite:
            raise FileProblem(
                f"This does not look like an Eventbrite attendee report: it has no column for "
                f"{' or '.join(missing)}. Its columns are: {', '.join(h for h in table.headers if h)}"
            )
        raise FileProblem(
            f"The file needs columns named {GENERIC_COLUMNS} (optional: {OPTIONAL_COLUMNS}). "
            f"Missing: {', '.join(missing)}. "
            f"Its columns are: {', '.join(h for h in table.headers if h) or 'none'}"
        )
    result = attendees_import(event, table, columns, eventbrite=eventbrite, filename=filename, **kwargs)
    used = {i for i in columns.values() if i is not None}
    unused = [h for i, h in enumerate(table.headers) if h and i not in used]
    if unused and not eventbrite:
        result.notes.append(f"Columns not imported: {', '.join(unused)}")
    return table, result
