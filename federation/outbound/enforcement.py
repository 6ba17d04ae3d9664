"""What moderation decisions mean for the network.

moderation announces them (moderation.events); the handlers queue these
on commit as tasks, which build the activities and go through
services.queue_activity like everything else we send:

- a creator blocks an account: `Block` to that account's inbox, as
  Mastodon's BlockService sends it, and its follow ends (Mastodon's side
  drops it too when the Block arrives); unblocking sends `Undo(Block)`;
- admins block a server: followers there are dropped and deliveries
  there given up (queue_activity sends nothing there afterwards, and the
  inbox refuses what it sends);
- a report is forwarded: a `Flag` from the instance actor naming the
  account and its replies, as Mastodon's ReportService forwards one,
  without saying who reported.

Each is safe to run twice: activity ids are stable, follows already
gone are not there to end.
"""

import logging
import time

from django.db import transaction

from accounts.models import CreatorProfile
from federation.models import (
    Delivery,
    OutboundActivity,
    RemoteActor,
    RemoteInstance,
)
from federation.outbound.delivery import DUE_STATES
from federation.outbound.services import queue_activity
from federation.protocol import client, ids, remote
from federation.protocol.activitypub import AS_CONTEXT
from followers import services as followers
from followers.models import Follow
from moderation import policies
from moderation.models import ActorBlock, Report

logger = logging.getLogger(__name__)


def _actor(uri: str) -> RemoteActor | None:
    """The account, cached or fetched; None if it cannot be had (gone, not
    an actor). A server that does not answer raises RemoteUnavailable, so
    the task is tried again."""
    cached = RemoteActor.objects.filter(ap_id=uri).select_related("instance").first()
    if cached is not None:
        return cached
    try:
        return remote.fetch_actor(uri)
    except (remote.ResolveError, client.UnsafeURL, client.ResponseTooLarge) as exc:
        logger.info("moderation: %s cannot be reached for good: %s", uri, exc)
        return None


# Actor blocks -----------------------------------------------------------------


def block_uri(creator: CreatorProfile, pk: int) -> str:
    """The Block's id: the creator's actor, `#blocks/<ActorBlock pk>`."""
    return f"{ids.actor_id(creator.handle)}#blocks/{pk}"


def block_activity(creator: CreatorProfile, *, pk: int, actor_uri: str) -> dict:
    return {
        "@context": AS_CONTEXT,
        "id": block_uri(creator, pk),
        "type": "Block",
        "actor": ids.actor_id(creator.handle),
        "object": actor_uri,
    }


def undo_block_activity(creator: CreatorProfile, *, pk: int, actor_uri: str) -> dict:
    block = block_activity(creator, pk=pk, actor_uri=actor_uri)
    del block["@context"]
    return {
        "@context": AS_CONTEXT,
        "id": f"{block['id']}/undo",
        "type": "Undo",
        "actor": block["actor"],
        "object": block,
    }


@transaction.atomic
def actor_block_federate(*, block_id: int) -> OutboundActivity | None:
    """End the blocked account's follow of the creator and send it `Block`.

    Nothing if the block was lifted meanwhile (its Undo follows), or the
    creator does not share to the fediverse (there is no actor to speak).
    """
    block = ActorBlock.objects.select_related("creator").filter(pk=block_id).first()
    if block is None:
        return None
    creator = block.creator
    for follow in (
        Follow.objects.select_for_update()
        .filter(creator=creator, actor__ap_id=block.actor_uri)
        .select_related("creator", "actor__instance")
    ):
        followers.follow_end(follow=follow, reason_id=block_uri(creator, block.pk))
    if not creator.share_to_fediverse:
        return None
    actor = _actor(block.actor_uri)
    if actor is None or actor.gone_at is not None:
        return None
    return queue_activity(
        creator=creator,
        payload=block_activity(creator, pk=block.pk, actor_uri=block.actor_uri),
        inboxes={actor.inbox_url},  # the personal inbox, as Mastodon does
    )


@transaction.atomic
def actor_unblock_federate(
    *, creator_id: int, actor_uri: str, block_id: int
) -> OutboundActivity | None:
    """Send `Undo(Block)` for a lifted block, unless blocked again since."""
    creator = CreatorProfile.objects.filter(pk=creator_id).first()
    if creator is None or not creator.share_to_fediverse:
        return None
    if ActorBlock.objects.filter(creator=creator, actor_uri=actor_uri).exists():
        return None
    actor = _actor(actor_uri)
    if actor is None or actor.gone_at is not None:
        return None
    return queue_activity(
        creator=creator,
        payload=undo_block_activity(creator, pk=block_id, actor_uri=actor_uri),
        inboxes={actor.inbox_url},
    )


# Domain blocks -------------------------------------------------------------------


def domain_block_apply(*, domain: str) -> tuple[int, int]:
    """Drop followers on a blocked server (and its blocked subdomains) and
    give up deliveries still owed there; (follows ended, deliveries given
    up). Nothing if the block was lifted meanwhile."""
    pattern = policies.domain_regex(domain)
    known = RemoteInstance.objects.filter(domain__iregex=pattern).values_list(
        "domain", flat=True
    )
    blocked = policies.blocked_domains_among(known)
    stamp = time.time_ns()
    ended = 0
    with transaction.atomic():
        for follow in (
            Follow.objects.select_for_update()
            .filter(actor__instance__domain__in=blocked)
            .select_related("creator", "actor__instance")
        ):
            reason = f"{ids.instance_actor_id()}#domain-blocks/{stamp}/{follow.pk}"
            followers.follow_end(follow=follow, reason_id=reason)
            ended += 1
    hosts = set(
        Delivery.objects.filter(state__in=DUE_STATES, host__iregex=pattern)
        .values_list("host", flat=True)
        .distinct()
    )
    stopped = Delivery.objects.filter(
        state__in=DUE_STATES, host__in=policies.blocked_domains_among(hosts)
    ).update(
        state=Delivery.State.GAVE_UP,
        last_error="not sent: the server is blocked by the admins",
        claimed_until=None,
        claimed_by="",
    )
    logger.info(
        "blocked %s: %d follows ended, %d deliveries given up", domain, ended, stopped
    )
    return ended, stopped


# Reports ---------------------------------------------------------------------------


def flag_activity(report: Report, *, replies: list[str]) -> dict:
    return {
        "@context": AS_CONTEXT,
        "id": f"{ids.instance_actor_id()}#flags/{report.pk}",
        "type": "Flag",
        "actor": ids.instance_actor_id(),
        "content": report.comment,
        "object": [report.target_actor_uri, *replies],
    }


def report_forward_federate(*, report_id: int) -> OutboundActivity | None:
    """Send the remote server's admins a `Flag` about the reported account
    and replies, from the instance actor, to the server's shared inbox
    (the account's inbox where it offers none)."""
    report = Report.objects.filter(pk=report_id, forwarded_at__isnull=False).first()
    if report is None or not report.target_actor_uri:
        return None
    actor = _actor(report.target_actor_uri)
    if actor is None:
        return None
    replies = sorted(report.replies.values_list("ap_id", flat=True))
    return queue_activity(
        creator=None,
        payload=flag_activity(report, replies=replies),
        inboxes={actor.delivery_inbox},
    )
