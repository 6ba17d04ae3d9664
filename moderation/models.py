"""What admins and creators decided about remote servers and accounts."""

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
