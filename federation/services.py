"""Federation state changes: the protocol side of what creators do."""

import logging
import time
from functools import partial

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import CreatorProfile
from moderation import policies as moderation

from . import activitypub, delivery, follows, ids, keys
from .models import Delivery, Follow, OutboundActivity

logger = logging.getLogger(__name__)


def _activity_id(creator: CreatorProfile, kind: str) -> str:
    """A fresh id per activity: peers drop an Update or Delete id seen before."""
    return f"{ids.actor_id(creator.handle)}#{kind}/{time.time_ns()}"


def follower_inboxes(creator: CreatorProfile) -> set[str]:
    """Distinct inboxes of accepted followers, shared inboxes where offered."""
    follows = Follow.objects.filter(
        creator=creator, state=Follow.State.ACCEPTED, actor__gone_at__isnull=True
    ).select_related("actor")
    return {follow.actor.delivery_inbox for follow in follows}


@transaction.atomic
def queue_activity(
    *,
    creator: CreatorProfile | None,
    payload: dict,
    inboxes: set[str],
    is_public: bool = False,
    post=None,
) -> OutboundActivity:
    """Store an activity once and one Delivery row per inbox it must reach,
    and start sending when the transaction commits.

    The one way anything is sent; never to a blocked server. Idempotent on
    the activity id: a second call with the same id returns the stored
    activity and adds no rows. A transaction that rolls back sends nothing.
    `creator` None means the instance actor signs.
    """
    existing = OutboundActivity.objects.filter(ap_id=payload["id"]).first()
    if existing is not None:
        return existing
    # Nothing goes to a server admins blocked (moderation.DomainPolicy).
    blocked = moderation.blocked_domains_among(delivery.host_of(i) for i in inboxes)
    inboxes = {inbox for inbox in inboxes if delivery.host_of(inbox) not in blocked}
    try:
        with transaction.atomic():
            activity = OutboundActivity.objects.create(
                ap_id=payload["id"],
                creator=creator,
                post=post,
                activity_type=payload["type"],
                payload=payload,
                is_public=is_public,
                fanned_out_at=timezone.now(),
            )
    except IntegrityError:  # queued by a concurrent call just now
        return OutboundActivity.objects.get(ap_id=payload["id"])
    Delivery.objects.bulk_create(
        [
            Delivery(activity=activity, inbox_url=inbox, host=delivery.host_of(inbox))
            for inbox in sorted(inboxes)
        ],
        ignore_conflicts=True,
    )
    if inboxes:
        transaction.on_commit(
            partial(delivery.start_delivery, activity_id=activity.pk, rows=len(inboxes))
        )
    return activity


@transaction.atomic
def withdraw_creator_from_fediverse(
    *, creator: CreatorProfile
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
            creator, activity_id=_activity_id(creator, "delete")
        )
        activity = queue_activity(creator=creator, payload=payload, inboxes=inboxes)
    removed = follows.follows_forget(
        Follow.objects.filter(creator=creator), reason="sharing-stopped"
    )
    logger.info(
        "creator %s stopped sharing: Delete queued for %d inboxes, %d follows removed",
        creator.handle,
        len(inboxes),
        removed,
    )
    return activity


@transaction.atomic
def announce_profile_update(*, creator: CreatorProfile) -> OutboundActivity | None:
    """Queue an `Update` of the actor so followers' servers refresh their copy."""
    inboxes = follower_inboxes(creator)
    if not inboxes or not creator.share_to_fediverse:
        return None
    key = keys.key_for_creator(creator)
    document = activitypub.actor_document(creator, public_key_pem=key.public_key_pem)
    payload = activitypub.update_actor_activity(
        document, activity_id=_activity_id(creator, "updates")
    )
    return queue_activity(
        creator=creator, payload=payload, inboxes=inboxes, is_public=False
    )


@transaction.atomic
def rotate_creator_key(*, creator: CreatorProfile) -> OutboundActivity | None:
    """Give the creator a new key pair and tell followers' servers about it."""
    keys.rotate_creator_key(creator)
    logger.info("rotated the signing key of %s", creator.handle)
    return announce_profile_update(creator=creator)
