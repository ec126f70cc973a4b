"""deploy/backup.sh and deploy/restore.sh on a real PostgreSQL (127.0.0.1:5432), end to end: postcards whose
reminders are due, a backup, the database dropped, the restore, then `pledgecard worker --once` against a real
SMTP server (aiosmtpd): each reminder goes exactly once.

Everything runs as an operator would run it, in subprocesses, on a database of the test's own (not pytest's).
Needs pg_dump, pg_restore and psql; skipped without a PostgreSQL to talk to, except under CI=true.
"""

import datetime as dt
import os
import shutil
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from .smtp_server import SMTPTestServer

ROOT = Path(__file__).resolve().parent.parent
PLEDGECARD = Path(sys.executable).with_name("pledgecard")
SERVER = os.environ.get("TEST_POSTGRES_SERVER", "postgres://postgres@127.0.0.1:5432")

pytestmark = pytest.mark.slow

CSV = "name,email,organisation,sector,learnt,commitment,theme,reminder,share\n" + "".join(
    f"Person {n},person{n}@example.org,Bradford Council,NHS,Learnt {n},Commitment {n},,{'no' if n == 4 else 'yes'},\n"
    for n in range(6)
)
MAKE_EVENT = """
import datetime as dt
from pledgecard.core.models import Alliance
from pledgecard.events.models import Event
alliance = Alliance.objects.create(name="Backup Alliance", slug="backup-alliance", contact_email="a@example.org")
Event.objects.create(alliance=alliance, slug="backup-day", title="Backup day", date=dt.date(2026, 1, 20),
                     venue="Town hall")
"""


def psql(url, sql):
    # The test's own statements and database names, no outside input.
    return subprocess.run(["psql", url, "-XtAc", sql], check=True, capture_output=True, text=True,  # noqa: S603, S607
                          timeout=60).stdout.strip()


@pytest.fixture
def database():
    if not all(shutil.which(tool) for tool in ("psql", "pg_dump", "pg_restore")):
        if os.environ.get("CI") == "true":
            pytest.fail("psql, pg_dump and pg_restore are needed (apt-get install postgresql-client)")
        pytest.skip("psql, pg_dump and pg_restore are not installed")
    admin = f"{SERVER}/postgres"
    try:
        psql(admin, "SELECT 1")
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
        if os.environ.get("CI") == "true":
            raise
        pytest.skip(f"No PostgreSQL at {SERVER}")
    name = f"pledgecard_backup_test_{os.getpid()}"
    psql(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    psql(admin, f'CREATE DATABASE "{name}"')
    yield f"{SERVER}/{name}", name
    psql(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_backup_drop_restore_then_the_worker_sends_each_due_reminder_once(database, tmp_path):
    url, name = database
    smtp = SMTPTestServer().start()
    env = {**os.environ, "DATABASE_URL": url, "EMAIL_URL": smtp.url, "EMAIL_TIMEOUT": "5",
           "PLEDGECARD_VAR_DIR": str(tmp_path / "var"), "DJANGO_SETTINGS_MODULE": "pledgecard.settings"}

    def run(*args, check=True):
        result = subprocess.run([*args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)  # noqa: S603
        if check:
            assert result.returncode == 0, result.stdout + result.stderr
        return result

    try:
        run(str(PLEDGECARD), "migrate", "--no-input", "-v0")
        run(str(PLEDGECARD), "shell", "-c", MAKE_EVENT)
        (tmp_path / "postcards.csv").write_text(CSV)
        run(str(PLEDGECARD), "postcards", "import", "backup-day", str(tmp_path / "postcards.csv"))
        today = dt.datetime.now(ZoneInfo("Europe/London")).date().isoformat()
        moved = run(str(PLEDGECARD), "reminders", "reschedule", "backup-day", today, "--time", "00:00").stdout
        assert "Moved 5 scheduled reminders" in moved and "at once" in moved
        due = sorted(psql(url, "SELECT id FROM delivery_message WHERE kind = 'postcard_reminder' "
                               "AND status = 'scheduled' AND due_at <= now()").split())
        assert len(due) == 5

        backup = run(str(ROOT / "deploy" / "backup.sh"), str(tmp_path / "backups")).stdout.strip().splitlines()[-1]
        assert Path(backup).is_file() and Path(backup).stat().st_mode & 0o077 == 0  # the owner's only

        psql(f"{SERVER}/postgres", f'DROP DATABASE "{name}" WITH (FORCE)')
        gone = f"SELECT count(*) FROM pg_database WHERE datname = '{name}'"  # noqa: S608 - the test's own name
        assert psql(f"{SERVER}/postgres", gone) == "0"

        restored = run(str(ROOT / "deploy" / "restore.sh"), backup)
        assert "Restored" in restored.stdout
        # A second restore over the restored data is refused without --replace, and leaves it alone.
        refused = run(str(ROOT / "deploy" / "restore.sh"), backup, check=False)
        assert refused.returncode == 1 and "--replace" in refused.stderr
        run(str(PLEDGECARD), "migrate", "--no-input", "-v0")  # as the guide says: nothing to do here

        assert smtp.received == []
        run(str(PLEDGECARD), "worker", "--once")
        smtp.wait_for(5)
        run(str(PLEDGECARD), "worker", "--once")  # a second sweep finds nothing owed

        got = sorted(r.message_id for r in smtp.received)
        assert got == sorted(f"<{i}@pledgecard>" for i in due)  # every due reminder, each exactly once
        assert sorted(r.rcpt[0] for r in smtp.received) == [f"person{n}@example.org" for n in (0, 1, 2, 3, 5)]
        assert psql(url, "SELECT status, count(*) FROM delivery_message WHERE kind = 'postcard_reminder' "
                         "GROUP BY status") == "sent|5"
    finally:
        smtp.stop()


def test_restore_refuses_a_file_that_is_not_a_backup(database, tmp_path):
    url, _ = database
    junk = tmp_path / "junk.dump"
    junk.write_bytes(b"not a dump")
    result = subprocess.run([str(ROOT / "deploy" / "restore.sh"), str(junk)], env={**os.environ, "DATABASE_URL": url},  # noqa: S603
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "not a backup" in result.stderr
