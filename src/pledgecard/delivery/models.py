import hashlib
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from pledgecard.core.crypto import EncryptedTextField


class Message(models.Model):
    """One outbound message: the outbox row is the truth about what is owed and what happened.

    A worker claims a due row under a lease, sends outside any transaction, and records the outcome only if
    the lease is still its own. The row's id is the email Message-ID (and the Notify reference), so a message
    sent twice after a crash carries the same id both times and can be recognised as a duplicate.
    """

    class Kind(models.TextChoices):
        POSTCARD_CONFIRMATION = "postcard_confirmation", "Postcard confirmation"
        POSTCARD_REMINDER = "postcard_reminder", "Postcard reminder"
        REGISTRATION_CONFIRMATION = "registration_confirmation", "Registration confirmation"
        REGISTRATION_CANCELLED = "registration_cancelled", "Registration cancelled"
        WAITING_LIST = "waiting_list", "On the waiting list"
        PLACE_OFFERED = "place_offered", "Place offered from the waiting list"
        AGENDA = "agenda", "Workshop agenda"

    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        SMS = "sms", "Text message"
        LETTER = "letter", "Printed letter"

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        SENDING = "sending", "Sending"
        RETRYING = "retrying", "Retrying"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    PENDING = (Status.SCHEDULED, Status.RETRYING)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # What the message is (a postcard reminder, a story published, ...). No `choices`: each app registers its
    # kinds with a writer (delivery/rendering.py), so a new kind needs no migration here.
    kind = models.CharField(max_length=40)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.EMAIL)
    # What the message is about, named by the app that sent it: "app_label.model:pk" (e.g.
    # "pledges.postcard:7"). The outbox never reads it; the kind's writer does (delivery/rendering.py), and
    # the app finds, cancels and deletes its messages by it.
    subject = models.CharField(max_length=80, blank=True, db_index=True)
    # Whose message it is: which alliance's GOV.UK Notify settings apply, whose receipts may change it, and
    # which alliance's organisers see it when a person's data is exported or erased.
    alliance = models.ForeignKey("core.Alliance", null=True, blank=True, on_delete=models.CASCADE,
                                 related_name="outbox_messages")
    to_address = models.CharField(max_length=254)
    due_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SCHEDULED)
    attempts = models.PositiveIntegerField(default=0)
    lease_token = models.UUIDField(null=True, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    provider_reference = models.CharField(max_length=200, blank=True)
    # What the provider (GOV.UK Notify) last said about a message it accepted: created, sending, delivered,
    # temporary-failure, permanent-failure, technical-failure, ... Kept here because Notify forgets after 7 days.
    provider_status = models.CharField(max_length=30, blank=True)
    provider_status_at = models.DateTimeField(null=True, blank=True)
    # A reminder sent on another channel after this one failed for good (see delivery/notify.py).
    fallback_for = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="fallbacks")
    last_error = models.TextField(blank=True)
    first_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["due_at"]
        indexes = [
            # What the worker asks for every second: due rows still owed. Partial, so it stays small.
            models.Index(
                fields=["due_at"],
                name="message_owed_due",
                condition=Q(status__in=["scheduled", "retrying", "sending"]),
            ),
        ]

    def __str__(self):
        return f"{self.kind} to {self.to_address} ({self.status})"

    @property
    def message_id_header(self) -> str:
        return f"<{self.id}@pledgecard>"


class NotifySettings(models.Model):
    """How one alliance sends through GOV.UK Notify. Without it, email goes by SMTP and nothing else is offered.

    The API key is a secret: pages show only its last 4 characters and never put it back in a form, and the
    database holds it encrypted (core/crypto.py).
    """

    class Postage(models.TextChoices):
        FIRST = "first", "First class"
        SECOND = "second", "Second class"
        ECONOMY = "economy", "Economy"

    alliance = models.OneToOneField("core.Alliance", on_delete=models.CASCADE, related_name="notify_settings")
    api_key = EncryptedTextField()
    email_template_id = models.CharField(max_length=36, blank=True)
    sms_template_id = models.CharField(max_length=36, blank=True)
    offer_sms = models.BooleanField(default=False)
    offer_letter = models.BooleanField(default=False)
    postage = models.CharField(max_length=10, choices=Postage.choices, default=Postage.SECOND)
    # Send on the attendee's other channel, without an organiser, when a reminder fails for good.
    auto_fallback = models.BooleanField(default=False)
    # Notify sends this as "Authorization: Bearer ..." with every delivery receipt.
    callback_token = models.CharField(max_length=100)
    # The last problem only an organiser can fix (key refused, trial mode), shown on their pages until fixed.
    problem = models.TextField(blank=True)
    problem_channel = models.CharField(max_length=10, blank=True)  # the channel it stops; blank: all (the key)
    problem_at = models.DateTimeField(null=True, blank=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "Notify settings"

    def __str__(self):
        return f"GOV.UK Notify for {self.alliance} (key ending {self.key_last4})"

    @property
    def key_last4(self) -> str:
        return self.api_key[-4:]

    @property
    def service_id(self) -> str:
        return self.api_key[-73:-37]

    @property
    def key_id(self) -> str:
        """Names the key without revealing it: a hash of the service and the secret, for the rate limiter."""
        return hashlib.sha256(self.api_key.encode()).hexdigest()[:32]


class NotifyRateWindow(models.Model):
    """Requests made with one Notify key in one second, shared by every worker process (the rate limiter)."""

    key_id = models.CharField(max_length=32)
    second = models.BigIntegerField()
    used = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["key_id", "second"], name="notify_rate_window_once")]
