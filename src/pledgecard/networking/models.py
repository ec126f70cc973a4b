from django.conf import settings
from django.db import models

from pledgecard.core.models import Alliance
from pledgecard.events.models import Event, Registration


class Prompt(models.Model):
    """A conversation starter about inequalities; an alliance edits its own list (blank alliance: the seeds)."""

    alliance = models.ForeignKey(Alliance, null=True, blank=True, on_delete=models.CASCADE, related_name="prompts")
    text = models.CharField(max_length=300)
    position = models.PositiveSmallIntegerField(default=0)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self):
        return self.text


class Preference(models.Model):
    """Someone's wishes for meeting people: out altogether, a pause, and what they share with those they meet."""

    registration = models.OneToOneField(Registration, on_delete=models.CASCADE, related_name="networking")
    opt_out = models.BooleanField(default=False)
    paused = models.BooleanField(default=False)
    share_email = models.BooleanField(default=False)
    share_role = models.BooleanField(default=False)
    share_phone = models.BooleanField(default=False)
    phone = models.CharField(max_length=30, blank=True)


class Round(models.Model):
    class Among(models.TextChoices):
        CHECKED_IN = "checked_in", "People who have checked in"
        REGISTERED = "registered", "Everyone registered (before the day)"

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="rounds")
    number = models.PositiveSmallIntegerField()
    size = models.PositiveSmallIntegerField(default=2)
    among = models.CharField(max_length=12, choices=Among.choices)
    summary = models.JSONField(default=dict)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    started_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-number"]
        constraints = [models.UniqueConstraint(fields=["event", "number"], name="round_numbers_unique")]


class Group(models.Model):
    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="groups")
    number = models.PositiveSmallIntegerField()
    spot = models.CharField(max_length=60)
    prompt = models.CharField(max_length=300)

    class Meta:
        ordering = ["number"]


class Member(models.Model):
    """One person in one group; their short code is shown on their page for the others to enter."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="members")
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="members")
    registration = models.ForeignKey(Registration, on_delete=models.CASCADE, related_name="group_memberships")
    code = models.CharField(max_length=6)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["round", "registration"], name="one_group_per_round"),
            models.UniqueConstraint(fields=["round", "code"], name="codes_unique_in_round"),
        ]


class Meeting(models.Model):
    """`registration` confirmed meeting `met` by entering the code shown on `met`'s page."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="meetings")
    registration = models.ForeignKey(Registration, on_delete=models.CASCADE, related_name="meetings")
    met = models.ForeignKey(Registration, on_delete=models.CASCADE, related_name="+")
    cross_sector = models.BooleanField()
    confirmed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["round", "registration", "met"], name="confirm_once")]
