import logging
import os
import signal
import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections
from django_tasks_db.management.commands.db_worker import Worker as TaskWorker

from pledgecard.delivery import services

logger = logging.getLogger("pledgecard.worker")


class Command(BaseCommand):
    help = "Deliver due messages (and run queued background tasks) until stopped."

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=1.0, help="Seconds to wait when nothing is due.")
        parser.add_argument("--once", action="store_true", help="Deliver everything due now, then stop.")
        parser.add_argument("--batch-size", type=int, default=None)

    def handle(self, *args, interval, once, batch_size, **options):
        self.running = True
        # Finish the message in hand, then stop: a message half-sent would only be sent again anyway.
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)
        self.stdout.write(f"Pledgecard worker started (interval {interval:g}s). Ctrl+C to stop.")
        while self.running:
            close_old_connections()
            self.run_queued_tasks()
            report = services.deliver_due(limit=batch_size)
            if report.handled:
                logger.info("Delivered batch: %s", dict(report.outcomes))
            elif once:
                break
            else:
                time.sleep(interval)

    def stop(self, signum, frame):
        self.running = False

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
