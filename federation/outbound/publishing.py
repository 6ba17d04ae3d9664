"""A creator's post events, turned into activities and deliveries.

The event handlers record an outbox job with the post's change
(federation.outbound.outbox); the job runs `federate_post` here, which does the slow
part (resolving @mentions by WebFinger), builds the activity once under a
stable id and hands it to services.queue_activity. Running it twice changes
nothing: an id that is already stored is not built again, so a job run
again never sends a second Create.
"""

import logging
import time

from django.utils import timezone

from analytics.models import Interaction, Reply
from federation import selectors
from federation.models import OutboundActivity, RemoteActor
from federation.outbound import services
from federation.protocol import client, notes, remote
from posts.models import Mention, Post

logger = logging.getLogger(__name__)

CREATE = "create"
UPDATE = "update"
DELETE = "delete"
PIN = "pin"
UNPIN = "unpin"
POLICIES = "policies"
ACTIONS = (CREATE, UPDATE, DELETE, PIN, UNPIN, POLICIES)
# Time for WebFinger lookups of one post's mentions. One lookup may take
# about a minute against a server at the client's limits (two fetches of up
# to 5 s connect + 30 s body), so this plus one lookup fits the task's limit.
MENTION_BUDGET_SECONDS = 40


def federate_post(
    *, post_id: int, action: str, stamp: int | None = None
) -> OutboundActivity | None:
    """Send what `action` calls for about the post, once; None if nothing is due.

    The post is read afresh: by the time the task runs it may have been
    edited or deleted, and what goes out follows what the post is now.
    """
    post = selectors.post_for_note(post_id)
    if post is None or not post.creator.share_to_fediverse:
        return None
    if action == CREATE:
        return send_create(post=post)
    if action == UPDATE:
        return send_update(post=post)
    if action == DELETE:
        return send_delete(post=post)
    if action in (PIN, UNPIN):
        return send_pin(post=post, pinned=action == PIN, stamp=stamp or 0)
    if action == POLICIES:
        return send_policies(post=post, stamp=stamp or 0)
    raise ValueError(f"unknown action {action!r}")


# Mentions -------------------------------------------------------------------------


def _cached_actor(handle: str) -> RemoteActor | None:
    """A fresh cached actor for `user@domain`, sparing a WebFinger round trip."""
    username, domain = handle.split("@", 1)
    return (
        RemoteActor.objects.filter(
            username__iexact=username,
            instance__domain__iexact=domain,
            gone_at__isnull=True,
            last_fetched_at__gte=timezone.now() - remote.ACTOR_MAX_AGE,
        )
        .order_by("-last_fetched_at")
        .first()
    )


def resolve_mentions(*, post: Post) -> list[Mention]:
    """Find each mentioned account by WebFinger and record its actor on the Mention.

    One that cannot be found (no such account, server down, refused) stays
    plain text: it is neither tagged nor addressed, as on Mastodon. Slow
    servers get MENTION_BUDGET_SECONDS in all, so the post still goes out
    within the task's time limit.
    """
    deadline = time.monotonic() + MENTION_BUDGET_SECONDS
    resolved = []
    for mention in post.mentions.all():
        if not mention.actor_uri:
            actor = _cached_actor(mention.handle)
            if actor is None and time.monotonic() > deadline:
                logger.warning(
                    "post %s: @%s left as text: out of time", post.pk, mention.handle
                )
                continue
            try:
                actor = actor or remote.resolve_handle(mention.handle)
            except (remote.ResolveError, client.OutboundError) as exc:
                logger.info(
                    "post %s: @%s left as text: %s", post.pk, mention.handle, exc
                )
                continue
            mention.actor_uri = actor.ap_id
            mention.profile_url = actor.profile_url or actor.ap_id
            mention.save(update_fields=["actor_uri", "profile_url"])
        resolved.append(mention)
    return resolved


# Audience -------------------------------------------------------------------------


def _inboxes_of(actor_uris) -> set[str]:
    actors = RemoteActor.objects.filter(ap_id__in=set(actor_uris), gone_at__isnull=True)
    return {actor.delivery_inbox for actor in actors}


def _replied_to_inbox(post: Post) -> set[str]:
    """The inbox of the remote author the post answers, if it answers one."""
    if not post.in_reply_to_uri:
        return set()
    author = (
        Reply.objects.filter(ap_id=post.in_reply_to_uri)
        .values_list("actor_uri", flat=True)
        .first()
    )
    if not author:
        return set()
    try:
        actor = remote.fetch_actor(author)
    except (remote.ResolveError, client.OutboundError) as exc:
        logger.info(
            "post %s: replied-to author %s unreachable: %s", post.pk, author, exc
        )
        return set()
    return set() if actor.gone_at else {actor.delivery_inbox}


def direct_audience(*, post: Post) -> set[str]:
    """Inboxes the post goes to besides its author's followers (whom the
    fan-out reads page by page): mentioned accounts, the author replied to.

    Shared inboxes where offered, so a server with many of them gets it once.
    """
    return _inboxes_of(notes.mentioned_actors(post)) | _replied_to_inbox(post)


def _reached_before(post: Post) -> list[int]:
    """The activities about this post sent so far: whoever they reached
    holds a copy."""
    return list(OutboundActivity.objects.filter(post=post).values_list("pk", flat=True))


def _interacted(post: Post) -> set[str]:
    """Inboxes of people who boosted, liked or replied: they hold copies too.

    Only known (cached) actors; for followers-only posts nobody outside the
    audience could have interacted.
    """
    if post.visibility == Post.Visibility.FOLLOWERS:
        return set()
    actor_uris = set(
        Interaction.objects.filter(
            post=post,
            kind__in=[
                Interaction.Kind.BOOST,
                Interaction.Kind.LIKE,
                Interaction.Kind.REPLY,
            ],
        ).values_list("actor_uri", flat=True)
    ) | set(Reply.objects.filter(post=post).values_list("actor_uri", flat=True))
    return _inboxes_of(actor_uris)


def _existing(activity_id: str) -> OutboundActivity | None:
    return OutboundActivity.objects.filter(ap_id=activity_id).first()


def _queue(post: Post, payload: dict, inboxes: set[str], **audience):
    return services.queue_activity(
        creator=post.creator, payload=payload, inboxes=inboxes, post=post, **audience
    )


# Activities ---------------------------------------------------------------------


def send_create(*, post: Post) -> OutboundActivity | None:
    """`Create(Note)` to followers and mentioned accounts, once per post."""
    if post.state != Post.State.PUBLISHED:
        return None  # deleted (or withdrawn) before its turn came
    existing = _existing(notes.create_id(post))
    if existing is not None:
        return existing
    resolve_mentions(post=post)
    post = selectors.post_for_note(post.pk)  # with the mentions just resolved
    activity = _queue(
        post,
        notes.create_activity(post),
        direct_audience(post=post),
        followers_of=post.creator,
        is_public=post.visibility == Post.Visibility.PUBLIC,
    )
    logger.info("post %s: Create queued for its followers and mentions", post.pk)
    return activity


def send_update(*, post: Post) -> OutboundActivity | None:
    """`Update(Note)` with a fresh id per edit, to everyone who has the post.

    If the Create has not been built yet (its task is still waiting), that
    Create is built now from the edited post and no Update is needed.
    """
    if post.state != Post.State.PUBLISHED or post.edited_at is None:
        return None
    if _existing(notes.create_id(post)) is None:
        return send_create(post=post)
    existing = _existing(notes.update_id(post))
    if existing is not None:
        return existing
    resolve_mentions(post=post)
    post = selectors.post_for_note(post.pk)
    activity = _queue(
        post,
        notes.update_activity(post),
        direct_audience(post=post) | _interacted(post),
        followers_of=post.creator,
        reached=_reached_before(post),
    )
    logger.info("post %s: Update queued for everyone who has it", post.pk)
    return activity


def send_policies(*, post: Post, stamp: int) -> OutboundActivity | None:
    """`Update(Note)` after who may quote or reply changed, to everyone who
    has the post. Not an edit (the post reads the same): `updated` is when
    the policy changed, as Mastodon's own Update after a policy change.
    The post is read afresh, so it carries the policy in force now."""
    if post.state != Post.State.PUBLISHED:
        return None
    if _existing(notes.create_id(post)) is None:
        return send_create(post=post)  # the Create, still to come, carries it
    payload = notes.policy_update_activity(post, stamp=stamp)
    existing = _existing(payload["id"])
    if existing is not None:
        return existing
    return _queue(
        post,
        payload,
        direct_audience(post=post) | _interacted(post),
        followers_of=post.creator,
        reached=_reached_before(post),
    )


def send_delete(*, post: Post) -> OutboundActivity | None:
    """`Delete` with a Tombstone to every inbox the post (or an edit) went to.

    Also to current followers and to people who interacted, who may have
    fetched it since. Nothing is sent for a post that never went out.
    """
    if post.state != Post.State.DELETED:
        return None
    if _existing(notes.create_id(post)) is None:
        return None
    existing = _existing(notes.delete_id(post))
    if existing is not None:
        return existing
    activity = _queue(
        post,
        notes.delete_activity(post),
        _inboxes_of(notes.mentioned_actors(post)) | _interacted(post),
        followers_of=post.creator,
        reached=_reached_before(post),
    )
    logger.info("post %s: Delete queued for everyone who had it", post.pk)
    return activity


def send_pin(*, post: Post, pinned: bool, stamp: int) -> OutboundActivity | None:
    """`Add` (pin) or `Remove` (unpin) in the featured collection, to followers.

    Mastodon learns pins from the featured collection when it refreshes an
    account, and from these activities at once. Only posts anyone may read
    are featured, and only if the pin still stands when the task runs.
    """
    if (
        post.state != Post.State.PUBLISHED
        or post.visibility == Post.Visibility.FOLLOWERS
        or (post.pinned_at is not None) != pinned
        or _existing(notes.create_id(post)) is None
    ):
        return None
    payload = notes.featured_activity(
        post, kind="Add" if pinned else "Remove", stamp=stamp
    )
    existing = _existing(payload["id"])
    if existing is not None:
        return existing
    if not services.has_followers(post.creator):
        return None
    return _queue(post, payload, set(), followers_of=post.creator)
