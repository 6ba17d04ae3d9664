"""A Mastodon-like remote server on 127.0.0.1, for federation tests.

It plays the other side with none of our code: its own RSA key pair, an actor
`bob` shaped as Mastodon 4.3 serves one, WebFinger, NodeInfo, and inboxes that
verify HTTP signatures with the independent `httpsig` library, fetching the
signer's key from the keyId URL with plain `requests`, as a real peer would.

    with MastodonPeer() as peer:          # or the `mastodon_peer` fixture
        peer.secure_mode = True           # unsigned GETs of the actor get 401
        ...                               # our code talks to peer.base_url
        peer.received                     # every request, verified or not

`peer.sign(...)` signs requests the peer sends to us, with httpsig's
HeaderSigner. Not thread-safe to reconfigure while a request is in flight;
set flags before calling.
"""

import base64
import hashlib
import json
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import httpsig
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from httpsig.utils import parse_signature_header

AS_CONTEXT = "https://www.w3.org/ns/activitystreams"
ACTIVITY_JSON = "application/activity+json"
ACTIVITY_JSON_UTF8 = "application/activity+json; charset=utf-8"  # as Mastodon serves
AS2_TYPES = (ACTIVITY_JSON, "application/ld+json")
# What Mastodon's JsonLdHelper sends when it fetches an actor or a key.
MASTODON_ACCEPT = "application/activity+json, application/ld+json"
JRD_ACCEPT = "application/jrd+json, application/json"
# The @context of a Mastodon 4.3 actor (ContextHelper).
MASTODON_CONTEXT = [
    AS_CONTEXT,
    "https://w3id.org/security/v1",
    {
        "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
        "toot": "http://joinmastodon.org/ns#",
        "featured": {"@id": "toot:featured", "@type": "@id"},
        "featuredTags": {"@id": "toot:featuredTags", "@type": "@id"},
        "alsoKnownAs": {"@id": "as:alsoKnownAs", "@type": "@id"},
        "movedTo": {"@id": "as:movedTo", "@type": "@id"},
        "schema": "http://schema.org#",
        "PropertyValue": "schema:PropertyValue",
        "value": "schema:value",
        "discoverable": "toot:discoverable",
        "suspended": "toot:suspended",
        "memorial": "toot:memorial",
        "indexable": "toot:indexable",
        "focalPoint": {"@container": "@list", "@id": "toot:focalPoint"},
    },
]
POST_SIGNED = ["(request-target)", "host", "date", "digest", "content-type"]
GET_SIGNED = ["(request-target)", "host", "date", "accept"]
CLOCK_SKEW = timedelta(hours=1)
NODEINFO_20 = "http://nodeinfo.diaspora.software/ns/schema/2.0"
NODEINFO_20_TYPE = f'application/json; profile="{NODEINFO_20}#"'


class PeerRejected(Exception):
    """The peer refuses a request or a document; the message says why."""


@dataclass
class Received:
    """One request the peer received, and what it made of the signature."""

    method: str
    path: str
    headers: dict
    body: bytes
    key_id: str | None = None
    verified: bool = False
    error: str | None = None

    def json(self):
        return json.loads(self.body)


def new_key_pair() -> tuple[str, str]:
    """(PKCS#8 private PEM, SPKI public PEM) for RSA-2048."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public_pem = (
        key.public_key()
        .public_bytes(
            serialization.Encoding.PEM,
            serialization.PublicFormat.SubjectPublicKeyInfo,
        )
        .decode()
    )
    return private_pem, public_pem


def mastodon_actor_document(base_url: str, username: str, public_pem: str) -> dict:
    """A Person as Mastodon 4.3 serves it at `{base_url}/users/{username}`."""
    actor = f"{base_url}/users/{username}"
    return {
        "@context": MASTODON_CONTEXT,
        "id": actor,
        "type": "Person",
        "following": f"{actor}/following",
        "followers": f"{actor}/followers",
        "inbox": f"{actor}/inbox",
        "outbox": f"{actor}/outbox",
        "featured": f"{actor}/collections/featured",
        "featuredTags": f"{actor}/collections/tags",
        "preferredUsername": username,
        "name": f"{username.capitalize()} Peer",
        "summary": "<p>Testing federation, one toot at a time.</p>",
        "url": f"{base_url}/@{username}",
        "manuallyApprovesFollowers": False,
        "discoverable": True,
        "indexable": False,
        "published": "2023-04-01T00:00:00Z",
        "memorial": False,
        "devices": f"{actor}/collections/devices",
        "publicKey": {
            "id": f"{actor}#main-key",
            "owner": actor,
            "publicKeyPem": public_pem,
        },
        "tag": [],
        "attachment": [
            {
                "type": "PropertyValue",
                "name": "Site",
                "value": '<a href="https://bob.example" rel="me">bob.example</a>',
            }
        ],
        "endpoints": {"sharedInbox": f"{base_url}/inbox"},
        "icon": {
            "type": "Image",
            "mediaType": "image/png",
            "url": f"{base_url}/system/accounts/avatars/bob.png",
        },
        "image": {
            "type": "Image",
            "mediaType": "image/jpeg",
            "url": f"{base_url}/system/accounts/headers/bob.jpg",
        },
    }


class MastodonPeer:
    def __init__(
        self,
        *,
        username: str = "bob",
        software=("mastodon", "4.3.0"),
        shared_inbox: bool = True,
    ):
        self.username = username
        # Some servers (older Pixelfed, single-user ones) offer no shared
        # inbox: deliveries must then go to the personal inbox.
        self.offers_shared_inbox = shared_inbox
        self.software_name, self.software_version = software
        self.secure_mode = False
        self.received: list[Received] = []
        self._lock = threading.Lock()
        self.private_pem, self.public_pem = new_key_pair()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.peer = self
        self._thread = None

    # Lifecycle ------------------------------------------------------------

    def start(self) -> "MastodonPeer":
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    # Names ----------------------------------------------------------------

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self._server.server_address[1]}"

    @property
    def base_url(self) -> str:
        return f"http://{self.host}"

    @property
    def handle(self) -> str:
        return f"@{self.username}@{self.host}"

    @property
    def actor_id(self) -> str:
        return f"{self.base_url}/users/{self.username}"

    @property
    def key_id(self) -> str:
        return f"{self.actor_id}#main-key"

    @property
    def inbox_url(self) -> str:
        return f"{self.actor_id}/inbox"

    @property
    def shared_inbox_url(self) -> str:
        return f"{self.base_url}/inbox"

    def actor_document(self) -> dict:
        document = mastodon_actor_document(
            self.base_url, self.username, self.public_pem
        )
        if not self.offers_shared_inbox:
            del document["endpoints"]
        return document

    def webfinger_document(self) -> dict:
        profile = f"{self.base_url}/@{self.username}"
        return {
            "subject": f"acct:{self.username}@{self.host}",
            "aliases": [profile, self.actor_id],
            "links": [
                {
                    "rel": "http://webfinger.net/rel/profile-page",
                    "type": "text/html",
                    "href": profile,
                },
                {"rel": "self", "type": ACTIVITY_JSON, "href": self.actor_id},
            ],
        }

    def nodeinfo_index(self) -> dict:
        return {
            "links": [{"rel": NODEINFO_20, "href": f"{self.base_url}/nodeinfo/2.0"}]
        }

    def nodeinfo_document(self) -> dict:
        return {
            "version": "2.0",
            "software": {"name": self.software_name, "version": self.software_version},
            "protocols": ["activitypub"],
            "services": {"outbound": [], "inbound": []},
            "usage": {"users": {"total": 1}, "localPosts": 0},
            "openRegistrations": False,
            "metadata": {},
        }

    def rotate_key(self) -> None:
        """A new key pair under the same keyId, as after a server rebuild."""
        self.private_pem, self.public_pem = new_key_pair()

    def inbox_posts(self) -> list[Received]:
        with self._lock:
            return [r for r in self.received if r.method == "POST"]

    def _record(self, received: Received) -> None:
        with self._lock:
            self.received.append(received)

    # What the peer sends ----------------------------------------------------

    def sign(
        self,
        method: str,
        url: str,
        *,
        body: bytes | None = None,
        content_type: str = ACTIVITY_JSON,
        accept: str = MASTODON_ACCEPT,
        now: datetime | None = None,
    ) -> dict:
        """Headers for a request from bob, signed with httpsig as Mastodon does."""
        parts = urlsplit(url)
        headers = {
            "Host": parts.netloc,
            "Date": format_datetime(now or datetime.now(UTC), usegmt=True),
        }
        if body is not None:
            digest = base64.b64encode(hashlib.sha256(body).digest()).decode()
            headers["Digest"] = f"SHA-256={digest}"
            headers["Content-Type"] = content_type
            names = POST_SIGNED
        else:
            headers["Accept"] = accept
            names = GET_SIGNED
        signer = httpsig.HeaderSigner(
            self.key_id,
            self.private_pem,
            algorithm="rsa-sha256",
            headers=names,
            sign_header="signature",
        )
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        signed = signer.sign(headers, method=method.upper(), path=target)
        return {**headers, "Signature": signed["signature"]}

    def get(self, url: str, *, accept: str = MASTODON_ACCEPT) -> requests.Response:
        """A signed GET, as Mastodon sends every fetch."""
        return requests.get(
            url,
            headers=self.sign("GET", url, accept=accept),
            timeout=5,
            allow_redirects=False,
        )

    def post(self, url: str, activity: dict) -> requests.Response:
        body = json.dumps(activity).encode()
        return requests.post(
            url, data=body, headers=self.sign("POST", url, body=body), timeout=5
        )

    def webfinger(self, acct: str) -> dict:
        """The JRD for `user@host`, fetched from `http://host` as Mastodon asks."""
        host = acct.rsplit("@", 1)[1]
        response = requests.get(
            f"http://{host}/.well-known/webfinger",
            params={"resource": f"acct:{acct}"},
            headers={"Accept": JRD_ACCEPT},
            timeout=5,
        )
        if response.status_code != 200:
            raise PeerRejected(f"WebFinger answered {response.status_code}")
        if response.headers.get("Content-Type", "").split(";")[0] not in (
            "application/jrd+json",
            "application/json",
        ):
            raise PeerRejected("WebFinger is not JRD")
        return response.json()

    def fetch_actor(self, url: str) -> dict:
        """Fetch an actor as FetchRemoteActorService does, with its checks."""
        response = self.get(url)
        if response.status_code != 200:
            raise PeerRejected(f"{url} answered {response.status_code}")
        media_type = response.headers.get("Content-Type", "").split(";")[0].strip()
        if media_type not in AS2_TYPES:
            raise PeerRejected(f"{url} is served as {media_type!r}")
        if len(response.content) > 1024 * 1024:
            raise PeerRejected(f"{url} is larger than 1 MB")
        document = response.json()
        if document.get("id") != url:
            raise PeerRejected("the document's id is not the URL fetched")
        return document

    # What the peer checks ---------------------------------------------------

    def verify(self, method: str, path: str, headers: dict, body: bytes) -> str:
        """Verify a signed request with httpsig; return the keyId or raise."""
        lower = {k.lower(): v for k, v in headers.items()}
        if "signature" not in lower:
            raise PeerRejected("request not signed")
        params = parse_signature_header(lower["signature"])  # lower-case keys
        key_id = params.get("keyid")
        if not key_id or "signature" not in params:
            raise PeerRejected("keyId or signature missing")
        covered = set(params.get("headers", "date").split())
        required = {"(request-target)", "host", "date"}
        if method == "POST":
            required.add("digest")
            digest = base64.b64encode(hashlib.sha256(body).digest()).decode()
            if lower.get("digest") != f"SHA-256={digest}":
                raise PeerRejected("Digest does not match the body")
        if not required <= covered:
            raise PeerRejected(f"must sign {', '.join(sorted(required - covered))}")
        try:
            signed_at = parsedate_to_datetime(lower.get("date", ""))
        except (TypeError, ValueError) as exc:
            raise PeerRejected("bad Date") from exc
        if abs(datetime.now(UTC) - signed_at) > CLOCK_SKEW:
            raise PeerRejected("Date out of range")
        verifier = httpsig.HeaderVerifier(
            headers,
            self._public_key_for(key_id),
            method=method,
            path=path,
            sign_header="signature",
        )
        if not verifier.verify():
            raise PeerRejected("signature verification failed")
        return key_id

    def _public_key_for(self, key_id: str) -> str:
        """Dereference the keyId (FetchRemoteKeyService): actor or key document."""
        try:
            response = self.get(key_id.split("#", 1)[0])
            document = response.json()
        except (requests.RequestException, ValueError) as exc:
            raise PeerRejected(f"could not fetch {key_id}: {exc}") from exc
        key = document.get("publicKey", document)
        if not isinstance(key, dict) or key.get("id") != key_id:
            raise PeerRejected("the fetched document does not publish that key")
        return key["publicKeyPem"]


class _Handler(BaseHTTPRequestHandler):
    server_version = "Mastodon"

    @property
    def peer(self) -> MastodonPeer:
        return self.server.peer

    def log_message(self, format, *args):  # noqa: A002 (the base signature)
        pass

    def _reply(self, status: int, document=None, content_type: str = "") -> None:
        body = b"" if document is None else json.dumps(document).encode()
        self.send_response(status)
        if body:
            self.send_header("Content-Type", content_type or "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _received(self, body: bytes) -> Received:
        received = Received(self.command, self.path, dict(self.headers.items()), body)
        self.peer._record(received)
        return received

    def _check_signature(self, received: Received) -> bool:
        try:
            received.key_id = self.peer.verify(
                self.command, self.path, received.headers, received.body
            )
        except PeerRejected as exc:
            received.error = str(exc)
            self._reply(401, {"error": str(exc)})
            return False
        except Exception as exc:  # httpsig raises bare Exceptions
            received.error = f"{type(exc).__name__}: {exc}"
            self._reply(401, {"error": received.error})
            return False
        received.verified = True
        return True

    def do_GET(self):  # noqa: N802 (BaseHTTPRequestHandler's naming)
        peer = self.peer
        received = self._received(b"")
        parts = urlsplit(self.path)
        if parts.path == "/.well-known/webfinger":
            resource = parse_qs(parts.query).get("resource", [""])[0]
            if resource not in (f"acct:{peer.username}@{peer.host}", peer.actor_id):
                return self._reply(404, {"error": "not found"})
            return self._reply(200, peer.webfinger_document(), "application/jrd+json")
        if parts.path == "/.well-known/nodeinfo":
            return self._reply(200, peer.nodeinfo_index())
        if parts.path == "/nodeinfo/2.0":
            return self._reply(200, peer.nodeinfo_document(), NODEINFO_20_TYPE)
        if parts.path == f"/users/{peer.username}":
            if peer.secure_mode and not self._check_signature(received):
                return None
            return self._reply(200, peer.actor_document(), ACTIVITY_JSON_UTF8)
        return self._reply(404, {"error": "Record not found"})

    def do_POST(self):  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        received = self._received(self.rfile.read(length))
        if urlsplit(self.path).path not in (
            f"/users/{self.peer.username}/inbox",
            "/inbox",
        ):
            return self._reply(404, {"error": "Record not found"})
        if self._check_signature(received):
            self._reply(202)
        return None


__all__ = ["MastodonPeer", "PeerRejected", "Received", "mastodon_actor_document"]
