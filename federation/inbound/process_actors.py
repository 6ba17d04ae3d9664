"""Activities processed one at a time: follows, account changes, the rest.

Follow and Undo(Follow); Update and Delete (of a Note: process_replies; of
the actor itself: refresh it, or forget everything they did); Move (the
follow goes to the new account if it names the old one in `alsoKnownAs`);
Block (their follow goes, so nothing more is delivered to them); Flag
(a report for admins, moderation.Report); QuoteRequest (answered by the
post's quote policy, or held for the creator: posts.quotes); Accept and
Reject of our own QuoteRequests, and Delete of the stamp an Accept gave
(federation.outbound.quote_requests); Undo
by reference. Anything else is stored and ignored with a note. Each runs in its
own transaction (processing.process).
"""

import json

from django.utils import timezone

from accounts.models import CreatorProfile
from analytics import services as analytics
from federation.inbound.activities import (
    DONE,
    INTERACTION_TYPES,
    Actors,
    Inbound,
    Outcome,
    as_list,
    blocked_hosts,
    host_of,
    id_of,
    ignored,
    local_handle,
    local_post_ref,
    local_posts,
    same_host,
)
from federation.inbound.process_replies import (
    NOTE_TYPES,
    process_delete_object,
    process_update,
    quoted_uris,
)
from federation.models import EarlyCancellation, RemoteActor
from federation.outbound import quote_requests
from federation.protocol import client, ids, keys, remote
from followers import services as followers
from followers.models import Follow
from moderation import services as moderation
from posts import quotes
from posts.models import Post


def process_one(item: Inbound, actors: Actors, *, fetched=None) -> Outcome:
    """Process one activity; `fetched` is what prefetch() got for it."""
    if item.type == "Move":
        return move(item, actors.get(item.actor), actors, fetched=fetched)
    handler = HANDLERS.get(item.type)
    if handler is None:
        return ignored(f"{item.type} is not something acted on here")
    actor = actors.get(item.actor)
    if actor is None:
        return ignored("the actor is not known (it was never verified)")
    if actor.gone_at is not None and item.type != "Delete":
        return ignored("the account was deleted")
    if blocked_hosts([item.actor]):
        return ignored("from a blocked domain")
    return handler(item, actor, actors)


def _creator(uri: str) -> CreatorProfile | None:
    handle = local_handle(uri)
    if handle is None:
        return None
    return CreatorProfile.objects.filter(handle=handle, user__is_active=True).first()


def _note(outcome: str) -> Outcome:
    return Outcome(DONE.state, outcome)


def _cancel_later(actor: str, target_id: str) -> Outcome:
    """Remember an Undo whose original has not arrived: it is dropped then."""
    if target_id:
        EarlyCancellation.objects.bulk_create(
            [EarlyCancellation(actor_uri=actor, target_id=target_id[:500])],
            ignore_conflicts=True,
        )
    return _note("nothing to undo yet: the original will be dropped")


# Follows ------------------------------------------------------------------------


def follow(item: Inbound, actor: RemoteActor, actors: Actors) -> Outcome:
    creator = _creator(id_of(item.payload.get("object")))
    if creator is None:
        return ignored("does not follow one of our creators")
    if EarlyCancellation.objects.filter(
        actor_uri=actor.ap_id, target_id=item.ap_id
    ).exists():
        return ignored("undone before it arrived")
    return _note(
        followers.follow_request_receive(
            creator=creator, actor=actor, activity_id=item.ap_id
        )
    )


def undo(item: Inbound, actor: RemoteActor, actors: Actors) -> Outcome:
    original = item.payload.get("object")
    if isinstance(original, str) and original:
        return _undo_by_reference(item, actor, original)
    if not isinstance(original, dict):
        return ignored("Undo without an object")
    if id_of(original.get("actor")) not in ("", actor.ap_id):
        return ignored("Undo of someone else's activity")
    kind = original.get("type")
    if kind == "Follow":
        if followers.follow_undo_receive(
            actor=actor,
            follow_activity_id=id_of(original),
            creator=_creator(id_of(original.get("object"))),
            undo_id=item.ap_id,
        ):
            return DONE
        return _cancel_later(actor.ap_id, id_of(original))
    if kind == "Block":
        return _note("unblocked: nothing to restore (the follow stays removed)")
    return ignored(f"Undo of a {kind!r} is not something acted on here")


def _undo_by_reference(item: Inbound, actor: RemoteActor, target: str) -> Outcome:
    """Undo naming the original by id only: a follow, like, boost or reaction.

    A follow first: its id also names the "follow" it counts as in
    analytics, and only ending the follow stops deliveries to them.
    """
    if followers.follow_undo_receive(
        actor=actor, follow_activity_id=target, creator=None, undo_id=item.ap_id
    ):
        return DONE
    if analytics.interaction_remove(actor_uri=actor.ap_id, activity_id=target):
        return DONE
    return _cancel_later(actor.ap_id, target)


def block(item: Inbound, actor: RemoteActor, actors: Actors) -> Outcome:
    creator = _creator(id_of(item.payload.get("object")))
    if creator is None:
        return ignored("does not block one of our creators")
    follow = (
        Follow.objects.select_for_update()
        .filter(creator=creator, actor=actor)
        .select_related("creator", "actor__instance")
        .first()
    )
    if follow is None:
        return _note(f"blocked @{creator.handle}; they did not follow")
    followers.follow_end(follow=follow, reason_id=item.ap_id)
    return _note(
        f"blocked @{creator.handle}: their follow is removed, nothing more is "
        "delivered to them"
    )


# Account changes --------------------------------------------------------------


def update(item: Inbound, actor: RemoteActor, actors: Actors) -> Outcome:
    obj = item.payload.get("object")
    if not isinstance(obj, dict):
        return ignored("Update without an embedded object")
    if obj.get("type") in NOTE_TYPES:
        return process_update(item, obj, actors)
    if obj.get("type") in remote.ACTOR_TYPES:
        if id_of(obj) != actor.ap_id:
            return ignored("an actor may only update itself")
        try:
            # Signed by the actor itself: as good as fetching it.
            remote.store_actor(obj, fetched_from=actor.ap_id)
        except (remote.ResolveError, client.OutboundError) as exc:
            return ignored(f"the new actor document is not usable: {exc}")
        return _note("profile refreshed")
    return ignored(f"Update of a {obj.get('type')!r} is not something acted on here")


def delete(item: Inbound, actor: RemoteActor, actors: Actors) -> Outcome:
    target = id_of(item.payload.get("object"))
    if not target:
        return ignored("Delete without an object")
    if target == actor.ap_id:
        return _delete_account(item, actor)
    if local_handle(target) or local_post_ref(target):
        return ignored("the object is ours, not the actor's")
    withdrawn = quote_requests.withdrawal_received(stamp=target, author=actor)
    if withdrawn is not None:
        return _note(
            f"quote in post {withdrawn.pk}: the author withdrew permission; "
            "sent as a link"
        )
    return process_delete_object(item, target)


def _delete_account(item: Inbound, actor: RemoteActor) -> Outcome:
    RemoteActor.objects.filter(pk=actor.pk, gone_at__isnull=True).update(
        gone_at=timezone.now()
    )
    ended = followers.follows_end_for_actor(actor=actor, reason_id=item.ap_id)
    interactions, replies = analytics.remote_actor_forget(actor_uri=actor.ap_id)
    return _note(
        f"account deleted: {ended} follows, {interactions} interactions and "
        f"{replies} replies removed"
    )


def prefetch(items) -> dict:
    """Fetch what activities need from the network, before their batch runs:
    the account a Move names (its alsoKnownAs is not cached). Returns
    ap_id -> (document, stored actor), the reason it cannot be done, or the
    network error after which it is tried again."""
    fetched = {}
    for item in items:
        if item.type != "Move":
            continue
        target = id_of(item.payload.get("target"))
        if (
            not target.startswith(("https://", "http://"))
            or target == item.actor  # no fetch to learn it is itself
            or blocked_hosts([target])
        ):
            fetched[item.ap_id] = "Move without a usable target"
            continue
        try:
            fetched[item.ap_id] = _fetch_actor(target)
        except (remote.ResolveError, client.UnsafeURL, client.ResponseTooLarge) as exc:
            fetched[item.ap_id] = f"the new account could not be fetched: {exc}"
        except client.OutboundError as exc:  # unreachable for now: try later
            fetched[item.ap_id] = exc
    return fetched


def move(
    item: Inbound, actor: RemoteActor | None, actors: Actors, *, fetched
) -> Outcome:
    """Re-point follows to the new account, if it claims the old one."""
    if actor is None:
        return ignored("the actor is not known (it was never verified)")
    if actor.gone_at is not None or blocked_hosts([item.actor]):
        return ignored("from a deleted account or a blocked domain")
    if id_of(item.payload.get("object")) not in ("", actor.ap_id):
        return ignored("an actor may only move itself")
    if isinstance(fetched, str):
        return ignored(fetched)
    if isinstance(fetched, Exception):
        raise fetched  # recorded as a failure: the sweeper tries again
    document, new = fetched
    if new.ap_id == actor.ap_id:
        return ignored("Move without a usable target")
    aliases = {id_of(alias) for alias in as_list(document.get("alsoKnownAs"))}
    if actor.ap_id not in aliases:
        return ignored("the new account does not list the old one in alsoKnownAs")
    moved = followers.follows_move(old=actor, new=new)
    return _note(f"moved to {new.ap_id}: {moved} follows re-pointed")


def _fetch_actor(url: str) -> tuple[dict, RemoteActor]:
    """Fetch an actor document fresh (its alsoKnownAs is not cached) and store
    it; network failures propagate, so the Move is tried again later."""
    response = client.get(url, accept=client.AS2_ACCEPT, signer=keys.instance_signer())
    if response.status == 410:
        raise remote.ActorGone(f"{url} is gone")
    if not response.ok:
        raise remote.ResolveError(f"{url} answered {response.status}")
    if response.content_type not in (
        "application/activity+json",
        "application/ld+json",
    ):
        raise remote.ResolveError(f"{url} is not ActivityPub JSON")
    try:
        document = json.loads(response.body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise remote.ResolveError(f"{url} did not return JSON") from exc
    if not isinstance(document, dict):
        raise remote.ResolveError(f"{url} did not return an object")
    return document, remote.store_actor(document, fetched_from=response.url)


def flag(item: Inbound, actor: RemoteActor, actors: Actors) -> Outcome:
    """A report about our creators (and their posts): a case for admins."""
    objects = [id_of(value) for value in as_list(item.payload.get("object"))]
    posts = local_posts(objects)
    handles = {handle for uri in objects if (handle := local_handle(uri))}
    handles |= {post.creator.handle for post in posts.values()}
    creators = CreatorProfile.objects.filter(handle__in=handles)
    if not creators:
        return ignored("a report about nothing of ours")
    comment = item.payload.get("content")
    if not isinstance(comment, str):
        comment = ""
    for creator in creators:
        moderation.report_receive(
            activity_id=item.ap_id,
            reporter_uri=actor.ap_id,
            reporter_domain=host_of(actor.ap_id),
            creator=creator,
            posts=posts.values(),
            comment=comment,
        )
    return DONE


# Quotes ---------------------------------------------------------------------


def quote_request(item: Inbound, actor: RemoteActor, actors: Actors) -> Outcome:
    """A request to quote a creator's post (FEP-044f), answered by policy.

    Checked as Mastodon checks it (ActivityPub::Activity::QuoteRequest):
    the request comes from the actor's server, names a published post of
    ours, and its quote post (`instrument`) lives on the actor's server;
    an inlined quote post must be the actor's and quote this post.
    """
    if not same_host(item.ap_id, actor.ap_id):
        return ignored("the request is not from the actor's server")
    posts = local_posts([id_of(item.payload.get("object"))])
    post = next(iter(posts.values()), None)
    if post is None:
        return ignored("asks to quote nothing of ours")
    if post.state != Post.State.PUBLISHED or not post.creator.share_to_fediverse:
        return ignored("asks to quote a post that is not published")
    instrument = item.payload.get("instrument")
    quote_uri = id_of(instrument)
    if not quote_uri.startswith(("https://", "http://")) or len(quote_uri) > 500:
        return ignored("QuoteRequest without a usable quote post (instrument)")
    if not same_host(quote_uri, actor.ap_id):
        return ignored("the quote post is not on the actor's server")
    excerpt, url = "", ""
    if isinstance(instrument, dict):
        authors = {id_of(a) for a in as_list(instrument.get("attributedTo"))}
        if authors and actor.ap_id not in authors:
            return ignored("the quote post is someone else's")
        if ids.note_id(post) not in quoted_uris(instrument):
            return ignored("the quote post does not quote this post")
        content = instrument.get("content")
        if isinstance(content, str):
            excerpt = analytics.plain_text(content, limit=280)
        link = instrument.get("url")
        if isinstance(link, str) and link.startswith(("https://", "http://")):
            url = link[:500]
    request = quotes.quote_request_receive(
        post=post,
        ask=quotes.QuoteAsk(
            request_id=item.ap_id,
            actor_uri=actor.ap_id,
            actor_handle=actors.author(actor.ap_id).handle,
            quote_uri=quote_uri,
            quote_url=url,
            quote_excerpt=excerpt,
            is_follower=Follow.objects.filter(
                creator=post.creator, actor=actor, state=Follow.State.ACCEPTED
            ).exists(),
        ),
    )
    return _note(f"quote of post {post.pk}: {request.reason}")


def answered_elsewhere(item: Inbound, actor: RemoteActor, actors: Actors) -> Outcome:
    return ignored(f"{item.type}: creators follow no one, so nothing to answer")


def quote_answer(item: Inbound, actor: RemoteActor, actors: Actors) -> Outcome:
    """Accept or Reject of a QuoteRequest of ours (a creator quoting a post
    elsewhere); any other Accept or Reject answers nothing we asked.

    Only the quoted post's author answers, from their own server; an Accept
    names its QuoteAuthorization stamp (`result`) on that server. Checked
    as Mastodon checks it (ActivityPub::Activity::Accept, Reject).
    """
    request = item.payload.get("object")
    post = quote_requests.post_for_request_id(id_of(request))
    if post is None:
        return answered_elsewhere(item, actor, actors)
    if actor.ap_id != post.quote_author_uri:
        return ignored(f"{item.type} of a quote request from someone not asked")
    if not same_host(item.ap_id, actor.ap_id):
        return ignored(f"the {item.type} is not from the actor's server")
    if isinstance(request, dict):
        named = id_of(request.get("object"))
        if named and named != post.quote_of:
            return ignored(f"{item.type} of a request for another post")
    if item.type == "Reject":
        answered = quote_requests.answer_received(post, accepted=False)
    else:
        stamp = id_of(item.payload.get("result"))
        if not quote_requests.stamp_ok(post, stamp):
            return ignored("Accept of a quote without a stamp on the author's server")
        answered = quote_requests.answer_received(post, accepted=True, stamp=stamp)
    if answered is None:
        return ignored(f"{item.type} of a quote already answered")
    return _note(f"quote in post {post.pk}: {answered.get_quote_state_display()}")


HANDLERS = {
    "Follow": follow,
    "Undo": undo,
    "Block": block,
    "Update": update,
    "Delete": delete,
    "Flag": flag,
    "QuoteRequest": quote_request,
    "Accept": quote_answer,
    "Reject": quote_answer,
}
# Every type the inbox acts on (the rest is stored and ignored): likes and
# the like in bulk, replies in bulk, Move and the handlers above one by one.
HANDLED_TYPES = frozenset({*INTERACTION_TYPES, "Create", "Move", *HANDLERS})
