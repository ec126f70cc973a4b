"""The outbox's side that apps call: schedule messages about their rows, find, cancel and move them.

A message names what it is about by `subject` ("app_label.model:pk", e.g. "pledges.postcard:7"): the outbox
never imports the apps that send through it, and each app finds its own messages by that name
(`messages_about`). How the worker claims, sends and records them is in delivery/sending.py.
"""

import datetime as dt

from django.db.models import CharField, Count, QuerySet, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from pledgecard.core import personal_data
from pledgecard.delivery.models import Message
from pledgecard.delivery.personal_data import ERASED_REASON
from pledgecard.delivery.tasks import send_message

Status = Message.Status


def subject_of(instance) -> str:
    """How messages name a row: "app_label.model:pk"."""
    return f"{instance._meta.label_lower}:{instance.pk}"


def subject_expression(model):
    """The same name as a database expression on `model`'s rows, for filters and subqueries."""
    return Concat(Value(model._meta.label_lower + ":"), Cast("pk", CharField()))


def subject_pk(subject: str) -> int:
    """The primary key in a subject ("pledges.postcard:7" → 7)."""
    return int(subject.rpartition(":")[2])


def messages_about(about) -> QuerySet:
    """The messages about one row, or about every row of a queryset (one subquery, however many rows)."""
    if isinstance(about, QuerySet):
        subjects = about.order_by().annotate(message_subject=subject_expression(about.model))
        return Message.objects.filter(subject__in=subjects.values("message_subject"))
    return Message.objects.filter(subject=subject_of(about))


def message_schedule(*, kind: str, to_address: str, due_at: dt.datetime, subject: str, alliance_id=None,
                     channel: str = Message.Channel.EMAIL) -> Message:
    """Write a message to be sent at `due_at`. Call inside the transaction that saves what it is about.

    `subject` names what it is about (`subject_of(row)`); the kind's registered writer reads it at send time.
    `alliance_id`: whose message it is (its GOV.UK Notify settings, its organisers)."""
    if personal_data.is_erased(to_address):
        # What an erased person's address became: the row is kept (counts), nothing is ever sent.
        return Message.objects.create(
            kind=kind, subject=subject, alliance_id=alliance_id, to_address="", due_at=due_at,
            channel=channel, status=Status.CANCELLED, last_error=ERASED_REASON)
    message = Message.objects.create(kind=kind, subject=subject, alliance_id=alliance_id,
                                     to_address=to_address, due_at=due_at, channel=channel)
    if due_at <= timezone.now():
        # A nudge for messages due now (a confirmation): the worker runs the task at once instead of waiting
        # for its next sweep. The row, not the task, is the record: if the task is lost, the sweep sends it.
        # Written in the same transaction as the message: both are seen at the commit, or neither, and a
        # postcard's submission writes once, not twice (on SQLite each write takes the one write lock).
        send_message.enqueue(str(message.id))
    return message


def messages_cancel(queryset, reason: str) -> int:
    """Stop pending messages (consent withdrawn). A message already in a worker's hands may still go."""
    return queryset.filter(status__in=Message.PENDING).update(
        status=Status.CANCELLED, last_error=reason, updated_at=timezone.now()
    )


def messages_reschedule(queryset, due_at: dt.datetime) -> int:
    """Move pending messages to a new time; sent, failed and cancelled ones stay as they are."""
    return queryset.filter(status=Status.SCHEDULED).update(due_at=due_at, updated_at=timezone.now())


def status_counts(queryset) -> dict[str, int]:
    counts = dict(queryset.values_list("status").annotate(n=Count("id")).order_by())
    return {status: counts.get(status, 0) for status in Status.values}
