"""When a postcard's reminder fails for good on one channel, send it on another the attendee gave us.

An organiser does it in one click from the postcard list (`resend`), or the alliance's automatic fallback
does it as soon as the failure is known (`after_failure`, on the outbox's `message_failed` signal, and the
periodic `fallbacks_auto` for failures recorded at send time). Each failed reminder gets at most one fallback,
and no channel is tried twice for the same postcard, so a fallback that fails too moves on to the next
channel or stops.
"""

import datetime as dt
import logging

from django.db import transaction
from django.utils import timezone

from pledgecard.core.models import AuditEntry
from pledgecard.delivery import services as delivery
from pledgecard.delivery.models import Message, NotifySettings
from pledgecard.delivery.notify import channels_offered
from pledgecard.pledges.models import Postcard

logger = logging.getLogger(__name__)
Channel = Message.Channel
REMINDER = Message.Kind.POSTCARD_REMINDER


class NoFallback(Exception):
    """The reminder cannot be sent another way (say why, for the organiser)."""


def to_address_for(postcard: Postcard, channel: str) -> str:
    """What the outbox row shows as the recipient. A letter's address is read from the postcard when it is sent."""
    if channel == Channel.SMS:
        return postcard.phone
    if channel == Channel.LETTER:
        return ", ".join(postcard.address_lines)[:254]
    return postcard.email


def postcard_of(message: Message) -> Postcard | None:
    """The postcard a reminder is about, with its event and alliance (None: not a postcard's message)."""
    label, _, pk = message.subject.partition(":")
    if label != "pledges.postcard" or not pk.isdigit():
        return None
    return Postcard.objects.select_related("event__alliance").filter(pk=int(pk)).first()


def options(message: Message, notify: NotifySettings | None = None, postcard: Postcard | None = None) -> list[str]:
    """Channels this failed reminder could go on instead: given by the attendee, offered, not tried yet."""
    if message.kind != REMINDER or message.status != Message.Status.FAILED:
        return []
    postcard = postcard or postcard_of(message)
    if postcard is None or not postcard.wants_reminder or message.fallbacks.exists():
        return []
    offered = channels_offered(postcard.event.alliance, notify)
    tried = set(delivery.messages_about(postcard).filter(kind=REMINDER).values_list("channel", flat=True))
    given = (
        [Channel.EMAIL]
        + ([Channel.SMS] if postcard.phone else [])
        + ([Channel.LETTER] if postcard.address else [])
    )
    return [str(channel) for channel in given if channel in offered and channel not in tried]


def resend(message: Message, channel: str, *, actor=None, automatic=False) -> Message:
    """Schedule the reminder again, now, on `channel`. Safe to call twice: the second call finds the first."""
    found = postcard_of(message)
    if found is None:
        raise NoFallback("This message is not a postcard's reminder.")
    with transaction.atomic():
        # One fallback per failure, even when an organiser's click and the automatic rule meet.
        postcard = Postcard.objects.select_for_update().select_related("event__alliance").get(pk=found.pk)
        message = Message.objects.get(pk=message.pk)
        existing = message.fallbacks.first()
        if existing is not None:
            return existing
        if channel not in options(message, postcard=postcard):
            raise NoFallback(f"This reminder cannot be sent by {Channel(channel).label.lower()}.")
        fallback = delivery.message_schedule(
            kind=REMINDER,
            subject=postcard.subject,
            alliance_id=postcard.event.alliance_id,
            to_address=to_address_for(postcard, channel),
            due_at=timezone.now(),
            channel=channel,
        )
        Message.objects.filter(pk=fallback.pk).update(fallback_for=message)
        AuditEntry.objects.create(
            actor=actor,
            alliance=postcard.event.alliance,
            action="reminder.fallback",
            detail={
                "message": str(message.id),
                "fallback": str(fallback.id),
                "channel": channel,
                "automatic": automatic,
            },
        )
    logger.info(
        "Reminder %s failed on %s; sending on %s as %s", message.id, message.channel, channel, fallback.id
    )
    return fallback


def after_failure(message: Message) -> Message | None:
    """A reminder has just failed for good: with the alliance's automatic fallback on, send it another way."""
    if message.kind != REMINDER or message.alliance_id is None:
        return None
    notify = NotifySettings.objects.filter(alliance_id=message.alliance_id).first()
    if notify is None or not notify.auto_fallback:
        return None
    message = Message.objects.get(pk=message.pk)
    choices = options(message, notify)
    return resend(message, choices[0], automatic=True) if choices else None


def on_message_failed(sender, message, **kwargs) -> None:
    """The outbox's `message_failed` signal (connected in PledgesConfig.ready)."""
    after_failure(message)


def fallbacks_auto() -> int:
    """Periodic: failures recorded at send time (a refused number, a letter Notify would not print)."""
    recent = timezone.now() - dt.timedelta(days=7)
    failed = Message.objects.filter(
        kind=REMINDER,
        status=Message.Status.FAILED,
        fallbacks__isnull=True,
        updated_at__gte=recent,
        alliance__notify_settings__auto_fallback=True,
        subject__startswith="pledges.postcard:",
    )
    done = 0
    for message in failed[:500]:
        if after_failure(message) is not None:
            done += 1
    return done
