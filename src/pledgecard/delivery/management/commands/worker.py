import logging
import os
import signal
import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections
from django.utils.module_loading import import_string
from django_tasks_db.management.commands.db_worker import Worker as TaskWorker

from pledgecard.core import jobs
from pledgecard.delivery import sending

logger = logging.getLogger("pledgecard.worker")
MAX_PAUSE_SECONDS = 60


def close_old_connections_after_error():
    """After a failed sweep the connection may be broken or inside a failed transaction: start afresh."""
    from django.db import connections

    for connection in connections.all(initialized_only=True):
        try:
            connection.close()
        except Exception:  # noqa: BLE001 - closing a broken connection may fail too; the next use reconnects
            logger.debug("Closing %s after an error failed", connection.alias, exc_info=True)


class Command(BaseCommand):
    help = "Deliver due messages (and run queued background tasks) until stopped."
    # The web server's start (and `pledgecard check --deploy`) runs the system checks; here they cost seconds
    # at every start (the URL checks import every view), a reminder day's worth of time for `--once`.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=1.0, help="Seconds to wait when nothing is due.")
        parser.add_argument("--once", action="store_true", help="Deliver everything due now, then stop.")
        parser.add_argument("--batch-size", type=int, default=None)

    def handle(self, *args, interval, once, batch_size, **options):
        self.running = True
        # Finish the batch in hand (at most DELIVERY_BATCH_SIZE messages), then stop: a message cut off
        # half-sent would only be sent again after its lease, and a clean stop avoids that duplicate.
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)
        self.stdout.write(f"Pledgecard worker started (interval {interval:g}s). Ctrl+C to stop.")
        next_periodic = 0.0
        failures = 0
        while self.running:
            try:
                close_old_connections()
                if time.monotonic() >= next_periodic:
                    self.run_periodic_jobs()
                    next_periodic = time.monotonic() + settings.PLEDGECARD_PERIODIC_SECONDS
                self.run_queued_tasks()
                jobs_ran = jobs.jobs_run_due()
                report = sending.deliver_due(limit=batch_size)
            except Exception:
                # One bad sweep (the database busy or restarting, a bug) must not stop delivery for good: the
                # rows still say what is owed, so log it, wait longer each time, and go on.
                failures += 1
                pause = min(interval * 2 ** failures, MAX_PAUSE_SECONDS)
                logger.exception("Sweep failed (%d in a row); trying again in %.0f s", failures, pause)
                close_old_connections_after_error()
                time.sleep(pause)
                continue
            failures = 0
            if report.handled:
                logger.info("Delivered batch: %s", dict(report.outcomes))
            elif jobs_ran:
                continue
            elif once:
                break
            else:
                time.sleep(interval)

    def stop(self, signum, frame):
        self.running = False

    def run_periodic_jobs(self):
        """Housekeeping other apps ask for (expired waiting-list offers, retention): settings list them."""
        for path in settings.PLEDGECARD_PERIODIC_JOBS:
            try:
                done = import_string(path)()
            except Exception:  # one failing job must not stop delivery; it is logged with its traceback
                logger.exception("Periodic job %s failed", path)
            else:
                if done:
                    logger.info("%s: %s", path, done)

    def run_queued_tasks(self):
        """Run whatever tasks are queued now (django-tasks-db), then return to sweeping."""
        TaskWorker(
            queue_names=["*"],
            interval=0,
            batch=True,
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id=f"pledgecard-{os.getpid()}",
            excluded_queue_names=[],
        ).run()
