"""Stories of the work, written by anyone, moderated by the alliance's organisers, then published."""

import uuid

from django.conf import settings
from django.db import models

from pledgecard.core.models import Alliance, PrivateLink

TITLE_MAX = 150
TEXT_MAX = 10_000
NOTE_MAX = 2_000
ALT_MAX = 300


class Story(PrivateLink):
    """A story as its author wrote it: plain text (paragraphs kept), never HTML."""

    LINK_PURPOSE = "story"  # the author's private link: read the organisers' note, change and send again

    class Status(models.TextChoices):
        SUBMITTED = "submitted", "Waiting for an organiser"
        RETURNED = "returned", "Returned to the author"
        PUBLISHED = "published", "Published"
        REJECTED = "rejected", "Not published"

    class Credit(models.TextChoices):
        NAMED = "named", "Publish it with my name and organisation"
        ANONYMOUS = "anonymous", "Publish it without my name"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    alliance = models.ForeignKey(Alliance, on_delete=models.CASCADE, related_name="stories")
    title = models.CharField(max_length=TITLE_MAX)
    text = models.TextField(max_length=TEXT_MAX)
    themes = models.ManyToManyField("pledges.Theme", blank=True, related_name="stories")
    # A picture, checked and written again without its metadata (core/uploads.py).
    image = models.CharField(max_length=200, blank=True)  # storage name under MEDIA_ROOT
    image_type = models.CharField(max_length=40, blank=True)
    image_alt = models.CharField(max_length=ALT_MAX, blank=True)
    name = models.CharField(max_length=120)
    organisation = models.CharField(max_length=200, blank=True)
    email = models.EmailField(max_length=254)  # to tell them it is published, or to return it with a note
    # Consent to publish, as they gave it, with its time.
    credit = models.CharField(max_length=10, choices=Credit.choices)
    consent_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SUBMITTED)
    note = models.TextField(max_length=NOTE_MAX, blank=True)  # the organisers' note when returned
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    decided_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField()
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-submitted_at"]
        verbose_name_plural = "stories"
        indexes = [models.Index(fields=["alliance", "status", "-published_at"], name="story_alliance_status")]

    def __str__(self):
        return self.title

    @property
    def subject(self) -> str:
        """How outbox messages name this story (delivery.Message.subject)."""
        return f"stories.story:{self.pk}"

    @property
    def byline(self) -> str:
        if self.credit == self.Credit.ANONYMOUS:
            return "A member of the alliance"
        return ", ".join(part for part in (self.name, self.organisation) if part)

    @property
    def paragraphs(self) -> list[str]:
        """The text's paragraphs (blank lines between them); single line breaks are kept inside each."""
        text = self.text.replace("\r\n", "\n").replace("\r", "\n")
        return [p.strip("\n") for p in text.split("\n\n") if p.strip()]

    @property
    def first_name(self) -> str:
        return self.name.split()[0] if self.name.split() else self.name
