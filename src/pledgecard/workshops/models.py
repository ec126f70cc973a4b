from django.conf import settings
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


class Programme(models.Model):
    """An event's workshop settings: whether attendees may choose now, how to allocate, whether it is out."""

    class Objective(models.TextChoices):
        FAIR = "fair", "Fair: nobody is pushed far down their list to give others small gains"
        TOTAL = "total", "Total: as many high choices as possible overall"

    event = models.OneToOneField(Event, on_delete=models.CASCADE, related_name="programme")
    choosing_open = models.BooleanField(default=False)
    objective = models.CharField(max_length=10, choices=Objective.choices, default=Objective.FAIR)
    published_at = models.DateTimeField(null=True, blank=True)


class Preference(models.Model):
    """One ranked choice: `rank` 1 is the attendee's first choice."""

    registration = models.ForeignKey("events.Registration", on_delete=models.CASCADE, related_name="preferences")
    workshop = models.ForeignKey(Workshop, on_delete=models.CASCADE, related_name="preferences")
    rank = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["rank"]
        constraints = [
            models.UniqueConstraint(fields=["registration", "workshop"], name="rank_a_workshop_once"),
            models.UniqueConstraint(fields=["registration", "rank"], name="one_workshop_per_rank"),
        ]


class ChoiceRecord(models.Model):
    """That someone has made their choices (possibly "no preference"), when, and who typed them in."""

    registration = models.OneToOneField("events.Registration", on_delete=models.CASCADE, related_name="choice_record")
    no_preference = models.BooleanField(default=False)
    submitted_at = models.DateTimeField(auto_now=True)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)


class Placement(models.Model):
    registration = models.ForeignKey("events.Registration", on_delete=models.CASCADE, related_name="placements")
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="placements")
    rank = models.PositiveSmallIntegerField(null=True, blank=True)  # None: a workshop they did not rank
    locked = models.BooleanField(default=False)  # kept by every later run (a facilitator, an access need)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["registration", "session"], name="placed_once_per_session")]


class AllocationRun(models.Model):
    """What an allocation found, and how sure it is: objective, the solver's bound, the gap, the time."""

    class Mode(models.TextChoices):
        FULL = "full", "Everyone (a full run)"
        FILL = "fill", "Only people without a place (nobody already placed moves)"

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="allocation_runs")
    objective = models.CharField(max_length=10)
    mode = models.CharField(max_length=10, choices=Mode.choices)
    objective_value = models.FloatField()
    bound = models.FloatField()
    status = models.CharField(max_length=20)
    method = models.CharField(max_length=80)
    time_seconds = models.FloatField()
    placed = models.PositiveIntegerField()
    moved = models.PositiveIntegerField(default=0)
    summary = models.JSONField(default=dict)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    @property
    def gap(self) -> float:
        return 0.0 if not self.objective_value else max(0.0, (self.objective_value - self.bound) / self.objective_value)
