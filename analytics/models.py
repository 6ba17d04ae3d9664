"""What remote people did with creators' posts, recorded once each.

Rows are written by analytics.services (called by federation's inbox
processing) and never by anything else; rollups and reports read them.
Remote actors are named by their ActivityPub id and copied details, not by
a foreign key: analytics does not depend on federation, and the server and
its software are kept as they were when the interaction arrived.
"""

from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import CreatorProfile
from posts.models import Post


class Software(models.TextChoices):
    MASTODON = "mastodon", "Mastodon"
    THREADS = "threads", "Threads"
    MISSKEY = "misskey", "Misskey"
    PLEROMA = "pleroma", "Pleroma / Akkoma"
    PIXELFED = "pixelfed", "Pixelfed"
    GOTOSOCIAL = "gotosocial", "GoToSocial"
    OTHER = "other", "Other"


class RemoteAuthor(models.Model):
    """Who did it: the remote actor's id and the details shown beside it."""

    actor_uri = models.URLField(max_length=500)
    actor_handle = models.CharField(max_length=320, blank=True)  # @user@domain
    actor_name = models.CharField(max_length=255, blank=True)
    actor_avatar_url = models.URLField(max_length=500, blank=True)
    actor_profile_url = models.URLField(max_length=500, blank=True)
    instance_domain = models.CharField(max_length=255, db_index=True)
    software = models.CharField(
        max_length=20, choices=Software.choices, default=Software.OTHER
    )

    class Meta:
        abstract = True


class Interaction(RemoteAuthor):
    """One like, boost, reaction, reply, quote, follow or unfollow."""

    class Kind(models.TextChoices):
        LIKE = "like", "Like"
        BOOST = "boost", "Boost"
        REACTION = "reaction", "Reaction"
        REPLY = "reply", "Reply"
        QUOTE = "quote", "Quote"
        FOLLOW = "follow", "Follow"
        UNFOLLOW = "unfollow", "Unfollow"

    # The remote activity (or, for replies and quotes, the Note) it came from.
    activity_id = models.URLField(max_length=500, unique=True)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    creator = models.ForeignKey(
        CreatorProfile, on_delete=models.CASCADE, related_name="interactions"
    )
    # Null for follows and unfollows, which concern the creator, not a post.
    post = models.ForeignKey(
        Post,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="interactions",
    )
    emoji = models.CharField(max_length=100, blank=True)  # reactions only
    occurred_at = models.DateTimeField(default=timezone.now)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-occurred_at"]
        constraints = [
            # One like and one boost per person per post, whatever the ids.
            models.UniqueConstraint(
                fields=["kind", "actor_uri", "post"],
                condition=Q(kind__in=["like", "boost"]),
                name="like_or_boost_once_per_actor",
            ),
        ]
        indexes = [
            models.Index(fields=["creator", "-occurred_at"]),
            models.Index(fields=["post", "kind"]),
            # What one person did to one post: the inbox's undo and replay
            # of a batch, and forgetting a deleted account.
            models.Index(
                fields=["actor_uri", "post"], name="interaction_actor_post_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} by {self.actor_handle or self.actor_uri}"


class Reply(RemoteAuthor):
    """A remote Note in the thread of a creator's post: a reply or a quote."""

    class Status(models.TextChoices):
        VISIBLE = "visible", "Visible"
        HELD = "held", "Held for review"
        HIDDEN = "hidden", "Hidden"
        REMOVED = "removed", "Removed"

    ap_id = models.URLField(max_length=500, unique=True)
    url = models.URLField(max_length=500, blank=True)
    creator = models.ForeignKey(
        CreatorProfile, on_delete=models.CASCADE, related_name="replies"
    )
    # The creator's post at the root of the thread.
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="replies")
    in_reply_to_uri = models.URLField(max_length=500)
    # The reply it answers, when that is a reply we hold (null: the post).
    parent = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="children",
    )
    is_quote = models.BooleanField(default=False)
    # Sanitised (nh3) before it is stored; the raw HTML stays in the inbox log.
    content_html = models.TextField(blank=True)
    summary = models.CharField(max_length=500, blank=True)
    sensitive = models.BooleanField(default=False)
    language = models.CharField(max_length=16, blank=True)
    visibility = models.CharField(max_length=16, default="public")
    # [{"url", "media_type", "name"}] listed, never downloaded.
    attachments = models.JSONField(default=list, blank=True)
    # [{"href", "name"}] of the Mention tags.
    mentions = models.JSONField(default=list, blank=True)
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.VISIBLE
    )
    hold_reason = models.CharField(max_length=255, blank=True)
    published_at = models.DateTimeField(default=timezone.now)
    edited_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["published_at"]
        verbose_name_plural = "replies"
        indexes = [
            models.Index(fields=["post", "status", "published_at"]),
            models.Index(fields=["creator", "status", "-received_at"]),
        ]

    def __str__(self) -> str:
        return f"reply {self.ap_id}"
