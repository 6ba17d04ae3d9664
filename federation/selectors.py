"""Read-only queries the ActivityPub views share."""

import nh3
from django.utils.dateparse import parse_datetime
from django.utils.safestring import mark_safe

from accounts.models import CreatorProfile

from .models import Follow, OutboundActivity


def creator_by_handle(handle: str) -> CreatorProfile | None:
    """The creator with this handle (any case) and an active account, or None."""
    return (
        CreatorProfile.objects.select_related("user")
        .filter(handle=handle.lower(), user__is_active=True)
        .first()
    )


def federated_creators():
    return CreatorProfile.objects.filter(share_to_fediverse=True, user__is_active=True)


def follower_count(creator: CreatorProfile) -> int:
    return Follow.objects.filter(creator=creator, state=Follow.State.ACCEPTED).count()


def accepted_followers(creator: CreatorProfile):
    return (
        Follow.objects.filter(creator=creator, state=Follow.State.ACCEPTED)
        .select_related("actor")
        .order_by("-accepted_at", "-pk")
    )


def local_post_count() -> int:
    """Notes our creators published: one `Create` each."""
    return OutboundActivity.objects.filter(activity_type="Create").count()


def public_outbox(creator: CreatorProfile):
    """The creator's public Create activities, newest first."""
    return OutboundActivity.objects.filter(
        creator=creator, activity_type="Create", is_public=True
    ).order_by("-created_at", "-pk")


def recent_public_notes(creator: CreatorProfile, *, limit: int) -> list[dict]:
    """The creator's latest public posts as shown on their profile page.

    Read from the same public Create activities the outbox serves, so the
    page and what servers see never disagree. The HTML is cleaned again on
    the way out: it is shown on our own domain.
    """
    notes = []
    for activity in public_outbox(creator)[:limit]:
        note = activity.payload.get("object")
        if not isinstance(note, dict):
            continue
        notes.append(
            {
                "url": note.get("url") or note.get("id"),
                "published": parse_datetime(note.get("published") or ""),
                "summary": note.get("summary") or "",
                "content": mark_safe(nh3.clean(note.get("content") or "")),  # noqa: S308
            }
        )
    return notes
