import datetime as dt
import uuid
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower

from pledgecard.core import dates
from pledgecard.core.models import Alliance, PrivateLink, Sector


def validate_time_zone(value):
    if value not in zoneinfo.available_timezones():
        raise ValidationError("Enter a time zone such as Europe/London")


class Event(models.Model):
    alliance = models.ForeignKey(Alliance, on_delete=models.CASCADE, related_name="events")
    slug = models.SlugField(max_length=80, unique=True)
    title = models.CharField(max_length=200)
    date = models.DateField()
    venue = models.CharField(max_length=200, blank=True)
    time_zone = models.CharField(max_length=60, default="Europe/London", validators=[validate_time_zone])
    summary = models.TextField(blank=True)
    # When postcards come back: the whole event's reminders go out on this local day and time.
    reminder_date = models.DateField()
    reminder_time = models.TimeField(default=dates.DEFAULT_SEND_TIME)
    postcards_open = models.BooleanField(default=True)
    # Registration: places (blank = no limit), open or closed, and when the day starts and ends.
    capacity = models.PositiveIntegerField(null=True, blank=True)
    registration_open = models.BooleanField(default=True)
    starts_at = models.TimeField(default=dt.time(9, 30))
    ends_at = models.TimeField(default=dt.time(16, 30))
    # A waiting-list offer is held for this long before it moves to the next person.
    offer_hours = models.PositiveSmallIntegerField(default=48)
    # Access needs and dietary requirements are deleted this many days after the event (special-category data).
    special_data_retention_days = models.PositiveSmallIntegerField(default=30)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-date", "title"]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        if self.reminder_date is None and self.date is not None:
            self.reminder_date = dates.default_reminder_date(self.date)
        super().save(*args, **kwargs)

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    @property
    def reminder_due_at(self) -> dt.datetime:
        return dates.reminder_due_at(self.reminder_date, self.reminder_time, self.time_zone)


class AgendaItem(models.Model):
    class Kind(models.TextChoices):
        WELCOME = "welcome", "Welcome"
        FILM = "film", "Film"
        PANEL = "panel", "Panel"
        SPEAKER = "speaker", "Guest speaker"
        WORKSHOPS = "workshops", "Workshops"
        BREAK = "break", "Break"
        CLOSE = "close", "Close"

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="agenda")
    starts_at = models.TimeField()
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    detail = models.TextField(blank=True)

    class Meta:
        ordering = ["starts_at"]


class Registration(PrivateLink):
    """Someone coming to an event. Their private link opens their registration, choices and agenda."""

    LINK_PURPOSE = "registration"

    class Status(models.TextChoices):
        CONFIRMED = "confirmed", "Confirmed"
        WAITING = "waiting", "On the waiting list"
        OFFERED = "offered", "Offered a place"
        CANCELLED = "cancelled", "Cancelled"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="registrations")
    name = models.CharField(max_length=120)
    email = models.EmailField()
    organisation = models.CharField(max_length=200)
    sector = models.ForeignKey(Sector, on_delete=models.PROTECT)
    role = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.CONFIRMED)
    # People who must come together (a carer and the person they support) share a group and move together.
    group = models.CharField(max_length=60, blank=True)
    # Special-category data: asked with its own consent, shown only to organisers, deleted after the event.
    access_needs = models.TextField(blank=True, max_length=1000)
    dietary = models.TextField(blank=True, max_length=500)
    special_consent_at = models.DateTimeField(null=True, blank=True)
    offer_expires_at = models.DateTimeField(null=True, blank=True)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    checked_in_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # Where the person came from: an Eventbrite attendee number, so re-importing updates instead of duplicating.
    source = models.CharField(max_length=20, default="web")
    external_ref = models.CharField(max_length=80, blank=True)
    sequence = models.PositiveIntegerField(default=0)  # calendar updates carry a higher SEQUENCE
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            # One live registration per address (any case); cancelled ones stay as history beside a new one.
            models.UniqueConstraint(models.F("event"), Lower("email"), condition=~models.Q(status="cancelled"),
                                    name="one_live_registration_per_email"),
        ]
        indexes = [models.Index(fields=["event", "status"]), models.Index(fields=["event", "name"])]

    def __str__(self):
        return self.name

    @property
    def subject(self) -> str:
        """How outbox messages name this registration (delivery.Message.subject)."""
        return f"events.registration:{self.pk}"

    def save(self, *args, **kwargs):
        if not self.token_hash:
            self.set_new_link()
        super().save(*args, **kwargs)


class ImportUpload(models.Model):
    """An attendee file part-way through an import (upload → match columns → preview → confirm).

    The file stays on the server between the steps, so what is confirmed is exactly what was previewed and
    nothing from the browser is trusted but the choice of columns. Only its uploader can open it (the random
    id alone is not enough); it is deleted once imported, when its uploader starts another import for the
    same event, and after a day in any case (it holds personal data).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="+")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    filename = models.CharField(max_length=200)
    kind = models.CharField(max_length=10)  # "csv" or "xlsx"
    data = models.BinaryField()
    eventbrite = models.BooleanField(default=False)
    # {field: column index or None}, chosen on the matching page; empty until then.
    columns = models.JSONField(default=dict, blank=True)
    # What the organiser saw on the preview page; confirming imports only if it is still what would happen.
    plan_digest = models.CharField(max_length=64, blank=True)
