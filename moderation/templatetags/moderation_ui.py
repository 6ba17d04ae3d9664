"""Template helpers of the moderation pages and the site's nav."""

from django import template

from accounts import permissions
from moderation import selectors

register = template.Library()

# Reasons are stored as one string; screening joins several with "; ".
REASON_SEPARATOR = "; "


@register.simple_tag
def moderation_nav(user) -> bool:
    """Whether the nav shows "Moderation": to admins, creators, and agency
    people some creator allowed to manage posts. No query for the first
    two, so every page costs what it did; the counts live on the queue."""
    if not user.is_authenticated:
        return False
    return (
        permissions.can_moderate(user)
        or user.is_creator
        or selectors.creators_moderated_by(user).exists()
    )


@register.filter
def reasons(text: str) -> list[str]:
    """A stored hold reason split into the reasons it names."""
    return [
        part.strip() for part in (text or "").split(REASON_SEPARATOR) if part.strip()
    ]


@register.simple_tag
def open_report_count() -> int:
    return selectors.report_counts()["open"]
