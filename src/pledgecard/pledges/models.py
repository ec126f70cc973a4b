import uuid

from django.conf import settings
from django.db import models

from pledgecard.core.models import PrivateLink, Sector
from pledgecard.events.models import Event

# Limits shown to the writer with a character count; a postcard is a postcard, not an essay.
LEARNT_MAX = 1000
COMMITMENT_MAX = 500
REFLECTION_MAX = 2000


class Theme(models.Model):
    """An inequality people care about: Core20PLUS5 for adults and children, plus local themes."""

    class Group(models.TextChoices):
        ADULTS = "adults", "Core20PLUS5 (adults)"
        CHILDREN = "children", "Core20PLUS5 (children and young people)"
        LOCAL = "local", "Local themes"
        OTHER = "other", "Other"

    name = models.CharField(max_length=120, unique=True)
    group = models.CharField(max_length=20, choices=Group.choices)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]

    def __str__(self):
        return self.name


class WallStatus(models.TextChoices):
    PENDING = "pending", "Waiting for approval"
    PUBLISHED = "published", "Published"
    HIDDEN = "hidden", "Hidden"


class Postcard(PrivateLink):
    """What someone learnt and the one thing they will do differently, to be sent back to them."""

    LINK_PURPOSE = "postcard"

    class Source(models.TextChoices):
        ONLINE = "online", "Written online"
        PAPER = "paper", "Typed in from paper"
        IMPORT = "import", "Imported from a file"
        REFRESH = "refresh", "Refreshed pledge"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="postcards")
    name = models.CharField(max_length=120)
    email = models.EmailField(max_length=254)
    organisation = models.CharField(max_length=200)
    sector = models.ForeignKey(Sector, on_delete=models.PROTECT)
    learnt = models.TextField(max_length=LEARNT_MAX)
    commitment = models.TextField(max_length=COMMITMENT_MAX)
    theme = models.ForeignKey(Theme, null=True, blank=True, on_delete=models.PROTECT)
    # Consent, recorded with its time: a reminder is sent only while `wants_reminder` holds.
    wants_reminder = models.BooleanField()
    # How it comes back: email (always given), a text message or a printed letter, if the alliance offers them.
    channel = models.CharField(max_length=10, choices=[("email", "Email"), ("sms", "Text message"),
                                                       ("letter", "Printed letter")], default="email")
    phone = models.CharField(max_length=20, blank=True)  # a UK mobile, normalised: 447700900123
    address = models.TextField(blank=True)  # 3 to 7 lines, the postcode last (delivery/postal.py)
    reminder_consent_at = models.DateTimeField(null=True, blank=True)
    reminder_withdrawn_at = models.DateTimeField(null=True, blank=True)
    share_on_wall = models.BooleanField(default=False)  # the writer's consent to the pledge wall
    # Moderation: a shared pledge shows on the wall (and the public impact page) only once published.
    wall_status = models.CharField(max_length=10, choices=WallStatus.choices, default=WallStatus.PENDING)
    # A visitor reported it: it is off the wall (pending) until an organiser looks. Nothing about who reported.
    wall_reported_at = models.DateTimeField(null=True, blank=True)
    wall_reports = models.PositiveIntegerField(default=0)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.ONLINE)
    refreshed_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="refreshes"
    )
    # Same writer and words at the same event is the same postcard: a double-tapped button or a file
    # imported twice finds the first one instead of making another.
    dedupe_key = models.CharField(max_length=64)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["event", "dedupe_key"], name="postcard_once_per_event")]

    def __str__(self):
        return f"{self.name}: {self.commitment[:40]}"

    @property
    def subject(self) -> str:
        """How outbox messages name this postcard (delivery.Message.subject)."""
        return f"pledges.postcard:{self.pk}"

    @property
    def address_lines(self) -> list[str]:
        return [line for line in self.address.splitlines() if line.strip()]

    @property
    def comes_back_by(self) -> str:
        """"by text message to 07700 900123", for the writer's page."""
        if self.channel == "sms" and self.phone:
            national = "0" + self.phone[2:]
            return f"by text message to {national[:5]} {national[5:]}"
        if self.channel == "letter" and self.address:
            return f"as a printed letter to {', '.join(self.address_lines)}"
        return f"by email to {self.email}"

    @property
    def first_name(self) -> str:
        return self.name.split()[0] if self.name.split() else self.name


class FollowUp(models.Model):
    """The answer to "How did it go?", six months on."""

    class Outcome(models.TextChoices):
        DONE = "done", "I did it"
        UNDER_WAY = "under_way", "It is under way"
        NOT_YET = "not_yet", "Not yet"
        CHANGED = "changed", "I changed it"

    postcard = models.OneToOneField(Postcard, on_delete=models.CASCADE, related_name="follow_up")
    outcome = models.CharField(max_length=12, choices=Outcome.choices)
    reflection = models.TextField(max_length=REFLECTION_MAX, blank=True)
    answered_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)


class WallSettings(models.Model):
    """How an alliance moderates its pledge walls. Without a row: every shared pledge waits for approval."""

    alliance = models.OneToOneField("core.Alliance", on_delete=models.CASCADE, related_name="wall_settings")
    # Publish first and moderate after; pledges that look like they hold personal details still wait.
    publish_first = models.BooleanField(default=False)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "wall settings"
