from django.conf import settings
from django.db import models


class Alliance(models.Model):
    """A partnership that runs events (a tenant): its name, branding and contact address."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=60, unique=True)
    contact_email = models.EmailField(help_text="Where attendees' questions go. Shown on every page and email.")
    # The NHS logo is a trademark: a partnership shows its own logo only if it sets one.
    logo_url = models.URLField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Role(models.TextChoices):
    ORGANISER = "organiser", "Organiser"
    FACILITATOR = "facilitator", "Facilitator"
    LEADER = "leader", "Leader"


class Membership(models.Model):
    """What one signed-in person may do for one alliance."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    alliance = models.ForeignKey(Alliance, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "alliance"], name="one_role_per_alliance")]

    def __str__(self):
        return f"{self.user} – {self.get_role_display()} of {self.alliance}"


class Sector(models.Model):
    """Where someone works: NHS, local authority, voluntary and community sector, ..."""

    name = models.CharField(max_length=80, unique=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]

    def __str__(self):
        return self.name


class AuditEntry(models.Model):
    """Who changed what, for organisers' actions that affect many people (imports, reschedules, exports)."""

    at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    alliance = models.ForeignKey(Alliance, null=True, blank=True, on_delete=models.CASCADE)
    action = models.CharField(max_length=80)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at"]
        verbose_name_plural = "audit entries"
