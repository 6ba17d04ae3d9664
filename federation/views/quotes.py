"""The `QuoteAuthorization` stamps a creator gave (FEP-044f).

A server showing a quote of a creator's post fetches the stamp the quote
names to check the creator allowed it (Mastodon's VerifyQuoteService): 200
with the stamp while the permission stands, 410 once the creator withdrew
it, 404 for one never given.
"""

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.views.decorators.http import require_GET

from federation.inbound.verification import RequestNotVerified, signer_of
from federation.outbound import quote_answers
from federation.protocol import activitypub
from federation.protocol.negotiation import activity_response
from posts import quotes
from posts.models import QuoteRequest


@login_not_required
@require_GET
def quote_authorization(request, handle: str, pk: int):
    if settings.FEDERATION_AUTHORIZED_FETCH:
        try:
            signer_of(request, body=None)
        except RequestNotVerified as exc:
            return activity_response({"error": exc.reason}, status=exc.status)
    stamp = quotes.authorization_in_force(pk=pk, handle=handle.lower())
    if stamp is None or not stamp.post.creator.share_to_fediverse:
        return activity_response({"error": "no such authorization"}, status=404)
    if stamp.state == QuoteRequest.State.REVOKED:
        return activity_response(
            activitypub.tombstone(
                quote_answers.stamp_id(stamp), former_type="QuoteAuthorization"
            ),
            status=410,
        )
    if stamp.state != QuoteRequest.State.ACCEPTED:
        return activity_response({"error": "no such authorization"}, status=404)
    return activity_response(quote_answers.stamp_document(stamp))
