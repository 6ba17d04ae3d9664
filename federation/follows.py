"""Followers: requests arriving, the creator's answers, and people leaving.

A Follow is answered with an Accept or a Reject embedding it, as Mastodon
sends them (AcceptFollowSerializer), delivered to the follower's own inbox
through queue_activity. Every change of who follows whom is recorded as a
follow or unfollow interaction, which analytics counts.
"""

import hashlib
import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import CreatorProfile, User
from accounts.permissions import can_manage_creator_posts
from analytics import services as analytics
from analytics.models import Interaction
from federation.models import Follow, OutboundActivity, RemoteActor, RemoteInstance
from federation.outbound import services
from federation.protocol import activitypub, ids
from federation.protocol.activitypub import AS_CONTEXT
from moderation import selectors as moderation

logger = logging.getLogger(__name__)


# Activities ----------------------------------------------------------------


def _answer_id(follow: Follow, kind: str) -> str:
    """A stable id per (follow request, answer): a retried task queues the
    same activity once, and a new request from the same person gets a new
    answer."""
    digest = hashlib.sha256(follow.follow_activity_id.encode()).hexdigest()[:16]
    return f"{ids.actor_id(follow.creator.handle)}#{kind}/follows/{follow.pk}-{digest}"


def _answer(follow: Follow, kind: str) -> dict:
    actor = ids.actor_id(follow.creator.handle)
    return {
        "@context": AS_CONTEXT,
        "id": _answer_id(follow, kind.lower() + "s"),
        "type": kind,
        "actor": actor,
        "object": {
            "id": follow.follow_activity_id,
            "type": "Follow",
            "actor": follow.actor.ap_id,
            "object": actor,
        },
    }


def accept_activity(follow: Follow) -> dict:
    return _answer(follow, "Accept")


def reject_activity(follow: Follow) -> dict:
    """Reject(Follow): refuses a request or, later, removes a follower."""
    return _answer(follow, "Reject")


def _send(follow: Follow, payload: dict) -> None:
    # The follower's own inbox, as Mastodon delivers answers to follows.
    services.queue_activity(
        creator=follow.creator, payload=payload, inboxes={follow.actor.inbox_url}
    )


def author_of(actor: RemoteActor) -> analytics.Author:
    """The remote actor as analytics keeps it beside what they did."""
    instance = actor.instance
    return analytics.Author(
        actor_uri=actor.ap_id,
        handle=f"@{actor.username}@{instance.domain}",
        name=actor.display_name,
        avatar_url=actor.avatar_url,
        profile_url=actor.profile_url,
        domain=instance.domain,
        software=instance.software or RemoteInstance.Software.OTHER,
    )


def _record(follow: Follow, kind: str, activity_id: str) -> None:
    analytics.interaction_record(
        creator=follow.creator,
        kind=kind,
        activity_id=activity_id,
        author=author_of(follow.actor),
    )


# The creator's answers -----------------------------------------------------


def _check_may_answer(by: User, creator: CreatorProfile) -> None:
    if not can_manage_creator_posts(by, creator):
        raise PermissionDenied("You may not manage this creator's followers.")


def _locked(follow: Follow) -> Follow:
    return (
        Follow.objects.select_for_update()
        .select_related("creator", "actor__instance")
        .get(pk=follow.pk)
    )


def _accept(follow: Follow) -> Follow:
    follow.state = Follow.State.ACCEPTED
    follow.accepted_at = timezone.now()
    follow.save(update_fields=["state", "accepted_at"])
    _send(follow, accept_activity(follow))
    _record(follow, Interaction.Kind.FOLLOW, follow.follow_activity_id)
    return follow


@transaction.atomic
def follow_accept(*, follow: Follow, by: User) -> Follow:
    """Approve a follow request: the person follows from now on."""
    _check_may_answer(by, follow.creator)
    follow = _locked(follow)
    if follow.state == Follow.State.ACCEPTED:
        return follow
    if follow.state != Follow.State.PENDING:
        raise ValidationError("This request was turned down already.")
    logger.info("%s approved %s", follow.creator.handle, follow.actor.ap_id)
    return _accept(follow)


@transaction.atomic
def follow_reject(*, follow: Follow, by: User) -> Follow:
    """Turn a follow request down; the person's server is told."""
    _check_may_answer(by, follow.creator)
    follow = _locked(follow)
    if follow.state == Follow.State.REJECTED:
        return follow
    if follow.state != Follow.State.PENDING:
        raise ValidationError("They follow you already: remove them instead.")
    follow.state = Follow.State.REJECTED
    follow.save(update_fields=["state"])
    _send(follow, reject_activity(follow))
    logger.info("%s turned down %s", follow.creator.handle, follow.actor.ap_id)
    return follow


@transaction.atomic
def follower_remove(*, follow: Follow, by: User) -> None:
    """Stop someone following: their server drops the follow (Reject), as
    Mastodon's "remove follower" does, and nothing is delivered to them."""
    _check_may_answer(by, follow.creator)
    follow = _locked(follow)
    if follow.state != Follow.State.ACCEPTED:
        raise ValidationError("They do not follow you.")
    _send(follow, reject_activity(follow))
    _end(follow, activity_id=_answer_id(follow, "removals"))
    logger.info("%s removed follower %s", follow.creator.handle, follow.actor.ap_id)


def _end(follow: Follow, *, activity_id: str) -> None:
    """Forget a follow; an accepted one counts as an unfollow."""
    if follow.state == Follow.State.ACCEPTED:
        _record(follow, Interaction.Kind.UNFOLLOW, activity_id)
    follow.delete()


# What arrives from remote servers -----------------------------------------


def follow_request_receive(
    *, creator: CreatorProfile, actor: RemoteActor, activity_id: str
) -> str:
    """Handle a Follow of `creator` by `actor`; returns what was done.

    Creators who approve followers manually get a pending request;
    otherwise it is accepted at once. A creator who stopped sharing to
    the fediverse refuses everyone, and a blocked account is refused. A
    Follow for someone already following (their server lost track, or
    re-sent) is accepted again under its new id, as Mastodon does.
    """
    blocked = moderation.actor_is_blocked(creator=creator, actor_uri=actor.ap_id)
    if blocked or not creator.share_to_fediverse:
        follow = Follow(
            creator=creator,
            actor=actor,
            follow_activity_id=activity_id,
            state=Follow.State.REJECTED,
        )
        _send(follow, reject_activity(follow))
        if blocked:  # Mastodon answers a blocked account's Follow so too
            return "rejected: the creator blocked them"
        return "rejected: the creator does not share to the fediverse"
    follow = (
        Follow.objects.select_for_update()
        .filter(creator=creator, actor=actor)
        .select_related("creator", "actor__instance")
        .first()
    )
    if follow is None:
        try:
            with transaction.atomic():
                follow = Follow.objects.create(
                    creator=creator, actor=actor, follow_activity_id=activity_id
                )
        except IntegrityError:  # a concurrent Follow by the same person
            follow = _locked(Follow.objects.get(creator=creator, actor=actor))
    elif follow.follow_activity_id != activity_id:
        was_accepted = follow.state == Follow.State.ACCEPTED
        follow.follow_activity_id = activity_id
        if not was_accepted:
            follow.state = Follow.State.PENDING
        follow.save(update_fields=["follow_activity_id", "state"])
        if was_accepted:
            _send(follow, accept_activity(follow))
            return "accepted again: already following"
    if follow.state == Follow.State.ACCEPTED:
        return "already following"
    if creator.approve_followers_manually:
        return "waiting for the creator's approval"
    _accept(follow)
    return "accepted"


def follow_undo_receive(
    *,
    actor: RemoteActor,
    follow_activity_id: str,
    creator: CreatorProfile | None,
    undo_id: str,
) -> bool:
    """Handle Undo(Follow): the person stops following. False if there was
    no such follow (yet)."""
    follows = Follow.objects.select_for_update().filter(actor=actor)
    follow = follows.filter(follow_activity_id=follow_activity_id).first()
    if follow is None and creator is not None:
        follow = follows.filter(creator=creator).first()
    if follow is None:
        return False
    _end(follow, activity_id=undo_id)
    return True


def follows_end_for_actor(*, actor: RemoteActor, reason_id: str) -> int:
    """Forget every follow of `actor` (deleted, or blocking a creator)."""
    follows = list(
        Follow.objects.select_for_update()
        .filter(actor=actor)
        .select_related("creator", "actor__instance")
    )
    for follow in follows:
        _end(follow, activity_id=f"{reason_id}#{follow.creator.handle}")
    return len(follows)


def follows_forget(follows, *, reason: str) -> int:
    """Forget many follows at once (the creator stopped sharing; the
    follower's account is gone); each accepted one counts as an unfollow,
    so the follower counts analytics keeps stay true. Returns how many."""
    follows = list(follows.select_related("actor__instance"))
    analytics.interactions_record_many(
        items=[
            analytics.InteractionInput(
                kind=Interaction.Kind.UNFOLLOW,
                activity_id=f"{follow.follow_activity_id}#{reason}",
                creator_id=follow.creator_id,
                author=author_of(follow.actor),
            )
            for follow in follows
            if follow.state == Follow.State.ACCEPTED
        ]
    )
    Follow.objects.filter(pk__in=[follow.pk for follow in follows]).delete()
    return len(follows)


def follow_end(*, follow: Follow, reason_id: str) -> None:
    """Forget one follow (its follower blocked the creator)."""
    _end(follow, activity_id=reason_id)


def follows_move(*, old: RemoteActor, new: RemoteActor) -> int:
    """Re-point follows of `old` to the account it moved to; returns how many.

    Where the new account follows the creator already, the old follow goes.
    """
    moved = 0
    for follow in Follow.objects.select_for_update().filter(actor=old):
        if Follow.objects.filter(creator_id=follow.creator_id, actor=new).exists():
            _end(follow, activity_id=f"{follow.follow_activity_id}#moved")
            continue
        follow.actor = new
        follow.save(update_fields=["actor"])
        moved += 1
    return moved


@transaction.atomic
def withdraw_creator_from_fediverse(
    *, creator: CreatorProfile, stamp: int | None = None
) -> OutboundActivity | None:
    """Queue a `Delete` of the actor to every follower's server, then forget them.

    Remote servers drop the account and their follows when the Delete
    arrives, so the local follows are removed too: turning sharing back on
    starts with no followers, as it would on Threads.
    """
    inboxes = services.follower_inboxes(creator)
    activity = None
    if inboxes:
        payload = activitypub.delete_actor_activity(
            creator, activity_id=services.activity_id(creator, "delete", stamp)
        )
        activity = services.queue_activity(
            creator=creator, payload=payload, inboxes=inboxes
        )
    removed = follows_forget(
        Follow.objects.filter(creator=creator), reason="sharing-stopped"
    )
    logger.info(
        "creator %s stopped sharing: Delete queued for %d inboxes, %d follows removed",
        creator.handle,
        len(inboxes),
        removed,
    )
    return activity
