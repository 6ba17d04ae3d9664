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
    # Indexed by each table (a plain index, without PostgreSQL's second
    # LIKE index that db_index adds to text columns).
    instance_domain = models.CharField(max_length=255)
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

    # The remote activity (or, for replies and quotes, the Note) it came from;
    # unique by a constraint below. The inbox inserts thousands of rows a
    # second, so the table carries no index the ones below already cover.
    activity_id = models.URLField(max_length=500)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    creator = models.ForeignKey(
        CreatorProfile,
        on_delete=models.CASCADE,
        related_name="interactions",
        db_index=False,  # (creator, -occurred_at) leads with it
    )
    # Null for follows and unfollows, which concern the creator, not a post.
    post = models.ForeignKey(
        Post,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="interactions",
        db_index=False,  # (post, kind) leads with it
    )
    emoji = models.CharField(max_length=100, blank=True)  # reactions only
    occurred_at = models.DateTimeField(default=timezone.now)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-occurred_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["activity_id"], name="interaction_activity_once"
            ),
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
            # A server's platform learned late re-labels its rows.
            models.Index(fields=["instance_domain"], name="interaction_domain_idx"),
            # Screening counts each replier's recent replies, every batch:
            # without this it reads all of a creator's interactions.
            models.Index(
                fields=["actor_uri", "received_at"],
                condition=Q(kind__in=["reply", "quote"]),
                name="interaction_recent_reply_idx",
            ),
            # Follower attribution reads a creator's follows over a period
            # without the likes around them (analytics.insights); only
            # follow rows are written to it.
            models.Index(
                fields=["creator", "occurred_at"],
                condition=Q(kind="follow"),
                name="interaction_follow_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} by {self.actor_handle or self.actor_uri}"


class Reply(RemoteAuthor):
    """A remote Note for a creator: a reply or a quote in the thread of one
    of their posts, or a mention of them outside any thread (no post).

    Mentions live here rather than in a model of their own so the reply
    inbox, assigning, answering, moderation, edits and deletions treat them
    as they treat replies, with one ap_id constraint for all. They never
    count as engagement: a mention is not an interaction on a post, so it
    records no Interaction and leaves per-post and creator counts alone.
    """

    class Kind:
        REPLY = "reply"
        QUOTE = "quote"
        MENTION = "mention"

    class Status(models.TextChoices):
        VISIBLE = "visible", "Visible"
        HELD = "held", "Held for review"
        HIDDEN = "hidden", "Hidden"
        REMOVED = "removed", "Removed"

    ap_id = models.URLField(max_length=500)  # unique by a constraint below
    url = models.URLField(max_length=500, blank=True)
    creator = models.ForeignKey(
        CreatorProfile,
        on_delete=models.CASCADE,
        related_name="replies",
        db_index=False,  # (creator, status, -received_at) leads with it
    )
    # The creator's post at the root of the thread; none for a mention.
    post = models.ForeignKey(
        Post,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="replies",
        db_index=False,  # (post, status, published_at) leads with it
    )
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
        constraints = [
            models.UniqueConstraint(fields=["ap_id"], name="reply_ap_id_once"),
        ]
        indexes = [
            models.Index(fields=["post", "status", "published_at"]),
            models.Index(fields=["creator", "status", "-received_at"]),
            models.Index(fields=["instance_domain"], name="reply_domain_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.ap_id}"

    @property
    def kind(self) -> str:
        if self.post_id is None:
            return self.Kind.MENTION
        return self.Kind.QUOTE if self.is_quote else self.Kind.REPLY

    @property
    def is_mention(self) -> bool:
        return self.post_id is None


# Rollups -------------------------------------------------------------------
#
# Counts of Interaction rows that reports read instead of the rows. They are
# kept in step by analytics.services, in the same transaction as the rows
# they count (analytics/rollups.py), and `manage.py rebuild_rollups` rebuilds
# them from the rows. Every bucket is in UTC: `day` is the UTC date and
# `hour` the UTC hour of `Interaction.occurred_at`; reports convert hours to
# the reader's time zone. A count is never negative; a row whose counts all
# fall to zero is removed.


class EngagementCounts(models.Model):
    """How many of each kind of interaction with posts."""

    likes = models.IntegerField(default=0)
    boosts = models.IntegerField(default=0)
    reactions = models.IntegerField(default=0)
    replies = models.IntegerField(default=0)
    quotes = models.IntegerField(default=0)

    class Meta:
        abstract = True


class InteractionCounts(EngagementCounts):
    """Engagement plus follows gained and lost."""

    follows = models.IntegerField(default=0)
    unfollows = models.IntegerField(default=0)

    class Meta:
        abstract = True


class PostDailyRollup(EngagementCounts):
    """What one post received on one UTC day."""

    # Both indexed by the unique key and the index below, not on their own.
    post = models.ForeignKey(
        Post, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    # The post's creator, copied so a creator's top posts need no join.
    creator = models.ForeignKey(
        CreatorProfile, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    day = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["post", "day"], name="post_daily_rollup_unique"
            ),
        ]
        indexes = [models.Index(fields=["creator", "day"])]

    def __str__(self) -> str:
        return f"post {self.post_id} on {self.day}"


class CreatorHourlyRollup(InteractionCounts):
    """What a creator received in one UTC hour: totals, daily series and the
    weekday x hour heatmap in any time zone come from these."""

    # Indexed by the unique key (creator first), not on its own.
    creator = models.ForeignKey(
        CreatorProfile, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    hour = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["creator", "hour"], name="creator_hourly_rollup_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.creator_id} at {self.hour:%Y-%m-%d %H}:00 UTC"


class CreatorDailyRollup(InteractionCounts):
    """What a creator received on one UTC day: a period's totals read whole
    days here and only the hours at its edges from the hourly rollup."""

    # Indexed by the unique key (creator first), not on its own.
    creator = models.ForeignKey(
        CreatorProfile, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    day = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["creator", "day"], name="creator_daily_rollup_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.creator_id} on {self.day}"


class PlatformDailyRollup(InteractionCounts):
    """What a creator received from one platform (software) on one UTC day:
    the platform breakdown, without reading every server's rows."""

    # Indexed by the unique key (creator first), not on its own.
    creator = models.ForeignKey(
        CreatorProfile, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    day = models.DateField()
    software = models.CharField(
        max_length=20, choices=Software.choices, default=Software.OTHER
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["creator", "day", "software"],
                name="platform_daily_rollup_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.creator_id} from {self.software} on {self.day}"


class InstanceDailyRollup(InteractionCounts):
    """What a creator received from one server on one UTC day: the instance
    breakdown."""

    # Indexed by the unique key (creator first), not on its own.
    creator = models.ForeignKey(
        CreatorProfile, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    day = models.DateField()
    instance_domain = models.CharField(max_length=255)
    software = models.CharField(
        max_length=20, choices=Software.choices, default=Software.OTHER
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["creator", "day", "instance_domain", "software"],
                name="instance_daily_rollup_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.creator_id} from {self.instance_domain} on {self.day}"


class CreatorTotalRollup(InteractionCounts):
    """Everything a creator ever received: follows minus unfollows is the
    follower count analytics knows, the anchor of follower series."""

    creator = models.OneToOneField(
        CreatorProfile, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )

    def __str__(self) -> str:
        return f"{self.creator_id} in all"


class AgencyDigest(models.Model):
    """One agency's weekly digest: claimed before it is sent, so a week's
    digest goes out once however often the task runs (analytics.digests)."""

    agency = models.ForeignKey(
        "accounts.Agency", on_delete=models.CASCADE, related_name="digests"
    )
    week_start = models.DateField()  # the Monday, UTC
    recipients = models.PositiveIntegerField(default=0)
    claimed_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "week_start"], name="agency_digest_once_a_week"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agency_id} week of {self.week_start}"


class Campaign(models.Model):
    """Posts a creator (or an agency for them) groups to report on together:
    a sponsored series, a launch. Its report reads the posts' interactions
    over the campaign's days (analytics.campaigns)."""

    name = models.CharField(max_length=200)
    creator = models.ForeignKey(
        CreatorProfile, on_delete=models.CASCADE, related_name="campaigns"
    )
    # The agency that runs it for the creator; its members (and the creator)
    # see it, other agencies of the creator do not. Null: the creator's own.
    agency = models.ForeignKey(
        "accounts.Agency",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="campaigns",
    )
    starts_on = models.DateField()
    ends_on = models.DateField()  # included
    posts = models.ManyToManyField(Post, related_name="campaigns", blank=True)
    created_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-starts_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")),
                name="campaign_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class SponsorLink(models.Model):
    """A read-only link to a campaign's report for someone without an
    account. The address carries a signed id (django.core.signing); the
    row decides whether it still opens: expiry and revocation live here."""

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="sponsor_links"
    )
    label = models.CharField(max_length=200, blank=True)  # who it was for
    created_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"sponsor link {self.pk} to {self.campaign_id}"

    def is_open(self, *, now=None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and self.expires_at > now
