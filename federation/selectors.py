"""Read-only queries the ActivityPub views share."""

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
