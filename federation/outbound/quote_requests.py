"""A creator quotes a post elsewhere (FEP-044f, the quoting side).

Shaped as Mastodon 4.5 does it. At compose time the quoted post is
fetched (the SSRF-safe client, signed by the instance actor) and checked:
a public Note, Article or Question, with an author on its own server. Its
`interactionPolicy.canQuote` decides, as Mastodon's
`quote_policy_for_account` does for us (an account its author may not
follow): Public (or our creator) under automatic or manual approval means
we may ask; a policy that leaves us out is refused before anything is
saved; no policy at all is a server that does not ask for consent, and
the post then carries a link only.

When the post goes out, a `QuoteRequest` naming our Note as `instrument`
goes to the quoted author's inbox, with the Create, through the durable
delivery path. Its id is a URL of ours that serves it. The author's
`Accept` (with the `QuoteAuthorization` stamp as `result`) or `Reject`
arrives at our inbox (federation.inbound.process_actors) and becomes an
`Update` of the Note here: with `quoteAuthorization`, or without the quote
and with a plain link. If the author later withdraws their permission (a
`Delete` of the stamp), the Note is updated again without the quote.
"""

import logging
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import CreatorProfile
from federation import selectors
from federation.inbound.activities import as_list, id_of, same_host
from federation.models import OutboundActivity, RemoteActor
from federation.outbound import services
from federation.protocol import client, ids, notes, remote
from federation.protocol.activitypub import AS_CONTEXT
from posts import quotes
from posts.models import Post, QuoteState

logger = logging.getLogger(__name__)

QUOTABLE_TYPES = {"Note", "Article", "Question"}
PUBLIC_NAMES = {ids.PUBLIC, "as:Public", "Public"}
# The Note's terms too: the request inlines it (`instrument`).
REQUEST_CONTEXT = [
    AS_CONTEXT,
    {
        "QuoteRequest": "https://w3id.org/fep/044f#QuoteRequest",
        **notes.NOTE_CONTEXT[1],
    },
]
_REQUEST_PATH = re.compile(
    r"/users/(?P<handle>[A-Za-z0-9_]{1,30})/quote_requests/(?P<pk>[0-9]{1,18})"
)

# What the creator is told at compose time.
ASKS = (
    "Its author's server asks for consent: your post shows as a quote, "
    "pending until they answer."
)
LINK_ONLY = (
    "Its server does not ask for consent to quote (it has no quote policy), "
    "so your post goes out with a link to it instead of a quote."
)
DENIED = (
    "Its author does not allow you to quote this post (only their followers, "
    "or nobody). Link to it in your text instead."
)


def _refuse(words: str) -> ValidationError:
    # Said to the creator under the "Quote a post" field; nothing is saved.
    return ValidationError(words)


# Finding the quoted post ----------------------------------------------------------


def find_quoted_post(address: str, *, creator: CreatorProfile) -> quotes.QuotedPost:
    """posts.quotes' resolver: the remote post at `address`, checked."""
    if urlsplit(address).netloc.lower() == settings.CREATORHUB_DOMAIN.lower():
        raise _refuse("Quote posts from other servers; this one is a post here.")
    document = _fetch_post(address)
    kind = document.get("type")
    if kind not in QUOTABLE_TYPES:
        raise _refuse("That address is not a post (a Note, an Article or a poll).")
    uri = document["id"]
    author_uri = next(iter(as_list(document.get("attributedTo"))), None)
    author_uri = id_of(author_uri)
    if not author_uri or not same_host(author_uri, uri):
        raise _refuse("That post names no author on its own server.")
    audience = {
        id_of(a) for a in as_list(document.get("to")) + as_list(document.get("cc"))
    }
    if not audience & PUBLIC_NAMES:
        raise _refuse("Only public posts can be quoted.")
    try:
        author = remote.fetch_actor(author_uri)
    except (remote.ResolveError, client.OutboundError) as exc:
        logger.info("quote of %s: author %s unreachable: %s", uri, author_uri, exc)
        raise _refuse("The author of that post could not be found.") from None
    if author.ap_id != author_uri or author.gone_at is not None:
        raise _refuse("The author of that post could not be found.")
    state, note = _decide(document.get("interactionPolicy"), creator)
    # The page people open; a link to another server would put words in
    # the author's mouth, so only one on theirs.
    url = remote.url_of(document.get("url"))
    if not url or not same_host(url, uri):
        url = uri
    handle = f"@{author.username}@{author.instance.domain}" if author.username else ""
    return quotes.QuotedPost(
        uri=uri,
        url=url,
        author_uri=author_uri,
        author_handle=handle[:320],
        state=state,
        note=note,
    )


def _fetch_post(address: str) -> dict:
    try:
        document, final_url = remote.fetch_document(address)
        document_id = document.get("id")
        if isinstance(document_id, str) and document_id != final_url:
            # Fetched by its page (https://server/@user/1): its id must be on
            # the same server, and is fetched once to read it as its server
            # serves it.
            if not same_host(document_id, final_url):
                raise _refuse("That post claims to be on another server.")
            document, final_url = remote.fetch_document(document_id)
    except client.UnsafeURL:
        raise _refuse("That address is not one this server may fetch.") from None
    except (remote.ResolveError, client.OutboundError) as exc:
        logger.info("quote of %s: not fetched: %s", address, exc)
        raise _refuse("That post could not be fetched. Check the address.") from None
    document_id = document.get("id")
    if not isinstance(document_id, str) or document_id != final_url:
        raise _refuse("That address did not give a post.")
    if len(document_id) > 500:
        raise _refuse("That post's address is too long.")
    return document


def _decide(policy, creator: CreatorProfile) -> tuple[str, str]:
    """PENDING (we may ask) or LINK (no policy); ValidationError if denied.

    As Mastodon's quote_policy_for_account: Public, or our creator, under
    automaticApproval or manualApproval allows asking. Followers only does
    not: our creators follow no one.
    """
    if not isinstance(policy, dict) or "canQuote" not in policy:
        return QuoteState.LINK, LINK_ONLY
    can_quote = policy.get("canQuote")
    if not isinstance(can_quote, dict):
        raise _refuse(DENIED)
    allowed = PUBLIC_NAMES | {ids.actor_id(creator.handle)}
    for key in ("automaticApproval", "manualApproval"):
        if {id_of(v) for v in as_list(can_quote.get(key))} & allowed:
            return QuoteState.PENDING, ASKS
    raise _refuse(DENIED)


# The QuoteRequest ---------------------------------------------------------------


def request_id(post: Post) -> str:
    """`/users/<handle>/quote_requests/<post>`: one request per post, served."""
    return f"{ids.actor_id(post.creator.handle)}/quote_requests/{post.pk}"


def post_for_request_id(uri: str) -> Post | None:
    """Our post whose QuoteRequest `uri` names, or None."""
    prefix = ids.absolute("")
    if not uri.startswith(prefix):
        return None
    match = _REQUEST_PATH.fullmatch(uri[len(prefix) :])
    if match is None:
        return None
    return (
        Post.objects.select_related("creator")
        .filter(pk=int(match["pk"]), creator__handle=match["handle"].lower())
        .exclude(quote_of="")
        .first()
    )


def request_activity(post: Post) -> dict:
    """The QuoteRequest, our Note inlined as Mastodon sends it."""
    return {
        "@context": REQUEST_CONTEXT,
        "id": request_id(post),
        "type": "QuoteRequest",
        "actor": ids.actor_id(post.creator.handle),
        "object": post.quote_of,
        "instrument": notes.note_document(post, with_context=False),
    }


def _author_inboxes(post: Post) -> set[str]:
    inbox = (
        RemoteActor.objects.filter(ap_id=post.quote_author_uri, gone_at__isnull=True)
        .values_list("inbox_url", flat=True)
        .first()
    )
    return {inbox} if inbox else set()


def send_request(post: Post) -> OutboundActivity | None:
    """Ask the quoted author, once, when the post goes out."""
    if post.quote_state != QuoteState.PENDING or not post.quote_of:
        return None
    if not post.creator.share_to_fediverse:
        return None
    return services.queue_activity(
        creator=post.creator,
        payload=request_activity(post),
        inboxes=_author_inboxes(post),
        post=post,
    )


def on_post_published(sender, *, post, **kwargs) -> None:
    """posts.events.post_published: in the publishing transaction, so the
    request and the post commit together."""
    if post.quote_state == QuoteState.PENDING:
        send_request(post)


# The answer ---------------------------------------------------------------------


def stamp_ok(post: Post, stamp: str) -> bool:
    """A stamp URI we may record: on the quoted author's server."""
    return (
        isinstance(stamp, str)
        and stamp.startswith(("https://", "http://"))
        and len(stamp) <= 500
        and same_host(stamp, post.quote_author_uri)
    )


def answer_received(post: Post, *, accepted: bool, stamp: str = "") -> Post | None:
    """Record the author's answer and tell everyone who has the Note."""
    post = quotes.quote_of_answered(post=post, accepted=accepted, authorization=stamp)
    if post is not None:
        send_update(post)
    return post


def withdrawal_received(*, stamp: str, author: RemoteActor) -> Post | None:
    """The quoted author deleted the stamp they gave us (withdrew their
    permission): the quote is revoked and everyone who has the Note gets it
    again without the quote, with a plain link, as after a Reject. None if
    the stamp allowed no quote of ours (or not theirs)."""
    if not same_host(stamp, author.ap_id):
        return None
    post = quotes.quote_of_withdrawn(authorization=stamp, author_uri=author.ap_id)
    if post is not None:
        send_update(post)
    return post


def _update_id(post: Post) -> str:
    since_epoch = post.quote_decided_at - datetime(1970, 1, 1, tzinfo=UTC)
    micros = since_epoch // timedelta(microseconds=1)
    return f"{ids.note_id(post)}#updates/{micros}"


def send_update(post: Post) -> OutboundActivity | None:
    """`Update(Note)` after the answer, to everyone who has the post.

    Not an edit: `updated` is when the answer came (Mastodon's own update
    after an accepted quote does the same). If the Create was not built
    yet, it will carry the answer and no Update is needed.
    """
    post = selectors.post_for_note(post.pk)
    if post is None or post.state != Post.State.PUBLISHED:
        return None
    if not post.creator.share_to_fediverse:
        return None
    if not OutboundActivity.objects.filter(ap_id=notes.create_id(post)).exists():
        return None
    payload = notes.quote_update_activity(
        post,
        activity_id=_update_id(post),
        moment=post.quote_decided_at or timezone.now(),
    )
    reached = list(
        OutboundActivity.objects.filter(post=post).values_list("pk", flat=True)
    )
    return services.queue_activity(
        creator=post.creator,
        payload=payload,
        inboxes=_author_inboxes(post),
        followers_of=post.creator,
        reached=reached,
        post=post,
    )
