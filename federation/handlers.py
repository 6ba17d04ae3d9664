"""Reactions to domain events of accounts and posts (see FederationConfig)."""

from . import publishing, services


def on_federation_toggled(sender, *, creator, enabled: bool, **kwargs) -> None:
    if not enabled:
        services.withdraw_creator_from_fediverse(creator=creator)


def on_public_profile_changed(sender, *, creator, **kwargs) -> None:
    services.announce_profile_update(creator=creator)


# Posts: each event queues federate_post once the transaction commits; the
# task resolves mentions and builds the activity.


def on_post_published(sender, *, post, **kwargs) -> None:
    publishing.federate_post_later(post=post, action=publishing.CREATE)


def on_post_edited(sender, *, post, **kwargs) -> None:
    publishing.federate_post_later(post=post, action=publishing.UPDATE)


def on_post_deleted(sender, *, post, **kwargs) -> None:
    publishing.federate_post_later(post=post, action=publishing.DELETE)


def on_post_pinned(sender, *, post, **kwargs) -> None:
    publishing.federate_post_later(
        post=post, action=publishing.PIN, stamp=_stamp(post.pinned_at)
    )


def on_post_unpinned(sender, *, post, **kwargs) -> None:
    publishing.federate_post_later(
        post=post, action=publishing.UNPIN, stamp=_stamp(post.updated_at)
    )


def _stamp(moment) -> int:
    """Seconds since the epoch: names one pin or unpin in its activity id."""
    return int(moment.timestamp()) if moment else 0
