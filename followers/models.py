from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import CreatorProfile


class Follow(models.Model):
    """Someone on another server following a local creator.

    Requests wait in PENDING while the creator approves followers manually;
    only ACCEPTED follows receive deliveries or count as followers. The
    follower is a remote account as federation knows it (federation's
    RemoteActor, named by string: this app never imports federation).
    """

    class State(models.TextChoices):
        PENDING = "pending", "Waiting for approval"
        ACCEPTED = "accepted", "Following"
        REJECTED = "rejected", "Rejected"

    creator = models.ForeignKey(
        CreatorProfile, on_delete=models.CASCADE, related_name="follows"
    )
    actor = models.ForeignKey(
        "federation.RemoteActor", on_delete=models.CASCADE, related_name="follows"
    )
    # The id of the remote Follow activity; Accept and Undo refer to it.
    follow_activity_id = models.URLField(max_length=500)
    state = models.CharField(
        max_length=16, choices=State.choices, default=State.PENDING
    )
    created_at = models.DateTimeField(default=timezone.now)
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["creator", "actor"], name="follow_once_per_creator"
            ),
        ]
        indexes = [
            # The fan-out pages through a creator's followers by id.
            models.Index(
                fields=["creator", "id"],
                condition=Q(state="accepted"),
                name="follow_accepted_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.actor} → @{self.creator.handle} ({self.state})"
