import uuid

from django.db import models
from django.db.models import Q


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

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        SENDING = "sending", "Sending"
        RETRYING = "retrying", "Retrying"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    PENDING = (Status.SCHEDULED, Status.RETRYING)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=30, choices=Kind.choices)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.EMAIL)
    # What the message is about: one of these is set. Deleting the person deletes what was owed to them.
    postcard = models.ForeignKey("pledges.Postcard", null=True, blank=True, on_delete=models.CASCADE,
                                 related_name="messages")
    registration = models.ForeignKey("events.Registration", null=True, blank=True, on_delete=models.CASCADE,
                                     related_name="messages")
    to_address = models.CharField(max_length=254)
    due_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SCHEDULED)
    attempts = models.PositiveIntegerField(default=0)
    lease_token = models.UUIDField(null=True, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    provider_reference = models.CharField(max_length=200, blank=True)
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
        return f"{self.get_kind_display()} to {self.to_address} ({self.status})"

    @property
    def message_id_header(self) -> str:
        return f"<{self.id}@pledgecard>"
