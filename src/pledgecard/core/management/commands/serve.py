"""`pledgecard serve`: the web server (gunicorn) and the delivery worker together, stopped together."""

import os
import signal
import subprocess
import sys
import time

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the web server and the delivery worker together until Ctrl+C."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_WORKERS", "2")))

    def handle(self, *args, port, host, workers, **options):
        # Pages name static files by their content's hash (STORAGES in settings.py): collect them first, so
        # every name a page uses exists, compressed, for whitenoise to find when the web server starts.
        call_command("collectstatic", interactive=False, verbosity=0)
        web = subprocess.Popen([  # noqa: S603 - our own executables, fixed arguments
            sys.executable, "-m", "gunicorn", "pledgecard.wsgi:application",
            "--bind", f"{host}:{port}", "--workers", str(workers), "--worker-class", "gthread", "--threads", "4",
            "--graceful-timeout", "10",
        ])
        worker = self.start_worker()
        restarts: list[float] = []
        stopping = False

        def stop(signum, frame):
            nonlocal stopping
            stopping = True
            for child in (web, worker):
                if child.poll() is None:
                    child.send_signal(signal.SIGTERM)

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            while not stopping and web.poll() is None:
                if worker.poll() is not None and not stopping:
                    # The worker died (a crash, the database gone for a while): the web server goes on, and
                    # a new worker picks up what was owed (the outbox and the jobs say what). Restarts slow
                    # down when it keeps dying, so a broken setting does not spin the machine.
                    now = time.monotonic()
                    restarts = [t for t in restarts if now - t < 300] + [now]
                    pause = min(2 ** (len(restarts) - 1), 60)
                    self.stderr.write(f"The delivery worker stopped (exit {worker.returncode}); "
                                      f"starting it again in {pause} s.")
                    time.sleep(pause)
                    if not stopping:
                        worker = self.start_worker()
                time.sleep(0.5)
        finally:
            stop(None, None)
            for child in (web, worker):
                try:
                    child.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    child.kill()

    def start_worker(self):
        return subprocess.Popen([sys.executable, "-m", "pledgecard", "worker"])  # noqa: S603
