"""Printing whole lists in the background: badges, personal or blank postcards, and room lists.

2,000 badges made inside one web request took a minute of CPU and 900 MiB, and a proxy or the organiser gave
up first. Instead the print page only saves a job (core/jobs.py); the worker renders it a part at a time
(printing.SHEETS_PER_RENDER sheets), each part written to its own PDF file in the job's folder, and the
organiser watches the job's page, which offers the download when the parts have been joined.

- Memory: one part at a time (freed before the next), and the join copies pages from the part files
  without holding every page's drawing: bounded however many people there are.
- Interrupted (the worker killed, the machine restarted): the lease runs out, the next worker runs the job
  again and keeps every part already written whose HTML is unchanged (a part's file name carries a hash of
  its HTML), so it carries on where it stopped. If the people changed meanwhile, the changed parts are made
  again: the file is always what one moment's list says, never a mixture.
- Who: the job, its page and its file are for organisers of the event's alliance only (the download checks
  it again). The files name people: they are deleted PLEDGECARD_PRINT_KEPT_HOURS after they were made, by the
  worker's periodic `print_files_forget`.
"""

from __future__ import annotations

import ctypes
import datetime as dt
import hashlib
import logging
import os
import shutil
from pathlib import Path

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from pledgecard.core import jobs
from pledgecard.core.models import AuditEntry, Job
from pledgecard.events import printing
from pledgecard.events.models import Event

logger = logging.getLogger(__name__)

JOB_KIND = "events.print"
# What can be printed: the organiser's words for each, and the audit entry's action.
WHAT = {
    "badges": ("badges", "print.badges"),
    "postcards": ("personal postcards", "print.postcards"),
    "blank_postcards": ("blank postcards", "print.postcards_blank"),
    "room_lists": ("room lists", "print.room_lists"),
}


def kept_for() -> dt.timedelta:
    return dt.timedelta(hours=float(getattr(settings, "PLEDGECARD_PRINT_KEPT_HOURS", 24)))


def print_folder(job_id) -> Path:
    return Path(settings.MEDIA_ROOT) / "print" / str(job_id)


def print_start(event: Event, what: str, *, user, sheets: int = 1) -> Job:
    """Save a print job for the worker; the organiser is sent to its page. `sheets`: blank postcards only."""
    if what not in WHAT:
        raise ValueError(f"Nothing called {what!r} can be printed")
    options = {"event_id": event.pk, "what": what}
    detail = {"event": event.slug}
    if what == "blank_postcards":
        options["sheets"] = sheets
        detail["sheets"] = sheets
    elif what in ("badges", "postcards"):
        detail["people"] = printing.confirmed(event).count()
    job = jobs.job_start(kind=JOB_KIND, options=options, alliance=event.alliance,
                         subject=f"events.event:{event.pk}", started_by=user)
    AuditEntry.objects.create(actor=user, alliance=event.alliance, action=WHAT[what][1], detail=detail)
    return job


def print_run_for(event: Event, options: dict) -> printing.PrintRun:
    """The run a job's options describe, from the database as it is now."""
    what = options["what"]
    if what == "room_lists":
        return printing.room_lists_run(event)
    if what == "blank_postcards":
        return printing.postcards_run(event, sheets=options["sheets"])
    people = list(printing.confirmed(event))
    if what == "badges":
        return printing.badges_run(event, printing.badges_for(event, people))
    return printing.postcards_run(event, printing.postcards_for(people))


def _free_memory() -> None:
    """Give a rendered part's memory back before the next (Python keeps freed arenas otherwise). Its
    garbage was collected as html_to_pdf returned."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: the memory is reused by the next part all the same
        pass


def _write_atomically(path: Path, data: bytes) -> None:
    # A part is either whole or absent: a worker killed mid-write leaves only a .tmp, never a short PDF.
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _unfinished(folder: Path, keep: set[str]) -> None:
    """Delete what an earlier attempt left that this one does not use (half-written or out-of-date parts)."""
    for path in folder.iterdir():
        if path.name not in keep:
            path.unlink(missing_ok=True)


class PartFailed(Exception):
    def __init__(self, number: int, parts: int, first: int, last: int, item_name: str):
        super().__init__(f"Part {number} of {parts} ({item_name} {first:,} to {last:,}) could not be made.")


def print_to_file(run: printing.PrintRun, folder: Path, *, on_part=None) -> Path:
    """Render `run` a part at a time into `folder`, keeping parts an earlier attempt wrote with the same HTML,
    then join them into folder/run.filename. `on_part(done, last_item)` after each part (the job's progress).
    No database: the bench measures exactly this."""
    folder.mkdir(parents=True, exist_ok=True)
    parts = len(run)
    paths = []
    for n in range(parts):
        first, last = run.span(n)
        html = run.html(n)
        path = folder / f"part-{n + 1:04d}-{hashlib.sha256(html.encode()).hexdigest()[:16]}.pdf"
        if not path.exists():
            try:
                _write_atomically(path, printing.html_to_pdf([html]))
            except Exception as problem:
                raise PartFailed(n + 1, parts, first, last, run.item_name) from problem
            finally:
                del html
                _free_memory()
        paths.append(path)
        if on_part:
            on_part(n + 1, last)
    _unfinished(folder, {p.name for p in paths})
    out = folder / run.filename
    tmp = folder / (run.filename + ".tmp")
    printing.pdf_join(paths, tmp)
    os.replace(tmp, out)
    for path in paths:
        path.unlink()
    return out


@jobs.handles(JOB_KIND)
def _print_run(job: Job, progress: jobs.Progress) -> dict:
    options = job.options
    event = Event.objects.select_related("alliance").get(pk=options["event_id"])
    again_url = reverse("organise:print", kwargs={"slug": event.slug})
    run = print_run_for(event, options)
    if not run.count:
        raise jobs.JobFailed(f"There is nothing to print: {run.description}.", {"again_url": again_url})
    total = len(run) + 1  # the parts, then joining them
    progress.note(done=0, total=total, text=f"Preparing {run.description}")

    def on_part(done: int, last: int) -> None:
        progress.note(done=done, total=total,
                      text=f"Made {run.item_name} {last:,} of {len(run.items):,} ({run.description})")

    try:
        out = print_to_file(run, print_folder(job.pk), on_part=on_part)
    except PartFailed as failure:
        logger.exception("Print job %s: %s", job.pk, failure)
        raise jobs.JobFailed(
            f"{failure} Nothing has been sent or changed: start the printing again. If it stops at the same "
            "place again, tell your administrator: the error is in the worker's log.",
            {"again_url": again_url}) from None
    size = out.stat().st_size
    return {
        "summary": f"Your PDF of {run.description} is ready. It is kept for {kept_for_text()}, then deleted.",
        "file": run.filename,
        "next_url": reverse("organise:print_download", kwargs={"slug": event.slug, "job_id": job.pk}),
        "next_text": f"Download {WHAT[options['what']][0]} (PDF, {size / 1e6:.1f} MB)",
    }


def kept_for_text() -> str:
    hours = round(kept_for().total_seconds() / 3600)
    return "1 hour" if hours == 1 else f"{hours} hours"


def print_file(event: Event, job_id) -> Path | None:
    """The finished file of this event's print job, or None (not this event's, not done, or deleted)."""
    job = Job.objects.filter(pk=job_id, kind=JOB_KIND, subject=f"events.event:{event.pk}",
                             status=Job.Status.DONE).first()
    if job is None or not job.result.get("file"):
        return None
    if job.finished_at and job.finished_at < timezone.now() - kept_for():
        return None  # due to be deleted: not served meanwhile
    path = print_folder(job.pk) / job.result["file"]
    return path if path.is_file() else None


def print_files_forget() -> int:
    """Periodic: delete the files of print jobs finished more than PLEDGECARD_PRINT_KEPT_HOURS ago, and any
    folder whose job is gone or has not moved for as long (a job abandoned half-way). Returns how many
    folders it deleted."""
    root = Path(settings.MEDIA_ROOT) / "print"
    if not root.is_dir():
        return 0
    cutoff = timezone.now() - kept_for()
    folders = {p.name: p for p in root.iterdir() if p.is_dir()}
    alive = set()
    for job_id, status, finished_at, updated_at in Job.objects.filter(
            kind=JOB_KIND, pk__in=[n for n in folders if _is_uuid(n)]).values_list(
            "pk", "status", "finished_at", "updated_at"):
        moment = finished_at if status in (Job.Status.DONE, Job.Status.FAILED) else updated_at
        if moment and moment >= cutoff:
            alive.add(str(job_id))
    deleted = 0
    for name, path in folders.items():
        if name not in alive:
            shutil.rmtree(path, ignore_errors=True)
            deleted += 1
    return deleted


def _is_uuid(name: str) -> bool:
    import uuid

    try:
        uuid.UUID(name)
    except ValueError:
        return False
    return True

