"""The QuoteRequests our creators sent (FEP-044f), served at their ids.

A request's id is a URL of ours, so a server that receives it, or an
answer naming it, can fetch it. Served while the post is out and still
quotes; the quoting Note (`instrument`) by reference only: the Note's own
URL decides who may read it.
"""

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.views.decorators.http import require_GET

from federation.inbound.verification import RequestNotVerified, signer_of
from federation.outbound import quote_requests
from federation.protocol import ids
from federation.protocol.negotiation import activity_response
from posts.models import Post, QuoteState


@login_not_required
@require_GET
def quote_request(request, handle: str, post_id: int):
    if settings.FEDERATION_AUTHORIZED_FETCH:
        try:
            signer_of(request, body=None)
        except RequestNotVerified as exc:
            return activity_response({"error": exc.reason}, status=exc.status)
    post = quote_requests.post_for_request_id(
        ids.absolute(f"/users/{handle.lower()}/quote_requests/{post_id}")
    )
    if (
        post is None
        or post.state != Post.State.PUBLISHED
        or post.quote_state == QuoteState.LINK
        or not post.creator.share_to_fediverse
    ):
        return activity_response({"error": "no such quote request"}, status=404)
    document = quote_requests.request_activity(post)
    document["instrument"] = ids.note_id(post)
    return activity_response(document)
