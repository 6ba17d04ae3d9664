"""Posts as creators write them: text, media, schedule and publish state.

The protocol shape (Note, Create, Update, Delete) is federation's business;
this app knows what a post says, to whom, and when it goes out.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import Agency, CreatorProfile, QuotePolicy, ReplyPolicy


class QuoteState(models.TextChoices):
    """Where a creator's quote of a remote post stands."""

    # Asked (or to be asked when the post goes out); shown as a quote.
    PENDING = "pending", "Quote pending"
    ACCEPTED = "accepted", "Quote accepted"
    # The author said no: the post carries a plain link instead.
    REFUSED = "refused", "Quote refused — sent as a link"
    # The author accepted, then withdrew permission (a Delete of the
    # stamp): the post carries a plain link again.
    REVOKED = "revoked", "Quote withdrawn — sent as a link"
    # The author's server does not ask for consent (no quote policy): a
    # link only, as Mastodon shows such posts.
    LINK = "link", "Sent as a link"


class Post(models.Model):
    class Visibility(models.TextChoices):
        PUBLIC = "public", "Public"
        UNLISTED = "unlisted", "Unlisted"
        FOLLOWERS = "followers", "Followers only"

    class State(models.TextChoices):
        DRAFT = "draft", "Draft"
        SCHEDULED = "scheduled", "Scheduled"
        # Written by an agency for the creator's approval; its scheduled_at,
        # if any, is when it goes out once approved.
        PENDING_APPROVAL = "pending_approval", "Waiting for approval"
        PUBLISHED = "published", "Published"
        DELETED = "deleted", "Deleted"

    creator = models.ForeignKey(
        CreatorProfile, on_delete=models.CASCADE, related_name="posts"
    )
    # What the creator typed (Markdown-light) and what it renders to: safe
    # HTML, regenerated on every edit, never taken from the network.
    body = models.TextField(blank=True)
    content_html = models.TextField(blank=True)
    # Content warning: shown instead of the text until the reader opens it.
    summary = models.CharField(max_length=500, blank=True)
    sensitive = models.BooleanField(default=False)
    language = models.CharField(max_length=16, blank=True)
    visibility = models.CharField(
        max_length=16, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    state = models.CharField(max_length=16, choices=State.choices, default=State.DRAFT)
    scheduled_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    # Set when a scheduled post went out later than planned (workers were down).
    published_late_by = models.DurationField(null=True, blank=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    pinned_at = models.DateTimeField(null=True, blank=True)
    # An answer to a remote reply: the ActivityPub id it answers. A plain URI,
    # because posts does not know about remote objects.
    in_reply_to_uri = models.URLField(max_length=500, blank=True)
    # Who may quote it and whose replies show (interactionPolicy on the
    # Note); a new post takes the creator's defaults.
    quote_policy = models.CharField(
        max_length=16, choices=QuotePolicy.choices, default=QuotePolicy.ANYONE
    )
    reply_policy = models.CharField(
        max_length=16, choices=ReplyPolicy.choices, default=ReplyPolicy.ANYONE
    )
    # A remote post it quotes (FEP-044f): its ActivityPub id, its page and
    # author, and what the author answered our QuoteRequest. Plain URIs, as
    # for in_reply_to_uri; federation fills them (posts.quotes).
    quote_of = models.URLField(max_length=500, blank=True)
    quote_url = models.URLField(max_length=500, blank=True)
    quote_author_uri = models.URLField(max_length=500, blank=True)
    quote_author_handle = models.CharField(max_length=320, blank=True)
    quote_state = models.CharField(
        max_length=16, choices=QuoteState.choices, blank=True
    )
    # The author's QuoteAuthorization stamp, once they accepted.
    quote_authorization = models.URLField(max_length=500, blank=True)
    # What happened to the quote, in the creator's words.
    quote_note = models.CharField(max_length=255, blank=True)
    quote_decided_at = models.DateTimeField(null=True, blank=True)
    hashtags = models.ManyToManyField("Hashtag", blank=True, related_name="posts")
    # Who wrote the post and who last did something to it: the creator or
    # someone at an agency acting for them.
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    last_actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Counts every change of what the post says or shows. Sending it for
    # approval records the count; approving names the count the creator
    # read, so a post changed since is never approved unseen.
    version = models.PositiveIntegerField(default=1)
    approval_version = models.PositiveIntegerField(null=True, blank=True)
    approval_requested_at = models.DateTimeField(null=True, blank=True)
    approval_requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # The creator's words when sending a post back; cleared on resubmitting.
    approval_comment = models.TextField(blank=True)
    # A post brought over from the creator's old account (posts.archive):
    # the id it had there, and when it arrived. Imported posts keep their
    # original date and are never delivered as new.
    imported_from = models.URLField(max_length=500, blank=True)
    imported_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # Importing the same archive twice imports nothing new.
            models.UniqueConstraint(
                fields=["creator", "imported_from"],
                condition=~Q(imported_from=""),
                name="post_imported_once",
            ),
            models.CheckConstraint(
                condition=~Q(state="scheduled") | Q(scheduled_at__isnull=False),
                name="scheduled_post_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(state="published") | Q(published_at__isnull=False),
                name="published_post_has_time",
            ),
        ]
        indexes = [
            models.Index(
                fields=["scheduled_at"],
                condition=Q(state="scheduled"),
                name="post_due_idx",
            ),
            models.Index(fields=["creator", "state", "-published_at"]),
            # A Delete of a stamp finds the quote it allowed.
            models.Index(
                fields=["quote_authorization"],
                condition=~Q(quote_authorization=""),
                name="post_quote_stamp_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"@{self.creator.handle} post {self.pk} ({self.state})"

    @property
    def imported_server(self) -> str:
        """The server an imported post came from (its old id's host); ""
        for a post written here."""
        if not self.imported_from:
            return ""
        return urlsplit(self.imported_from).hostname or ""

    @property
    def is_public(self) -> bool:
        return self.visibility == self.Visibility.PUBLIC

    @property
    def effective_quote_policy(self) -> str:
        """The policy in force: a followers-only post is never quoted by
        others, whatever was chosen (Mastodon downgrades it so too)."""
        if self.visibility == self.Visibility.FOLLOWERS:
            return QuotePolicy.NOBODY
        return self.quote_policy


class PostAction(models.Model):
    """Something an agency member did for a creator, as the creator reads it:
    "scheduled by Sam at Northwind for @alice, 14:02".

    Kept when the post goes (a deleted draft), with its words in `post_label`.
    The same action is written to the audit log (moderation receives
    posts.events.acted_on_behalf).
    """

    class Action(models.TextChoices):
        DRAFT = "draft", "drafted"
        EDIT = "edit", "edited"
        SCHEDULE = "schedule", "scheduled"
        UNSCHEDULE = "unschedule", "unscheduled"
        PUBLISH = "publish", "published"
        DELETE = "delete", "deleted"
        PIN = "pin", "pinned"
        UNPIN = "unpin", "unpinned"
        SUBMIT = "submit", "sent for approval"
        ANSWER = "answer", "answered a reply"
        MODERATE = "moderate", "moderated a reply"

    creator = models.ForeignKey(
        CreatorProfile, on_delete=models.CASCADE, related_name="team_actions"
    )
    post = models.ForeignKey(
        Post,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="team_actions",
    )
    post_label = models.CharField(max_length=200, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    by_label = models.CharField(max_length=150)
    agency = models.ForeignKey(
        Agency, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    agency_label = models.CharField(max_length=120, blank=True)
    action = models.CharField(max_length=16, choices=Action.choices)
    detail = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["creator", "-created_at"])]

    def __str__(self) -> str:
        return self.in_words

    @property
    def in_words(self) -> str:
        """ "scheduled by sam at Northwind for @alice" (the time is the page's)."""
        at = f" at {self.agency_label}" if self.agency_label else ""
        return (
            f"{self.get_action_display()} by {self.by_label}{at} "
            f"for @{self.creator.handle}"
        )


class PostMedia(models.Model):
    """An image attached to a post, re-encoded on upload (EXIF stripped)."""

    MAX_PER_POST = 4

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="media")
    file = models.ImageField(upload_to="media/%Y/%m/")
    mime_type = models.CharField(max_length=64)
    alt_text = models.CharField(max_length=1500, blank=True)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    blurhash = models.CharField(max_length=100, blank=True)
    # Focal point in Mastodon's convention: -1..1 on each axis, 0,0 centre.
    focal_x = models.FloatField(null=True, blank=True)
    focal_y = models.FloatField(null=True, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["post", "position"]
        verbose_name_plural = "post media"

    def __str__(self) -> str:
        return f"media {self.position} of post {self.post_id}"


class Mention(models.Model):
    """A remote account named in a post as @user@domain.

    posts records the handle; federation resolves it (WebFinger) when the
    post is published and fills in the actor id, so the Note can tag and
    address them.
    """

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="mentions")
    handle = models.CharField(max_length=320)  # user@domain, lower case
    actor_uri = models.URLField(max_length=500, blank=True)
    profile_url = models.URLField(max_length=500, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["post", "handle"], name="mention_once_per_post"
            )
        ]

    def __str__(self) -> str:
        return f"@{self.handle}"


class Hashtag(models.Model):
    name = models.CharField(max_length=100, unique=True)  # lower case, no '#'

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"#{self.name}"


class QuoteRequest(models.Model):
    """Someone on another server asked to quote a creator's post (FEP-044f).

    Answered by the post's quote policy, or held for the creator. An
    accepted request is the creator's consent: federation serves it as a
    `QuoteAuthorization` stamp until the creator revokes it. The quoter is
    named by URI, not by a reference to federation's remote actors.
    """

    class State(models.TextChoices):
        PENDING = "pending", "Waiting for you"
        ACCEPTED = "accepted", "Allowed"
        REFUSED = "refused", "Refused"
        REVOKED = "revoked", "Permission withdrawn"

    post = models.ForeignKey(
        Post, on_delete=models.CASCADE, related_name="quote_requests"
    )
    # The QuoteRequest activity's id (Mastodon's: a fragment, never fetched).
    request_id = models.URLField(max_length=500, unique=True)
    actor_uri = models.URLField(max_length=500)
    actor_handle = models.CharField(max_length=320, blank=True)
    # The quoter's post (the request's `instrument`).
    quote_uri = models.URLField(max_length=500)
    quote_url = models.URLField(max_length=500, blank=True)
    quote_excerpt = models.TextField(blank=True)
    state = models.CharField(
        max_length=16, choices=State.choices, default=State.PENDING
    )
    # Why it was answered so, in the creator's words.
    reason = models.CharField(max_length=255, blank=True)
    received_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at"]
        indexes = [
            models.Index(fields=["post", "state"], name="quote_request_post_idx"),
            models.Index(fields=["quote_uri"], name="quote_request_quote_idx"),
        ]

    def __str__(self) -> str:
        return f"quote of post {self.post_id} by {self.actor_uri} ({self.state})"


class ArchiveImport(models.Model):
    """A Mastodon archive a creator uploaded, imported by a Celery task
    (posts.archive): its progress and, once done, what came of it."""

    class State(models.TextChoices):
        QUEUED = "queued", "Waiting for a worker"
        RUNNING = "running", "Importing"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    creator = models.ForeignKey(
        CreatorProfile, on_delete=models.CASCADE, related_name="archive_imports"
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Kept under a random name until the import ends, then deleted: it
    # holds the creator's direct messages too.
    archive = models.FileField(upload_to="archive-imports/", blank=True)
    original_name = models.CharField(max_length=255, blank=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.QUEUED)
    # Items of outbox.json done so far, of `total`; the next run starts at
    # `done_items`.
    total_items = models.PositiveIntegerField(default=0)
    done_items = models.PositiveIntegerField(default=0)
    # What happened, counted: imported, already_there, replies, direct,
    # followers_only, boosts, other, images_failed, videos.
    counts = models.JSONField(default=dict, blank=True)
    first_published_at = models.DateTimeField(null=True, blank=True)
    last_published_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"archive import {self.pk} for {self.creator} ({self.state})"
