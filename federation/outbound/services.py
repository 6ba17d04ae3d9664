"""Federation state changes: the protocol side of what creators do."""

import logging
import time
from collections.abc import Iterable
from functools import partial

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import CreatorProfile
from federation import queue
from federation.models import OutboundActivity
from federation.outbound import fanout
from federation.protocol import activitypub, ids, keys
from followers import services as followers
from followers.models import Follow

logger = logging.getLogger(__name__)


def activity_id(creator: CreatorProfile, kind: str, stamp: int | None) -> str:
    """A fresh id per activity (peers drop an Update or Delete id seen
    before), named by `stamp` where the caller has one: an outbox job's, so
    a job run twice builds the same id and sends nothing twice."""
    return f"{ids.actor_id(creator.handle)}#{kind}/{stamp or time.time_ns()}"


def follower_inboxes(creator: CreatorProfile) -> set[str]:
    """Distinct inboxes of accepted followers, shared inboxes where offered.

    All at once, as strings: for withdrawing a creator, whose follows end in
    the same transaction (anything else fans out page by page).
    """
    rows = Follow.objects.filter(
        creator=creator, state=Follow.State.ACCEPTED, actor__gone_at__isnull=True
    ).values_list("actor__shared_inbox_url", "actor__inbox_url")
    return {shared or personal for shared, personal in rows}


@transaction.atomic
def queue_activity(
    *,
    creator: CreatorProfile | None,
    payload: dict,
    inboxes: set[str] = frozenset(),
    followers_of: CreatorProfile | None = None,
    reached: Iterable[int] = (),
    is_public: bool = False,
    post=None,
) -> OutboundActivity:
    """Store an activity once, with its audience, and start sending it when
    the transaction commits.

    `inboxes` are written as Delivery rows at once (a few: mentioned
    accounts, the author replied to, a blocked account); the accepted
    followers of `followers_of` and the inboxes the `reached` activities
    went to are written page by page by the fan-out (federation.outbound.fanout),
    however many there are. The one way anything is sent; never to a
    blocked server. Idempotent on the activity id: a second call with the
    same id returns the stored activity and adds no rows. A transaction
    that rolls back sends nothing. `creator` None means the instance actor
    signs.
    """
    existing = OutboundActivity.objects.filter(ap_id=payload["id"]).first()
    if existing is not None:
        return existing
    audience = fanout.audience_of(
        followers_of=followers_of.pk if followers_of else None, reached=reached
    )
    try:
        with transaction.atomic():
            activity = OutboundActivity.objects.create(
                ap_id=payload["id"],
                creator=creator,
                post=post,
                activity_type=payload["type"],
                payload=payload,
                is_public=is_public,
                audience=audience,
                fanned_out_at=None if audience else timezone.now(),
            )
    except IntegrityError:  # queued by a concurrent call just now
        return OutboundActivity.objects.get(ap_id=payload["id"])
    added = fanout.add_deliveries(activity.pk, inboxes)
    transaction.on_commit(partial(fanout.send, added))
    if audience:
        transaction.on_commit(partial(queue.wake, fanout.FAN_OUT_TASK, activity.pk))
    return activity


def has_followers(creator: CreatorProfile) -> bool:
    return Follow.objects.filter(
        creator=creator, state=Follow.State.ACCEPTED, actor__gone_at__isnull=True
    ).exists()


@transaction.atomic
def announce_profile_update(
    *, creator: CreatorProfile, stamp: int | None = None
) -> OutboundActivity | None:
    """Queue an `Update` of the actor so followers' servers refresh their copy."""
    if not creator.share_to_fediverse or not has_followers(creator):
        return None
    key = keys.key_for_creator(creator)
    document = activitypub.actor_document(creator, public_key_pem=key.public_key_pem)
    payload = activitypub.update_actor_activity(
        document, activity_id=activity_id(creator, "updates", stamp)
    )
    return queue_activity(
        creator=creator, payload=payload, followers_of=creator, is_public=False
    )


@transaction.atomic
def rotate_creator_key(*, creator: CreatorProfile) -> OutboundActivity | None:
    """Give the creator a new key pair and tell followers' servers about it."""
    keys.rotate_creator_key(creator)
    logger.info("rotated the signing key of %s", creator.handle)
    return announce_profile_update(creator=creator)


@transaction.atomic
def withdraw_creator_from_fediverse(
    *, creator: CreatorProfile, stamp: int | None = None
) -> OutboundActivity | None:
    """Queue a `Delete` of the actor to every follower's server, then forget them.

    Remote servers drop the account and their follows when the Delete
    arrives, so the local follows are removed too: turning sharing back on
    starts with no followers, as it would on Threads.
    """
    inboxes = follower_inboxes(creator)
    activity = None
    if inboxes:
        payload = activitypub.delete_actor_activity(
            creator, activity_id=activity_id(creator, "delete", stamp)
        )
        activity = queue_activity(creator=creator, payload=payload, inboxes=inboxes)
    removed = followers.follows_forget(
        Follow.objects.filter(creator=creator), reason="sharing-stopped"
    )
    logger.info(
        "creator %s stopped sharing: Delete queued for %d inboxes, %d follows removed",
        creator.handle,
        len(inboxes),
        removed,
    )
    return activity
