"""What the outbox holds about a person: the messages about their rows in the apps that send through it (their
postcards and registrations, found by the finders those apps register) and any other message sent to their
address, with their statuses, the provider's references and the last error. Registered from
`DeliveryConfig.ready()`; erased first, before the rows the messages are about lose the address.

Erasure keeps each message's row (the counts of reminders sent, failed and cancelled stay) and takes off what
was stored about the person: the address, number or postal address it went to, the provider's reference (the
key to their copy at GOV.UK Notify) and the last error (mail servers quote the address). Messages not yet
sent are cancelled, and the outbox refuses to send to an erased address (delivery/sending.py), so nothing
goes to them afterwards.
"""

from collections.abc import Callable

from django.db.models import Q
from django.utils import timezone

from pledgecard.delivery.models import Message

ERASED_REASON = "Not sent: the person's data was erased"
Status = Message.Status

# Each app that sends through the outbox says which of its rows belong to a person (the outbox knows only
# messages): `finder(email, alliances)` returns {subject: what it is, in words for the export}, e.g.
# {"pledges.postcard:7": "postcard 5c0e…"}. Registered from the app's `ready()`.
_subject_finders: list[Callable[..., dict[str, str]]] = []


def subjects_register(finder: Callable[..., dict[str, str]]) -> None:
    _subject_finders.append(finder)


def _subjects(email: str, alliances) -> dict[str, str]:
    about: dict[str, str] = {}
    for finder in _subject_finders:
        about.update(finder(email, alliances))
    return about


def messages_of(email: str, alliances=None, about: dict[str, str] | None = None):
    about = _subjects(email, alliances) if about is None else about
    if alliances is None:
        return Message.objects.filter(Q(subject__in=list(about)) | Q(to_address__iexact=email))
    # For an alliance: only messages about its rows (the finders limit them to its alliances); other kinds
    # belong to no alliance here, and their own app erases them with what they are about.
    return Message.objects.filter(subject__in=list(about), alliance_id__in=alliances)


def export(email: str, *, alliances=None) -> list:
    about = _subjects(email, alliances)
    messages = messages_of(email, alliances, about).select_related("alliance").order_by("created_at")
    records = []
    for m in messages:
        records.append(
            {
                "what": "message",
                "alliance": m.alliance.slug if m.alliance else None,
                "kind": m.kind.replace("_", " "),
                "about": about.get(m.subject, m.subject),
                "by": m.get_channel_display(),
                "to": m.to_address,
                "status": m.get_status_display(),
                "due_at": m.due_at,
                "sent_at": m.sent_at,
                "attempts": m.attempts,
                "provider_reference": m.provider_reference,
                "provider_status": m.provider_status,
                "last_error": m.last_error,
                "message_id": str(m.id),
            }
        )
    return records


def messages_anonymise(messages) -> int:
    """Cancel what is still owed and take the person's details off every row; returns the rows changed."""
    ids = list(messages.values_list("pk", flat=True))
    now = timezone.now()
    rows = Message.objects.filter(pk__in=ids)
    # A message a worker holds (sending) is cancelled too: the worker's result is then refused by the lease
    # check, and writers that re-read their rows at send time (reminders) do not send it.
    rows.filter(status__in=[*Message.PENDING, Status.SENDING]).update(
        status=Status.CANCELLED, lease_token=None, lease_expires_at=None, updated_at=now
    )
    return rows.update(to_address="", provider_reference="", last_error=ERASED_REASON, updated_at=now)


def erase(email: str, *, alliances=None) -> int:
    return messages_anonymise(messages_of(email, alliances))
