import uuid

from django.conf import settings
from django.db import models

from pledgecard.core import tokens


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


class PrivateLink(models.Model):
    """A private link for someone without an account (see core/tokens.py): only the token's hash is stored."""

    LINK_PURPOSE = ""  # each model names its own, so a postcard's token never opens a registration

    link_id = models.UUIDField(default=uuid.uuid4)
    token_hash = models.CharField(max_length=64, unique=True)

    class Meta:
        abstract = True

    def set_new_link(self):
        """Give the row a fresh private link; any earlier link stops working."""
        self.link_id = uuid.uuid4()
        self.token_hash = tokens.token_hash(self.token)

    @property
    def token(self) -> str:
        return tokens.token_for(self.LINK_PURPOSE, self.link_id)

    @classmethod
    def for_token(cls, token: str, queryset=None):
        """The row this token opens, or None. The hash finds the row; the token must still be its current one."""
        if not tokens.looks_like_token(token):
            return None
        row = (queryset if queryset is not None else cls.objects).filter(token_hash=tokens.token_hash(token)).first()
        if row is None or row.token != token:
            return None
        return row


class RateCounter(models.Model):
    """Failed attempts at a guessable thing (a private link, a story form) from one client in one window.

    In the database so that every web process shares the same count (a count in each process's memory
    doubles the limit with two workers). The client is stored as a keyed hash, never as its address.
    """

    scope = models.CharField(max_length=40)
    client = models.CharField(max_length=64)
    window = models.BigIntegerField()  # the window's number: seconds since the epoch // its length
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["scope", "client", "window"], name="rate_counter_once")]


class Job(models.Model):
    """Long work an organiser started (an import of thousands of rows): run by the worker, in short
    transactions, with its progress on the row for the organiser's page.

    Like the outbox, the row is the record: a worker holds it under a lease that it renews after every step;
    if the worker dies, the lease runs out and the next worker runs it again (each job's steps can be run
    again without doing anything twice).
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting to start"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=60)  # the handler registered in core/jobs.py
    alliance = models.ForeignKey(Alliance, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    subject = models.CharField(max_length=80, blank=True)  # what it works on: "events.event:12"
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    progress_text = models.CharField(max_length=200, blank=True)  # "Saving postcards", for the page
    options = models.JSONField(default=dict, blank=True)  # what the handler needs, besides the file
    data = models.BinaryField(null=True, blank=True)  # an uploaded file: deleted when the job ends
    result = models.JSONField(default=dict, blank=True)  # what the organiser is told at the end
    attempts = models.PositiveSmallIntegerField(default=0)
    lease_token = models.UUIDField(null=True, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["status", "created_at"], name="job_runnable")]

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def percent(self) -> int:
        return min(100, int(100 * self.done / self.total)) if self.total else 0
