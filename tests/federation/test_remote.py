"""Remote actors and servers, against a Mastodon-like peer on loopback.

The peer (tests/federation/peer.py) signs and verifies with the independent
`httpsig` library and fetches keys over real HTTP, so these tests hold our
signing, fetching and caching to what another server actually checks. Where
it must reach us, our side runs in Django's live server.
"""

import json
from urllib.parse import urlsplit

import pytest
import requests
from werkzeug import Response as WerkzeugResponse

from federation.models import RemoteActor, RemoteInstance
from federation.protocol import client, keys, remote, signatures
from federation.tasks import fetch_instance_info
from tests.federation.peer import (
    MASTODON_ACCEPT,
    MastodonPeer,
    mastodon_actor_document,
    new_key_pair,
)

AS_CONTEXT = "https://www.w3.org/ns/activitystreams"
AS2 = "application/activity+json"


def counts() -> tuple[int, int]:
    return RemoteActor.objects.count(), RemoteInstance.objects.count()


# The peer reads and verifies us ------------------------------------------------


def test_mastodon_finds_our_creator_and_accepts_the_actor_document(
    hub, alice, mastodon_peer
):
    host = urlsplit(hub.url).netloc
    jrd = mastodon_peer.webfinger(f"alice@{host}")
    assert jrd["subject"] == f"acct:alice@{host}"
    [self_link] = [link for link in jrd["links"] if link["rel"] == "self"]
    assert self_link["type"] == AS2

    document = mastodon_peer.fetch_actor(self_link["href"])  # id == URL fetched

    assert document["id"] == self_link["href"] == f"{hub.url}/users/alice"
    assert AS_CONTEXT in document["@context"]
    assert document["type"] == "Person"
    assert document["preferredUsername"] == "alice"
    assert document["inbox"] == f"{hub.url}/users/alice/inbox"
    assert document["endpoints"]["sharedInbox"] == f"{hub.url}/inbox"
    key = document["publicKey"]
    assert key["owner"] == document["id"]
    assert key["id"] == keys.signer_for_creator(alice).key_id
    assert key["publicKeyPem"].startswith("-----BEGIN PUBLIC KEY-----")


def test_our_signed_post_verifies_at_mastodon_and_a_tampered_one_does_not(
    hub, alice, mastodon_peer
):
    signer = keys.signer_for_creator(alice)
    body = json.dumps(
        {"@context": AS_CONTEXT, "type": "Like", "actor": f"{hub.url}/users/alice"}
    ).encode()

    response = client.post(mastodon_peer.inbox_url, body=body, signer=signer)

    assert response.status == 202
    [delivery] = mastodon_peer.inbox_posts()
    assert delivery.verified, delivery.error
    assert delivery.key_id == f"{hub.url}/users/alice#main-key"
    assert delivery.body == body
    assert delivery.headers["Content-Type"] == AS2

    # Same signed headers, other bytes: the Digest no longer matches ...
    headers = signatures.sign_request(
        method="POST",
        url=mastodon_peer.shared_inbox_url,
        key_id=signer.key_id,
        private_key=signer.private_key,
        body=body,
        headers={"Content-Type": AS2},
    )
    tampered = body.replace(b"Like", b"Block")
    answer = requests.post(
        mastodon_peer.shared_inbox_url, data=tampered, headers=headers, timeout=5
    )
    assert answer.status_code == 401
    assert "Digest" in answer.json()["error"]
    # ... and with a Digest recomputed for them, the signature no longer does.
    headers["Digest"] = signatures.digest_of(tampered)
    answer = requests.post(
        mastodon_peer.shared_inbox_url, data=tampered, headers=headers, timeout=5
    )
    assert answer.status_code == 401
    assert [r.verified for r in mastodon_peer.inbox_posts()] == [True, False, False]


# We read and cache the peer ----------------------------------------------------


def test_we_resolve_a_mastodon_handle_with_a_signed_fetch_in_secure_mode(
    hub, mastodon_peer
):
    peer = mastodon_peer
    peer.secure_mode = True
    assert requests.get(peer.actor_id, timeout=5).status_code == 401  # no signature

    actor = remote.resolve_handle(peer.handle)

    assert actor.ap_id == peer.actor_id
    assert actor.username == "bob"
    assert actor.display_name == "Bob Peer"
    assert actor.inbox_url == peer.inbox_url
    assert actor.shared_inbox_url == peer.shared_inbox_url
    assert actor.public_key_id == peer.key_id
    assert actor.public_key_pem == peer.public_pem
    assert actor.profile_url == f"{peer.base_url}/@bob"
    assert actor.avatar_url == f"{peer.base_url}/system/accounts/avatars/bob.png"
    assert actor.followers_url == f"{peer.actor_id}/followers"
    assert actor.instance.domain == peer.host
    unsigned, fetch = [r for r in peer.received if r.path == "/users/bob"]
    assert (unsigned.verified, unsigned.error) == (False, "request not signed")
    assert fetch.verified, fetch.error
    assert fetch.key_id == f"{hub.url}/actor#main-key"
    assert "application/activity+json" in fetch.headers["Accept"]
    # Cached: resolving again does not fetch the actor again.
    assert remote.fetch_actor(peer.actor_id).pk == actor.pk
    assert len([r for r in peer.received if r.path == "/users/bob"]) == 2


def test_nodeinfo_tells_us_the_peer_runs_mastodon(db, loopback, mastodon_peer):
    instance = remote.refresh_instance_info(mastodon_peer.host)

    assert instance.software == RemoteInstance.Software.MASTODON
    assert instance.software_name == "mastodon"
    assert instance.software_version == "4.3.0"
    assert instance.nodeinfo_fetched_at is not None


def test_a_threads_server_is_told_apart(db, loopback):
    with MastodonPeer(software=("threads", "1.0")) as threads:
        instance = remote.refresh_instance_info(threads.host)
    assert instance.software == RemoteInstance.Software.THREADS
    assert instance.software_name == "threads"


def test_the_peers_own_signature_verifies_and_a_rotated_key_is_picked_up(
    db, loopback, mastodon_peer
):
    peer = mastodon_peer
    inbox = "https://hub.test/users/alice/inbox"
    body = json.dumps({"type": "Follow", "actor": peer.actor_id}).encode()

    def verify(headers, actor):
        return signatures.verify_request(
            method="POST",
            path="/users/alice/inbox",
            query="",
            headers=headers,
            body=body,
            public_key=signatures.load_public_key(actor.public_key_pem),
        )

    headers = peer.sign("POST", inbox, body=body)
    actor = remote.actor_for_key(peer.key_id)
    assert verify(headers, actor).key_id == peer.key_id

    peer.rotate_key()
    headers = peer.sign("POST", inbox, body=body)
    stale = remote.actor_for_key(peer.key_id)  # still the cached key
    with pytest.raises(signatures.SignatureError, match="does not match"):
        verify(headers, stale)
    fresh = remote.actor_for_key(peer.key_id, refresh=True)
    assert fresh.pk == actor.pk
    assert fresh.public_key_pem == peer.public_pem
    assert verify(headers, fresh).key_id == peer.key_id
    assert counts() == (1, 1)


# Hostile documents: refused, and nothing stored -------------------------------


@pytest.fixture
def hostile(db, loopback, httpserver):
    """A one-off server whose /users/bob is whatever the test makes it."""
    return httpserver


def bob_document(httpserver) -> dict:
    base = httpserver.url_for("").rstrip("/")
    return mastodon_actor_document(base, "bob", new_key_pair()[1])


def serve(httpserver, document, *, content_type=AS2, path="/users/bob"):
    body = document if isinstance(document, bytes) else json.dumps(document)
    httpserver.expect_request(path).respond_with_data(body, content_type=content_type)
    return httpserver.url_for(path)


def break_owner(doc):
    doc["publicKey"]["owner"] = "https://elsewhere.example/users/bob"


def steal_key_id(doc, key_id="https://victim.example/users/alice#main-key"):
    doc["publicKey"]["id"] = key_id


def move_id(doc):
    doc["id"] = "https://elsewhere.example/users/bob"
    doc["publicKey"]["owner"] = doc["id"]


@pytest.mark.parametrize(
    ("spoil", "reason"),
    [
        pytest.param(move_id, "not on the host", id="id-on-another-host"),
        pytest.param(break_owner, "not owned", id="key-owner-not-actor"),
        pytest.param(lambda d: d.pop("preferredUsername"), "preferredUsername",
                     id="no-preferredUsername"),
        pytest.param(lambda d: d.pop("inbox"), "no inbox", id="no-inbox"),
        pytest.param(lambda d: d.update({"@context": ["https://w3id.org/security/v1"]}),
                     "ActivityStreams context", id="context-without-as"),
        pytest.param(lambda d: d.update({"type": "Note"}), "not an actor type",
                     id="not-an-actor"),
        # These four crashed with AttributeError/TypeError before they were
        # refused, or (the key on another host) were stored.
        pytest.param(lambda d: d.update({"id": 123}), "not on the host",
                     id="id-not-a-string"),
        pytest.param(lambda d: d.update({"type": ["Person"]}), "not an actor type",
                     id="type-a-list"),
        pytest.param(lambda d: d["endpoints"].update(sharedInbox={"id": "x"}), None,
                     id="shared-inbox-not-a-string"),
        pytest.param(steal_key_id, "not on the actor's host", id="key-id-elsewhere"),
    ],
)  # fmt: skip
def test_a_bad_actor_document_is_refused(hostile, spoil, reason):
    document = bob_document(hostile)
    spoil(document)
    if reason is None:  # tolerated: the odd field is dropped, not trusted
        assert remote.fetch_actor(serve(hostile, document)).shared_inbox_url == ""
        return
    with pytest.raises(remote.ResolveError, match=reason):
        remote.fetch_actor(serve(hostile, document))
    assert counts() == (0, 0)


def test_an_actor_cannot_claim_another_servers_key(hostile, mastodon_peer):
    """Keys are looked up by id: a planted copy must not shadow the real one."""
    document = bob_document(hostile)
    steal_key_id(document, key_id=mastodon_peer.key_id)
    with pytest.raises(remote.ResolveError):
        remote.fetch_actor(serve(hostile, document))
    assert remote.actor_for_key(mastodon_peer.key_id).ap_id == mastodon_peer.actor_id


@pytest.mark.parametrize(
    ("body", "content_type", "reason"),
    [
        pytest.param(b"<html>bob</html>", AS2, "valid JSON", id="not-json"),
        pytest.param(b"[]", AS2, "JSON object", id="json-array"),
        pytest.param(None, "text/html", "not ActivityPub", id="text-html"),
        pytest.param(None, "application/json", "not ActivityPub", id="plain-json"),
    ],
)
def test_a_response_that_is_not_an_actor_object_is_refused(
    hostile, body, content_type, reason
):
    payload = body if body is not None else json.dumps(bob_document(hostile)).encode()
    url = serve(hostile, payload, content_type=content_type)
    with pytest.raises(remote.ResolveError, match=reason):
        remote.fetch_actor(url)
    assert counts() == (0, 0)


def test_ld_json_with_the_activitystreams_profile_is_accepted(hostile):
    content_type = f'application/ld+json; profile="{AS_CONTEXT}"'
    url = serve(hostile, bob_document(hostile), content_type=content_type)
    assert remote.fetch_actor(url).username == "bob"


@pytest.mark.parametrize("announced", [True, False], ids=["announced", "streamed"])
def test_a_two_megabyte_actor_is_refused(hostile, announced):
    document = bob_document(hostile)
    document["summary"] = "x" * (2 * 1024 * 1024)
    body = json.dumps(document).encode()
    if announced:
        url = serve(hostile, body)
    else:  # no Content-Length: the cap must stop the read itself
        chunks = (body[i : i + 65536] for i in range(0, len(body), 65536))
        hostile.expect_request("/users/bob").respond_with_handler(
            lambda _request: WerkzeugResponse(chunks, content_type=AS2)
        )
        url = hostile.url_for("/users/bob")
    with pytest.raises(client.ResponseTooLarge):
        remote.fetch_actor(url)
    assert counts() == (0, 0)


def test_a_redirect_loop_is_given_up(hostile):
    hostile.expect_request("/users/bob").respond_with_data(
        "", status=302, headers={"Location": "/users/bob2"}
    )
    hostile.expect_request("/users/bob2").respond_with_data(
        "", status=302, headers={"Location": "/users/bob"}
    )
    with pytest.raises(client.TooManyRedirects):
        remote.fetch_actor(hostile.url_for("/users/bob"))
    assert len(hostile.log) == client.MAX_REDIRECTS + 1
    assert counts() == (0, 0)


def test_a_nodeinfo_redirect_loop_does_not_fail_the_task(hostile):
    hostile.expect_request("/.well-known/nodeinfo").respond_with_data(
        "", status=302, headers={"Location": "/.well-known/nodeinfo"}
    )
    fetch_instance_info(f"localhost:{hostile.port}")  # logged, not raised
    assert RemoteInstance.objects.get().software == RemoteInstance.Software.OTHER


def test_a_webfinger_link_to_a_private_address_is_not_followed(hostile, loopback):
    """The WebFinger host stands in for a public server; its self link points
    at 127.0.0.1, which must not be fetched once private addresses are off."""
    domain = f"localhost:{hostile.port}"
    private_actor = f"http://127.0.0.1:{hostile.port}/users/bob"

    def webfinger(_request):
        loopback.FEDERATION_ALLOW_PRIVATE_ADDRESSES = False  # as in production
        jrd = {
            "subject": f"acct:bob@{domain}",
            "links": [{"rel": "self", "type": AS2, "href": private_actor}],
        }
        return WerkzeugResponse(json.dumps(jrd), content_type="application/jrd+json")

    hostile.expect_request("/.well-known/webfinger").respond_with_handler(webfinger)
    serve(hostile, bob_document(hostile))
    with pytest.raises(client.UnsafeURL, match="loopback"):
        remote.resolve_handle(f"@bob@{domain}")
    assert [request.path for request, _ in hostile.log] == ["/.well-known/webfinger"]
    assert counts() == (0, 0)


def test_a_410_marks_a_cached_actor_gone(hostile):
    url = serve(hostile, bob_document(hostile))
    actor = remote.fetch_actor(url)
    assert actor.gone_at is None
    hostile.clear()
    hostile.expect_request("/users/bob").respond_with_data("", status=410)

    with pytest.raises(remote.ActorGone):
        remote.fetch_actor(url, refresh=True)

    actor.refresh_from_db()
    assert actor.gone_at is not None
    # Its key is no longer trusted from the cache: asking for it refetches.
    with pytest.raises(remote.ActorGone):
        remote.actor_for_key(actor.public_key_id)


def test_our_fetches_ask_for_activity_json_as_mastodon_does(hostile):
    url = serve(hostile, bob_document(hostile))
    remote.fetch_actor(url)
    request, _ = hostile.log[0]
    assert set(MASTODON_ACCEPT.split(", ")) <= {
        part.split(";")[0].strip() for part in request.headers["Accept"].split(",")
    }
    assert "Signature" in request.headers
