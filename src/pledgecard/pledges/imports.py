"""Paper postcards from a CSV file: check every row first, then save all of them or none."""

import csv
import io
from dataclasses import dataclass, field

from django.urls import reverse

from pledgecard.core import jobs
from pledgecard.core.csv import cells_too_long
from pledgecard.core.models import AuditEntry, Job
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


def postcards_check(*, data: bytes) -> tuple[list, ImportReport]:
    """Read and check every row, writing nothing: (the postcards' words, a report with any problems)."""
    report = ImportReport()
    try:
        rows = read_rows(data)
    except ImportError_ as exc:
        report.errors.append((0, str(exc)))
        return [], report
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
    return checked, report


KIND = "pledges.postcards_import"
STEP_ROWS = 100  # postcards saved in one transaction: SQLite's write lock is held a fraction of a second


def postcards_import_start(*, event, data: bytes, created_by=None) -> Job:
    """Save the file as a job for the worker; `postcards_check` has already found it good."""
    return jobs.job_start(kind=KIND, options={"event_id": event.pk}, data=data, alliance=event.alliance,
                          subject=f"events.event:{event.pk}", started_by=created_by)


@jobs.handles(KIND)
def _postcards_import_run(job: Job, progress: jobs.Progress) -> dict:
    """Check every row again (the lists of sectors and themes may have changed), then save the postcards a
    step at a time. Run again after a crash, it goes on from the last step saved."""
    from pledgecard.events.models import Event

    event = Event.objects.get(pk=job.options["event_id"])
    checked, report = postcards_check(data=bytes(job.data))
    if not report.ok:
        raise jobs.JobFailed("The file was not imported", {
            "errors": report.errors, "again_url": reverse("organise:postcard_import", kwargs={"slug": event.slug})})
    counts = {"created": job.result.get("created", 0), "already_there": job.result.get("already_there", 0)}
    for start in range(job.done, len(checked), STEP_ROWS):
        part = checked[start:start + STEP_ROWS]
        with progress.step(done=start + len(part), total=len(checked), text="Saving postcards", result=counts):
            for words in part:
                written = services.postcard_write(event=event, words=words, source=Postcard.Source.IMPORT,
                                                  created_by=job.started_by, send_confirmation=False)
                counts["created" if written.created else "already_there"] += 1
    AuditEntry.objects.create(actor=job.started_by, alliance=event.alliance, action="postcards.import",
                              detail={"event": event.slug, "created": counts["created"]})
    return {**counts, "summary": f"Imported {counts['created']:,} postcards "
                                 f"({counts['already_there']:,} were already there).",
            "next_url": reverse("organise:postcards", kwargs={"slug": event.slug}),
            "next_text": "See the postcards"}


def postcards_import(*, event, data: bytes, created_by=None) -> ImportReport:
    """Check the file, then import it in the same steps the worker uses, here and now (the command line)."""
    checked, report = postcards_check(data=data)
    if not report.ok:
        return report
    job = jobs.job_run_now(postcards_import_start(event=event, data=data, created_by=created_by))
    if job.status != Job.Status.DONE:
        report.errors.extend((line, text) for line, text in job.result.get("errors", []))
        report.errors.append((0, job.result.get("error", "The import stopped.")))
        return report
    report.created, report.already_there = job.result["created"], job.result["already_there"]
    return report
