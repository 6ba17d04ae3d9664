"""Inboxes on 127.0.0.1 that verify what we deliver and answer as told.

A remote server as deliveries meet it, with none of our code: requests are
checked with the independent `httpsig` library against the sender's public
key (as a server that has the key cached would), the Digest against the
body, the Date against the clock; RFC 9421 requests (`Signature-Input`) with
the independent `http-message-signatures` library, `Content-Digest` included,
unless the sink plays a server that knows only draft-cavage
(`rfc9421=False`: such a request is answered 401, as Mastodon before 4.4
does). Each inbox path answers from a script, so a test can make it fail,
refuse, time out or drop the connection:

    with DeliverySink(keys={key_id: public_pem}) as sink:
        sink.script("/users/bob/inbox", Reply(500), Reply(202))
        ...
        sink.posts("/users/bob/inbox")   # what arrived there, verified or not

Unscripted paths answer 202 Accepted, as Mastodon does.
"""

import base64
import hashlib
import json
import socket
import struct
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpsig
import requests
from django.utils import timezone
from http_message_signatures import (
    HTTPMessageVerifier,
    HTTPSignatureKeyResolver,
    algorithms,
)
from httpsig.utils import parse_signature_header

from federation.models import RemoteActor, RemoteInstance
from federation.protocol import ids
from followers.models import Follow

CLOCK_SKEW = timedelta(hours=1)


@dataclass(frozen=True)
class Reply:
    """Answer with this status (headers, body), after `delay` seconds."""

    status: int = 202
    headers: dict = field(default_factory=dict)
    delay: float = 0.0
    body: bytes | None = None


@dataclass(frozen=True)
class Reset:
    """Read the request, then drop the connection with a TCP reset."""


@dataclass(frozen=True)
class Hang:
    """Read the request and never answer (until the sink stops)."""


@dataclass
class Arrival:
    """One request the sink received, and what it made of the signature."""

    path: str
    headers: dict
    body: bytes
    at: float
    key_id: str | None = None
    verified: bool = False
    error: str | None = None
    standard: str = "cavage"  # or "rfc9421": which signature it carried

    def json(self) -> dict:
        return json.loads(self.body)


class DeliverySink:
    def __init__(self, *, keys: dict[str, str], rfc9421: bool = True):
        self.keys = dict(keys)
        self.rfc9421 = rfc9421
        self.arrivals: list[Arrival] = []
        self._scripts: dict[str, deque] = defaultdict(deque)
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.sink = self
        self._thread = None

    def start(self) -> "DeliverySink":
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self._server.server_address[1]}"

    def url(self, path: str) -> str:
        return f"http://{self.host}{path}"

    def script(self, path: str, *answers) -> None:
        """Answer the next requests to `path` with these, in order."""
        with self._lock:
            self._scripts[path].extend(answers)

    def posts(self, path: str | None = None) -> list[Arrival]:
        with self._lock:
            return [a for a in self.arrivals if path is None or a.path == path]

    def _next_answer(self, path: str):
        with self._lock:
            script = self._scripts.get(path)
            return script.popleft() if script else Reply(202)

    def _record(self, arrival: Arrival) -> None:
        with self._lock:
            self.arrivals.append(arrival)

    def verify(self, method: str, path: str, headers: dict, body: bytes) -> str:
        """The keyId of a correctly signed request, or ValueError saying why."""
        lower = {name.lower(): value for name, value in headers.items()}
        if "signature" not in lower:
            raise ValueError("not signed")
        if "signature-input" in lower:
            if not self.rfc9421:
                raise ValueError("RFC 9421 signatures are not understood here")
            return self._verify_rfc9421(method, path, headers, body)
        params = parse_signature_header(lower["signature"])
        key_id = params.get("keyid")
        if key_id not in self.keys:
            raise ValueError(f"unknown key {key_id}")
        covered = set(params.get("headers", "date").split())
        required = {"(request-target)", "host", "date", "digest", "content-type"}
        if not required <= covered:
            raise ValueError(f"must sign {sorted(required - covered)}")
        digest = base64.b64encode(hashlib.sha256(body).digest()).decode()
        if lower.get("digest") != f"SHA-256={digest}":
            raise ValueError("Digest does not match the body")
        if lower.get("content-type") != "application/activity+json":
            raise ValueError(f"Content-Type is {lower.get('content-type')!r}")
        signed_at = parsedate_to_datetime(lower.get("date", ""))
        if abs(datetime.now(UTC) - signed_at) > CLOCK_SKEW:
            raise ValueError("Date out of range")
        verifier = httpsig.HeaderVerifier(
            headers,
            self.keys[key_id],
            method=method,
            path=path,
            sign_header="signature",
        )
        if not verifier.verify():
            raise ValueError("signature does not verify")
        return key_id

    def _verify_rfc9421(self, method: str, path: str, headers: dict, body: bytes):
        """RFC 9421 as Mastodon 4.5 requires it, checked by
        http-message-signatures: @method, @target-uri and content-digest
        covered, created within the hour, Content-Digest matching."""
        message = requests.Request(
            method, f"http://{headers['Host']}{path}", headers=headers, data=body
        ).prepare()
        results = HTTPMessageVerifier(
            signature_algorithm=algorithms.RSA_V1_5_SHA256,
            key_resolver=_PemKeys(self.keys),
        ).verify(
            message,
            max_age=CLOCK_SKEW,
            require_components=("@method", "@target-uri", "content-digest"),
            body=body,
        )
        return results[0].parameters["keyid"]


class _PemKeys(HTTPSignatureKeyResolver):
    def __init__(self, keys: dict[str, str]):
        self.keys = keys

    def resolve_public_key(self, key_id: str):
        if key_id not in self.keys:
            raise ValueError(f"unknown key {key_id}")
        return self.keys[key_id].encode()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as real servers do

    def log_message(self, format, *args):  # noqa: A002 (the base signature)
        pass

    def do_POST(self):  # noqa: N802 (BaseHTTPRequestHandler's naming)
        sink: DeliverySink = self.server.sink
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        arrival = Arrival(self.path, dict(self.headers.items()), body, time.time())
        if "Signature-Input" in self.headers:
            arrival.standard = "rfc9421"
        try:
            arrival.key_id = sink.verify("POST", self.path, arrival.headers, body)
            arrival.verified = True
        except Exception as exc:  # httpsig raises bare Exceptions too
            arrival.error = f"{type(exc).__name__}: {exc}"
        sink._record(arrival)
        answer = sink._next_answer(self.path) if arrival.verified else Reply(401)
        if isinstance(answer, Reset):
            self.connection.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
            )
            self.close_connection = True
            self.connection.close()
            return
        if isinstance(answer, Hang):
            sink._stopping.wait(timeout=60)
            self.close_connection = True
            return
        if answer.delay:
            time.sleep(answer.delay)
        payload = answer.body
        if payload is None:
            payload = b"" if answer.status < 300 else b'{"error": "refused"}'

        try:
            self.send_response(answer.status)
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            if payload:
                self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            # The sender is gone (a killed worker, a client timeout): what a
            # real server sees too, and no reason for a traceback.
            self.close_connection = True


def closed_port() -> int:
    """A loopback port nothing listens on: connecting is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# Who follows whom there ----------------------------------------------------


def follower(creator, *, host: str, username: str, shared: bool = False) -> Follow:
    """An accepted follower whose server is at `host` (plain http, loopback)."""
    instance, _ = RemoteInstance.objects.get_or_create(domain=host)
    actor = RemoteActor.objects.create(
        ap_id=f"http://{host}/users/{username}",
        instance=instance,
        username=username,
        inbox_url=f"http://{host}/users/{username}/inbox",
        shared_inbox_url=f"http://{host}/inbox" if shared else "",
        public_key_id=f"http://{host}/users/{username}#main-key",
        public_key_pem="-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----\n",
    )
    return Follow.objects.create(
        creator=creator,
        actor=actor,
        follow_activity_id=f"http://{host}/{username}#follows/1",
        state=Follow.State.ACCEPTED,
        accepted_at=timezone.now(),
    )


def create_payload(creator, number: int = 1) -> dict:
    note = f"{ids.actor_id(creator.handle)}/statuses/{number}"
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{note}/activity",
        "type": "Create",
        "actor": ids.actor_id(creator.handle),
        "to": [ids.PUBLIC],
        "object": {"id": note, "type": "Note", "content": "<p>Hello</p>"},
    }
