"""The worker's side of the outbox: claim, send and record messages so that none is lost and duplicates are
detectable.

The rules (DESIGN.md, "Delivery"):
- a message row is written in the same transaction as whatever it is about (delivery/services.py);
- a worker claims due rows under a time-limited lease, in a short transaction of its own;
- it sends outside any transaction;
- it records the outcome only if the lease is still its own (the fencing check), so a worker that stalled
  past its lease cannot overwrite what the worker that took over has done.
Delivery is at-least-once: a crash after the server accepted a message and before we recorded it means the
message is sent again, with the same Message-ID.

What makes it fast (issue 12): a batch is written from prepared data (delivery/rendering.py `Batch`), the
email's bytes are built directly over one SMTP connection (delivery/channels.py), each while the server is
still reading the one before (so the worker and the server, sharing the machine's cores, no longer take turns
waiting for each other), and outcomes are recorded
with plain SQL, a "sent" in one UPDATE for every DELIVERY_RECORD_EVERY messages (default 1: a worker killed
mid-batch then duplicates only the message it was sending). On PostgreSQL these commits do not wait for the
disk (`synchronous_commit = off`, for the worker's claims and outcomes only): a commit was 4 ms of fsync, most
of a message's time. A killed worker loses nothing by it, since the server has the commit; only a crash of the
database server itself can forget the last fraction of a second of outcomes, and those messages are then sent
again with the same Message-ID, never lost.
"""

import contextlib
import datetime as dt
import logging
import random
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from pledgecard.core import personal_data
from pledgecard.delivery import rendering
from pledgecard.delivery.channels import EmailChannel, PermanentFailure, TemporaryFailure
from pledgecard.delivery.models import Message
from pledgecard.delivery.notify import Dispatch
from pledgecard.delivery.personal_data import ERASED_REASON

logger = logging.getLogger(__name__)
Status = Message.Status


def _owed(now: dt.datetime) -> Q:
    """Rows a worker may claim: due and pending, or claimed by a worker whose lease has run out."""
    return Q(status__in=Message.PENDING, due_at__lte=now) | Q(status=Status.SENDING, lease_expires_at__lte=now)


def messages_claim(*, limit: int, now: dt.datetime | None = None, ids=None) -> list[Message]:
    """Take up to `limit` owed messages under a fresh lease and return them, oldest due first."""
    now = now or timezone.now()
    lease_token = uuid.uuid4()
    pending = Message.objects.filter(status__in=Message.PENDING, due_at__lte=now)
    stalled = Message.objects.filter(status=Status.SENDING, lease_expires_at__lte=now)
    if ids is not None:
        pending, stalled = pending.filter(id__in=ids), stalled.filter(id__in=ids)
    with transaction.atomic():
        _commit_without_waiting_for_disk(local=True)
        # SKIP LOCKED lets several PostgreSQL workers take different rows at once. SQLite has one writer at
        # a time (IMMEDIATE transactions), which serialises claims there. Two queries, not one with OR: each
        # can then walk its index in due order and stop after `limit` rows, however long the backlog is.
        candidates = []
        for owed in (pending, stalled):
            locked = owed.order_by("due_at").select_for_update(skip_locked=True)
            candidates += list(locked.values_list("due_at", "id")[:limit])
        claimable_ids = [message_id for _, message_id in sorted(candidates)[:limit]]
        if not claimable_ids:
            return []
        # The same "owed" condition again: the update claims only rows nobody took in between.
        Message.objects.filter(_owed(now), id__in=claimable_ids).update(
            status=Status.SENDING,
            lease_token=lease_token,
            lease_expires_at=now + dt.timedelta(seconds=settings.DELIVERY_LEASE_SECONDS),
            attempts=F("attempts") + 1,
            updated_at=now,
            # In the same UPDATE, not another one over the same ids: a 500-id statement costs the worker.
            first_attempt_at=Coalesce(F("first_attempt_at"), Value(now)),
        )
    return list(Message.objects.filter(id__in=claimable_ids, lease_token=lease_token).order_by("due_at"))


def _record(message: Message, **changes) -> bool:
    """Save the outcome only while our lease holds. Returns False when another worker has taken over."""
    changes.setdefault("updated_at", timezone.now())
    changes.update(lease_token=None, lease_expires_at=None)
    updated = Message.objects.filter(
        id=message.id, lease_token=message.lease_token, status=Status.SENDING
    ).update(**changes)
    if not updated:
        logger.warning("Message %s: lease lost before its outcome was recorded; outcome ignored", message.id)
    return bool(updated)


def _commit_without_waiting_for_disk(*, local: bool = False) -> None:
    """PostgreSQL: this transaction's (local) or this session's commits return before the WAL is on disk (see
    the module's docstring). Nothing on SQLite, whose commits are local to the machine anyway."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"SET {'LOCAL ' if local else ''}synchronous_commit TO off")


@contextlib.contextmanager
def _outcomes_session():
    _commit_without_waiting_for_disk()
    try:
        yield
    finally:
        if connection.vendor == "postgresql" and connection.connection is not None:
            with contextlib.suppress(Exception), connection.cursor() as cursor:
                cursor.execute("RESET synchronous_commit")


def _db(field: str, value):
    return Message._meta.get_field(field).get_db_prep_value(value, connection)


def record_sent_many(sent: list[tuple[Message, str]]) -> set:
    """Record these messages sent, in one UPDATE, each only while its lease holds (the fencing check).
    Returns the ids recorded; the others were taken over by another worker and are logged."""
    if not sent:
        return set()
    now = timezone.now()
    table = Message._meta.db_table
    params: list = [Status.SENT, _db("sent_at", now), _db("updated_at", now)]
    if connection.vendor == "postgresql":
        rows = ", ".join(["(%s::uuid, %s::uuid, %s)"] * len(sent))
        for message, reference in sent:
            params += [message.id, message.lease_token, reference]
        sql = (
            f"UPDATE {table} AS m SET status = %s, sent_at = %s, updated_at = %s,"  # noqa: S608 - our table
            " provider_reference = v.reference, last_error = '', lease_token = NULL, lease_expires_at = NULL"
            f" FROM (VALUES {rows}) AS v (id, lease, reference)"
            " WHERE m.id = v.id AND m.lease_token = v.lease AND m.status = %s RETURNING m.id"
        )
        params.append(Status.SENDING)
    else:
        references = " ".join(["WHEN %s THEN %s"] * len(sent))
        leased = " OR ".join(["(id = %s AND lease_token = %s)"] * len(sent))
        for message, reference in sent:
            params += [_db("id", message.id), reference]
        params.append(Status.SENDING)
        for message, _ in sent:
            params += [_db("id", message.id), _db("lease_token", message.lease_token)]
        sql = (
            f"UPDATE {table} SET status = %s, sent_at = %s, updated_at = %s,"  # noqa: S608 - as above
            f" provider_reference = CASE id {references} END,"
            " last_error = '', lease_token = NULL, lease_expires_at = NULL"
            f" WHERE status = %s AND ({leased}) RETURNING id"
        )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        recorded = {Message._meta.pk.to_python(row[0]) for row in cursor.fetchall()}
    for message, _ in sent:
        if message.id not in recorded:
            logger.warning("Message %s: lease lost before it was recorded sent; outcome ignored", message.id)
    return recorded


def record_sent(message: Message, provider_reference: str) -> bool:
    return bool(record_sent_many([(message, provider_reference)]))


def record_permanent_failure(message: Message, reason: str) -> bool:
    return _record(message, status=Status.FAILED, last_error=reason)


def retry_delay(attempts: int) -> float:
    """Exponential back-off with jitter: base, 2×base, 4×base, ... up to the cap."""
    base = settings.DELIVERY_RETRY_BASE_SECONDS
    delay = min(base * 2 ** max(attempts - 1, 0), settings.DELIVERY_RETRY_MAX_SECONDS)
    return delay * random.uniform(0.8, 1.2)  # noqa: S311 - jitter, not security


def record_temporary_failure(message: Message, reason: str) -> bool:
    now = timezone.now()
    # Counted from the first attempt: due_at moves forward with every retry, so it cannot be the start.
    started = message.first_attempt_at or message.due_at
    give_up_at = started + dt.timedelta(hours=settings.DELIVERY_GIVE_UP_AFTER_HOURS)
    if now >= give_up_at:
        hours = settings.DELIVERY_GIVE_UP_AFTER_HOURS
        return _record(message, status=Status.FAILED, last_error=f"Gave up after {hours:g} hours: {reason}")
    next_try = now + dt.timedelta(seconds=retry_delay(message.attempts))
    return _record(message, status=Status.RETRYING, due_at=next_try, last_error=reason)


@dataclass
class DeliveryReport:
    outcomes: Counter = field(default_factory=Counter)

    @property
    def handled(self) -> int:
        return sum(self.outcomes.values())


def _close_connection() -> None:
    connection.close()  # `connection` is per thread: this closes the calling thread's


class _Recorder:
    """Records sent messages on a thread (and so a database connection) of its own, while the main thread
    starts on the next message. `wait()` returns once the last record is written (raising its error, if any);
    the SMTP channel calls it before the server can take the next message (channels.sendmail_after), so a
    worker killed at any moment has still left at most one accepted message unrecorded."""

    def __init__(self, count):
        self.count = count
        self.pool = ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="outcomes", initializer=_commit_without_waiting_for_disk
        )
        self.pending = None

    def submit(self, sent: list) -> None:
        self.wait()
        if sent:
            self.pending = (sent, self.pool.submit(record_sent_many, sent))

    def wait(self) -> None:
        if self.pending is not None:
            (sent, future), self.pending = self.pending, None
            self.count(sent, future.result())

    def close(self) -> None:
        try:
            self.wait()
        finally:
            self.pool.submit(_close_connection).result()  # the thread's own connection
            self.pool.shutdown()


def deliver(messages: list[Message], channel=None) -> DeliveryReport:
    """Send claimed messages over one channel connection and record each outcome."""
    report = DeliveryReport()
    if not messages:
        return report
    # Callers send outside any transaction (the worker does): a slow mail server must never hold locks.
    # Each message goes on its own channel: SMTP, or GOV.UK Notify for text messages, letters and the email of
    # alliances that use it (delivery/notify.py). `channel` is the SMTP channel.
    unrecorded: list[tuple[Message, str]] = []  # sent, not yet recorded (at most DELIVERY_RECORD_EVERY)

    def count(sent, recorded):
        for outcome, n in (("sent", len(recorded)), ("sent_late", len(sent) - len(recorded))):
            if n:
                report.outcomes[outcome] += n

    # The worker (outside any transaction, on PostgreSQL) records on a thread of its own, overlapping the
    # next message's envelope; inside a transaction (a test's) another connection would not see the rows.
    recorder = None
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        recorder = _Recorder(count)
    channel = Dispatch(
        channel or EmailChannel(), rendering.Batch(messages).render, before_commit=recorder and recorder.wait
    )

    def record_unrecorded():
        if recorder is not None:
            recorder.submit(list(unrecorded))
        else:
            count(unrecorded, record_sent_many(unrecorded))
        unrecorded.clear()

    with _outcomes_session(), contextlib.ExitStack() as closing:
        closing.callback(channel.close)
        if recorder is not None:
            closing.callback(recorder.close)
        closing.callback(record_unrecorded)  # even when a send raises something unexpected
        for n, message in enumerate(messages):
            following = messages[n + 1] if n + 1 < len(messages) else None
            if personal_data.is_erased(message.to_address):
                _record(message, status=Status.CANCELLED, to_address="", last_error=ERASED_REASON)
                report.outcomes["cancelled"] += 1
                continue
            try:
                reference = channel.send(message, following)
            except TemporaryFailure as exc:
                record_temporary_failure(message, str(exc))
                report.outcomes["retrying"] += 1
            except PermanentFailure as exc:
                record_permanent_failure(message, str(exc))
                report.outcomes["failed"] += 1
            except rendering.NotWanted as exc:
                # Cancelled since it was claimed (consent withdrawn while a worker held it): never send it.
                _record(message, status=Status.CANCELLED, last_error=str(exc))
                report.outcomes["cancelled"] += 1
            else:
                unrecorded.append((message, reference))
                if len(unrecorded) >= settings.DELIVERY_RECORD_EVERY:
                    record_unrecorded()
    return report


def deliver_due(*, limit: int | None = None) -> DeliveryReport:
    """One sweep: claim a batch of owed messages and send them."""
    return deliver(messages_claim(limit=limit or settings.DELIVERY_BATCH_SIZE))


def deliver_one(message_id) -> DeliveryReport:
    return deliver(messages_claim(limit=1, ids=[message_id]))


