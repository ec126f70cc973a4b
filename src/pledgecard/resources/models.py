"""Resources (documents to read and share) and short links (/go/CODE) with their clicks per day.

Models refer to pledges' themes by name ("pledges.Theme") and import no other app's modules, so that events
and pledges can ask `resources.selectors` for what to show without an import cycle.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower

from pledgecard.core.models import Alliance

TITLE_MAX = 200
SUMMARY_MAX = 600
URL_MAX = 2000
CODE_MAX = 40


class Resource(models.Model):
    """A document for people to read and share: an uploaded PDF (or picture), or a page on another site."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    alliance = models.ForeignKey(Alliance, on_delete=models.CASCADE, related_name="resources")
    title = models.CharField(max_length=TITLE_MAX)
    summary = models.TextField(max_length=SUMMARY_MAX, blank=True)
    themes = models.ManyToManyField("pledges.Theme", blank=True, related_name="resources")
    version = models.CharField(max_length=60, blank=True, help_text="e.g. “November 2023” or “2nd edition”")
    # One of these two: a file we keep (checked by content, core/uploads.py) or an address on another site.
    file = models.CharField(max_length=200, blank=True)  # storage name under MEDIA_ROOT
    file_type = models.CharField(max_length=40, blank=True)
    file_name = models.CharField(max_length=100, blank=True)  # offered when downloading; never a path
    file_size = models.PositiveIntegerField(default=0)
    file_inline = models.BooleanField(default=True)  # False: the PDF has active content, download only
    external_url = models.URLField(max_length=URL_MAX, blank=True)
    # Lower first; then the most recently changed.
    position = models.PositiveSmallIntegerField(default=0)
    archived = models.BooleanField(default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "-updated_at"]

    def __str__(self):
        return self.title

    @property
    def is_file(self) -> bool:
        return bool(self.file)

    def describe(self) -> str:
        """“PDF, 240 KB” or “on www.england.nhs.uk”: what people get when they open it."""
        if self.is_file:
            kind = "PDF" if self.file_type == "application/pdf" else "Picture"
            size = self.file_size
            amount = f"{size / 1_000_000:.1f} MB" if size >= 1_000_000 else f"{max(1, round(size / 1000))} KB"
            return f"{kind}, {amount}"
        from urllib.parse import urlsplit

        return f"on {urlsplit(self.external_url).hostname or 'another site'}"


class ShortLink(models.Model):
    """/go/CODE: a short address for a resource or any http(s) page. Codes are case-insensitive."""

    alliance = models.ForeignKey(Alliance, on_delete=models.CASCADE, related_name="short_links")
    code = models.CharField(max_length=CODE_MAX)
    # Either a resource of the same alliance (its current version) or an address.
    resource = models.OneToOneField(
        Resource, null=True, blank=True, on_delete=models.CASCADE, related_name="short_link"
    )
    target_url = models.URLField(max_length=URL_MAX, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(Lower("code"), name="short_link_code_unique_any_case"),
            models.CheckConstraint(
                condition=(
                    models.Q(resource__isnull=False, target_url="")
                    | (models.Q(resource__isnull=True) & ~models.Q(target_url=""))
                ),
                name="short_link_has_one_target",
            ),
        ]

    def __str__(self):
        return f"/go/{self.code}"

    @property
    def path(self) -> str:
        return f"/go/{self.code}"

    @property
    def absolute_url(self) -> str:
        return settings.SITE_URL + self.path

    @property
    def destination(self) -> str:
        """What it opens, in words for the organiser."""
        return self.resource.title if self.resource_id else self.target_url


class LinkClickDay(models.Model):
    """How many people followed a short link on one day (the site's time zone). Nothing about who they are."""

    link = models.ForeignKey(ShortLink, on_delete=models.CASCADE, related_name="click_days")
    day = models.DateField()
    clicks = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-day"]
        constraints = [models.UniqueConstraint(fields=["link", "day"], name="one_count_per_link_per_day")]
