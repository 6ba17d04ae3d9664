"""Template helpers of the inbox pages: times in words and the nav badge."""

import datetime
import zoneinfo

from django import template
from django.utils import timezone

from analytics import selectors

register = template.Library()


def zone_of(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


@register.filter
def ago(moment: datetime.datetime | None) -> str:
    """ "just now", "5 min ago", "3 h ago", "2 days ago"."""
    if moment is None:
        return ""
    seconds = int((timezone.now() - moment).total_seconds())
    if seconds < 60:
        return "just now"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min ago"
    hours = minutes // 60
    if hours < 24:
        return f"{hours} h ago"
    days = hours // 24
    if days < 30:
        return f"{days} day{'s' if days != 1 else ''} ago"
    months = days // 30
    if months < 12:
        return f"{months} month{'s' if months != 1 else ''} ago"
    years = days // 365
    return f"{years} year{'s' if years != 1 else ''} ago"


@register.filter
def exact(moment: datetime.datetime | None, time_zone: str) -> str:
    """ "3 Jun, 14:05" on the creator's clock ("3 Jun 2024, 14:05" in
    another year)."""
    if moment is None:
        return ""
    zone = zone_of(time_zone)
    local = moment.astimezone(zone)
    if local.year == timezone.now().astimezone(zone).year:
        return f"{local.day} {local:%b, %H:%M}"
    return f"{local.day} {local:%b %Y, %H:%M}"


@register.filter
def clock(moment: datetime.datetime | None, time_zone: str) -> str:
    """ "14:05" on the creator's clock."""
    if moment is None:
        return ""
    return f"{moment.astimezone(zone_of(time_zone)):%H:%M}"


@register.filter
def written_at(reply) -> datetime.datetime | None:
    """When a remote reply was written: the `published` its server sent,
    or, without one, when it reached us."""
    return reply.published_at or reply.received_at


@register.filter
def written_at_title(reply, time_zone: str) -> str:
    """Which time `written_at` is, in words, for the tooltip."""
    if reply.published_at is None:
        return (
            f"Received {exact(reply.received_at, time_zone)} ({time_zone or 'UTC'}); "
            "its server sent no time of writing"
        )
    return f"Written {exact(reply.published_at, time_zone)} ({time_zone or 'UTC'})"


@register.filter
def handle_user(handle: str) -> str:
    """ "@bob@mastodon.social" → "bob", for initials and short names."""
    return (handle or "").lstrip("@").split("@")[0]


@register.simple_tag
def unread_notifications(creator) -> int:
    """How many notifications the creator has not seen (at most 100)."""
    if not creator:  # "" when the user has no creator profile
        return 0
    return selectors.notifications_since(
        creator=creator, since=creator.last_seen_notifications_at
    )
