"""The outbox keeps its promises under crashes, slow and failing mail servers, and competing workers.

Every test asserts on what the SMTP server (a real aiosmtpd server on 127.0.0.1, tests/smtp_server.py)
actually received and on the Message rows, never on which functions were called. Tests marked `slow` run
real `pledgecard worker` processes against the test database and kill them with SIGKILL.

Run on both databases:
    .venv/bin/python -m pytest tests/test_delivery_reliability.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pledgecard .venv/bin/python -m pytest tests/...
"""

import datetime as dt
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection, connections
from django.utils import timezone

from pledgecard.core.models import Sector
from pledgecard.delivery import sending
from pledgecard.delivery.models import Message
from pledgecard.pledges import services as pledges
from pledgecard.pledges.models import Postcard

from .smtp_server import free_port

ROOT = Path(__file__).resolve().parents[1]
Status = Message.Status
REMINDER = Message.Kind.POSTCARD_REMINDER
WITHDRAWN_REASON = "The writer asked not to get it back."

# Workers (real processes, or threads here) need committed rows, and tests see the database as they leave it.
# serialized_rollback puts back the seeded rows (sectors, themes) that the flush after each test removes.
transactional = pytest.mark.django_db(transaction=True, serialized_rollback=True)
# Single-connection tests run inside a rolled-back transaction: the same code paths, and no flush to pay for.
in_process = pytest.mark.django_db


# --- Helpers ------------------------------------------------------------------------------------------------


def wait_until(predicate, timeout, what, describe=lambda: ""):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    if predicate():
        return
    raise AssertionError(f"Timed out after {timeout}s waiting for {what}.\n{describe()}")


def write_postcards(event, count, *, prefix, confirmation=False, reminder=True):
    """`count` postcards, each from its own address `{prefix}{i}@example.org`, through the product's service."""
    sector = Sector.objects.get(name="NHS")
    postcards = []
    for i in range(count):
        words = pledges.PostcardWords(
            name=f"Writer {prefix} {i}",
            email=f"{prefix}{i}@example.org",
            organisation="Test Trust",
            sector=sector,
            learnt="Life expectancy differs by years between wards.",
            commitment=f"Commitment number {i} from {prefix}.",
            theme=None,
            wants_reminder=reminder,
            share_on_wall=False,
        )
        written = pledges.postcard_write(
            event=event, words=words, source=Postcard.Source.PAPER, send_confirmation=confirmation
        )
        assert written.created
        postcards.append(written.postcard)
    return postcards


def make_reminders_due(postcards, when=None):
    """The reminder day has come for these postcards (whatever their reminders' status)."""
    when = when or timezone.now() - dt.timedelta(seconds=1)
    reminders = Message.objects.filter(kind=REMINDER, subject__in=[p.subject for p in postcards])
    return reminders.update(due_at=when)


def row_for_header(header) -> Message:
    return Message.objects.get(id=uuid.UUID(re.fullmatch(r"<(.+)@pledgecard>", header).group(1)))


def received_counts(smtp) -> Counter:
    return Counter(r.message_id for r in smtp.received)


def assert_deliveries_match_rows(smtp, messages):
    """Every delivery is one of `messages`, to its address; a letter sent twice carries one Message-ID."""
    by_header = {m.message_id_header: m for m in messages}
    per_letter = defaultdict(set)
    for received in smtp.received:
        row = by_header.get(received.message_id)
        assert row is not None, f"The server got a message nobody owed: {received.message_id}"
        assert received.rcpt == [row.to_address]
        per_letter[(row.to_address, received.message["Subject"])].add(received.message_id)
    reissued = {letter: ids for letter, ids in per_letter.items() if len(ids) > 1}
    assert not reissued, f"The same letter went out under different Message-IDs: {reissued}"


def drain(until, *, timeout=15.0, on_sweep=lambda: None):
    """Sweep in-process, as the worker loop does, until `until()` holds."""
    deadline = time.monotonic() + timeout
    while not until():
        assert time.monotonic() < deadline, "The outbox did not drain in time"
        sending.deliver_due()
        on_sweep()
        time.sleep(0.02)


def subprocess_database_url() -> str:
    """The test database, as a DATABASE_URL a worker process can use (NAME is the test name during tests)."""
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        name = str(db["NAME"])
        assert name and ":memory:" not in name and "mode=memory" not in name, "Workers need a file database"
        return f"sqlite:///{name}"
    assert db["ENGINE"] == "django.db.backends.postgresql", db["ENGINE"]
    auth = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        auth += ":" + quote(db["PASSWORD"], safe="")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{quote(db['NAME'], safe='')}"


class Workers:
    """Real `pledgecard worker` processes against the test database and the test SMTP server."""

    def __init__(self, smtp, log_dir: Path):
        self.smtp = smtp
        self.log_dir = log_dir
        self.started: list[tuple[subprocess.Popen, Path]] = []

    def env(self, **overrides):
        env = dict(os.environ)
        env.update(
            DATABASE_URL=subprocess_database_url(),
            EMAIL_URL=self.smtp.url,
            EMAIL_TIMEOUT="5",
            DELIVERY_LEASE_SECONDS="30",
            DELIVERY_BATCH_SIZE="5",
            DELIVERY_RETRY_BASE_SECONDS="0.2",
            DELIVERY_RETRY_MAX_SECONDS="1",
            LOG_LEVEL="INFO",
            PYTHONUNBUFFERED="1",
            DJANGO_SETTINGS_MODULE="pledgecard.settings",
        )
        env.update({key: str(value) for key, value in overrides.items()})
        return env

    def start(self, name, *args, **env) -> subprocess.Popen:
        log = self.log_dir / f"{name}.log"
        with open(log, "wb") as out:
            process = subprocess.Popen(  # noqa: S603 - our own interpreter and command
                [sys.executable, "-m", "pledgecard", "worker", "--interval", "0.1", *args],
                cwd=ROOT,
                env=self.env(**env),
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        self.started.append((process, log))
        return process

    def log(self, process) -> str:
        return next(log for p, log in self.started if p is process).read_text(errors="replace")

    def kill(self, process):
        """kill -9: no clean-up, no finishing the message in hand."""
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        assert process.returncode == -signal.SIGKILL

    def stop(self, process):
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)

    def describe(self) -> str:
        parts = []
        for process, log in self.started:
            tail = log.read_text(errors="replace")[-3000:] if log.exists() else ""
            parts.append(f"--- {log.name} (pid {process.pid}, exit {process.poll()}) ---\n{tail}")
        return "\n".join(parts)

    def tracebacks(self) -> list[str]:
        return [log.name for _, log in self.started if "Traceback" in log.read_text(errors="replace")]

    def close(self):
        for process, _ in self.started:
            if process.poll() is None:
                os.kill(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


@pytest.fixture
def workers(smtp, tmp_path):
    running = Workers(smtp, tmp_path)
    yield running
    # Before the test database is flushed (and the SMTP server stopped): no worker may outlive its test.
    running.close()


def sent_in_batches(log: str) -> int:
    return sum(int(n) for n in re.findall(r"Delivered batch: \{[^}]*'sent': (\d+)", log))


# --- 1. A worker killed in the middle of a batch ------------------------------------------------------------


@pytest.mark.slow
@transactional
def test_worker_killed_mid_batch_loses_nothing_and_duplicates_keep_their_message_id(event, smtp, workers):
    # Confirmations (sent through queued tasks, one connection each) and a reminder day's batch.
    confirmations = write_postcards(event, 4, prefix="new", confirmation=True, reminder=False)
    returning = write_postcards(event, 30, prefix="back")
    make_reminders_due(returning)
    subjects = [p.subject for p in confirmations + returning]
    owed = list(Message.objects.filter(subject__in=subjects, due_at__lte=timezone.now()))
    assert len(owed) == 34
    # Slow enough per message that a batch of 5 is still going when we strike.
    smtp.handler.delay_after_accept = 0.03
    seed = random.randrange(1_000_000)
    rng = random.Random(seed)
    kills = 0
    held = []  # messages the server had stored when their sender died, before it could say "250"
    for round_ in range(4):
        worker = workers.start(f"worker-{round_}", DELIVERY_LEASE_SECONDS=2)
        before = len(smtp.received)
        wait_until(lambda: len(smtp.received) >= before + 2, 30, f"worker-{round_} to send", workers.describe)
        if round_ % 2 == 0:
            # The worst moment: the server has the message, the worker has not heard back.
            smtp.handler.hold_next("after_accept")
            wait_until(smtp.handler.holding.is_set, 10, "a message to hold", workers.describe)
            workers.kill(worker)
            smtp.handler.release()
            header = smtp.handler.held_message_id
            assert row_for_header(header).status == Status.SENDING, "the kill came after the outcome was saved"
            held.append(header)
        else:
            time.sleep(rng.uniform(0, 0.2))  # anywhere: claiming, rendering, mid-send, recording
            workers.kill(worker)
        kills += 1

    final = workers.start("worker-final", DELIVERY_LEASE_SECONDS=2)
    owed_ids = [m.id for m in owed]
    wait_until(
        lambda: not Message.objects.filter(id__in=owed_ids).exclude(status=Status.SENT).exists(),
        30,
        "every message to be sent",
        workers.describe,
    )
    workers.stop(final)

    counts = received_counts(smtp)
    context = f"seed {seed}; counts {counts}"
    assert set(counts) == {m.message_id_header for m in owed}, f"Something owed never arrived ({context})"
    duplicates = sum(n - 1 for n in counts.values())
    assert duplicates <= kills, context
    for header in held:
        assert counts[header] >= 2, f"{header} was in flight at a kill and must have been sent again ({context})"
    assert_deliveries_match_rows(smtp, owed)
    for row in Message.objects.filter(id__in=owed_ids):
        assert row.status == Status.SENT
        assert row.provider_reference == row.message_id_header
        assert row.lease_token is None
    assert not workers.tracebacks(), workers.describe()


# --- 2. Temporary refusals: back off, then deliver ----------------------------------------------------------


def _refuse_temporarily(mode, smtp, settings, ids, refusals):
    """Make the mail server refuse the next `refusals` tries in the given way, then recover.

    Counted, not timed, so a slow machine cannot shorten the outage. Each message's first try is among the
    first refusals (one sweep takes them all), so every message is refused at least once.
    Returns a callable to run after each sweep.
    """
    if mode == "451 at DATA":
        smtp.handler.temporary_answer = "451 4.3.0 Greylisted, try again later"
        smtp.handler.temporary_next = refusals
    elif mode == "421 at DATA":
        smtp.handler.temporary_answer = "421 4.7.0 Too many messages, closing connection"
        smtp.handler.temporary_next = refusals
    elif mode == "421 greeting":
        smtp.handler.greeting_refuse_next = refusals
    elif mode == "connection refused":
        settings.EMAIL_PORT = free_port()  # nothing listens there

        def recover():
            tries = sum(Message.objects.filter(id__in=ids).values_list("attempts", flat=True))
            if tries >= refusals:
                settings.EMAIL_PORT = smtp.port

        return recover
    return lambda: None


REASONS = {
    "451 at DATA": "The mail server answered 451: 4.3.0 Greylisted",
    "421 at DATA": "The mail server answered 421: 4.7.0 Too many messages",
    "421 greeting": "The mail server answered 421: 4.3.2 Service not available",
    "connection refused": "Could not connect to the mail server",
}


@in_process
@pytest.mark.parametrize("mode", ["451 at DATA", "421 at DATA", "421 greeting", "connection refused"])
def test_temporary_refusal_backs_off_then_everything_arrives(mode, event, smtp, settings):
    base = 0.15
    settings.DELIVERY_RETRY_BASE_SECONDS = base
    settings.DELIVERY_RETRY_MAX_SECONDS = 0.6
    postcards = write_postcards(event, 3, prefix="grey")
    make_reminders_due(postcards)
    ids = list(
        Message.objects.filter(subject__in=[p.subject for p in postcards]).values_list("id", flat=True)
    )
    recover = _refuse_temporarily(mode, smtp, settings, ids, refusals=2 * len(ids))

    history = defaultdict(list)  # message id -> one snapshot per attempt, as the row stood after it

    def snapshot():
        recover()
        for row in Message.objects.filter(id__in=ids):
            if not history[row.id] or history[row.id][-1].attempts != row.attempts:
                history[row.id].append(row)
            assert row.status != Status.FAILED, f"{mode}: a temporary refusal failed a message: {row.last_error}"

    drain(lambda: not Message.objects.filter(id__in=ids).exclude(status=Status.SENT).exists(), on_sweep=snapshot)

    counts = received_counts(smtp)
    rows = {row.id: row for row in Message.objects.filter(id__in=ids)}
    assert set(counts) == {row.message_id_header for row in rows.values()}
    assert all(n == 1 for n in counts.values()), f"{mode}: nothing was accepted before, so nothing twice: {counts}"
    for message_id, snapshots in history.items():
        row = rows[message_id]
        assert row.attempts > 1 and row.status == Status.SENT and row.last_error == ""
        retries = [s for s in snapshots if s.status == Status.RETRYING]
        assert len(retries) == row.attempts - 1
        for number, retry in enumerate(retries, start=1):
            # The reason is kept while it waits, for the organiser's page.
            assert REASONS[mode] in retry.last_error, retry.last_error
            # Exponential back-off with ±20% jitter, capped: the next try is pushed forward by at least that.
            floor = 0.8 * min(base * 2 ** (number - 1), settings.DELIVERY_RETRY_MAX_SECONDS)
            assert (retry.due_at - retry.updated_at).total_seconds() >= floor - 0.05
        assert [r.due_at for r in retries] == sorted(r.due_at for r in retries)
        assert len({r.due_at for r in retries}) == len(retries), "due_at must move forward on every retry"
        [arrived] = [r for r in smtp.received if r.message_id == row.message_id_header]
        assert arrived.at >= retries[-1].due_at.timestamp() - 0.05, "retried before it was due"
    if mode == "421 greeting":
        assert smtp.handler.greetings_refused == 2 * len(ids)
    elif mode.endswith("at DATA"):
        assert smtp.handler.temporary_refusals == 2 * len(ids)


@in_process
def test_temporary_refusals_give_up_after_the_configured_time_from_the_first_attempt(event, smtp, settings):
    """Not asked for by name, but the other side of back-off: a server that never recovers ends in `failed`."""
    settings.DELIVERY_RETRY_BASE_SECONDS = 0.1
    settings.DELIVERY_RETRY_MAX_SECONDS = 0.2
    give_up_after = 1.5
    settings.DELIVERY_GIVE_UP_AFTER_HOURS = give_up_after / 3600
    [postcard] = write_postcards(event, 1, prefix="never")
    make_reminders_due([postcard], when=timezone.now())
    smtp.handler.temporary_until = time.monotonic() + 3600
    message = Message.objects.get(subject=postcard.subject, kind=REMINDER)

    drain(lambda: Message.objects.get(id=message.id).status == Status.FAILED, timeout=give_up_after + 8)

    message.refresh_from_db()
    assert message.attempts > 2
    assert message.last_error.startswith("Gave up after")
    assert "451" in message.last_error
    tried_for = (message.updated_at - message.first_attempt_at).total_seconds()
    assert give_up_after <= tried_for < give_up_after + 3  # at the first try after the time, not much later
    assert smtp.received == []


# --- 3. A permanent refusal for one recipient ---------------------------------------------------------------


@in_process
def test_permanent_refusal_fails_that_message_shows_why_and_is_not_retried(
    event, smtp, settings, organiser_client
):
    settings.DELIVERY_RETRY_BASE_SECONDS = 0.05
    postcards = write_postcards(event, 3, prefix="card")
    bounced = postcards[1]
    answer = "550 5.1.1 Mailbox unavailable: no such user here"
    smtp.handler.refuse[bounced.email] = answer
    make_reminders_due(postcards)

    report = sending.deliver_due()

    assert report.outcomes == {"sent": 2, "failed": 1}
    failed = Message.objects.get(subject=bounced.subject, kind=REMINDER)
    assert failed.status == Status.FAILED
    assert failed.last_error == "The mail server answered 550: 5.1.1 Mailbox unavailable: no such user here"
    assert failed.attempts == 1
    assert smtp.to(bounced.email) == []
    assert {r.rcpt[0] for r in smtp.received} == {postcards[0].email, postcards[2].email}

    # Time passes and the worker keeps sweeping: nobody asks the server about that address again.
    time.sleep(0.2)
    assert sending.deliver_due().handled == 0
    assert sending.messages_claim(limit=10, now=timezone.now() + dt.timedelta(days=30)) == []
    assert smtp.handler.rcpt_attempts.count(bounced.email) == 1
    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == (Status.FAILED, 1)

    # The organiser sees which postcard bounced, and why.
    page = organiser_client.get(f"/organise/events/{event.slug}/postcards/")
    assert page.status_code == 200
    rows = re.findall(r"<tr class=\"nhsuk-table__row\">.*?</tr>", page.content.decode(), flags=re.S)
    assert len(rows) == 3
    for postcard in postcards:
        [row] = [row for row in rows if postcard.email in row]
        if postcard == bounced:
            assert "Failed" in row and failed.last_error in row
        else:
            assert "Sent" in row and "550" not in row


# --- 4. Two workers at once ---------------------------------------------------------------------------------


@pytest.mark.slow
@transactional
def test_two_workers_at_once_send_each_message_exactly_once(event, smtp, workers):
    returning = write_postcards(event, 60, prefix="pair")
    smtp.handler.delay_after_accept = 0.02
    first = workers.start("worker-a")
    second = workers.start("worker-b")
    for worker in (first, second):
        wait_until(lambda w=worker: "worker started" in workers.log(w), 30, "workers to start", workers.describe)

    # Both are sweeping when the reminder day comes, and new postcards arrive while they work.
    make_reminders_due(returning)
    written_now = write_postcards(event, 10, prefix="fresh", confirmation=True, reminder=False)
    subjects = [p.subject for p in returning + written_now]
    owed = list(Message.objects.filter(subject__in=subjects, due_at__lte=timezone.now()))
    assert len(owed) == 70
    owed_ids = [m.id for m in owed]
    wait_until(
        lambda: not Message.objects.filter(id__in=owed_ids).exclude(status=Status.SENT).exists(),
        60,
        "every message to be sent",
        workers.describe,
    )
    workers.stop(first)
    workers.stop(second)

    counts = received_counts(smtp)
    assert set(counts) == {m.message_id_header for m in owed}
    twice = {header: n for header, n in counts.items() if n > 1}
    assert not twice, f"Sent more than once: {twice}"
    assert_deliveries_match_rows(smtp, owed)
    assert set(Message.objects.filter(id__in=owed_ids).values_list("attempts", flat=True)) == {1}
    # Both really worked: each sent some of the batch.
    assert sent_in_batches(workers.log(first)) > 0, workers.describe()
    assert sent_in_batches(workers.log(second)) > 0, workers.describe()
    assert "sent_late" not in workers.log(first) + workers.log(second)
    assert not workers.tracebacks(), workers.describe()


# --- 5. A worker paused past its lease ----------------------------------------------------------------------


def _in_thread(target):
    """Run `target` in a thread with its own database connection; return (thread, result box)."""
    box = {}

    def run():
        try:
            box["result"] = target()
        except BaseException as exc:  # noqa: BLE001 - handed back to the test
            box["error"] = exc
        finally:
            connections.close_all()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, box


@transactional
def test_worker_paused_past_its_lease_cannot_overwrite_the_new_owners_outcome(event, smtp, settings):
    settings.DELIVERY_LEASE_SECONDS = 1
    settings.EMAIL_TIMEOUT = 20  # A's stall must outlast its lease, not its socket
    [postcard] = write_postcards(event, 1, prefix="slow")
    make_reminders_due([postcard])
    message = Message.objects.get(subject=postcard.subject, kind=REMINDER)

    # Worker A claims it and stalls mid-send (the server sits on its DATA) for longer than its lease.
    smtp.handler.hold_next("before_answer")
    thread, box = _in_thread(sending.deliver_due)
    wait_until(smtp.handler.holding.is_set, 10, "worker A to reach DATA")
    first_lease = Message.objects.get(id=message.id).lease_token
    time.sleep(1.2)

    # Worker B finds the lease run out, takes the message over and sends it.
    report_b = sending.deliver_due()
    assert report_b.outcomes == {"sent": 1}
    after_b = Message.objects.get(id=message.id)
    assert after_b.status == Status.SENT and after_b.attempts == 2

    # A wakes up: the server accepts its copy too, but A's record is refused.
    smtp.handler.release()
    thread.join(10)
    assert not thread.is_alive()
    assert "error" not in box, box.get("error")
    assert box["result"].outcomes == {"sent_late": 1}
    now = Message.objects.get(id=message.id)
    assert (now.status, now.sent_at, now.provider_reference, now.attempts, now.lease_token) == (
        after_b.status, after_b.sent_at, after_b.provider_reference, 2, None
    )
    assert now.lease_token != first_lease
    # At least once: two copies, recognisable as one by their shared Message-ID.
    assert received_counts(smtp) == Counter({message.message_id_header: 2})


@in_process
@pytest.mark.parametrize("second_outcome", ["sent", "failed", "retrying"])
def test_late_outcomes_are_refused_whatever_the_new_owner_did(second_outcome, event, smtp, settings):
    settings.DELIVERY_LEASE_SECONDS = 60
    [postcard] = write_postcards(event, 1, prefix="late")
    make_reminders_due([postcard])
    message = Message.objects.get(subject=postcard.subject, kind=REMINDER)
    t0 = timezone.now()
    [stalled] = sending.messages_claim(limit=10, now=t0)
    # Nobody may take it while the lease holds...
    assert sending.messages_claim(limit=10, now=t0 + dt.timedelta(seconds=59)) == []
    # ...but once it has run out, B does.
    [taken] = sending.messages_claim(limit=10, now=t0 + dt.timedelta(seconds=61))
    assert taken.id == stalled.id and taken.lease_token != stalled.lease_token

    if second_outcome == "failed":
        smtp.handler.refuse[postcard.email] = "550 5.1.1 No such user"
    elif second_outcome == "retrying":
        smtp.handler.temporary_until = time.monotonic() + 60
    assert sending.deliver([taken]).outcomes == {second_outcome: 1}
    smtp.handler.refuse.clear()
    smtp.handler.temporary_until = 0
    before = Message.objects.filter(id=message.id).values().get()

    assert sending.record_sent(stalled, stalled.message_id_header) is False
    assert sending.record_temporary_failure(stalled, "451 late") is False
    assert sending.record_permanent_failure(stalled, "550 late") is False
    # And a full late attempt: A's copy goes out (at least once), but its outcome is not kept.
    assert sending.deliver([stalled]).outcomes == {"sent_late": 1}

    assert Message.objects.filter(id=message.id).values().get() == before
    assert before["status"] == second_outcome


@in_process
def test_a_late_outcome_is_kept_when_nobody_took_over(event, smtp, settings):
    """The other side of the fence: an expired lease alone does not throw away a real outcome."""
    [postcard] = write_postcards(event, 1, prefix="alone")
    make_reminders_due([postcard], when=timezone.now() - dt.timedelta(hours=2))
    [claimed] = sending.messages_claim(limit=1, now=timezone.now() - dt.timedelta(hours=1))
    assert claimed.lease_expires_at < timezone.now()
    assert sending.deliver([claimed]).outcomes == {"sent": 1}
    assert Message.objects.get(id=claimed.id).status == Status.SENT


# --- 6. The server hangs up after accepting -----------------------------------------------------------------


@in_process
def test_dropped_connection_after_accept_resends_with_the_same_message_id(event, smtp, settings):
    settings.DELIVERY_RETRY_BASE_SECONDS = 0.1
    postcards = write_postcards(event, 6, prefix="drop")
    make_reminders_due(postcards)
    rows = list(Message.objects.filter(subject__in=[p.subject for p in postcards]).order_by("due_at", "id"))
    ids = [m.id for m in rows]
    dropped = {rows[1].message_id_header, rows[4].message_id_header}
    smtp.handler.drop_after_accept = set(dropped)

    first = sending.deliver_due()
    # The batch carries on over a new connection after each hang-up.
    assert first.outcomes == {"sent": 4, "retrying": 2}
    drain(lambda: not Message.objects.filter(id__in=ids).exclude(status=Status.SENT).exists())

    counts = received_counts(smtp)
    assert set(counts) == {m.message_id_header for m in rows}
    duplicates = {header: n for header, n in counts.items() if n > 1}
    assert duplicates == {header: 2 for header in dropped}
    assert sum(n - 1 for n in counts.values()) == smtp.handler.drops == 2
    assert_deliveries_match_rows(smtp, rows)
    for row in Message.objects.filter(id__in=ids):
        assert row.status == Status.SENT
        assert row.attempts == (2 if row.message_id_header in dropped else 1)


# --- 7. Consent withdrawn -----------------------------------------------------------------------------------


@pytest.mark.slow
@transactional
def test_withdrawn_reminders_are_never_sent_by_the_worker(event, smtp, settings, client, workers):
    settings.DELIVERY_RETRY_BASE_SECONDS = 60
    stopper, withdrawer, keeper = write_postcards(event, 3, prefix="consent")

    # One reminder already failed once (mailbox busy) and is waiting to retry when consent is withdrawn.
    smtp.handler.refuse[withdrawer.email] = "450 4.2.1 Mailbox busy, try later"
    make_reminders_due([withdrawer])
    assert sending.deliver_due().outcomes == {"retrying": 1}
    smtp.handler.refuse.clear()
    assert pledges.reminder_withdraw(withdrawer) == 1

    # Another writer uses the stop link from their email.
    assert client.get(f"/p/{stopper.token}/").status_code == 302
    response = client.post(f"/postcards/{stopper.public_id}/stop/")
    assert response.status_code == 302

    # The reminder day comes for all three, and a real worker runs.
    make_reminders_due([stopper, withdrawer, keeper])
    worker = workers.start("worker", "--once")
    worker.wait(timeout=60)
    assert worker.returncode == 0, workers.describe()

    assert [r.rcpt for r in smtp.received] == [[keeper.email]], "only the writer who still wants it hears back"
    assert smtp.handler.rcpt_attempts.count(withdrawer.email) == 1  # the refused try before withdrawal
    assert stopper.email not in smtp.handler.rcpt_attempts
    for postcard in (stopper, withdrawer):
        reminder = Message.objects.get(subject=postcard.subject, kind=REMINDER)
        assert (reminder.status, reminder.last_error) == (Status.CANCELLED, WITHDRAWN_REASON)
        postcard.refresh_from_db()
        assert postcard.wants_reminder is False and postcard.reminder_withdrawn_at is not None
    assert Message.objects.get(subject=keeper.subject, kind=REMINDER).status == Status.SENT
    assert not workers.tracebacks(), workers.describe()


@transactional
@pytest.mark.parametrize("while_", ["the attempt in hand fails temporarily", "its worker crashed"])
def test_withdrawal_while_a_reminder_is_in_a_workers_hands_stops_any_later_attempt(
    while_, event, smtp, settings
):
    """`messages_cancel` leaves a message in a worker's hands alone: that attempt may still go. Any later one
    (a retry after a 4xx, or another worker taking over after a crash) must not."""
    settings.DELIVERY_RETRY_BASE_SECONDS = 0.05
    settings.DELIVERY_LEASE_SECONDS = 60
    settings.EMAIL_TIMEOUT = 20
    [postcard] = write_postcards(event, 1, prefix="inflight")
    make_reminders_due([postcard])
    message = Message.objects.get(subject=postcard.subject, kind=REMINDER)

    if while_ == "its worker crashed":
        [claimed] = sending.messages_claim(limit=1)  # ...and that worker dies without a word
        assert pledges.reminder_withdraw(postcard) == 0  # not pending: in a worker's hands
        later = timezone.now() + dt.timedelta(seconds=61)
        sending.deliver(sending.messages_claim(limit=10, now=later))
    else:
        smtp.handler.temporary_until = time.monotonic() + 60
        smtp.handler.hold_next("before_answer")
        thread, box = _in_thread(sending.deliver_due)
        wait_until(smtp.handler.holding.is_set, 10, "the attempt to reach DATA")
        assert pledges.reminder_withdraw(postcard) == 0  # not pending: in a worker's hands
        smtp.handler.release()
        thread.join(10)
        assert "error" not in box, box.get("error")
        smtp.handler.temporary_until = 0  # the server recovers; the retry comes due
        drain(lambda: Message.objects.get(id=message.id).status not in Message.PENDING, timeout=5)

    assert smtp.received == []
    message.refresh_from_db()
    assert message.status == Status.CANCELLED
    assert sending.deliver_due().handled == 0
    assert smtp.received == []


@pytest.mark.django_db
def test_a_message_that_cannot_be_written_fails_alone_and_the_rest_go(client, event, smtp, monkeypatch):
    from pledgecard.delivery import rendering

    from .conftest import postcard_data

    for n in range(3):
        client.post(f"/e/{event.slug}/", postcard_data(email=f"w{n}@example.org", name=f"Writer {n}", reminder="no"))
    broken = Message.objects.order_by("created_at").first()
    original = rendering._writers[broken.kind]

    def writer(message):
        if message.id == broken.id:
            raise KeyError("a bug")
        return original(message)

    monkeypatch.setitem(rendering._writers, broken.kind, writer)
    report = sending.deliver_due()
    assert report.outcomes["failed"] == 1 and report.outcomes["sent"] == 2
    broken.refresh_from_db()
    assert broken.status == "failed" and "could not be written (KeyError)" in broken.last_error
    assert len(smtp.received) == 2
