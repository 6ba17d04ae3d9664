"""Reactions to domain events of accounts, posts, followers and moderation
(see FederationConfig).

The events are sent inside the transaction of the change they announce;
each handler records an outbox job in it (federation.outbound.outbox), or,
for the answer to a follow, the activity itself, so the change and the work
it causes on the network commit together.
"""

import time
from datetime import UTC, datetime, timedelta

from federation.outbound import follow_answers, outbox, quote_answers

# An actor's Update or Delete is named by when it was decided, recorded with
# the job, so that a job run twice rebuilds the same activity id.


def on_federation_toggled(sender, *, creator, enabled: bool, **kwargs) -> None:
    if not enabled:
        outbox.record("creator.withdraw", creator_id=creator.pk, stamp=time.time_ns())


def on_public_profile_changed(sender, *, creator, **kwargs) -> None:
    outbox.record("profile.update", creator_id=creator.pk, stamp=time.time_ns())


def on_creator_moved(sender, *, creator, **kwargs) -> None:
    outbox.record("creator.move", creator_id=creator.pk, stamp=time.time_ns())


def on_post_published(sender, *, post, **kwargs) -> None:
    outbox.record("post.create", post=post, post_id=post.pk)


def on_post_edited(sender, *, post, **kwargs) -> None:
    outbox.record("post.update", post=post, post_id=post.pk)


def on_post_policies_changed(sender, *, post, **kwargs) -> None:
    # Named by the change's time (microseconds), as an edit is.
    stamp = _stamp_us(post.updated_at)
    outbox.record("post.policies", post=post, post_id=post.pk, stamp=stamp)


def on_post_deleted(sender, *, post, **kwargs) -> None:
    outbox.record("post.delete", post=post, post_id=post.pk)


# A pin or an unpin is named by its time (seconds since the epoch), so that
# a job run again rebuilds the same activity id.


def on_post_pinned(sender, *, post, **kwargs) -> None:
    outbox.record("post.pin", post=post, post_id=post.pk, stamp=_stamp(post.pinned_at))


def on_post_unpinned(sender, *, post, **kwargs) -> None:
    outbox.record(
        "post.unpin", post=post, post_id=post.pk, stamp=_stamp(post.updated_at)
    )


def _stamp(moment) -> int:
    return int(moment.timestamp()) if moment else 0


def _stamp_us(moment) -> int:
    return (moment - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)


def on_actor_blocked(sender, *, block, **kwargs) -> None:
    outbox.record("actor.block", block_id=block.pk)


def on_actor_unblocked(sender, *, creator, actor_uri: str, block_id: int, **kwargs):
    outbox.record(
        "actor.unblock", creator_id=creator.pk, actor_uri=actor_uri, block_id=block_id
    )


def on_domain_blocked(sender, *, domain: str, **kwargs) -> None:
    outbox.record("domain.block", domain=domain)


def on_report_forwarded(sender, *, report, **kwargs) -> None:
    outbox.record("report.forward", report_id=report.pk)


# A follow request's answer is built at once: a refused request is never
# saved and a removed follower is deleted in the same transaction, so there
# would be no row for a later job to read.


def on_follow_approved(sender, *, follow, **kwargs) -> None:
    follow_answers.send_accept(follow)


def on_follow_declined(sender, *, follow, **kwargs) -> None:
    # A creator who does not share to the fediverse has no actor there (it
    # answers 410), so no server could verify a Reject signed with its key:
    # the request goes unanswered, as one to an account that is gone.
    if follow.creator.share_to_fediverse:
        follow_answers.send_reject(follow)


def on_follower_removed(sender, *, follow, **kwargs) -> None:
    # Mastodon's "remove follower" is a Reject of the Follow, too.
    follow_answers.send_reject(follow)


# Answers to quote requests are built at once too, like follow answers:
# the decision and the activity telling the quoter commit together.


def on_quote_answered(sender, *, quote_request, **kwargs) -> None:
    quote_answers.send_answer(quote_request)


def on_quote_authorization_revoked(sender, *, quote_request, **kwargs) -> None:
    quote_answers.send_revocation(quote_request)
