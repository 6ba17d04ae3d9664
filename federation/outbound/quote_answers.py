"""What a quoter's server is told about its QuoteRequest, and the stamp.

Shaped as Mastodon 4.5 sends them (FEP-044f): an `Accept` embedding the
request with `result` naming the `QuoteAuthorization` stamp, a `Reject`
without one, both to the quoter's own inbox; a withdrawn permission is a
`Delete` of the stamp (its URI, as a string), to the quoter and to the
creator's followers, whose servers may hold the quote too. The decisions
are posts.quotes'; these run from its events (federation.handlers),
inside the transaction that made them.
"""

from federation.models import RemoteActor
from federation.outbound import services
from federation.protocol import ids
from federation.protocol.activitypub import AS_CONTEXT
from posts.models import QuoteRequest

QUOTE_REQUEST_CONTEXT = [
    AS_CONTEXT,
    {"QuoteRequest": "https://w3id.org/fep/044f#QuoteRequest"},
]
# Mastodon's own stamp context (QuoteAuthorizationSerializer): it names no
# `QuoteAuthorization` type term, so none is added here either.
STAMP_CONTEXT = [
    AS_CONTEXT,
    {
        "gts": "https://gotosocial.org/ns#",
        "quoteAuthorization": {
            "@id": "https://w3id.org/fep/044f#quoteAuthorization",
            "@type": "@id",
        },
        "interactingObject": {"@id": "gts:interactingObject"},
        "interactionTarget": {"@id": "gts:interactionTarget"},
    },
]


def stamp_id(request: QuoteRequest) -> str:
    """`/users/<handle>/quote_authorizations/<id>`: stable, never reused."""
    handle = request.post.creator.handle
    return f"{ids.actor_id(handle)}/quote_authorizations/{request.pk}"


def stamp_document(request: QuoteRequest) -> dict:
    """The `QuoteAuthorization`: who allowed which post to quote which."""
    return {
        "@context": STAMP_CONTEXT,
        "id": stamp_id(request),
        "type": "QuoteAuthorization",
        "attributedTo": ids.actor_id(request.post.creator.handle),
        "interactingObject": request.quote_uri,
        "interactionTarget": ids.note_id(request.post),
    }


def _request(request: QuoteRequest) -> dict:
    return {
        "id": request.request_id,
        "type": "QuoteRequest",
        "actor": request.actor_uri,
        "object": ids.note_id(request.post),
        "instrument": request.quote_uri,
    }


def accept_activity(request: QuoteRequest) -> dict:
    actor = ids.actor_id(request.post.creator.handle)
    return {
        "@context": QUOTE_REQUEST_CONTEXT,
        "id": f"{actor}#accepts/quote_requests/{request.pk}",
        "type": "Accept",
        "actor": actor,
        "object": _request(request),
        "result": stamp_id(request),
    }


def reject_activity(request: QuoteRequest) -> dict:
    actor = ids.actor_id(request.post.creator.handle)
    return {
        "@context": QUOTE_REQUEST_CONTEXT,
        "id": f"{actor}#rejects/quote_requests/{request.pk}",
        "type": "Reject",
        "actor": actor,
        "object": _request(request),
    }


def revoke_activity(request: QuoteRequest) -> dict:
    stamp = stamp_id(request)
    return {
        "@context": AS_CONTEXT,
        "id": f"{stamp}#delete",
        "type": "Delete",
        "actor": ids.actor_id(request.post.creator.handle),
        "object": stamp,
        "to": [ids.PUBLIC],
    }


def _quoter_inboxes(request: QuoteRequest) -> set[str]:
    inbox = (
        RemoteActor.objects.filter(ap_id=request.actor_uri)
        .values_list("inbox_url", flat=True)
        .first()
    )
    return {inbox} if inbox else set()


def send_answer(request: QuoteRequest) -> None:
    """Accept or Reject, to the quoter's personal inbox (as Mastodon)."""
    if request.state == QuoteRequest.State.ACCEPTED:
        payload = accept_activity(request)
    elif request.state == QuoteRequest.State.REFUSED:
        payload = reject_activity(request)
    else:
        return
    services.queue_activity(
        creator=request.post.creator,
        payload=payload,
        inboxes=_quoter_inboxes(request),
    )


def send_revocation(request: QuoteRequest) -> None:
    """Delete of the stamp, to the quoter and the creator's followers."""
    creator = request.post.creator
    services.queue_activity(
        creator=creator,
        payload=revoke_activity(request),
        inboxes=_quoter_inboxes(request),
        followers_of=creator,
        is_public=True,
    )
