"""What a creator's handle (the fediverse username) may be.

The handle becomes @handle@DOMAIN and the actor URL /users/<handle>. Remote
servers key followers on it, so it is checked once, stored in lower case and
never changed afterwards.
"""

import re

from django.core.exceptions import ValidationError

HANDLE_MAX_LENGTH = 30
# Mastodon's username rule: letters, digits and underscores, up to 30.
HANDLE_PATTERN = re.compile(r"^[a-z0-9_]+$")

# Names that would impersonate the instance or collide with our own URLs.
RESERVED_HANDLES = frozenset(
    {
        "abuse", "about", "account", "accounts", "activitypub", "actor", "admin",
        "administrator", "agency", "agencies", "api", "app", "apps", "auth",
        "creatorhub", "dashboard", "demo_admin", "help", "hostmaster", "inbox",
        "info", "instance", "login", "logout", "mail", "media", "mod",
        "moderation", "moderator", "nodeinfo", "noreply", "no_reply", "null",
        "outbox", "owner", "postmaster", "privacy", "root", "security",
        "settings", "signup", "staff", "static", "status", "support", "system",
        "terms", "undefined", "user", "users", "webfinger", "webmaster", "www",
        "healthz",
    }
)  # fmt: skip


def normalise_handle(value: str) -> str:
    return value.strip().lstrip("@").lower()


def validate_handle(value: str) -> None:
    """Raise ValidationError unless `value` (already normalised) is usable."""
    if not value:
        raise ValidationError("Choose a handle.", code="required")
    if len(value) > HANDLE_MAX_LENGTH:
        raise ValidationError(
            "A handle is at most %(limit)d characters.",
            code="max_length",
            params={"limit": HANDLE_MAX_LENGTH},
        )
    if not HANDLE_PATTERN.match(value):
        raise ValidationError(
            "Use only letters, digits and underscores.", code="invalid"
        )
    if value in RESERVED_HANDLES:
        raise ValidationError("That handle is reserved.", code="reserved")
