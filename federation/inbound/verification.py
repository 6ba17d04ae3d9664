"""Who sent this request? Checking an incoming HTTP signature end to end.

Two standards are read: draft-cavage (`Signature` alone, signatures.py) and
RFC 9421 (`Signature-Input` beside `Signature`, message_signatures.py). The
pure checks live in those modules; this adds the key lookup, the same for
both (a keyId and an RFC 9421 keyid name the same key), in three
steps from cheap to dear: keys this process verified lately, then the
signer's actor in the database, then one fetch of that actor when the key
is unknown or, once, when the known key fails (it may have been rotated).

The inbox takes a flood of signed POSTs from the same few thousand keys, so
the first step spares it a query per request; a verified request also
proves the signer's server is up (Mastodon clears its delivery failures
then too), noted at most once a minute per server and process.

Anyone can name any server in a keyId, so the fetch is bounded: it ends
within FEDERATION_KEY_FETCH_SECONDS, and at most
FEDERATION_KEY_FETCH_CONCURRENCY run at once across the web processes
sharing the cache; beyond that a request is answered 503 without fetching.
A server that answers slowly can then hold a few web processes for a few
seconds, never all of them (docs/federation.md, "Fetching a signer's key").
"""

import logging
import math
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta

from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.core.cache import cache
from django.db.models import Q
from django.utils import timezone
from django.utils.encoding import escape_uri_path

from federation.models import RemoteActor, RemoteInstance
from federation.protocol import client, message_signatures, remote, signatures

logger = logging.getLogger(__name__)

# A key that failed is fetched again at most this often per actor, so a
# flood of bad signatures cannot turn into a flood of fetches.
REFETCH_AFTER = timedelta(minutes=1)
# Verified keys kept per process: how long, and how many before starting over.
KEY_CACHE_SECONDS = 300
KEY_CACHE_SIZE = 20_000
HEARD_FROM_EVERY = 60
# A server that signed to us with RFC 9421 is noted as sending (and so
# verifying) it at most this often per process (federation.outbound.delivery
# then signs to it so). A server we learned answers draft-cavage only is
# tried again on RFC 9421 once it signs so and this long has passed.
SIGNATURE_STANDARD_EVERY = 3600
RELEARN_AFTER = timedelta(days=30)
MAX_KEY_ID_LENGTH = 500
# What a 503 asks the sender to wait before trying again.
RETRY_AFTER_SECONDS = 10
FETCH_SLOT_KEY = "federation:key-fetch-slot:{}"


class RequestNotVerified(Exception):
    """The request cannot be attributed to anyone; `status` says how to answer.

    401 for a bad or missing signature, 503 when the signer's server could not
    be reached to fetch the key (the sender will retry).
    """

    def __init__(self, reason: str, *, status: int = 401):
        super().__init__(reason)
        self.reason = reason
        self.status = status


@dataclass
class _Key:
    actor: str
    instance_id: int
    public_key: object  # RSA (either standard) or Ed25519 (RFC 9421 only)
    expires: float


_keys: dict[str, _Key] = {}
_known_actors: set[str] = set()
_heard_from: dict[int, float] = {}
_standard_noted: dict[int, float] = {}

Parsed = signatures.ParsedSignature | message_signatures.ParsedMessageSignature


def forget_cached_keys() -> None:
    """Empty this process's caches (tests; an admin blocking a key)."""
    _keys.clear()
    _known_actors.clear()
    _heard_from.clear()
    _standard_noted.clear()


def parse_signature(request) -> Parsed:
    """The request's signature, parsed; RequestNotVerified if unusable.

    With a `Signature-Input` header it is RFC 9421's (as Mastodon decides),
    else draft-cavage's `Signature`. Either has a `key_id`.
    """
    header = request.headers.get("Signature")
    if not header:
        raise RequestNotVerified("the request is not signed")
    signature_input = request.headers.get("Signature-Input")
    try:
        if signature_input:
            parsed = message_signatures.parse_headers(signature_input, header)
        else:
            parsed = signatures.parse_signature_header(header)
    except signatures.SignatureError as exc:
        raise RequestNotVerified(str(exc)) from None
    key_id = parsed.key_id
    if len(key_id) > MAX_KEY_ID_LENGTH or not key_id.isprintable() or " " in key_id:
        raise RequestNotVerified("the keyId is not a URL")
    return parsed


def signer_of(request, *, body: bytes | None, parsed=None) -> str:
    """The actor id of whoever signed `request`, or RequestNotVerified.

    For the hot paths (the inbox): a key verified lately in this process
    is used as it is; only an unknown key, or one that does not verify,
    takes verify_signed_request's path.
    """
    parsed = parsed or parse_signature(request)
    now = time.monotonic()
    cached = _keys.get(parsed.key_id)
    if cached is None or cached.expires <= now:
        cached = _key_from_database(parsed.key_id, now)
    if cached is not None:
        try:
            _verify(request, body, cached.public_key, parsed)
        except signatures.SignatureMismatch:
            pass  # maybe rotated: the full path refetches
        except signatures.SignatureError as exc:
            raise RequestNotVerified(str(exc)) from None
        else:
            _mark_heard_from(cached.instance_id, now=now)
            _note_standard(cached.instance_id, parsed, now=now)
            return cached.actor
    return verify_signed_request(request, body=body, parsed=parsed).ap_id


def verify_signed_request(request, *, body: bytes | None, parsed=None) -> RemoteActor:
    """The remote actor who signed `request`, or RequestNotVerified."""
    parsed = parsed or parse_signature(request)
    actor = _actor_for_key(parsed.key_id, refresh=False)
    try:
        public_key = _check(request, body, actor, parsed)
    except signatures.SignatureMismatch as exc:
        if timezone.now() - actor.last_fetched_at < REFETCH_AFTER:
            raise RequestNotVerified(str(exc)) from exc
        actor = _actor_for_key(parsed.key_id, refresh=True)
        try:
            public_key = _check(request, body, actor, parsed)
        except signatures.SignatureError as again:
            raise RequestNotVerified(str(again)) from again
    except signatures.SignatureError as exc:
        raise RequestNotVerified(str(exc)) from exc
    now = time.monotonic()
    _remember(parsed.key_id, actor.ap_id, actor.instance_id, public_key, now)
    _mark_heard_from(actor.instance_id, now=now)
    _note_standard(actor.instance_id, parsed, now=now)
    return actor


def is_known_actor(actor_uri: str) -> bool:
    """Whether we hold this remote actor (cheaply, for the inbox's skips)."""
    return (
        actor_uri in _known_actors
        or RemoteActor.objects.filter(ap_id=actor_uri).exists()
    )


def _actor_for_key(key_id: str, *, refresh: bool) -> RemoteActor:
    if not refresh:
        stored = _stored_actor_for_key(key_id)
        if stored is not None:
            return stored
    slot = _take_fetch_slot()
    if slot is None:
        logger.info("not fetching key %s: every key fetch slot is taken", key_id)
        raise RequestNotVerified(
            "too many keys are being fetched; try again later", status=503
        )
    try:
        with client.deadline(settings.FEDERATION_KEY_FETCH_SECONDS):
            return remote.actor_for_key(key_id, refresh=refresh)
    except client.RemoteUnavailable as exc:  # the deadline's error included
        logger.info("could not fetch key %s: %s", key_id, exc)
        raise RequestNotVerified(
            "the signer's key could not be fetched; try again later", status=503
        ) from exc
    except client.UnsafeAddress as exc:
        # Refused before connecting, so the answer is the same whatever the
        # port (no open/closed port oracle); and it does not say which
        # address the name has here.
        logger.info("refused key %s: %s", key_id, exc)
        raise RequestNotVerified(
            "the signer's key is not usable: its server is not on a public address"
        ) from exc
    except (remote.ResolveError, client.OutboundError) as exc:
        logger.info("refused key %s: %s", key_id, exc)
        raise RequestNotVerified(f"the signer's key is not usable: {exc}") from exc
    finally:
        _give_back_fetch_slot(slot)


def _stored_actor_for_key(key_id: str) -> RemoteActor | None:
    return (
        RemoteActor.objects.filter(public_key_id=key_id, gone_at__isnull=True)
        .select_related("instance")
        .first()
    )


# Key fetch slots: a counting semaphore in the cache, so that it holds across
# gunicorn's processes (Redis in production; without Redis, per process).
# A slot lapses by itself just after the fetch's deadline, so a process
# killed mid-fetch does not keep it.


def _take_fetch_slot() -> tuple[str, str] | None:
    """(cache key, token) of a free slot, now taken; None if all are taken."""
    lapse = math.ceil(settings.FEDERATION_KEY_FETCH_SECONDS) + 1
    token = uuid.uuid4().hex
    for number in range(settings.FEDERATION_KEY_FETCH_CONCURRENCY):
        name = FETCH_SLOT_KEY.format(number)
        if cache.add(name, token, timeout=lapse):
            return name, token
    return None


def _give_back_fetch_slot(slot: tuple[str, str]) -> None:
    name, token = slot
    if cache.get(name) == token:  # not lapsed and taken by another meanwhile
        cache.delete(name)


def _check(request, body, actor: RemoteActor, parsed):
    """Verify with the actor's key, and return that key."""
    public_key = message_signatures.load_public_key(actor.public_key_pem)
    _verify(request, body, public_key, parsed)
    return public_key


def _verify(request, body, public_key, parsed) -> None:
    if isinstance(parsed, message_signatures.ParsedMessageSignature):
        message_signatures.verify_request(
            method=request.method,
            target_uris=_target_uris(request),
            headers=request.headers,
            body=body,
            public_key=public_key,
            parsed=parsed,
        )
        return
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise signatures.SignatureError("the signer's key is not an RSA key")
    signatures.verify_request(
        method=request.method,
        path=request.path,
        query=request.META.get("QUERY_STRING", ""),
        headers=request.headers,
        body=body,
        public_key=public_key,
        parsed=parsed,
    )


def _key_from_database(key_id: str, now: float) -> _Key | None:
    row = (
        RemoteActor.objects.filter(public_key_id=key_id, gone_at__isnull=True)
        .values_list("ap_id", "instance_id", "public_key_pem")
        .first()
    )
    if row is None:
        return None
    try:
        public_key = message_signatures.load_public_key(row[2])
    except signatures.SignatureError:
        return None
    return _remember(key_id, row[0], row[1], public_key, now)


def _target_uris(request) -> tuple[str, ...]:
    """The URLs an RFC 9421 signer may have named in `@target-uri`: ours as
    the public knows it (CREATORHUB_SCHEME, which a proxy terminating TLS
    hides from us), then the scheme the request arrived with."""
    host = request.headers.get("Host") or request.META.get("SERVER_NAME", "")
    path = escape_uri_path(request.path)
    query = request.META.get("QUERY_STRING", "")
    if query:
        path = f"{path}?{query}"
    schemes = dict.fromkeys((settings.CREATORHUB_SCHEME, request.scheme))
    return tuple(f"{scheme}://{host}{path}" for scheme in schemes)


def _note_standard(instance_id: int, parsed, *, now: float) -> None:
    """A server that signed with RFC 9421 verifies it too: deliveries there
    are signed so from now on (unless it refused one lately)."""
    if not isinstance(parsed, message_signatures.ParsedMessageSignature):
        return
    if now - _standard_noted.get(instance_id, float("-inf")) < SIGNATURE_STANDARD_EVERY:
        return
    _standard_noted[instance_id] = now
    moment = timezone.now()
    RemoteInstance.objects.filter(pk=instance_id).filter(
        Q(signature_standard=RemoteInstance.SignatureStandard.UNKNOWN)
        | Q(
            signature_standard=RemoteInstance.SignatureStandard.CAVAGE,
            signature_standard_learned_at__lt=moment - RELEARN_AFTER,
        )
    ).update(
        signature_standard=RemoteInstance.SignatureStandard.RFC9421,
        signature_standard_learned_at=moment,
    )


def _remember(key_id: str, actor: str, instance_id: int, public_key, now) -> _Key:
    if len(_keys) >= KEY_CACHE_SIZE:
        _keys.clear()
        _known_actors.clear()
    _known_actors.add(actor)
    entry = _keys[key_id] = _Key(
        actor, instance_id, public_key, now + KEY_CACHE_SECONDS
    )
    return entry


def _mark_heard_from(instance_id: int, *, now: float) -> None:
    """Note that the server is up: at most once a minute per server and
    process, and written only when it changes something worth knowing."""
    if now - _heard_from.get(instance_id, float("-inf")) < HEARD_FROM_EVERY:
        return
    _heard_from[instance_id] = now
    moment = timezone.now()
    RemoteInstance.objects.filter(pk=instance_id).filter(
        Q(unavailable_since__isnull=False)
        | Q(last_heard_from_at__isnull=True)
        | Q(last_heard_from_at__lt=moment - timedelta(seconds=HEARD_FROM_EVERY))
    ).update(last_heard_from_at=moment, unavailable_since=None)
