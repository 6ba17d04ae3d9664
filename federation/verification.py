"""Who sent this request? Checking an incoming HTTP signature end to end.

The pure check lives in signatures.py; this adds the key lookup: the cached
key first, then one fetch of the signer's actor when the key is unknown or,
once, when the cached key fails (it may have been rotated).
"""

import logging
from datetime import timedelta

from django.utils import timezone

from . import client, remote, signatures
from .models import RemoteActor, RemoteInstance

logger = logging.getLogger(__name__)

# A key that failed is fetched again at most this often per actor, so a
# flood of bad signatures cannot turn into a flood of fetches.
REFETCH_AFTER = timedelta(minutes=1)


class RequestNotVerified(Exception):
    """The request cannot be attributed to anyone; `status` says how to answer.

    401 for a bad or missing signature, 503 when the signer's server could not
    be reached to fetch the key (the sender will retry).
    """

    def __init__(self, reason: str, *, status: int = 401):
        super().__init__(reason)
        self.reason = reason
        self.status = status


def verify_signed_request(request, *, body: bytes | None) -> RemoteActor:
    """The remote actor who signed `request`, or RequestNotVerified."""
    header = request.headers.get("Signature")
    if not header:
        raise RequestNotVerified("the request is not signed")
    try:
        parsed = signatures.parse_signature_header(header)
    except signatures.SignatureError as exc:
        raise RequestNotVerified(str(exc)) from exc

    actor = _actor_for_key(parsed.key_id, refresh=False)
    try:
        _verify(request, body, actor, parsed)
    except signatures.SignatureMismatch as exc:
        if timezone.now() - actor.last_fetched_at < REFETCH_AFTER:
            raise RequestNotVerified(str(exc)) from exc
        actor = _actor_for_key(parsed.key_id, refresh=True)
        try:
            _verify(request, body, actor, parsed)
        except signatures.SignatureError as again:
            raise RequestNotVerified(str(again)) from again
    except signatures.SignatureError as exc:
        raise RequestNotVerified(str(exc)) from exc

    # A verified request proves the server is up again (INTEROP.md §b7).
    RemoteInstance.objects.filter(pk=actor.instance_id).update(
        last_heard_from_at=timezone.now(), unavailable_since=None
    )
    return actor


def _actor_for_key(key_id: str, *, refresh: bool) -> RemoteActor:
    try:
        return remote.actor_for_key(key_id, refresh=refresh)
    except client.RemoteUnavailable as exc:
        logger.info("could not fetch key %s: %s", key_id, exc)
        raise RequestNotVerified(
            "the signer's key could not be fetched; try again later", status=503
        ) from exc
    except (remote.ResolveError, client.OutboundError) as exc:
        logger.info("refused key %s: %s", key_id, exc)
        raise RequestNotVerified(f"the signer's key is not usable: {exc}") from exc


def _verify(request, body, actor: RemoteActor, parsed) -> None:
    signatures.verify_request(
        method=request.method,
        path=request.path,
        query=request.META.get("QUERY_STRING", ""),
        headers=request.headers,
        body=body,
        public_key=signatures.load_public_key(actor.public_key_pem),
        parsed=parsed,
    )
