"""Followers: requests arriving, the creator's answers, and people leaving.

The rules of who follows whom live here; what the follower's server is told
does not. Each answer is announced as an event (followers.events) inside
the transaction, and federation turns it into the Accept or Reject that
server expects. Every change of who follows whom is recorded as a follow or
unfollow interaction, which analytics counts.
"""

import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import CreatorProfile, User
from accounts.permissions import can_moderate_replies_for
from analytics import services as analytics
from analytics.models import Interaction, Software
from followers import events
from followers.models import Follow
from moderation import selectors as moderation

logger = logging.getLogger(__name__)


def author_of(actor) -> analytics.Author:
    """The follower (a federation RemoteActor) as analytics keeps it beside
    what they did."""
    instance = actor.instance
    return analytics.Author(
        actor_uri=actor.ap_id,
        handle=f"@{actor.username}@{instance.domain}",
        name=actor.display_name,
        avatar_url=actor.avatar_url,
        profile_url=actor.profile_url,
        domain=instance.domain,
        software=instance.software or Software.OTHER,
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
    if not can_moderate_replies_for(by, creator):
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
    events.follow_approved.send(sender=Follow, follow=follow)
    _record(follow, Interaction.Kind.FOLLOW, follow.follow_activity_id)
    return follow


@transaction.atomic
def follow_approve(*, follow: Follow, by: User) -> Follow:
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
    events.follow_declined.send(sender=Follow, follow=follow)
    logger.info("%s turned down %s", follow.creator.handle, follow.actor.ap_id)
    return follow


@transaction.atomic
def follower_remove(*, follow: Follow, by: User) -> None:
    """Stop someone following, as Mastodon's "remove follower" does: their
    server is told to drop the follow, and nothing is delivered to them."""
    _check_may_answer(by, follow.creator)
    follow = _locked(follow)
    if follow.state != Follow.State.ACCEPTED:
        raise ValidationError("They do not follow you.")
    events.follower_removed.send(sender=Follow, follow=follow)
    _end(follow, activity_id=f"{follow.follow_activity_id}#removed")
    logger.info("%s removed follower %s", follow.creator.handle, follow.actor.ap_id)


def _end(follow: Follow, *, activity_id: str) -> None:
    """Forget a follow; an accepted one counts as an unfollow."""
    if follow.state == Follow.State.ACCEPTED:
        _record(follow, Interaction.Kind.UNFOLLOW, activity_id)
    follow.delete()


# What arrives from other servers ------------------------------------------


def follow_request_receive(*, creator: CreatorProfile, actor, activity_id: str) -> str:
    """Handle a request by `actor` (a RemoteActor) to follow `creator`;
    returns what was done, in words for the log.

    Creators who approve followers manually get a pending request;
    otherwise it is accepted at once. A creator who stopped sharing to
    the fediverse refuses everyone, and a blocked account is refused. A
    request from someone already following (their server lost track, or
    re-sent) is accepted again under its new id, as Mastodon does.
    """
    blocked = moderation.actor_is_blocked(creator=creator, actor_uri=actor.ap_id)
    if blocked or not creator.share_to_fediverse:
        refused = Follow(
            creator=creator,
            actor=actor,
            follow_activity_id=activity_id,
            state=Follow.State.REJECTED,
        )
        events.follow_declined.send(sender=Follow, follow=refused)
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
        except IntegrityError:  # a concurrent request by the same person
            follow = _locked(Follow.objects.get(creator=creator, actor=actor))
    elif follow.follow_activity_id != activity_id:
        was_accepted = follow.state == Follow.State.ACCEPTED
        follow.follow_activity_id = activity_id
        if not was_accepted:
            follow.state = Follow.State.PENDING
        follow.save(update_fields=["follow_activity_id", "state"])
        if was_accepted:
            events.follow_approved.send(sender=Follow, follow=follow)
            return "accepted again: already following"
    if follow.state == Follow.State.ACCEPTED:
        return "already following"
    if creator.approve_followers_manually:
        return "waiting for the creator's approval"
    _accept(follow)
    return "accepted"


def follow_undo_receive(
    *, actor, follow_activity_id: str, creator: CreatorProfile | None, undo_id: str
) -> bool:
    """The person stops following (their server's Undo of the request).
    False if there was no such follow (yet)."""
    follows = Follow.objects.select_for_update().filter(actor=actor)
    follow = follows.filter(follow_activity_id=follow_activity_id).first()
    if follow is None and creator is not None:
        follow = follows.filter(creator=creator).first()
    if follow is None:
        return False
    _end(follow, activity_id=undo_id)
    return True


def follows_end_for_actor(*, actor, reason_id: str) -> int:
    """Forget every follow of `actor` (their account is gone, or they
    blocked a creator); returns how many."""
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
    followers' accounts are gone); each accepted one counts as an unfollow,
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
    """Forget one follow (a block ended it, on either side)."""
    _end(follow, activity_id=reason_id)


def follows_move(*, old, new) -> int:
    """Re-point the follows of `old` to the account it moved to (both
    RemoteActors); returns how many. Where the new account follows the
    creator already, the old follow goes."""
    moved = 0
    for follow in Follow.objects.select_for_update().filter(actor=old):
        if Follow.objects.filter(creator_id=follow.creator_id, actor=new).exists():
            _end(follow, activity_id=f"{follow.follow_activity_id}#moved")
            continue
        follow.actor = new
        follow.save(update_fields=["actor"])
        moved += 1
    return moved
