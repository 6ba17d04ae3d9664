"""Fetching a signer's key never holds a web request for long.

Inbox POSTs go through the real view, signed for real, with keyIds pointing
at loopback servers: some trickle a byte a second, one serves a real actor
document slowly. Time bounds are safety bounds only (the trickles would
take minutes); what is asserted is the answer.
"""

import json
import socket
import threading
import time

import pytest
from django.db import connections
from django.test import Client

from federation.inbound import verification
from federation.models import InboundActivity, RemoteActor
from federation.protocol import keys, signatures
from tests.federation.inbox_support import AS2, meta, reset_request_caches
from tests.federation.peer import mastodon_actor_document
from tests.federation.trickle import TrickleServer, response_bytes

pytestmark = pytest.mark.django_db

SAFETY_BOUND = 15  # seconds; every trickle below lasts longer than a minute


@pytest.fixture(autouse=True)
def key_fetching(loopback, settings):
    settings.FEDERATION_KEY_FETCH_SECONDS = 2
    reset_request_caches()
    yield settings
    reset_request_caches()


@pytest.fixture
def private_pem():
    private_pem, _ = signatures.generate_key_pair()
    return private_pem


def signed_like(server: TrickleServer, private_pem: str, *, username="dave"):
    """A Like from an actor on `server`, signed with its key (Django META)."""
    actor = server.url(f"/users/{username}")
    body = json.dumps(
        {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": f"{actor}#likes/1",
            "type": "Like",
            "actor": actor,
            "object": "https://hub.test/users/alice/statuses/1",
        }
    ).encode()
    headers = signatures.sign_request(
        method="POST",
        url="https://hub.test/inbox",
        key_id=f"{actor}#main-key",
        private_key=signatures.load_private_key(private_pem),
        body=body,
        headers={"Content-Type": AS2},
    )
    return body, meta(headers)


def post_inbox(client, body, headers):
    return client.generic("POST", "/inbox", body, **headers)


def assert_retry_later(response, reason: str) -> None:
    assert response.status_code == 503, response.content
    assert response["Content-Type"] == "application/json"
    assert response["Retry-After"] == str(verification.RETRY_AFTER_SECONDS)
    assert reason in response.json()["error"]


def trickling_key_server() -> TrickleServer:
    return TrickleServer(response_bytes(b'{"id": "x"}' * 10), every=1.0)


def test_a_key_server_trickling_is_answered_503_by_the_deadline(client, private_pem):
    with trickling_key_server() as server:
        started = time.monotonic()
        response = post_inbox(client, *signed_like(server, private_pem))
        assert time.monotonic() - started < SAFETY_BOUND
    assert_retry_later(response, "could not be fetched; try again later")


def test_a_key_server_hanging_up_is_answered_503(client, private_pem):
    with TrickleServer(b"", every=0) as server:
        response = post_inbox(client, *signed_like(server, private_pem))
    assert_retry_later(response, "could not be fetched; try again later")


@pytest.mark.django_db(transaction=True)  # two threads, as two processes
def test_beyond_the_cap_a_key_is_not_fetched(client, private_pem, settings):
    settings.FEDERATION_KEY_FETCH_CONCURRENCY = 1
    keys.key_for_instance()  # committed, for both threads' signed fetches
    answers = []

    def post_from_another_process(server):
        try:
            answers.append(post_inbox(Client(), *signed_like(server, private_pem)))
        finally:
            connections.close_all()

    with trickling_key_server() as first, trickling_key_server() as second:
        holder = threading.Thread(target=post_from_another_process, args=(first,))
        holder.start()
        while first.connections == 0 and holder.is_alive():
            time.sleep(0.01)  # until the first fetch holds the one slot
        refused = post_inbox(client, *signed_like(second, private_pem))
        holder.join(timeout=SAFETY_BOUND)
        after = post_inbox(client, *signed_like(second, private_pem))

    assert_retry_later(refused, "too many keys are being fetched")
    assert_retry_later(answers[0], "could not be fetched")
    # The slot was given back: the next fetch was tried.
    assert_retry_later(after, "could not be fetched")
    assert second.connections == 1


def test_a_slow_key_server_within_the_deadline_is_verified(client, creator):
    private_pem, public_pem = signatures.generate_key_pair()
    server = TrickleServer(b"", every=0.1)
    document = mastodon_actor_document(server.url(""), "dave", public_pem)
    answer = response_bytes(json.dumps(document).encode(), AS2)
    server.prefix, server.trickled = answer[:-10], answer[-10:]  # about 1 s
    with server:
        response = post_inbox(client, *signed_like(server, private_pem))

    assert response.status_code == 202, response.content
    assert RemoteActor.objects.get(ap_id=document["id"]).public_key_pem == public_pem


class Named:
    """A server reached by name (`localhost:port`) rather than by address."""

    def __init__(self, port: int):
        self.port = port

    def url(self, path: str = "/") -> str:
        return f"http://localhost:{self.port}{path}"


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_key_on_an_internal_port_is_refused_alike_open_or_closed(
    client, private_pem, settings
):
    """The inbox is no port scanner: a keyId naming an internal address gets
    the same 401 whether something listens there or not, and nothing is
    connected to, fetched or stored."""
    settings.FEDERATION_ALLOW_PRIVATE_ADDRESSES = False
    with TrickleServer(response_bytes(b"{}"), every=0) as listening:
        open_port = int(listening.host.rsplit(":", 1)[1])
        answers = [
            post_inbox(client, *signed_like(Named(port), private_pem))
            for port in (open_port, closed_port())
        ]
        connections = listening.connections

    assert connections == 0
    for answer in answers:
        assert answer.status_code == 401, answer.content
        assert answer.json() == {
            "error": "the signer's key is not usable: "
            "its server is not on a public address"
        }
    assert answers[0].content == answers[1].content
    assert not InboundActivity.objects.exists()
    assert not RemoteActor.objects.exists()


# Unusable key documents -----------------------------------------------------------


def dave_document(base: str, public_pem: str) -> dict:
    return mastodon_actor_document(base, "dave", public_pem)


def without_key(document: dict) -> dict:
    return {name: value for name, value in document.items() if name != "publicKey"}


def with_key(document: dict, **key) -> dict:
    return {**document, "publicKey": {**document["publicKey"], **key}}


@pytest.mark.parametrize(
    "content_type, body, reason",
    [
        (AS2, lambda doc: b"{not json", "did not return valid JSON"),
        (AS2, lambda doc: b"\xff\xfe\x00", "did not return valid JSON"),
        (AS2, lambda doc: b"", "did not return valid JSON"),
        ("text/html", lambda doc: b"<html>hello</html>", "is not ActivityPub JSON"),
        (AS2, lambda doc: b'["a", "list"]', "did not return a JSON object"),
        (AS2, lambda doc: b"42", "did not return a JSON object"),
        (AS2, lambda doc: {**doc, "type": "Note"}, "the key has no owner"),
        (AS2, lambda doc: {**doc, "@context": "x"}, "ActivityStreams context"),
        (AS2, without_key, "the actor has no publicKey"),
        (AS2, lambda doc: {**doc, "publicKey": "pem"}, "the actor has no publicKey"),
        (AS2, lambda doc: {**doc, "publicKey": [1, 2]}, "the actor has no publicKey"),
        (AS2, lambda doc: with_key(doc, publicKeyPem=None), "has no publicKeyPem"),
        (AS2, lambda doc: with_key(doc, publicKeyPem=7), "has no publicKeyPem"),
        (AS2, lambda doc: with_key(doc, publicKeyPem="junk"), "not a public key"),
        (AS2, lambda doc: with_key(doc, owner="https://x.example/u"), "not owned"),
        (AS2, lambda doc: {**doc, "preferredUsername": 5}, "no preferredUsername"),
        (AS2, lambda doc: {**doc, "inbox": ["a"]}, "the actor has no inbox"),
        (AS2, lambda doc: {**doc, "id": "https://elsewhere.example/u"}, "not on"),
    ],
    ids=[
        "not-json",
        "not-utf8",
        "empty",
        "html",
        "list",
        "number",
        "not-an-actor",
        "no-context",
        "no-key",
        "key-is-text",
        "key-is-a-list",
        "pem-null",
        "pem-number",
        "pem-junk",
        "key-of-another",
        "username-number",
        "inbox-list",
        "id-elsewhere",
    ],
)
def test_an_unusable_actor_document_is_a_clear_401_and_nothing_is_stored(
    client, httpserver, content_type, body, reason
):
    """The key fetch got an answer, but not an actor with a key: the sender
    is told why (401, not retried as a 503), and nothing is kept."""
    private_pem, public_pem = signatures.generate_key_pair()
    base = httpserver.url_for("").rstrip("/")
    document = body(dave_document(base, public_pem))
    payload = document if isinstance(document, bytes) else json.dumps(document)
    httpserver.expect_request("/users/dave").respond_with_data(
        payload, content_type=content_type
    )

    server = type("Peer", (), {"url": lambda self, path="/": base + path})()
    response = post_inbox(client, *signed_like(server, private_pem))

    assert response.status_code == 401, response.content
    assert response["Content-Type"] == "application/json"
    error = response.json()["error"]
    assert error.startswith("the signer's key is not usable: ")
    assert reason in error
    assert not InboundActivity.objects.exists()
    assert not RemoteActor.objects.exists()
