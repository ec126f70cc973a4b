"""What the outbox holds about a person: the messages to them (postcards, registrations, and any other kind
sent to their address), with their statuses, the provider's references and the last error. Registered from
`DeliveryConfig.ready()`; erased first, before the rows the messages are about lose the address.

Erasure keeps each message's row (the counts of reminders sent, failed and cancelled stay) and takes off what
was stored about the person: the address, number or postal address it went to, the provider's reference (the
key to their copy at GOV.UK Notify) and the last error (mail servers quote the address). Messages not yet
sent are cancelled, and the outbox refuses to send to an erased address (delivery/services.py), so nothing
goes to them afterwards.
"""

from django.db.models import Q
from django.utils import timezone

from pledgecard.delivery.models import Message

ERASED_REASON = "Not sent: the person's data was erased"
Status = Message.Status


def messages_of(email: str, alliances=None):
    about = Q(postcard__email__iexact=email) | Q(registration__email__iexact=email)
    if alliances is None:
        return Message.objects.filter(about | Q(to_address__iexact=email))
    # For an alliance: only messages about its postcards and registrations (other kinds belong to no alliance
    # here; their own app erases them with what they are about).
    return Message.objects.filter(about).filter(
        Q(postcard__event__alliance_id__in=alliances) | Q(registration__event__alliance_id__in=alliances)
    )


def export(email: str, *, alliances=None) -> list:
    messages = (
        messages_of(email, alliances)
        .select_related("postcard__event__alliance", "registration__event__alliance")
        .order_by("created_at")
    )
    records = []
    for m in messages:
        owner = m.postcard or m.registration
        records.append(
            {
                "what": "message",
                "alliance": owner.event.alliance.slug if owner else None,
                "kind": m.kind.replace("_", " "),
                "about": (
                    f"postcard {m.postcard.public_id}"
                    if m.postcard
                    else f"registration {m.registration.public_id}"
                    if m.registration
                    else m.subject
                ),
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
