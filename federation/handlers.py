"""Reactions to domain events of accounts, posts and moderation (see
FederationConfig)."""

from functools import partial

from django.db import transaction

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


# Moderation: each queues its task once the transaction commits
# (federation.enforcement does the work).


def on_actor_blocked(sender, *, block, **kwargs) -> None:
    from .tasks import send_actor_block

    transaction.on_commit(partial(send_actor_block.delay, block.pk))


def on_actor_unblocked(sender, *, creator, actor_uri: str, block_id: int, **kwargs):
    from .tasks import send_actor_unblock

    transaction.on_commit(
        partial(send_actor_unblock.delay, creator.pk, actor_uri, block_id)
    )


def on_domain_blocked(sender, *, domain: str, **kwargs) -> None:
    from .tasks import apply_domain_block

    transaction.on_commit(partial(apply_domain_block.delay, domain))


def on_report_forwarded(sender, *, report, **kwargs) -> None:
    from .tasks import forward_report

    transaction.on_commit(partial(forward_report.delay, report.pk))
