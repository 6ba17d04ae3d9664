import hashlib
import zoneinfo

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone

from .handles import HANDLE_MAX_LENGTH, validate_handle

MAX_PROFILE_LINKS = 4  # Mastodon shows four profile fields.


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError("Unknown time zone.", code="invalid")


class QuotePolicy(models.TextChoices):
    """Who may quote a post (FEP-044f `canQuote`, as Mastodon 4.5 reads it)."""

    ANYONE = "anyone", "Anyone"
    APPROVAL = "approval", "Anyone, once I approve"
    FOLLOWERS = "followers", "My followers"
    NOBODY = "nobody", "Nobody but me"


class ReplyPolicy(models.TextChoices):
    """Whose replies a post takes (`canReply`); the others wait for review."""

    ANYONE = "anyone", "Anyone"
    FOLLOWERS = "followers", "My followers"
    MENTIONED = "mentioned", "Only people I mention"


class User(AbstractUser):
    """A person who logs in: a creator, an agency member, an admin, or several.

    Staff users are the instance's admins: they moderate.
    """

    email = models.EmailField("email address")

    objects = UserManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_unique_ci"),
        ]

    def __str__(self) -> str:
        return self.username

    @property
    def is_creator(self) -> bool:
        return hasattr(self, "creator")


class CreatorProfile(models.Model):
    """A creator's public identity: @handle@DOMAIN on the Fediverse."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="creator"
    )
    handle = models.CharField(
        max_length=HANDLE_MAX_LENGTH,
        unique=True,
        validators=[validate_handle],
        help_text="Your fediverse username. It cannot be changed later.",
    )
    display_name = models.CharField(max_length=100, blank=True)
    bio = models.TextField(max_length=500, blank=True)
    avatar = models.ImageField(upload_to="avatars/%Y/%m/", blank=True)
    header = models.ImageField(upload_to="headers/%Y/%m/", blank=True)
    time_zone = models.CharField(
        max_length=64, default="UTC", validators=[validate_time_zone]
    )
    share_to_fediverse = models.BooleanField(
        default=False,
        help_text="Let people on Mastodon, Threads and other servers find, "
        "follow and reply to you.",
    )
    approve_followers_manually = models.BooleanField(
        default=False,
        help_text="Review each follow request before the person can follow you.",
    )
    show_follower_lists = models.BooleanField(
        default=True,
        help_text="Let anyone see who follows you. The number of followers "
        "is always public.",
    )
    default_quote_policy = models.CharField(
        max_length=16,
        choices=QuotePolicy.choices,
        default=QuotePolicy.ANYONE,
        help_text="Who may quote your new posts. You can change it on each post.",
    )
    default_reply_policy = models.CharField(
        max_length=16,
        choices=ReplyPolicy.choices,
        default=ReplyPolicy.ANYONE,
        help_text="Whose replies show on your new posts; the others wait for "
        "you to review them. You can change it on each post.",
    )
    # Moving out (accounts.moves): the account the creator moved to (the
    # actor's `movedTo`), and when the latest move was made. Undoing a move
    # clears the URI but keeps the time: the cooldown counts from it.
    moved_to_uri = models.URLField(max_length=500, blank=True)
    moved_at = models.DateTimeField(null=True, blank=True)
    # When the creator last opened their notifications: newer ones are unread.
    last_seen_notifications_at = models.DateTimeField(
        null=True, blank=True, editable=False
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["handle"]
        constraints = [
            # Handles are compared case-insensitively everywhere (WebFinger
            # included), so they are only ever stored in lower case.
            models.CheckConstraint(
                condition=Q(handle=Lower("handle")), name="creator_handle_lowercase"
            ),
        ]

    def __str__(self) -> str:
        return f"@{self.handle}"

    @property
    def name(self) -> str:
        return self.display_name or self.handle

    @property
    def fediverse_address(self) -> str:
        domain = settings.CREATORHUB_DOMAIN
        return f"@{self.handle}@{domain}"


class AccountAlias(models.Model):
    """An account the creator had elsewhere (the actor's `alsoKnownAs`).

    Listing it lets that account's server move its followers here; follows
    that arrive after `added_at` are counted as moving in.
    """

    creator = models.ForeignKey(
        CreatorProfile, on_delete=models.CASCADE, related_name="aliases"
    )
    uri = models.URLField(max_length=500)
    # The address the creator typed (`@alice@mastodon.social`), to show.
    address = models.CharField(max_length=300, blank=True)
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["creator", "added_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["creator", "uri"], name="account_alias_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.creator} also known as {self.uri}"


class ProfileLink(models.Model):
    """A labelled link on a creator's profile (a PropertyValue on the actor)."""

    creator = models.ForeignKey(
        CreatorProfile, on_delete=models.CASCADE, related_name="links"
    )
    label = models.CharField(max_length=60)
    url = models.URLField(max_length=500)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["creator", "position", "pk"]

    def __str__(self) -> str:
        return f"{self.label}: {self.url}"


class Agency(models.Model):
    """A team that manages several creators, with each creator's consent."""

    name = models.CharField(max_length=120)
    slug = models.SlugField(
        max_length=60,
        unique=True,
        help_text="Creators type this to grant your agency access.",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "agencies"

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("agency_detail", kwargs={"slug": self.slug})


class AgencyRole(models.TextChoices):
    OWNER = "owner", "Owner"
    MANAGER = "manager", "Manager"
    ANALYST = "analyst", "Analyst"


class AgencyMembership(models.Model):
    """A person's role in an agency.

    Owners manage the team; owners and managers act for creators within the
    scopes each creator granted (AgencyAccess); analysts only read.
    """

    agency = models.ForeignKey(
        Agency, on_delete=models.CASCADE, related_name="memberships"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="agency_memberships",
    )
    role = models.CharField(max_length=16, choices=AgencyRole.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["agency", "role", "user__username"]
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "user"], name="agency_membership_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()}) at {self.agency}"


class AgencyScope(models.TextChoices):
    """What a creator lets an agency do: each is a field of AgencyAccess."""

    READ_ANALYTICS = "read_analytics", "Read analytics"
    DRAFT_POSTS = "draft_posts", "Draft posts for approval"
    PUBLISH_POSTS = "publish_posts", "Publish and schedule"
    ANSWER_REPLIES = "answer_replies", "Answer replies"
    MODERATE_REPLIES = "moderate_replies", "Moderate replies"


class AgencyAccessQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True)


class AgencyAccess(models.Model):
    """A creator's consent for an agency to read (and maybe manage) their data.

    Revoking keeps the row, so the creator can see who had access and when.
    """

    creator = models.ForeignKey(
        CreatorProfile, on_delete=models.CASCADE, related_name="agency_grants"
    )
    agency = models.ForeignKey(
        Agency, on_delete=models.CASCADE, related_name="creator_grants"
    )
    # The consent scopes: what the agency's owners and managers may do for
    # the creator (analysts only ever read). The creator changes them at
    # any time; permissions read them afresh on every request.
    read_analytics = models.BooleanField(
        default=True, help_text="See your followers, engagement and reports."
    )
    draft_posts = models.BooleanField(
        default=False,
        help_text="Write and schedule posts that wait for your approval.",
    )
    publish_posts = models.BooleanField(
        default=False,
        help_text="Publish, schedule, edit and delete posts without asking you.",
    )
    answer_replies = models.BooleanField(
        default=False, help_text="Answer replies to your posts in your name."
    )
    moderate_replies = models.BooleanField(
        default=False,
        help_text="Approve, hide or remove replies, and answer follow requests.",
    )
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    granted_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = AgencyAccessQuerySet.as_manager()

    class Meta:
        ordering = ["-granted_at"]
        verbose_name_plural = "agency access grants"
        constraints = [
            models.UniqueConstraint(
                fields=["creator", "agency"], name="agency_access_unique"
            ),
        ]

    def __str__(self) -> str:
        state = "revoked" if self.revoked_at else "active"
        return f"{self.agency} → {self.creator} ({state})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @property
    def scopes(self) -> list[str]:
        """The scopes granted, in AgencyScope's order."""
        return [scope for scope in AgencyScope.values if getattr(self, scope)]

    @property
    def scope_labels(self) -> list[str]:
        return [AgencyScope(scope).label for scope in self.scopes]

    @property
    def scope_summary(self) -> str:
        """ "Read only", "No access to anything", or the scopes in words."""
        if not self.scopes:
            return "No access to anything"
        if self.scopes == [AgencyScope.READ_ANALYTICS]:
            return "Read only"
        return ", ".join(self.scope_labels)


def hash_token_secret(secret: str) -> str:
    """The stored form of an API token's secret.

    One plain SHA-256 is enough: secrets carry 256 random bits, so there is
    nothing to guess, only a leaked database to make useless.
    """
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiTokenScope(models.TextChoices):
    READ = "read", "Read only"
    WRITE = "write", "Read and write"


class ApiTokenQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True)


class ApiToken(models.Model):
    """A named key a script sends to use the API as its user.

    Only the SHA-256 of the secret is stored: the secret is shown once, when
    the token is made (accounts.services.create_api_token). `prefix`, its
    first characters, tells a user's tokens apart. Revoking keeps the row, so
    a revoked token answers "revoked" rather than "unknown".
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    scope = models.CharField(
        max_length=10, choices=ApiTokenScope.choices, default=ApiTokenScope.READ
    )
    prefix = models.CharField(max_length=16)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(
                fields=["user", "revoked_at"], name="accounts_apitoken_user_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…, {self.get_scope_display()})"

    @property
    def can_write(self) -> bool:
        return self.scope == ApiTokenScope.WRITE


class LoginSession(models.Model):
    """One browser where the user is logged in, for their Security page.

    Recorded at log-in (accounts.login_sessions); `last_seen_at` is brought
    up to date every few minutes while the session is used. The row goes
    with the session: at log-out, "log out everywhere else", or when the
    session is found gone.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="login_sessions",
    )
    # Django's session key; it changes when the session is cycled (a
    # password change), and the middleware follows it.
    session_key = models.CharField(max_length=40, unique=True)
    user_agent = models.CharField(max_length=300, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-last_seen_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.user} from {self.ip_address or 'unknown address'}"
