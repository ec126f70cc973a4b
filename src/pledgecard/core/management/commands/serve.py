"""`pledgecard serve`: the web server (gunicorn) and the delivery worker together, stopped together."""

import os
import signal
import subprocess
import sys
import time

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the web server and the delivery worker together until Ctrl+C."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_WORKERS", "2")))

    def handle(self, *args, port, host, workers, **options):
        web = subprocess.Popen([  # noqa: S603 - our own executables, fixed arguments
            sys.executable, "-m", "gunicorn", "pledgecard.wsgi:application",
            "--bind", f"{host}:{port}", "--workers", str(workers), "--worker-class", "gthread", "--threads", "4",
            "--graceful-timeout", "10",
        ])
        worker = subprocess.Popen([sys.executable, "-m", "pledgecard", "worker"])  # noqa: S603
        children = [web, worker]

        def stop(signum, frame):
            for child in children:
                if child.poll() is None:
                    child.send_signal(signal.SIGTERM)

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            while all(child.poll() is None for child in children):
                time.sleep(0.5)
        finally:
            stop(None, None)
            for child in children:
                try:
                    child.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    child.kill()
