from django.db import models

from pledgecard.events.models import Event


class Workshop(models.Model):
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="workshops")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    facilitator = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["title"]

    def __str__(self):
        return self.title


class Slot(models.Model):
    """A time in the day when workshops run side by side."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="slots")
    starts_at = models.TimeField()
    ends_at = models.TimeField()

    class Meta:
        ordering = ["starts_at"]


class Session(models.Model):
    """One run of a workshop in a slot, with its own room and number of places."""

    workshop = models.ForeignKey(Workshop, on_delete=models.CASCADE, related_name="sessions")
    slot = models.ForeignKey(Slot, on_delete=models.CASCADE, related_name="sessions")
    room = models.CharField(max_length=120, blank=True)
    capacity = models.PositiveIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workshop", "slot"], name="one_session_per_slot")]
