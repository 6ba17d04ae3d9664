from datetime import UTC, datetime

from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import CreatorProfile
from analytics.models import Software


class ActorKey(models.Model):
    """The RSA key pair a local actor signs with.

    One per creator, plus one for the instance actor (creator is null). The
    private key is encrypted at rest (federation.protocol.keys); the public half is
    published in the actor document.
    """

    creator = models.OneToOneField(
        CreatorProfile,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="actor_key",
    )
    is_instance_key = models.BooleanField(default=False, editable=False)
    public_key_pem = models.TextField()
    private_key_encrypted = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(is_instance_key=True, creator__isnull=True)
                | Q(is_instance_key=False, creator__isnull=False),
                name="actor_key_has_one_owner",
            ),
            models.UniqueConstraint(
                fields=["is_instance_key"],
                condition=Q(is_instance_key=True),
                name="one_instance_actor_key",
            ),
        ]

    def __str__(self) -> str:
        owner = self.creator.handle if self.creator_id else "instance actor"
        return f"key of {owner} ({self.created_at:%Y-%m-%d})"


class RemoteInstance(models.Model):
    """Another Fediverse server, as far as we know it."""

    # One list of platforms for the whole project: analytics keeps the
    # software beside each interaction, and sits below federation.
    Software = Software

    class SignatureStandard(models.TextChoices):
        UNKNOWN = "unknown", "not known yet (draft-cavage)"
        RFC9421 = "rfc9421", "RFC 9421"
        CAVAGE = "cavage", "draft-cavage only"

    domain = models.CharField(max_length=255, unique=True)
    software = models.CharField(
        max_length=20, choices=Software.choices, default=Software.OTHER
    )
    # What NodeInfo says verbatim ("akkoma", "firefish"...), before mapping.
    software_name = models.CharField(max_length=100, blank=True)
    software_version = models.CharField(max_length=100, blank=True)
    nodeinfo_fetched_at = models.DateTimeField(null=True, blank=True)
    first_seen_at = models.DateTimeField(default=timezone.now)
    last_heard_from_at = models.DateTimeField(null=True, blank=True)
    unavailable_since = models.DateTimeField(null=True, blank=True)
    # Days ("YYYY-MM-DD", UTC) a delivery there failed since it last worked;
    # at seven the server is marked unavailable (federation.outbound.delivery).
    delivery_failure_days = models.JSONField(default=list, blank=True)
    # The last minute its activities went over the inbox's rate limit
    # (answered 429), and in how many minutes of that UTC day they did
    # (federation.inbound.rate_limit).
    inbox_limited_at = models.DateTimeField(null=True, blank=True)
    inbox_limited_times = models.PositiveIntegerField(default=0)
    # Which HTTP signatures its inboxes take, as far as we learned: RFC 9421
    # once it signed to us so (federation.inbound.verification), draft-cavage
    # once it refused an RFC 9421 delivery and took the same one signed the
    # old way (federation.outbound.delivery). Unknown servers get draft-cavage.
    signature_standard = models.CharField(
        max_length=8,
        choices=SignatureStandard.choices,
        default=SignatureStandard.UNKNOWN,
    )
    signature_standard_learned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["domain"]

    def __str__(self) -> str:
        return self.domain

    def inbox_limited_today(self, *, now: datetime | None = None) -> int:
        """Minutes of today (UTC) its activities were refused with a 429."""
        if self.inbox_limited_at is None:
            return 0
        now = (now or timezone.now()).astimezone(UTC)
        day_start = now.replace(hour=0, minute=0, second=0, microsecond=0)
        if self.inbox_limited_at < day_start:
            return 0
        return self.inbox_limited_times


class RemoteActor(models.Model):
    """A cached copy of an actor on another server."""

    ap_id = models.URLField(max_length=500, unique=True)
    instance = models.ForeignKey(
        RemoteInstance, on_delete=models.CASCADE, related_name="actors"
    )
    actor_type = models.CharField(max_length=32, default="Person")
    username = models.CharField(max_length=255)
    display_name = models.CharField(max_length=255, blank=True)
    inbox_url = models.URLField(max_length=500)
    shared_inbox_url = models.URLField(max_length=500, blank=True)
    profile_url = models.URLField(max_length=500, blank=True)
    avatar_url = models.URLField(max_length=500, blank=True)
    followers_url = models.URLField(max_length=500, blank=True)
    public_key_id = models.URLField(max_length=500, db_index=True)
    public_key_pem = models.TextField()
    last_fetched_at = models.DateTimeField(default=timezone.now)
    # Set when the actor answers 410 or sent a Delete of itself.
    gone_at = models.DateTimeField(null=True, blank=True)
    # How many follow the actor on their server, as that server last said
    # (the reach estimate counts boosters' audiences with it): from an actor
    # document that inlines its followers collection, else its `followers`
    # collection's totalItems (remote.refresh_followers_count). Empty when
    # not known: never asked, or the server would not say (a hidden
    # network). `followers_count_at` is when it was last asked and answered,
    # a number or a refusal; asked again a day later at the earliest.
    followers_count = models.PositiveIntegerField(null=True, blank=True)
    followers_count_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["instance", "username"]

    def __str__(self) -> str:
        return self.handle

    @property
    def handle(self) -> str:
        return f"@{self.username}@{self.instance.domain}"

    @property
    def delivery_inbox(self) -> str:
        """Where to deliver to this actor: the shared inbox where offered."""
        return self.shared_inbox_url or self.inbox_url


class OutboundActivity(models.Model):
    """An activity a local actor sends, serialised once.

    Delivery rows (one per inbox) are created from it when it fans out; the
    payload never changes after it is written.
    """

    ap_id = models.URLField(max_length=500, unique=True)
    creator = models.ForeignKey(
        CreatorProfile,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="outbound_activities",
    )
    # The post it carries (Create, Update, Delete of a Note), if any.
    post = models.ForeignKey(
        "posts.Post",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="outbound_activities",
    )
    activity_type = models.CharField(max_length=32)
    payload = models.JSONField()
    # Addressed to the Public collection: listed in the outbox.
    is_public = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    # Where its audience comes from and how far the fan-out has written it
    # (federation.outbound.fanout); empty when its few inboxes were written at once.
    audience = models.JSONField(default=dict, blank=True)
    # Empty until the whole audience is written as Delivery rows.
    fanned_out_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "outbound activities"
        indexes = [
            # The delivery sweep looks for unfinished fan-outs every 30 s.
            models.Index(
                fields=["id"],
                condition=Q(fanned_out_at__isnull=True),
                name="outbound_fanning_out_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.activity_type} {self.ap_id}"


class Delivery(models.Model):
    """One outbound activity to one inbox: the unit the delivery worker sends.

    Rows are created when an activity fans out and are the source of truth
    for what still has to be sent, however many times a task is retried.
    """

    class State(models.TextChoices):
        PENDING = "pending", "Waiting to be sent"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed, will retry"
        GAVE_UP = "gave_up", "Gave up"

    # Indexed by the unique (activity, inbox) constraint below, and host by a
    # plain index (no second LIKE index): a fan-out inserts rows by the
    # hundred thousand, and each index is written for every one.
    activity = models.ForeignKey(
        OutboundActivity,
        on_delete=models.CASCADE,
        related_name="deliveries",
        db_index=False,
    )
    inbox_url = models.URLField(max_length=500)
    host = models.CharField(max_length=255)
    state = models.CharField(
        max_length=16, choices=State.choices, default=State.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # A worker sending the row holds it until then; a row whose worker died
    # is due again once the lease runs out (federation.outbound.delivery).
    claimed_until = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["activity", "host"]
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["activity", "inbox_url"], name="deliver_once_per_inbox"
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(state__in=["pending", "failed"]),
                name="delivery_due_idx",
            ),
            models.Index(fields=["host"], name="delivery_host_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.activity.activity_type} → {self.inbox_url} ({self.state})"


class InboundActivity(models.Model):
    """An activity a remote server POSTed to one of our inboxes, kept once.

    Stored as received (after its signature was checked) before anything is
    done with it, so a worker that dies mid-way can process it again; the
    unique id is the final guard against the same activity twice.
    """

    class State(models.TextChoices):
        QUEUED = "queued", "Waiting to be processed"
        PROCESSED = "processed", "Processed"
        IGNORED = "ignored", "Stored and ignored"
        FAILED = "failed", "Failed"

    # Unique by the constraint below: a plain unique index, without the
    # second (LIKE) index `unique=True` adds on PostgreSQL; every batch
    # inserts into it.
    ap_id = models.URLField(max_length=500)
    activity_type = models.CharField(max_length=64)
    actor_uri = models.URLField(max_length=500)
    payload = models.JSONField()
    # The keyId that signed it and whether the signature verified.
    key_id = models.URLField(max_length=500, blank=True)
    verified = models.BooleanField(default=False)
    # The inbox it arrived at: a creator's handle, or "" for the shared inbox.
    inbox_handle = models.CharField(max_length=30, blank=True)
    # Which of the inbox's partitions it is processed in: one per actor, so
    # an actor's activities go in order while others' go side by side
    # (federation.inbound.processing).
    partition = models.PositiveSmallIntegerField(default=0)
    state = models.CharField(max_length=16, choices=State.choices, default=State.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    received_at = models.DateTimeField(default=timezone.now)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at"]
        verbose_name_plural = "inbound activities"
        constraints = [
            models.UniqueConstraint(fields=["ap_id"], name="inbound_ap_id_once"),
        ]
        indexes = [
            # Workers take the oldest waiting activities of a partition.
            models.Index(
                fields=["partition", "received_at"],
                condition=Q(state="queued"),
                name="inbound_waiting_idx",
            ),
            # The sweeper's retention cut and the admin's newest-first list:
            # without it, each would read the whole log (every minute, for
            # the sweeper), however little is old enough to go.
            models.Index(fields=["received_at"], name="inbound_received_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.activity_type} {self.ap_id} ({self.state})"


class RemoteTombstone(models.Model):
    """A remote object its author deleted: a late Create of it is ignored."""

    ap_id = models.URLField(max_length=500, unique=True)
    actor_uri = models.URLField(max_length=500)
    deleted_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"tombstone {self.ap_id}"


class EarlyCancellation(models.Model):
    """An Undo or Delete that arrived before what it cancels.

    When the cancelled activity or object arrives later (out of order,
    retried), it is dropped instead of recorded. Old rows are swept.
    """

    actor_uri = models.URLField(max_length=500)
    # The id of the activity or object cancelled.
    target_id = models.URLField(max_length=500)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["actor_uri", "target_id"], name="cancel_once"
            )
        ]

    def __str__(self) -> str:
        return f"cancel {self.target_id} by {self.actor_uri}"


class OutboxJob(models.Model):
    """Work on the network that a change here calls for: the outbox.

    Written in the same transaction as the change (a post published, a
    block, a profile edited), so the decision to federate commits with it
    or not at all. The broker only carries a wake-up: a job whose message
    was lost, or never sent because the broker was down, is handed over
    again by the relay (federation.outbound.outbox). Running a job twice is
    harmless: every action builds its activity under a stable id once.
    """

    class State(models.TextChoices):
        PENDING = "pending", "Waiting for the queue"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    action = models.CharField(max_length=32)
    # Ids and strings the action needs, never model instances.
    arguments = models.JSONField(default=dict)
    # The post it is about, if any: its page says "waiting for the queue".
    post = models.ForeignKey(
        "posts.Post",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="outbox_jobs",
    )
    state = models.CharField(
        max_length=16, choices=State.choices, default=State.PENDING
    )
    created_at = models.DateTimeField(default=timezone.now)
    # When a message for it last reached the broker; empty until one did.
    enqueued_at = models.DateTimeField(null=True, blank=True)
    # A worker running it holds it until then; past that, it is due again.
    claimed_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_error = models.TextField(blank=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(state="pending"),
                name="outbox_pending_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.arguments} ({self.state})"
