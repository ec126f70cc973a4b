"""GOV.UK Notify: reminders by email, text message and printed letter, keeping the outbox's promises.

Notify has no idempotency key. Its `reference` is a label it lets us list by, so every notification carries the
message's stable id as its reference, and:
- the moment Notify accepts a message its id is written on the row (still under our lease), so a worker that
  dies before recording "sent" leaves the answer behind for the next one;
- before sending a message whose earlier attempt ended without an answer (a timeout, a dropped connection, a
  crash: attempts > 1 and no Notify id on the row), we ask Notify by reference, and a notification it already
  has counts as sent. Only a `technical-failure` one (Notify's fault, its advice is to resend) is sent again.

Every request first takes a slot from a per-key rate limiter shared by all workers through the database, to
stay under Notify's 3,000 requests a minute per key. A 429 means back off: the message is retried later and the
rest of the batch waits too. 5xx answers and timeouts are temporary. A 400 about the recipient or the letter is
permanent, with Notify's own words. A refused key (403), trial mode, or a template that does not exist is
nobody's fault but the organiser's set-up: the message waits (temporary) and the alliance's Notify settings
show the problem until someone fixes it.

Statuses come back two ways, because Notify retries its callbacks only 5 times: a callback endpoint
(`notify_callback`, in delivery/views.py) and a periodic poll by id (`statuses_poll`).
"""

import datetime as dt
import logging
import time
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from notifications_python_client import NotificationsAPIClient
from notifications_python_client.errors import HTTPError

from pledgecard.delivery import rendering
from pledgecard.delivery.channels import (
    EmailChannel,
    PermanentFailure,
    RenderedEmail,
    RenderedLetter,
    RenderedText,
    TemporaryFailure,
)
from pledgecard.delivery.models import Message, NotifyRateWindow, NotifySettings
from pledgecard.delivery.signals import message_failed

logger = logging.getLogger(__name__)
Channel = Message.Channel
Status = Message.Status

# Notify's statuses (email, text message, letter) and what each means for the outbox row.
IN_PROGRESS = {"created", "sending", "pending", "accepted", "pending-virus-check"}
DELIVERED = {"delivered", "received", "sent"}  # "received": the letter is posted; "sent": abroad, no receipt
RESEND = {"technical-failure"}
FAILED = {"permanent-failure", "temporary-failure", "validation-failed", "virus-scan-failed", "cancelled"}
WORDS = {
    "created": "Accepted by GOV.UK Notify",
    "sending": "Sending",
    "pending": "Sending",
    "accepted": "Letter accepted for printing",
    "pending-virus-check": "Letter being checked",
    "delivered": "Delivered",
    "received": "Letter posted",
    "sent": "Sent (abroad, no receipt)",
    "permanent-failure": "Permanent failure",
    "temporary-failure": "Temporary failure",
    "technical-failure": "Technical failure",
    "validation-failed": "Letter refused",
    "virus-scan-failed": "Letter refused",
    "cancelled": "Cancelled in Notify",
}
_TO_WHAT = {Channel.EMAIL: "email address", Channel.SMS: "mobile number", Channel.LETTER: "postal address"}

# 400 answers that say the set-up is wrong, not the message: the organiser can fix them, the message waits.
SETUP_PROBLEMS = (
    "trial mode",
    "team-only",
    "team and guest list",
    "template not found",
    "missing personalisation",
    "not allowed to send",
    "service is inactive",
)


def failure_words(channel: str, status: str) -> str:
    """What a final Notify failure means, and what to do, for the organiser's list."""
    what = _TO_WHAT.get(channel, "address")
    if status == "permanent-failure":
        return f"GOV.UK Notify: the {what} does not exist or cannot receive messages. Ask for a new {what}."
    if status == "temporary-failure":
        return (
            f"GOV.UK Notify tried for 72 hours (inbox full or phone off) and gave up. Check the {what} "
            f"with the attendee, or send it another way."
        )
    if status in ("validation-failed", "virus-scan-failed"):
        return "GOV.UK Notify refused the letter's PDF. Download it to check it, or send it another way."
    if status == "cancelled":
        return "The letter was cancelled in GOV.UK Notify."
    return f"GOV.UK Notify: {status}"


# --- Which channels an alliance offers -----------------------------------------------------------------------


def settings_for(alliance) -> NotifySettings | None:
    return NotifySettings.objects.filter(alliance=alliance).first()


def channels_offered(alliance, notify: NotifySettings | None = None) -> list[str]:
    """Email always (by SMTP or Notify); a text message or a letter only where the alliance uses Notify."""
    notify = notify if notify is not None else settings_for(alliance)
    offered = [Channel.EMAIL.value]
    if notify and notify.offer_sms and notify.sms_template_id:
        offered.append(Channel.SMS.value)
    if notify and notify.offer_letter:
        offered.append(Channel.LETTER.value)
    return offered


# --- Rate limiting -------------------------------------------------------------------------------------------


def rate_acquire(key_id: str) -> float:
    """Wait for a request slot for this key; returns the seconds waited.

    Each second of the clock has NOTIFY_RATE_LIMIT_PER_MINUTE / 60 slots, counted in the database so that all
    workers share them. Any 60 seconds overlap at most 61 such seconds, so the default 2,700 a minute (45 a
    second) never exceeds 61 × 45 = 2,745 requests in any minute: under Notify's 3,000.
    """
    per_second = max(1, settings.NOTIFY_RATE_LIMIT_PER_MINUTE // 60)
    waited = 0.0
    while True:
        now = time.time()
        second = int(now)
        taken = NotifyRateWindow.objects.filter(key_id=key_id, second=second, used__lt=per_second).update(
            used=F("used") + 1
        )
        if taken:
            return waited
        if not NotifyRateWindow.objects.filter(key_id=key_id, second=second).exists():
            try:
                with transaction.atomic():
                    NotifyRateWindow.objects.create(key_id=key_id, second=second, used=1)
                return waited
            except IntegrityError:
                continue  # another worker opened this second first: take a slot in it
        pause = second + 1 - now + 0.001
        time.sleep(pause)
        waited += pause


def rate_windows_prune() -> int:
    """Periodic: forget seconds long past."""
    return NotifyRateWindow.objects.filter(second__lt=int(time.time()) - 300).delete()[0]


# --- Talking to Notify ---------------------------------------------------------------------------------------


class SetupProblem(TemporaryFailure):
    """Nothing is wrong with the message: the alliance's Notify set-up needs an organiser."""


def client_for(notify: NotifySettings) -> NotificationsAPIClient:
    return NotificationsAPIClient(
        notify.api_key, base_url=settings.NOTIFY_BASE_URL, timeout=settings.NOTIFY_TIMEOUT
    )


def _error_text(error: HTTPError) -> str:
    message = error.message
    if isinstance(message, list):
        return "; ".join(str(e.get("message", e)) if isinstance(e, dict) else str(e) for e in message)
    return str(message)


def classify(error: HTTPError) -> TemporaryFailure | PermanentFailure:
    """Notify's answer, in the outbox's three words (sent, try later, never) and in words for people."""
    status = error.status_code
    text = _error_text(error)
    if error.response is None:
        # No answer at all: Notify may or may not have the message. The next attempt asks it by reference.
        return TemporaryFailure(
            f"GOV.UK Notify did not answer ({text}); it will be asked before sending again"
        )
    if status == 429:
        return TemporaryFailure(f"GOV.UK Notify asked us to slow down (429: {text})")
    if status == 403:
        return SetupProblem(
            f"GOV.UK Notify refused the API key (403: {text}). An organiser needs to add a "
            f"current API key in the alliance's GOV.UK Notify settings."
        )
    if status == 400 and any(phrase in text.lower() for phrase in SETUP_PROBLEMS):
        return SetupProblem(
            f"GOV.UK Notify cannot send it yet: {text}. An organiser needs to fix this in GOV.UK "
            f"Notify or in the alliance's GOV.UK Notify settings."
        )
    if status == 400:
        return PermanentFailure(f"GOV.UK Notify refused it: {text}")
    return TemporaryFailure(f"GOV.UK Notify answered {status}: {text}")


def problem_record(notify: NotifySettings, problem: str, channel: str = "") -> None:
    """Show the organiser a problem only they can fix. `channel` is the one it stops ("" for all: the key)."""
    NotifySettings.objects.filter(pk=notify.pk).update(
        problem=problem, problem_channel=channel, problem_at=timezone.now()
    )
    notify.problem, notify.problem_channel = problem, channel


def problem_clear(notify: NotifySettings, channel: str) -> None:
    """A send on `channel` worked: a problem that stopped it (or stopped everything) is over. A letter stopped
    by trial mode stays on the organiser's page however many text messages go."""
    if notify.problem and notify.problem_channel in ("", channel):
        NotifySettings.objects.filter(pk=notify.pk, problem_channel__in=["", channel]).update(
            problem="", problem_channel="", problem_at=None
        )
        notify.problem, notify.problem_channel = "", ""


def find_by_reference(client, notify: NotifySettings, reference: str) -> dict | None:
    """A notification Notify already has for this reference (not one it failed to send), or None."""
    rate_acquire(notify.key_id)
    found = client.get_all_notifications(reference=reference).get("notifications", [])
    for notification in found:
        if notification.get("reference") == reference and notification.get("status") not in RESEND:
            return notification
    return None


def _write_ahead(message: Message, notification_id: str, status: str) -> None:
    """Put Notify's id on the row the moment Notify accepts it, while our lease holds, before the outcome is
    recorded: a crash in between leaves the answer for whoever sends the message next."""
    Message.objects.filter(id=message.id, lease_token=message.lease_token, status=Status.SENDING).update(
        provider_reference=notification_id, provider_status=status, provider_status_at=timezone.now()
    )


class NotifyChannel:
    """Sends claimed messages through one alliance's Notify key. One per key per batch (the client is not
    thread-safe)."""

    def __init__(self, notify: NotifySettings):
        self.notify = notify
        self.client = client_for(notify)
        self.paused_until = 0.0  # after a 429 or a refused key, the rest of the batch waits

    def close(self):
        self.client.request_session.close()

    def _pause(self, seconds: float):
        self.paused_until = time.monotonic() + seconds

    def send(self, message: Message, render=rendering.render) -> str:
        if time.monotonic() < self.paused_until:
            raise TemporaryFailure(self.pause_reason)
        try:
            reference = self._send(message, render)
        except HTTPError as error:
            failure = classify(error)
            if error.status_code in (429, 403):  # the key is slowed down or refused: every message waits
                self.pause_reason = str(failure)
                self._pause(settings.NOTIFY_BACKOFF_SECONDS)
            if isinstance(failure, SetupProblem):
                problem_record(self.notify, str(failure), "" if error.status_code == 403 else message.channel)
            raise failure from error
        problem_clear(self.notify, message.channel)
        return reference

    def _send(self, message: Message, render) -> str:
        if message.provider_reference:
            # Notify accepted it on an earlier attempt whose worker died before recording it.
            return message.provider_reference
        reference = str(message.id)
        if message.attempts > 1:
            found = find_by_reference(self.client, self.notify, reference)
            if found is not None:
                logger.info(
                    "Message %s: Notify already has it (%s); not sending again", message.id, found["id"]
                )
                _write_ahead(message, found["id"], found.get("status", ""))
                return found["id"]
        rendered = render(message)
        rate_acquire(self.notify.key_id)
        if isinstance(rendered, RenderedText):
            answer = self.client.send_sms_notification(
                phone_number=rendered.to,
                template_id=self.notify.sms_template_id,
                personalisation={"body": rendered.body, **rendered.personalisation},
                reference=reference,
            )
            status = "created"
        elif isinstance(rendered, RenderedLetter):
            from io import BytesIO

            answer = self.client.send_precompiled_letter_notification(
                reference=reference, pdf_file=BytesIO(rendered.pdf), postage=self.notify.postage
            )
            status = "pending-virus-check"
        elif isinstance(rendered, RenderedEmail):
            answer = self.client.send_email_notification(
                email_address=rendered.to,
                template_id=self.notify.email_template_id,
                personalisation={
                    "subject": rendered.subject,
                    "body": rendered.text,
                    **rendered.personalisation,
                },
                reference=reference,
            )
            status = "created"
        else:  # pragma: no cover - a writer returned something no channel knows
            raise TypeError(f"Cannot send {type(rendered).__name__} through GOV.UK Notify")
        _write_ahead(message, answer["id"], status)
        return answer["id"]


class Dispatch:
    """Sends each claimed message on its channel: SMTP for email unless its alliance sends reminders through
    Notify; Notify for text messages and letters. Channels open lazily and close with the batch."""

    def __init__(self, smtp=None, render=rendering.render, before_commit=None):
        self.smtp = smtp or EmailChannel()
        self.render = render  # a batch's writer (rendering.Batch.render), or one message at a time
        # What must be done before another message can be accepted anywhere (delivery/sending.py's recorder).
        self.before_commit = before_commit
        self.smtp.before_commit = before_commit
        self.notify_channels: dict[int, NotifyChannel] = {}
        self._settings_by_alliance: dict[int, NotifySettings | None] = {}

    def _notify_settings(self, message: Message) -> NotifySettings | None:
        if message.alliance_id is None:
            return None
        if message.alliance_id not in self._settings_by_alliance:
            self._settings_by_alliance[message.alliance_id] = NotifySettings.objects.filter(
                alliance_id=message.alliance_id
            ).first()
        return self._settings_by_alliance[message.alliance_id]

    def channel_for(self, message: Message):
        if message.channel == Channel.EMAIL and not rendering.may_go_through_notify(message.kind):
            return self.smtp  # confirmations carry attachments (calendar files): SMTP only
        notify = self._notify_settings(message)
        if message.channel == Channel.EMAIL and not (notify and notify.email_template_id):
            return self.smtp
        if notify is None:
            raise PermanentFailure(
                f"This alliance no longer sends by {message.get_channel_display().lower()} (GOV.UK Notify is not "
                f"set up). Send it another way."
            )
        if notify.pk not in self.notify_channels:
            self.notify_channels[notify.pk] = NotifyChannel(notify)
        return self.notify_channels[notify.pk]

    def prepare(self, message: Message) -> None:
        """Write an email that goes by SMTP ahead of its turn. Whatever goes wrong is left to its own `send`,
        which meets it again (the batch's writer keeps what it wrote, errors too) and deals with it."""
        try:
            if self.channel_for(message) is self.smtp:
                self.smtp.prepare(message.message_id_header, self.render(message))
        except Exception:  # noqa: BLE001 - see above: the send that follows handles it
            logger.debug("Message %s could not be prepared ahead of its turn", message.id, exc_info=True)

    def send(self, message: Message, following: Message | None = None) -> str:
        """Send `message`; over SMTP, write `following` (the next in the batch) while the server reads it."""
        channel = self.channel_for(message)
        if channel is self.smtp:
            email = self.render(message)
            prepare_following = (lambda: self.prepare(following)) if following is not None else None
            return self.smtp.send(message.message_id_header, email, while_waiting=prepare_following)
        if self.before_commit is not None:
            self.before_commit()
        return channel.send(message, self.render)

    def close(self):
        self.smtp.close()
        for channel in self.notify_channels.values():
            channel.close()


# --- Statuses ------------------------------------------------------------------------------------------------


def status_record(message_filter: Q, status: str, *, at: dt.datetime | None = None) -> int:
    """Record what Notify says about one of our messages. Returns how many rows changed."""
    rows = Message.objects.filter(message_filter)
    changed = rows.exclude(provider_status=status).count()
    rows.update(provider_status=status, provider_status_at=at or timezone.now())
    for message in rows:
        changed += _status_apply(message, status)
    return changed


def _status_apply(message: Message, status: str) -> int:
    """Move a sent row to what Notify's final word means: failed (and maybe a fallback), or owed again."""
    sent = Message.objects.filter(pk=message.pk, status=Status.SENT)
    if status in FAILED:
        done = sent.update(
            status=Status.FAILED, last_error=failure_words(message.channel, status), updated_at=timezone.now()
        )
        if done:
            # The app that sent it may send it another way (a postcard's reminder: pledges/fallback.py).
            message_failed.send(sender=Message, message=message)
        return done
    if status in RESEND:
        # Notify's advice for a technical failure is to send it again. Clearing its id makes the next attempt
        # ask by reference first, which skips this failed notification and sends a new one.
        return sent.update(
            status=Status.RETRYING,
            due_at=timezone.now(),
            provider_reference="",
            last_error="GOV.UK Notify had a technical failure; sending again",
            updated_at=timezone.now(),
        )
    return 0


def statuses_poll(*, limit: int = 200) -> int:
    """Periodic: ask Notify about messages it has not finished with (callbacks are retried only 5 times).

    Each message is asked about at most every NOTIFY_POLL_MINUTES, and only for 7 days: then Notify forgets.
    """
    now = timezone.now()
    changed = 0
    # A final status that arrived while the row was still being recorded: apply it now.
    for message in Message.objects.filter(status=Status.SENT, provider_status__in=FAILED | RESEND):
        changed += _status_apply(message, message.provider_status)
    owed = (
        Message.objects.filter(
            status=Status.SENT, provider_status__in=IN_PROGRESS, sent_at__gte=now - dt.timedelta(days=7)
        )
        .filter(
            Q(provider_status_at__isnull=True)
            | Q(provider_status_at__lte=now - dt.timedelta(minutes=settings.NOTIFY_POLL_MINUTES))
        )
        .exclude(provider_reference="")
        .order_by("provider_status_at")[:limit]
    )
    clients: dict[int, tuple] = {}
    for message in owed:
        alliance_id = message.alliance_id
        if alliance_id is None:
            continue
        if alliance_id not in clients:
            notify = NotifySettings.objects.filter(alliance_id=alliance_id).first()
            clients[alliance_id] = (notify, client_for(notify) if notify else None)
        notify, client = clients[alliance_id]
        if client is None:
            continue
        rate_acquire(notify.key_id)
        try:
            notification = client.get_notification_by_id(message.provider_reference)
        except HTTPError as error:
            if error.status_code == 403:
                problem_record(notify, str(classify(error)), "")
            logger.warning("Notify status of %s: %s", message.id, error)
            Message.objects.filter(pk=message.pk).update(
                provider_status_at=now
            )  # ask again later, not at once
            continue
        changed += status_record(
            Q(pk=message.pk), notification.get("status", message.provider_status), at=now
        )
    for _, client in clients.values():
        if client is not None:
            client.request_session.close()
    rate_windows_prune()
    return changed


# --- Organisers' set-up --------------------------------------------------------------------------------------


def settings_save(
    alliance,
    *,
    actor,
    api_key: str,
    email_template_id: str,
    sms_template_id: str,
    offer_sms: bool,
    offer_letter: bool,
    postage: str,
    auto_fallback: bool,
    callback_token: str,
) -> NotifySettings:
    """Connect (or reconnect) an alliance to GOV.UK Notify."""
    import secrets

    from pledgecard.core.models import AuditEntry

    with transaction.atomic():
        notify = NotifySettings.objects.select_for_update().filter(alliance=alliance).first()
        new_key = notify is None or notify.api_key != api_key
        notify = notify or NotifySettings(alliance=alliance)
        notify.api_key = api_key
        notify.email_template_id = email_template_id
        notify.sms_template_id = sms_template_id
        notify.offer_sms = offer_sms
        notify.offer_letter = offer_letter
        notify.postage = postage
        notify.auto_fallback = auto_fallback
        notify.callback_token = callback_token or notify.callback_token or secrets.token_urlsafe(32)
        notify.updated_by = actor
        # Whatever was wrong may be fixed now; the next send says again if it is not.
        notify.problem, notify.problem_channel, notify.problem_at = "", "", None
        notify.save()
        # The key itself never goes in the audit log: only which one it was.
        AuditEntry.objects.create(
            actor=actor,
            alliance=alliance,
            action="notify.settings",
            detail={
                "key_ending": notify.key_last4,
                "new_key": new_key,
                "offer_sms": offer_sms,
                "offer_letter": offer_letter,
                "auto_fallback": auto_fallback,
            },
        )
    return notify


def settings_remove(alliance, *, actor) -> bool:
    from pledgecard.core.models import AuditEntry

    deleted = NotifySettings.objects.filter(alliance=alliance).delete()[0]
    if deleted:
        AuditEntry.objects.create(actor=actor, alliance=alliance, action="notify.removed", detail={})
    return bool(deleted)


@dataclass
class TrialResult:
    sent: list  # (what, to, notification id)
    problems: list  # words for the organiser


def send_test(notify: NotifySettings, *, email: str, mobile: str = "") -> TrialResult:
    """The "send a test to me" button: a test email (and text message) to the organiser, through Notify now."""
    result = TrialResult(sent=[], problems=[])
    client = client_for(notify)
    body = (
        "This is a test from Pledgecard. If you can read it, GOV.UK Notify is set up and reminders will be "
        "sent this way."
    )
    attempts = []
    what_channel = {"test email": Channel.EMAIL, "test text message": Channel.SMS}
    if notify.email_template_id and email:
        attempts.append(
            (
                "test email",
                email,
                lambda: client.send_email_notification(
                    email_address=email,
                    template_id=notify.email_template_id,
                    personalisation={
                        "subject": "Pledgecard test",
                        "body": body,
                        "first_name": "Test",
                        "event": "Test",
                        "link": settings.SITE_URL,
                        "stop_link": settings.SITE_URL,
                    },
                ),
            )
        )
    if notify.sms_template_id and mobile:
        attempts.append(
            (
                "test text message",
                mobile,
                lambda: client.send_sms_notification(
                    phone_number=mobile,
                    template_id=notify.sms_template_id,
                    personalisation={"body": body, "first_name": "Test", "link": settings.SITE_URL},
                ),
            )
        )
    if not attempts:
        result.problems.append(
            "Add an email template ID (or a text message template ID and your mobile number) to send a test."
        )
    try:
        for what, to, send in attempts:
            rate_acquire(notify.key_id)
            try:
                answer = send()
            except HTTPError as error:
                failure = classify(error)
                result.problems.append(f"The {what} to {to} was not sent. {failure}")
                if isinstance(failure, SetupProblem):
                    problem_record(notify, str(failure), "" if error.status_code == 403 else what_channel[what])
            else:
                result.sent.append((what, to, answer["id"]))
    finally:
        client.request_session.close()
    for what, _, _ in result.sent:
        problem_clear(notify, what_channel[what])
    return result


def callback_authorised(notify: NotifySettings | None, header: str) -> bool:
    """Notify's receipt carries "Authorization: Bearer <token>"; compared in constant time."""
    import hmac

    if notify is None or not notify.callback_token or not header.startswith("Bearer "):
        return False
    return hmac.compare_digest(header[len("Bearer ") :].encode(), notify.callback_token.encode())


def callback_record(notify: NotifySettings, payload: dict) -> int:
    """A delivery receipt from Notify: {id, reference, status, ...}. Only this alliance's messages change."""
    notification_id, reference, status = (str(payload.get(k) or "") for k in ("id", "reference", "status"))
    if not status or not (notification_id or reference):
        return 0
    if "\x00" in notification_id + reference + status:
        return 0  # not from Notify (PostgreSQL would refuse the text)
    ours = Q(alliance_id=notify.alliance_id)
    by_id = Q(provider_reference=notification_id) if notification_id else Q(pk__in=[])
    by_reference = Q()
    try:
        by_reference = Q(pk=uuid.UUID(reference), provider_reference__in=["", notification_id])
    except ValueError:
        by_reference = Q(pk__in=[])
    return status_record(ours & (by_id | by_reference), status)
