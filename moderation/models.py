"""What admins and creators decided about remote servers, accounts and
replies, and the log of who decided what."""

from django.conf import settings
from django.db import models
from django.db.models import Q
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
    # Flags (reports) sent from there are dropped.
    reject_reports = models.BooleanField(default=False)
    # Mastodon's column: hide the name when the list is shown publicly.
    obfuscate = models.BooleanField(default=False)
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
    them from its instance actor, naming the account and the posts), or
    are filed by a creator about a reply in their thread. Admins resolve
    them with an action and a note.
    """

    class Source(models.TextChoices):
        REMOTE = "remote", "From another server"
        CREATOR = "creator", "Filed by a creator"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        RESOLVED = "resolved", "Resolved"

    class Action(models.TextChoices):
        NONE = "none", "No action"
        HIDE_REPLIES = "hide_replies", "Hid the replies"
        REMOVE_REPLIES = "remove_replies", "Removed the replies"
        BLOCK_ACCOUNT = "block_account", "Blocked the account for the creator"
        SILENCE_SERVER = "silence_server", "Silenced the server"
        BLOCK_SERVER = "block_server", "Blocked the server"
        OTHER = "other", "Other (see the note)"

    source = models.CharField(
        max_length=16, choices=Source.choices, default=Source.REMOTE
    )
    # The Flag's id; one Flag naming two of our creators makes two reports.
    # Empty for reports filed here.
    activity_id = models.URLField(max_length=500, blank=True)
    reporter_uri = models.URLField(max_length=500, blank=True)
    reporter_domain = models.CharField(max_length=255, db_index=True, blank=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # The creator the case concerns: whose posts were reported (remote), or
    # in whose thread the reported replies are (filed here).
    creator = models.ForeignKey(
        "accounts.CreatorProfile", on_delete=models.CASCADE, related_name="reports"
    )
    posts = models.ManyToManyField("posts.Post", blank=True, related_name="reports")
    # Filed here: the remote account and its replies.
    target_actor_uri = models.URLField(max_length=500, blank=True)
    target_handle = models.CharField(max_length=320, blank=True)
    target_domain = models.CharField(max_length=255, blank=True)
    replies = models.ManyToManyField(
        "analytics.Reply", blank=True, related_name="reports"
    )
    # Plain text: what the reporter wrote (Mastodon's "additional comments").
    comment = models.TextField(blank=True)
    # When a copy went to the remote server's admins (a Flag).
    forwarded_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.OPEN
    )
    received_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    action = models.CharField(max_length=32, choices=Action.choices, blank=True)
    resolution_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["activity_id", "creator"],
                condition=~Q(activity_id=""),
                name="report_once_per_flag",
            ),
        ]
        indexes = [models.Index(fields=["status", "-received_at"])]

    def __str__(self) -> str:
        if self.source == self.Source.CREATOR:
            # As the report's page says it: who reported, for which creator.
            by = self.reported_by.get_username() if self.reported_by else None
            target = self.target_handle or self.target_actor_uri
            return (
                f"report on {target} by {by or 'a user since deleted'}, "
                f"for @{self.creator.handle}"
            )
        return f"report on @{self.creator.handle} from {self.reporter_domain}"

    @property
    def server(self) -> str:
        """The remote server the case is about: the reported account's, or
        the reporter's for reports about our creators."""
        return self.target_domain or self.reporter_domain


class ScreeningRules(models.Model):
    """What holds a new reply for review before anyone else sees it.

    One row for the instance (set by admins, applies to every creator) and
    one per creator who set their own, which add to the instance's: a
    creator may hold more than the admins ask, never less.
    """

    creator = models.OneToOneField(
        "accounts.CreatorProfile",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="screening_rules",
    )
    is_instance = models.BooleanField(default=False, editable=False)
    hold_all = models.BooleanField(
        "hold every reply", default=False, help_text="Every reply waits for review."
    )
    hold_first_time = models.BooleanField(
        "hold first-time repliers",
        default=False,
        help_text="Hold replies from accounts that never interacted before.",
    )
    hold_new_servers = models.BooleanField(
        "hold replies from new servers", default=False
    )
    new_server_days = models.PositiveSmallIntegerField(
        default=7, help_text="A server first seen this many days ago or less is new."
    )
    hold_link_only = models.BooleanField(
        "hold link-only replies",
        default=False,
        help_text="Hold replies that are only links, with no words of their own.",
    )
    hold_mention_spam = models.BooleanField("hold mention spam", default=False)
    mention_limit = models.PositiveSmallIntegerField(
        default=5, help_text="Hold replies mentioning more accounts than this."
    )
    flood_limit = models.PositiveSmallIntegerField(
        default=10,
        help_text="Hold replies from one account beyond this many in the "
        "window below (0: no limit).",
    )
    flood_minutes = models.PositiveSmallIntegerField(default=10)
    # One per line; a line written /like this/ is a regular expression.
    keywords = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name_plural = "screening rules"
        constraints = [
            models.CheckConstraint(
                condition=Q(is_instance=True, creator__isnull=True)
                | Q(is_instance=False, creator__isnull=False),
                name="screening_rules_have_one_owner",
            ),
            models.UniqueConstraint(
                fields=["is_instance"],
                condition=Q(is_instance=True),
                name="one_instance_screening_rules",
            ),
        ]

    def __str__(self) -> str:
        owner = "the instance" if self.is_instance else f"@{self.creator.handle}"
        return f"screening rules of {owner}"


class ActorBlock(models.Model):
    """A creator blocked a remote account: a `Block` went to it, its follow
    was removed, and what it sends the creator is dropped."""

    creator = models.ForeignKey(
        "accounts.CreatorProfile", on_delete=models.CASCADE, related_name="blocks"
    )
    actor_uri = models.URLField(max_length=500)
    actor_handle = models.CharField(max_length=320, blank=True)
    domain = models.CharField(max_length=255)
    reason = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["creator", "actor_uri"], name="block_once_per_creator"
            ),
        ]
        # The inbox asks by actor for every batch.
        indexes = [models.Index(fields=["actor_uri"], name="actor_block_actor_idx")]

    def __str__(self) -> str:
        return f"@{self.creator.handle} blocks {self.actor_handle or self.actor_uri}"


class AuditEntry(models.Model):
    """One moderation action: who did what to what, when and why.

    Written by moderation.services with every action, never changed. Account
    security events (log-in lock-outs and unlocks, two-factor resets) are
    logged here too, from accounts' and axes' signals.
    """

    class Action(models.TextChoices):
        REPLY_APPROVE = "reply_approve", "Approved a reply"
        REPLY_HIDE = "reply_hide", "Hid a reply"
        REPLY_REMOVE = "reply_remove", "Removed a reply"
        ACTOR_BLOCK = "actor_block", "Blocked an account"
        ACTOR_UNBLOCK = "actor_unblock", "Unblocked an account"
        DOMAIN_POLICY_SAVE = "domain_policy_save", "Set a server's policy"
        DOMAIN_POLICY_DELETE = "domain_policy_delete", "Lifted a server's policy"
        DOMAIN_POLICIES_IMPORT = "domain_policies_import", "Imported server policies"
        REPORT_FILE = "report_file", "Filed a report"
        REPORT_FORWARD = "report_forward", "Forwarded a report"
        REPORT_RESOLVE = "report_resolve", "Resolved a report"
        RULES_UPDATE = "rules_update", "Changed screening rules"
        LOGIN_LOCKOUT = "login_lockout", "Log-in locked after failed attempts"
        LOGIN_UNLOCK = "login_unlock", "Unlocked a log-in"
        TWO_FACTOR_RESET = "two_factor_reset", "Removed two-factor sign-in"
        AGENCY_ACTION = "agency_action", "Acted for a creator"

    class Target(models.TextChoices):
        REPLY = "reply", "Reply"
        ACCOUNT = "account", "Remote account"
        DOMAIN = "domain", "Server"
        REPORT = "report", "Report"
        RULES = "rules", "Screening rules"
        USER = "user", "Local account"
        POST = "post", "Post"

    created_at = models.DateTimeField(default=timezone.now)
    # Null: the command line (or a user since deleted; `by_label` stays).
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    by_label = models.CharField(max_length=150)
    action = models.CharField(max_length=32, choices=Action.choices)
    # Whose replies, blocks or rules; null for instance-wide actions.
    creator = models.ForeignKey(
        "accounts.CreatorProfile",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    target_type = models.CharField(max_length=16, choices=Target.choices)
    # A primary key, an actor URI or a domain.
    target_id = models.CharField(max_length=500)
    # What a person reads: "reply by @eve@spam.example: buy now…".
    target_label = models.CharField(max_length=500)
    reason = models.TextField(blank=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "audit entries"
        indexes = [
            models.Index(fields=["-created_at"], name="audit_recent_idx"),
            models.Index(fields=["creator", "-created_at"], name="audit_creator_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.by_label}: {self.get_action_display()} ({self.target_label})"
