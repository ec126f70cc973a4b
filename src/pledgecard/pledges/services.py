"""Business rules for postcards: writing one, its reminder, following up, refreshing, withdrawing consent."""

import datetime as dt
import hashlib
import unicodedata
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from pledgecard.core import dates
from pledgecard.delivery import services as delivery
from pledgecard.delivery.models import Message
from pledgecard.pledges import wall
from pledgecard.pledges.fallback import to_address_for
from pledgecard.pledges.models import FollowUp, Postcard


@dataclass(frozen=True)
class PostcardWords:
    """What a writer puts on a postcard, checked by a form before it gets here."""

    name: str
    email: str
    organisation: str
    sector: object
    learnt: str
    commitment: str
    theme: object | None
    wants_reminder: bool
    share_on_wall: bool
    # How it comes back (an alliance with GOV.UK Notify may offer a text message or a letter).
    channel: str = "email"
    phone: str = ""  # a UK mobile, normalised (delivery/postal.py)
    address: str = ""  # 3 to 7 lines, the postcode last


def _normalise(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


def dedupe_key(words: PostcardWords) -> str:
    parts = [_normalise(p) for p in (words.name, words.email, words.learnt, words.commitment)]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def reminder_due_at(event, *, written_at: dt.datetime | None = None, refreshed: bool = False) -> dt.datetime:
    """When a postcard written at `written_at` (default now) comes back.

    A postcard from the event comes back on the event's reminder day. One written after that day has passed
    (late, or a refreshed pledge) comes back six months after it was written, at the event's send time.
    """
    written_at = written_at or timezone.now()
    if not refreshed and event.reminder_due_at > written_at:
        return event.reminder_due_at
    written_on = timezone.localdate(written_at, timezone=event.zone)
    return dates.reminder_due_at(dates.refreshed_reminder_date(written_on), event.reminder_time, event.time_zone)


@dataclass(frozen=True)
class Written:
    postcard: Postcard
    created: bool


def postcard_write(
    *, event, words: PostcardWords, source: str, created_by=None, refreshed_from=None, send_confirmation=True
) -> Written:
    """Save a postcard with its confirmation and reminder messages, all or nothing.

    Writing the same words again at the same event returns the first postcard (created=False).
    """
    key = dedupe_key(words)
    now = timezone.now()
    postcard = Postcard(
        event=event,
        name=words.name,
        email=words.email,
        organisation=words.organisation,
        sector=words.sector,
        learnt=words.learnt,
        commitment=words.commitment,
        theme=words.theme,
        wants_reminder=words.wants_reminder,
        reminder_consent_at=now if words.wants_reminder else None,
        share_on_wall=words.share_on_wall,
        # Waits for an organiser unless the alliance publishes first (pledges/wall.py).
        wall_status=wall.status_for_new(alliance=event.alliance_id, share_on_wall=words.share_on_wall,
                                        commitment=words.commitment),
        channel=words.channel,
        phone=words.phone,
        address=words.address,
        source=source,
        refreshed_from=refreshed_from,
        dedupe_key=key,
        created_by=created_by,
    )
    postcard.set_new_link()
    try:
        with transaction.atomic():
            postcard.save()
            if send_confirmation:
                delivery.message_schedule(
                    kind=Message.Kind.POSTCARD_CONFIRMATION, subject=postcard.subject,
                    alliance_id=event.alliance_id, to_address=postcard.email, due_at=now,
                )
            if postcard.wants_reminder:
                delivery.message_schedule(
                    kind=Message.Kind.POSTCARD_REMINDER,
                    subject=postcard.subject,
                    alliance_id=event.alliance_id,
                    to_address=to_address_for(postcard, postcard.channel),
                    due_at=reminder_due_at(event, written_at=now, refreshed=refreshed_from is not None),
                    channel=postcard.channel,
                )
    except IntegrityError:
        # The same words are already saved (sent again, or a double tap that raced): the unique constraint on
        # (event, dedupe_key) is the check, so the usual case, a new postcard, costs no query to look first.
        existing = Postcard.objects.filter(event=event, dedupe_key=key).first()
        if existing is None:
            raise
        return Written(existing, created=False)
    return Written(postcard, created=True)


# One "here is your link again" email per postcard in this time, however often the same words are sent.
LINK_AGAIN_SECONDS = 600
LINK_AGAIN = "postcard_link_again"


def postcard_link_send_again(postcard: Postcard) -> bool:
    """Someone sent words we already have. Knowing a postcard's words must not open it, so its writer is
    emailed its link instead, at most once in LINK_AGAIN_SECONDS (the form must not fill anyone's inbox)."""
    since = timezone.now() - dt.timedelta(seconds=LINK_AGAIN_SECONDS)
    with transaction.atomic():
        if delivery.messages_about(postcard).filter(kind=LINK_AGAIN, created_at__gte=since).exists():
            return False
        delivery.message_schedule(kind=LINK_AGAIN, subject=postcard.subject,
                                  alliance_id=postcard.event.alliance_id, to_address=postcard.email,
                                  due_at=timezone.now())
    return True


def postcard_for_token(token: str) -> Postcard | None:
    return Postcard.for_token(token, Postcard.objects.select_related("event", "event__alliance"))


def reminder_messages(postcard: Postcard):
    return delivery.messages_about(postcard).filter(kind=Message.Kind.POSTCARD_REMINDER)


def reminder_withdraw(postcard: Postcard) -> int:
    """The writer no longer wants their postcard back: record it and cancel what is still pending."""
    with transaction.atomic():
        Postcard.objects.filter(pk=postcard.pk).update(wants_reminder=False, reminder_withdrawn_at=timezone.now())
        return delivery.messages_cancel(reminder_messages(postcard), "The writer asked not to get it back.")


def postcard_channel_change(postcard: Postcard, *, channel: str, phone: str = "", address: str = "") -> int:
    """The writer changes how their postcard comes back. Reminders not yet sent follow; returns how many."""
    with transaction.atomic():
        postcard.channel, postcard.phone, postcard.address = channel, phone, address
        postcard.save(update_fields=["channel", "phone", "address"])
        return reminder_messages(postcard).filter(status__in=Message.PENDING).update(
            channel=channel, to_address=to_address_for(postcard, channel), updated_at=timezone.now()
        )


def follow_up_answer(postcard: Postcard, *, outcome: str, reflection: str) -> FollowUp:
    follow_up, _ = FollowUp.objects.update_or_create(
        postcard=postcard, defaults={"outcome": outcome, "reflection": reflection}
    )
    return follow_up


def postcard_refresh(postcard: Postcard, *, learnt: str, commitment: str, theme, wants_reminder: bool) -> Written:
    """A new pledge from the same person, with its own reminder six months on."""
    words = PostcardWords(
        name=postcard.name,
        email=postcard.email,
        organisation=postcard.organisation,
        sector=postcard.sector,
        learnt=learnt,
        commitment=commitment,
        theme=theme,
        wants_reminder=wants_reminder,
        share_on_wall=postcard.share_on_wall,
        channel=postcard.channel,
        phone=postcard.phone,
        address=postcard.address,
    )
    return postcard_write(
        event=postcard.event,
        words=words,
        source=Postcard.Source.REFRESH,
        refreshed_from=postcard,
    )


def event_reminders_reschedule(event, new_date: dt.date, new_time: dt.time | None = None) -> int:
    """Move the whole event's reminder day. Returns how many scheduled reminders moved."""
    with transaction.atomic():
        event.reminder_date = new_date
        if new_time is not None:
            event.reminder_time = new_time
        event.save(update_fields=["reminder_date", "reminder_time"])
        event_cycle = delivery.messages_about(
            Postcard.objects.filter(event=event, refreshed_from__isnull=True)
        ).filter(kind=Message.Kind.POSTCARD_REMINDER)
        return delivery.messages_reschedule(event_cycle, event.reminder_due_at)


def event_reminder_counts(event) -> dict[str, int]:
    reminders = delivery.messages_about(Postcard.objects.filter(event=event))
    return delivery.status_counts(reminders.filter(kind=Message.Kind.POSTCARD_REMINDER))
