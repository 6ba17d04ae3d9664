"""Quotes of a creator's posts: who asked, what the creator answered; and
a creator's quotes of posts elsewhere.

A server whose user wants to quote a post sends a QuoteRequest
(FEP-044f); federation reads it and calls `quote_request_receive`, which
answers by the post's quote policy or holds the request for the creator.
An accepted request is the creator's consent; the creator may withdraw it
later. Every answer is announced (posts.events) inside its transaction, so
the Accept, Reject or Delete federation sends commits with it.

Only the creator decides: consent to be quoted is theirs, not an
agency's.

The other way round, a creator's post may quote a post elsewhere: the
quoted post is found by federation (quoted_post_find), and its author's
answer recorded here (quote_of_answered).
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import CreatorProfile, QuotePolicy, User

from . import events
from .models import Post, QuoteRequest, QuoteState

# Why a request was answered as it was, in the creator's words.
REASONS = {
    QuotePolicy.ANYONE: "allowed: anyone may quote this post",
    QuotePolicy.FOLLOWERS: "allowed: they follow you",
    "not_follower": "refused: only your followers may quote this post",
    QuotePolicy.NOBODY: "refused: nobody but you may quote this post",
    QuotePolicy.APPROVAL: "waiting: you approve each quote of this post",
    "approved": "allowed by you",
    "refused": "refused by you",
    "revoked": "you withdrew your permission",
}


@dataclass(frozen=True)
class QuoteAsk:
    """A QuoteRequest as federation read it."""

    request_id: str
    actor_uri: str
    quote_uri: str
    actor_handle: str = ""
    quote_url: str = ""
    quote_excerpt: str = ""
    # Whether the quoter follows the creator (accepted): federation knows.
    is_follower: bool = False


def quote_request_receive(*, post: Post, ask: QuoteAsk) -> QuoteRequest:
    """Store a request to quote `post` and answer it by the post's policy.

    Anyone: accepted; followers: accepted for a follower, refused for
    anyone else; nobody: refused; approval: held for the creator. The same
    request (by id) twice is answered once.
    """
    existing = QuoteRequest.objects.filter(request_id=ask.request_id).first()
    if existing is not None:
        return existing
    policy = post.effective_quote_policy
    follower_ok = policy == QuotePolicy.FOLLOWERS and ask.is_follower
    if policy == QuotePolicy.ANYONE or follower_ok:
        state, reason = QuoteRequest.State.ACCEPTED, REASONS[policy]
    elif policy == QuotePolicy.FOLLOWERS:
        state, reason = QuoteRequest.State.REFUSED, REASONS["not_follower"]
    elif policy == QuotePolicy.APPROVAL:
        state, reason = QuoteRequest.State.PENDING, REASONS[policy]
    else:
        state, reason = QuoteRequest.State.REFUSED, REASONS[QuotePolicy.NOBODY]
    now = timezone.now()
    try:
        with transaction.atomic():
            request = QuoteRequest.objects.create(
                post=post,
                request_id=ask.request_id[:500],
                actor_uri=ask.actor_uri[:500],
                actor_handle=ask.actor_handle[:320],
                quote_uri=ask.quote_uri[:500],
                quote_url=ask.quote_url[:500],
                quote_excerpt=ask.quote_excerpt[:1000],
                state=state,
                reason=reason,
                decided_at=None if state == QuoteRequest.State.PENDING else now,
            )
            if state != QuoteRequest.State.PENDING:
                _announce(events.quote_request_answered, request)
    except IntegrityError:  # the same request, stored by a concurrent run
        return QuoteRequest.objects.get(request_id=ask.request_id[:500])
    return request


@transaction.atomic
def quote_request_approve(*, quote_request: QuoteRequest, by: User) -> QuoteRequest:
    """Allow a held quote: the quoter's server gets an Accept with a stamp."""
    request = _locked(quote_request, by)
    if request.state != QuoteRequest.State.PENDING:
        raise ValidationError("This request was already answered.")
    return _decide(request, QuoteRequest.State.ACCEPTED, REASONS["approved"])


@transaction.atomic
def quote_request_refuse(*, quote_request: QuoteRequest, by: User) -> QuoteRequest:
    """Refuse a held quote: the quoter's server gets a Reject."""
    request = _locked(quote_request, by)
    if request.state != QuoteRequest.State.PENDING:
        raise ValidationError("This request was already answered.")
    return _decide(request, QuoteRequest.State.REFUSED, REASONS["refused"])


@transaction.atomic
def quote_authorization_revoke(
    *, quote_request: QuoteRequest, by: User
) -> QuoteRequest:
    """Withdraw a permission to quote: the stamp is gone (410) and servers
    are told with a Delete of it."""
    request = _locked(quote_request, by)
    if request.state != QuoteRequest.State.ACCEPTED:
        raise ValidationError("Only a quote you allowed can be withdrawn.")
    request.state = QuoteRequest.State.REVOKED
    request.reason = REASONS["revoked"]
    request.decided_at = timezone.now()
    request.save(update_fields=["state", "reason", "decided_at"])
    _announce(events.quote_authorization_revoked, request)
    return request


def _decide(request: QuoteRequest, state: str, reason: str) -> QuoteRequest:
    request.state = state
    request.reason = reason
    request.decided_at = timezone.now()
    request.save(update_fields=["state", "reason", "decided_at"])
    _announce(events.quote_request_answered, request)
    return request


def _locked(quote_request: QuoteRequest, by: User) -> QuoteRequest:
    request = (
        QuoteRequest.objects.select_for_update(of=("self",))
        .select_related("post__creator")
        .get(pk=quote_request.pk)
    )
    if request.post.creator.user_id != by.pk:
        raise PermissionDenied("Only the creator decides who may quote their posts.")
    return request


def _announce(signal, request: QuoteRequest) -> None:
    # Inside the transaction: federation records the answer in it.
    signal.send(sender=QuoteRequest, quote_request=request)


# Reading -------------------------------------------------------------------


def quote_requests_of(post: Post) -> list[QuoteRequest]:
    """The post's quote requests: waiting ones first, then newest first."""
    requests = list(post.quote_requests.all())
    requests.sort(key=lambda r: r.state != QuoteRequest.State.PENDING)
    return requests


def authorization_in_force(*, pk: int, handle: str) -> QuoteRequest | None:
    """The accepted request a stamp URL names (None if never given)."""
    return (
        QuoteRequest.objects.select_related("post__creator")
        .filter(pk=pk, post__creator__handle=handle)
        .first()
    )


def authorized_quote_uris(post: Post) -> set[str]:
    """The quote posts the creator allowed and has not withdrawn."""
    return set(
        post.quote_requests.filter(state=QuoteRequest.State.ACCEPTED).values_list(
            "quote_uri", flat=True
        )
    )


# Quoting a remote post -------------------------------------------------------
#
# A creator pastes the address of a post elsewhere. Federation fetches it
# (posts never touches the network) through the resolver it installs when
# it starts, and says whether its author's server asks for consent: then
# the post is a quote, pending until the author answers our QuoteRequest;
# if not, the post carries a link only. What the author answers comes back
# through quote_of_answered.


@dataclass(frozen=True)
class QuotedPost:
    """A remote post a creator may quote, as federation found it."""

    uri: str
    url: str
    author_uri: str
    author_handle: str
    # QuoteState.PENDING (the author's server asks for consent) or
    # QuoteState.LINK (it does not: a link only).
    state: str
    note: str


# Set by federation when it starts: (address, creator) -> QuotedPost, or
# ValidationError saying in the creator's words why it cannot be quoted.
QuoteResolver = Callable[..., QuotedPost]
_resolver: list[QuoteResolver] = []

NO_RESOLVER = "Quoting posts from other servers is not available here."
QUOTE_REFUSED_NOTE = (
    "The author refused the quote: your post went out with a plain link to "
    "their post instead."
)
QUOTE_ACCEPTED_NOTE = "The author accepted: your post shows as a quote."
QUOTE_WITHDRAWN_NOTE = (
    "The author withdrew permission; sent as a link: your post now carries a "
    "plain link to their post instead of the quote."
)


def quote_resolver_set(resolver: QuoteResolver | None) -> None:
    """Install (or, with None, remove) the function that finds quoted posts."""
    _resolver.clear()
    if resolver is not None:
        _resolver.append(resolver)


def quoted_post_find(address: str, *, creator: CreatorProfile) -> QuotedPost:
    """The remote post at `address`, checked; ValidationError if it cannot
    be quoted (nothing is stored then)."""
    if not _resolver:
        raise ValidationError(NO_RESOLVER)
    return _resolver[0](address, creator=creator)


@transaction.atomic
def quote_of_answered(
    *, post: Post, accepted: bool, authorization: str = ""
) -> Post | None:
    """The quoted post's author answered: record it once. Federation, which
    read the answer, sends the Update of the Note in the same transaction.

    Only a pending quote of a published post changes; None otherwise.
    """
    post = (
        Post.objects.select_for_update(of=("self",))
        .select_related("creator")
        .get(pk=post.pk)
    )
    if post.quote_state != QuoteState.PENDING or post.state != Post.State.PUBLISHED:
        return None
    post.quote_state = QuoteState.ACCEPTED if accepted else QuoteState.REFUSED
    post.quote_authorization = authorization[:500] if accepted else ""
    post.quote_note = QUOTE_ACCEPTED_NOTE if accepted else QUOTE_REFUSED_NOTE
    post.quote_decided_at = timezone.now()
    post.save(
        update_fields=[
            "quote_state",
            "quote_authorization",
            "quote_note",
            "quote_decided_at",
            "updated_at",
        ]
    )
    return post


@transaction.atomic
def quote_of_withdrawn(*, authorization: str, author_uri: str) -> Post | None:
    """The quoted post's author withdrew the permission the stamp
    `authorization` gave (federation read a Delete of it, from them): the
    quote is revoked and the post carries a plain link. Federation sends the
    Update of the Note in the same transaction.

    Only an accepted quote of a published post, by that author, changes;
    None otherwise (a stamp of someone else's, or withdrawn already).
    """
    if not authorization or not author_uri:
        return None
    post = (
        Post.objects.select_for_update(of=("self",))
        .select_related("creator")
        .filter(
            quote_authorization=authorization[:500],
            quote_author_uri=author_uri,
            quote_state=QuoteState.ACCEPTED,
            state=Post.State.PUBLISHED,
        )
        .first()
    )
    if post is None:
        return None
    post.quote_state = QuoteState.REVOKED
    post.quote_note = QUOTE_WITHDRAWN_NOTE
    post.quote_decided_at = timezone.now()
    # The stamp stays recorded: it is what the author withdrew.
    post.save(
        update_fields=["quote_state", "quote_note", "quote_decided_at", "updated_at"]
    )
    return post


def refused_quotes_of(creator: CreatorProfile, *, limit: int = 5) -> list[Post]:
    """The creator's posts whose quote was refused (or withdrawn later),
    newest answer first: the dashboard tells the creator about them."""
    return list(
        Post.objects.filter(
            creator=creator,
            quote_state__in=(QuoteState.REFUSED, QuoteState.REVOKED),
            state=Post.State.PUBLISHED,
        ).order_by("-quote_decided_at")[:limit]
    )
