"""Long work in the background, in short transactions: imports of thousands of rows, for a start.

One import of 19,500 postcards in one transaction held SQLite's only write lock for 30 seconds: attendees'
postcards failed with "database is locked" meanwhile. A job instead
- is started by a page (or the command line) that only saves the job row and the file, then shows progress;
- is run by the delivery worker (`jobs_run_due`, between sweeps), which holds it under a lease;
- does its writes in steps of a few hundred rows, each step one short transaction that also records the
  progress, and only while the lease is still this worker's (`Progress.step`): a worker that stalled past
  its lease can neither write nor overwrite what the worker that took over did;
- checks everything before the first write, so as the organiser sees it, it is all or nothing: a file with
  a problem saves nothing and says what to fix; a good file is saved whole. A worker that dies half-way
  leaves the lease to run out; the next worker runs the job again, and every handler's steps are safe to
  run twice (postcards are found by their words, registrations by email or attendee number).
The row, not a task in the tasks backend, is the record, for the reason the outbox gives: that backend has
no retries and leaves a task RUNNING when its worker dies.

Apps register a handler per kind (`@handles("pledges.postcards_import")`) from their AppConfig.ready().
"""

import datetime as dt
import logging
import time
import uuid
from collections.abc import Callable
from contextlib import contextmanager

from django.conf import settings
from django.db import OperationalError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from pledgecard.core.models import Job

logger = logging.getLogger(__name__)
Status = Job.Status
# How long a worker may go between steps before another may take its job over.
LEASE_SECONDS = float(getattr(settings, "PLEDGECARD_JOB_LEASE_SECONDS", 120))
MAX_ATTEMPTS = 5

_handlers: dict[str, Callable] = {}


class JobFailed(Exception):
    """A handler's answer for a problem the organiser can fix (a bad file): the job stops, nothing saved,
    and `result` (e.g. errors by line) is shown."""

    def __init__(self, message: str, result: dict | None = None):
        super().__init__(message)
        self.result = result or {}


class LeaseLost(Exception):
    """Another worker took the job over: this one's step was rolled back, and it stops."""


def handles(kind: str):
    def register(function: Callable) -> Callable:
        _handlers[kind] = function
        return function

    return register


def job_start(*, kind: str, options: dict, data: bytes | None = None, alliance=None, subject: str = "",
              started_by=None, total: int = 0) -> Job:
    """Save a job for the worker to run. A moment's write: the work itself happens later, in steps."""
    if kind not in _handlers:
        raise ValueError(f"No handler for jobs of kind {kind!r}")
    return Job.objects.create(kind=kind, options=options, data=data, alliance=alliance, subject=subject,
                              started_by=started_by, total=total, progress_text="Waiting to start")


class Progress:
    """What a handler is given: write in `step()` blocks, each one short transaction with the progress."""

    def __init__(self, job: Job):
        self.job = job

    @contextmanager
    def step(self, *, done: int, total: int | None = None, text: str = "", result: dict | None = None):
        """Everything written inside commits together with `done` (and the running `result`, e.g. counts),
        and only while the lease holds."""
        with transaction.atomic():
            yield
            now = timezone.now()
            changes = {"done": done, "updated_at": now,
                       "lease_expires_at": now + dt.timedelta(seconds=LEASE_SECONDS)}
            if total is not None:
                changes["total"] = total
            if text:
                changes["progress_text"] = text[:200]
            if result is not None:
                changes["result"] = result
            if not Job.objects.filter(pk=self.job.pk, lease_token=self.job.lease_token).update(**changes):
                raise LeaseLost(f"Job {self.job.pk} was taken over by another worker")
        self.job.done = done
        self.job.total = total if total is not None else self.job.total
        self.job.result = result if result is not None else self.job.result
        _let_others_write()

    def note(self, *, done: int, total: int | None = None, text: str = "") -> None:
        """Progress with nothing else to write (checking rows before the first write)."""
        with self.step(done=done, total=total, text=text):
            pass


# SQLite's busy handler sleeps up to 100 ms between tries and is not fair: a job that took the write lock
# again the moment it let it go would keep attendees waiting until their timeout. A pause longer than that
# sleep after each step lets everyone waiting in. PostgreSQL locks rows, not the database: no pause there.
SQLITE_PAUSE_SECONDS = 0.12


def _let_others_write() -> None:
    if connection.vendor == "sqlite":
        time.sleep(SQLITE_PAUSE_SECONDS)


def _claim(job_id=None) -> Job | None:
    """Take one runnable job under a fresh lease: waiting, or running with a lease that has run out."""
    now = timezone.now()
    runnable = Q(status=Status.QUEUED) | Q(status=Status.RUNNING, lease_expires_at__lte=now)
    candidates = Job.objects.filter(runnable)
    if job_id is not None:
        candidates = candidates.filter(pk=job_id)
    token = uuid.uuid4()
    with transaction.atomic():
        first = candidates.order_by("created_at").select_for_update(skip_locked=True).values_list("pk", flat=True)
        job_id = first.first()
        if job_id is None:
            return None
        claimed = Job.objects.filter(runnable, pk=job_id).update(
            status=Status.RUNNING, lease_token=token, attempts=F("attempts") + 1, updated_at=now,
            lease_expires_at=now + dt.timedelta(seconds=LEASE_SECONDS))
    return Job.objects.filter(pk=job_id, lease_token=token).first() if claimed else None


def _finish(job: Job, status: str, result: dict) -> bool:
    now = timezone.now()
    return bool(Job.objects.filter(pk=job.pk, lease_token=job.lease_token).update(
        status=status, result=result, data=None, lease_token=None, lease_expires_at=None, finished_at=now,
        updated_at=now, done=F("total") if status == Status.DONE else F("done"),
        progress_text="Done" if status == Status.DONE else "Stopped"))


def job_run(job: Job) -> Job:
    """Run a claimed job to its end (or until the database is too busy, when it is left to run again)."""
    if job.attempts > MAX_ATTEMPTS:
        _finish(job, Status.FAILED, {"error": "This stopped several times before it could finish. Start it "
                                              "again; anything already saved will not be saved twice."})
        return Job.objects.get(pk=job.pk)
    started = time.monotonic()
    try:
        result = _handlers[job.kind](job, Progress(job))
    except JobFailed as failure:
        _finish(job, Status.FAILED, {"error": str(failure), **failure.result})
    except LeaseLost:
        logger.warning("Job %s (%s): lease lost; another worker has it", job.pk, job.kind)
    except OperationalError:
        # The database was busy or went away: the lease runs out and the job is run again.
        logger.exception("Job %s (%s): database problem; it will be run again", job.pk, job.kind)
    except Exception:
        logger.exception("Job %s (%s) failed", job.pk, job.kind)
        _finish(job, Status.FAILED, {"error": "Something went wrong on our side, and it stopped. Anything "
                                              "saved so far is kept and will not be saved twice: start it "
                                              "again to finish it."})
    else:
        _finish(job, Status.DONE, result or {})
        logger.info("Job %s (%s) done in %.1f s", job.pk, job.kind, time.monotonic() - started)
    return Job.objects.get(pk=job.pk)


def jobs_run_due() -> int:
    """The worker's turn at background jobs: run one waiting job, if there is one. Returns how many ran."""
    job = _claim()
    if job is None:
        return 0
    job_run(job)
    return 1


def job_run_now(job: Job) -> Job:
    """For the command line: run this job here and now, in the same steps the worker would use."""
    claimed = _claim(job.pk)
    if claimed is None:
        raise RuntimeError("Another worker is running this job")
    return job_run(claimed)


def jobs_forget() -> int:
    """Periodic: finished jobs are kept a while for their pages, then deleted (their results name people)."""
    days = getattr(settings, "PLEDGECARD_JOBS_KEPT_DAYS", 7)
    old = timezone.now() - dt.timedelta(days=days)
    return Job.objects.filter(status__in=[Status.DONE, Status.FAILED], finished_at__lt=old).delete()[0]
