"""The inbox's request path: everything between a POST and its 202.

Only cheap checks happen here, in this order, each with a clear answer:
media type (415), size (413; a chunked body is read up to the cap, or 411
where the server cannot read it), a JSON object with an id, type and actor
(400), a Delete (or an actor's Update of itself) from an actor never seen
(202, dropped without fetching anything: Mastodon's
skip_unknown_actor_activity), a blocked server (403, nothing stored), the
server over its rate (429 with Retry-After, before any key is fetched or
signature checked: federation.inbound.rate_limit), the HTTP signature (401,
or 503 when the signer's key could not be fetched for now), the signer
being the activity's actor (401). Then the activity is
stored in the database, once per id, and answered 202; the inbox workers
are woken once it is committed. A 202 is a promise, so it waits for
PostgreSQL, never for a broker; if the database does not answer, the view
answers 503 with Retry-After and the sender tries again.

Everything after that is the worker's (federation.inbound.processing). The request
path is kept lean on purpose: a flood of likes on a popular post must not
take the web processes down (bench/inbox.py measures it).
"""

import json
import logging
import re
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, InterfaceError, OperationalError, transaction

from federation.inbound import rate_limit, verification
from federation.inbound.activities import host_of
from federation.inbound.processing import partition_of, wake_inbox_workers
from federation.models import InboundActivity
from federation.protocol import signatures
from federation.selectors import creator_by_handle
from moderation import services as moderation

logger = logging.getLogger(__name__)

AS_CONTEXT = "https://www.w3.org/ns/activitystreams"
JSON_TYPES = {"application/activity+json", "application/json"}
# Deeper than any real activity (a Create is about six levels deep).
MAX_DEPTH = 20
# Below this many brackets a body cannot be deeper than MAX_DEPTH.
_DEPTH_CHECK_FROM = MAX_DEPTH
MAX_ID_LENGTH = 500
# \u0000 itself, not a backslash followed by the text "u0000".
_NUL_ESCAPE = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")


class Refused(Exception):
    """The POST is not accepted; `status` and `reason` are the answer, and
    `retry_after` the seconds a 429 asks the sender to wait."""

    def __init__(self, status: int, reason: str, *, retry_after: int | None = None):
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.retry_after = retry_after


@dataclass(frozen=True)
class Accepted:
    """Answered 202; `how` says what became of it (for logs and tests)."""

    how: str  # "stored", "duplicate" or "dropped"


def receive(request, *, inbox_handle: str = "") -> Accepted:
    """Check one POSTed activity and hand it over; Refused if not accepted."""
    try:
        return _receive(request, inbox_handle=inbox_handle)
    except (OperationalError, InterfaceError):
        # The database is away: nothing is stored, so no 202; a 503 the
        # sender retries (with Retry-After), never an HTML 500.
        logger.warning("inbox: the database does not answer; answering 503")
        raise Refused(503, "activities cannot be stored right now") from None


def _receive(request, *, inbox_handle: str) -> Accepted:
    if inbox_handle and not _creator_exists(inbox_handle.lower()):
        raise Refused(404, "no such inbox")
    _check_media_type(request)
    body = _read_body(request)
    activity = _parse(body)
    ap_id, kind, actor = _required_fields(activity)
    if kind in ("Delete", "Update") and _unknown_actor_may_be_skipped(
        activity, kind=kind, actor=actor
    ):
        return Accepted("dropped")
    try:
        parsed = verification.parse_signature(request)
    except verification.RequestNotVerified as exc:
        raise Refused(exc.status, exc.reason) from None
    hosts = {host_of(actor), host_of(parsed.key_id)}
    if moderation.blocked_domains_among(hosts, cached=True):
        raise Refused(403, "this server is blocked here")
    server = host_of(parsed.key_id)
    _check_rate(server)
    signer = _signer(request, body, parsed)
    if signer != actor:
        raise Refused(401, "the activity's actor is not the signer")
    # Counted once verified: the keyId's host is the sender's own now.
    rate_limit.count(server)
    return _hand_over(activity, key_id=parsed.key_id, inbox_handle=inbox_handle.lower())


# Cheap checks ---------------------------------------------------------------------


def _check_media_type(request) -> None:
    content_type = request.content_type
    if content_type in JSON_TYPES:
        return
    if content_type == "application/ld+json":
        profile = request.content_params.get("profile", AS_CONTEXT)
        if AS_CONTEXT in profile:
            return
    raise Refused(415, "send application/activity+json")


def _read_body(request) -> bytes:
    limit = settings.FEDERATION_INBOX_MAX_BYTES
    if "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower():
        return _read_chunked(request, limit)
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise Refused(400, "the Content-Length is not a number") from None
    if declared > limit:
        raise Refused(413, f"the body is larger than {limit} bytes")
    # Read at most one byte past the limit, whatever the header claimed.
    body = request.read(limit + 1)
    if len(body) > limit:
        raise Refused(413, f"the body is larger than {limit} bytes")
    return body


def _read_chunked(request, limit: int) -> bytes:
    """A body sent without Content-Length (Transfer-Encoding: chunked).

    Django reads such a body as empty: it only reads as far as
    Content-Length says. A server that decodes the chunks and ends the
    input where the body ends says so with `wsgi.input_terminated`
    (gunicorn does, for every request): then the input is read directly,
    at most one byte past the cap. Elsewhere (wsgiref, Django's runserver)
    the input would run into the next request or block, so the sender is
    asked to send a Content-Length (411).
    """
    if not request.META.get("wsgi.input_terminated"):
        raise Refused(411, "send the body with a Content-Length")
    stream = request.META["wsgi.input"]
    chunks, size = [], 0
    while size <= limit:
        chunk = stream.read(min(64 * 1024, limit + 1 - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    if size > limit:
        raise Refused(413, f"the body is larger than {limit} bytes")
    return b"".join(chunks)


def _no_constants(name: str):
    raise ValueError(f"{name} is not JSON")


def _parse(body: bytes) -> dict:
    try:
        # NaN and Infinity are Python's extensions, not JSON.
        activity = json.loads(body, parse_constant=_no_constants)
    except (ValueError, RecursionError):
        raise Refused(400, "the body is not JSON") from None
    if not isinstance(activity, dict):
        raise Refused(400, "the body is not a JSON object")
    if b"\\u" in body and not _storable(body):
        raise Refused(400, "the JSON has a NUL character or a lone surrogate")
    if (body.count(b"{") + body.count(b"[")) > _DEPTH_CHECK_FROM and _too_deep(
        activity
    ):
        raise Refused(400, f"the JSON is nested deeper than {MAX_DEPTH} levels")
    return activity


def _storable(body: bytes) -> bool:
    """Whether PostgreSQL's jsonb takes the text: no NUL escape, and escaped
    surrogates only in pairs (Python's json accepts both)."""
    if _NUL_ESCAPE.search(body):
        return False
    if b"\\ud" not in body.lower():
        return True
    try:
        json.dumps(json.loads(body), ensure_ascii=False).encode()
    except UnicodeEncodeError:
        return False
    return True


def _too_deep(value) -> bool:
    stack = [(value, 1)]
    while stack:
        current, depth = stack.pop()
        if depth > MAX_DEPTH:
            return True
        children = current.values() if isinstance(current, dict) else current
        stack.extend(
            (child, depth + 1) for child in children if isinstance(child, dict | list)
        )
    return False


def _required_fields(activity: dict) -> tuple[str, str, str]:
    ap_id, kind, actor = activity.get("id"), activity.get("type"), activity.get("actor")
    if isinstance(actor, dict):  # an embedded actor: its id is what counts
        actor = actor.get("id")
        activity["actor"] = actor
    for name, value in (("id", ap_id), ("type", kind), ("actor", actor)):
        if not isinstance(value, str) or not value:
            raise Refused(400, f"the activity has no {name}")
    if len(kind) > 64 or not kind.isascii() or not kind.isalnum():
        raise Refused(400, "the activity type is not a name")
    for name, value in (("id", ap_id), ("actor", actor)):
        if (
            len(value) > MAX_ID_LENGTH
            or not value.startswith(("https://", "http://"))
            or not value.isprintable()
            or " " in value
        ):
            raise Refused(400, f"the activity's {name} is not a URL")
    # Ids are how duplicates are recognised: one server may not file an
    # activity under another's name (and so pre-empt the real one).
    if host_of(ap_id) != host_of(actor):
        raise Refused(400, "the activity id is not on the actor's server")
    return ap_id, kind, actor


def _unknown_actor_may_be_skipped(activity: dict, *, kind: str, actor: str) -> bool:
    """A Delete from someone never seen concerns nothing we hold; neither
    does an account updating itself. Their key may be gone (410), so fetching
    it would only cost time."""
    if kind == "Update":
        obj = activity.get("object")
        target = obj.get("id") if isinstance(obj, dict) else obj
        if target != actor:
            return False
    return not _actor_known(actor)


def _actor_known(actor: str) -> bool:
    return verification.is_known_actor(actor)


# Creators' inboxes seen lately in this process: a personal inbox is
# checked for on every POST.
INBOX_CACHE_SECONDS = 60
_inboxes: dict[str, float] = {}


def _creator_exists(handle: str) -> bool:
    expires = _inboxes.get(handle)
    if expires is not None and expires > time.monotonic():
        return True
    if creator_by_handle(handle) is None:
        return False
    _inboxes[handle] = time.monotonic() + INBOX_CACHE_SECONDS
    return True


def _check_rate(server: str) -> None:
    wait = rate_limit.retry_after(server)
    if wait is None:
        return
    rate_limit.note_limited(server)
    raise Refused(
        429,
        f"too many activities from {server}; try again in {wait} s",
        retry_after=wait,
    )


# Signatures -----------------------------------------------------------------------


def _signer(request, body: bytes, parsed: signatures.ParsedSignature) -> str:
    try:
        return verification.signer_of(request, body=body, parsed=parsed)
    except verification.RequestNotVerified as exc:
        raise Refused(exc.status, exc.reason) from None


def forget_cached_keys() -> None:
    """Empty this process's caches (tests; an admin blocking a key)."""
    moderation.forget_cached_policies()
    verification.forget_cached_keys()
    rate_limit.forget_views()
    _inboxes.clear()


# Handing over ----------------------------------------------------------------------


def _hand_over(activity: dict, *, key_id: str, inbox_handle: str) -> Accepted:
    """Store the activity, then wake the inbox workers; 202 follows.

    The 202 is a promise (senders never retry it), so it is given only once
    PostgreSQL has the activity: the broker carries a wake-up, never the
    only copy. A database that does not answer is a 503 (the view's), which
    senders retry.
    """
    try:
        with transaction.atomic():
            InboundActivity.objects.create(
                ap_id=activity["id"],
                activity_type=activity["type"],
                actor_uri=activity["actor"],
                partition=partition_of(activity["actor"]),
                payload=activity,
                key_id=key_id[:500],
                verified=True,
                inbox_handle=inbox_handle,
            )
            transaction.on_commit(wake_inbox_workers)
    except IntegrityError:
        return Accepted("duplicate")
    return Accepted("stored")
