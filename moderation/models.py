"""What admins and creators decided about remote servers and accounts."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class DomainPolicy(models.Model):
    """An admin's decision about a whole remote server (Mastodon's domain block)."""

    class Severity(models.TextChoices):
        SILENCE = "silence", "Silence (hold every reply)"
        BLOCK = "suspend", "Block (refuse everything)"
        NOOP = "noop", "No restriction"

    domain = models.CharField(max_length=255, unique=True)  # lower case
    severity = models.CharField(
        max_length=16, choices=Severity.choices, default=Severity.BLOCK
    )
    reject_media = models.BooleanField(default=False)
    public_reason = models.CharField(max_length=500, blank=True)
    private_note = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["domain"]
        verbose_name_plural = "domain policies"

    def __str__(self) -> str:
        return f"{self.domain}: {self.severity}"


class Report(models.Model):
    """A case for admins: someone says content here breaks the rules.

    Reports arrive as `Flag` activities from other servers (Mastodon sends
    them from its instance actor, naming the account and the posts); admins
    resolve them with an action and a note.
    """

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        RESOLVED = "resolved", "Resolved"

    # The Flag's id; one Flag naming two of our creators makes two reports.
    activity_id = models.URLField(max_length=500)
    reporter_uri = models.URLField(max_length=500)
    reporter_domain = models.CharField(max_length=255, db_index=True)
    creator = models.ForeignKey(
        "accounts.CreatorProfile", on_delete=models.CASCADE, related_name="reports"
    )
    posts = models.ManyToManyField("posts.Post", blank=True, related_name="reports")
    # Plain text: what the reporter wrote (Mastodon's "additional comments").
    comment = models.TextField(blank=True)
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.OPEN
    )
    received_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    resolution_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["activity_id", "creator"], name="report_once_per_flag"
            ),
        ]
        indexes = [models.Index(fields=["status", "-received_at"])]

    def __str__(self) -> str:
        return f"report on @{self.creator.handle} from {self.reporter_domain}"
