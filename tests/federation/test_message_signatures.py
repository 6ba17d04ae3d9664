"""RFC 9421 HTTP Message Signatures, beside draft-cavage.

What a peer notices: the RFC's own Appendix B signatures verify with our
code; a peer signing with RFC 9421 (our signer, or the independent
`http-message-signatures` package) gets 202 on its first knock and its
activity is stored; a bad RFC 9421 signature gets 401 and nothing stored (so
a double-knocking peer falls back); what we sign with RFC 9421 verifies
with `http-message-signatures`; deliveries go out with RFC 9421 only to a
server known to take it, and a server refusing it gets draft-cavage on the
retry and from then on.
"""

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from http_message_signatures import (
    HTTPMessageSigner,
    HTTPMessageVerifier,
    HTTPSignatureKeyResolver,
    algorithms,
)

from federation.models import Delivery, InboundActivity, RemoteActor, RemoteInstance
from federation.outbound import breaker, delivery, services
from federation.protocol import activitypub, client, ids, keys, signatures
from federation.protocol import message_signatures as ms
from federation.protocol.signatures import SignatureError, SignatureMismatch
from tests.federation.delivery_sink import DeliverySink, Reply, create_payload, follower
from tests.federation.inbox_support import (
    AS2,
    HUB_HOST,
    Remote,
    meta,
    reset_request_caches,
)

VECTORS = json.loads(
    (
        Path(__file__).resolve().parents[1] / "fixtures" / "rfc9421" / "appendix_b.json"
    ).read_text()
)
REQUEST = VECTORS["test_request"]
RFC_CREATED = 1618884473


@pytest.fixture(autouse=True)
def _fresh_caches(db):
    reset_request_caches()
    yield
    reset_request_caches()
    breaker.reset(RemoteInstance.objects.values_list("domain", flat=True))


def _vector(name: str) -> ms.ParsedMessageSignature:
    vector = VECTORS["signatures"][name]
    return ms.parse_headers(vector["signature_input"], vector["signature"])


def _base(parsed) -> bytes:
    return ms.signature_base(
        parsed.components,
        parsed.params,
        method=REQUEST["method"],
        target_uri=REQUEST["target_uri"],
        headers=REQUEST["headers"],
    )


# RFC 9421 Appendix B -------------------------------------------------------------


@pytest.mark.parametrize("name", ["B.2.1", "B.2.2", "B.2.3", "B.2.6"])
def test_the_rfcs_signature_bases_are_rebuilt_byte_for_byte(name):
    assert _base(_vector(name)).decode() == VECTORS["signatures"][name]["base"]


@pytest.mark.parametrize("name", ["B.2.1", "B.2.2", "B.2.3", "B.2.6"])
def test_the_rfcs_signatures_verify_with_the_rfcs_test_keys(name):
    """rsa-pss-sha512 (B.2.1 to B.2.3) and ed25519 (B.2.6), with no `alg`
    given: the algorithm follows from the key."""
    parsed = _vector(name)
    key = ms.load_public_key(VECTORS["keys"][VECTORS["signatures"][name]["key"]])
    ms.verify_base(parsed, key, _base(parsed))


def test_b23_passes_every_check_a_request_gets():
    """B.2.3 covers @method, @path, @authority and content-digest (SHA-512):
    the whole check, freshness and Content-Digest included, accepts it."""
    parsed = ms.verify_request(
        method="POST",
        target_uris=[REQUEST["target_uri"]],
        headers=REQUEST["headers"],
        body=REQUEST["body"].encode(),
        public_key=ms.load_public_key(VECTORS["keys"]["test-key-rsa-pss-public"]),
        parsed=_vector("B.2.3"),
        now=RFC_CREATED + 30,
    )
    assert parsed.key_id == "test-key-rsa-pss"


def test_b26_is_reproduced_with_the_rfcs_ed25519_key():
    private = serialization.load_pem_private_key(
        VECTORS["keys"]["test-key-ed25519-private"].encode(), password=None
    )
    parsed = _vector("B.2.6")
    assert private.sign(_base(parsed)) == parsed.signature


def test_a_vector_with_one_byte_changed_does_not_verify():
    parsed = _vector("B.2.6")
    key = ms.load_public_key(VECTORS["keys"]["test-key-ed25519-public"])
    with pytest.raises(SignatureMismatch):
        ms.verify_base(parsed, key, _base(parsed).replace(b"/foo", b"/fop"))


def test_b26_is_refused_on_an_inbox_it_does_not_cover_the_body_of():
    """B.2.6 signs a POST without its content-digest: valid, but a body
    could be swapped under it."""
    with pytest.raises(SignatureError, match="content-digest"):
        ms.verify_request(
            method="POST",
            target_uris=[REQUEST["target_uri"]],
            headers=REQUEST["headers"],
            body=REQUEST["body"].encode(),
            public_key=ms.load_public_key(VECTORS["keys"]["test-key-ed25519-public"]),
            parsed=_vector("B.2.6"),
            now=RFC_CREATED + 30,
        )


# Through the inbox -----------------------------------------------------------------


INBOX_URL = f"https://{HUB_HOST}/inbox"


def _like(remote: Remote, number: int = 1) -> dict:
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{remote.actor_id}#likes/{number}",
        "type": "Like",
        "actor": remote.actor_id,
        "object": f"https://{HUB_HOST}/users/alice/statuses/1",
    }


def _our_rfc9421(remote: Remote, body: bytes, *, private_key=None, created=None):
    private_key = private_key or serialization.load_pem_private_key(
        remote.private_pem.encode(), password=None
    )
    return ms.sign_request(
        method="POST",
        url=INBOX_URL,
        key_id=remote.key_id,
        private_key=private_key,
        body=body,
        headers={"Host": HUB_HOST, "Content-Type": AS2},
        created=created,
    )


def _post(client, body: bytes, headers: dict):
    return client.generic("POST", "/inbox", body, **meta(headers))


class _Keys(HTTPSignatureKeyResolver):
    def __init__(self, private=None, public=None):
        self.private, self.public = private, public

    def resolve_private_key(self, key_id):
        return self.private

    def resolve_public_key(self, key_id):
        return self.public


def _their_rfc9421(remote: Remote, body: bytes, *, url=INBOX_URL, **options):
    """Signed by http-message-signatures, as Fedify or Mastodon would."""
    message = requests.Request(
        "POST", url, data=body, headers={"Host": HUB_HOST, "Content-Type": AS2}
    ).prepare()
    HTTPMessageSigner(
        signature_algorithm=algorithms.RSA_V1_5_SHA256,
        key_resolver=_Keys(private=remote.private_pem.encode()),
    ).sign(
        message,
        key_id=remote.key_id,
        label="sig1",
        covered_component_ids=options.pop(
            "covered", ("@method", "@target-uri", "@authority")
        ),
        body=options.pop("signed_body", body),
        **options,
    )
    return dict(message.headers)


def test_a_peer_signing_with_rfc9421_gets_202_at_the_first_knock(client):
    bob = Remote("https://fedify.example/users/bob")
    body = json.dumps(_like(bob)).encode()

    response = _post(client, body, _our_rfc9421(bob, body))

    assert response.status_code == 202, response.content
    stored = InboundActivity.objects.get(ap_id=f"{bob.actor_id}#likes/1")
    assert (stored.key_id, stored.verified) == (bob.key_id, True)


def test_an_independent_rfc9421_signer_is_accepted_and_stored(client):
    bob = Remote("https://fedify.example/users/bob")
    body = json.dumps(_like(bob)).encode()

    response = _post(client, body, _their_rfc9421(bob, body))

    assert response.status_code == 202, response.content
    assert InboundActivity.objects.filter(ap_id=f"{bob.actor_id}#likes/1").exists()


def test_rsa_pss_from_an_independent_signer_is_accepted(client):
    bob = Remote("https://fedify.example/users/bob")
    body = json.dumps(_like(bob)).encode()
    message = requests.Request(
        "POST", INBOX_URL, data=body, headers={"Host": HUB_HOST, "Content-Type": AS2}
    ).prepare()
    HTTPMessageSigner(
        signature_algorithm=algorithms.RSA_PSS_SHA512,
        key_resolver=_Keys(private=bob.private_pem.encode()),
    ).sign(message, key_id=bob.key_id, body=body)

    response = _post(client, body, dict(message.headers))

    assert response.status_code == 202, response.content


def test_an_actor_with_an_ed25519_key_signs_with_ed25519(client):
    bob = Remote("https://fedify.example/users/bob")
    private = ed25519.Ed25519PrivateKey.generate()
    RemoteActor.objects.filter(pk=bob.actor.pk).update(
        public_key_pem=private.public_key()
        .public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        .decode()
    )
    body = json.dumps(_like(bob)).encode()
    headers = _our_rfc9421(bob, body, private_key=private)
    assert 'alg="ed25519"' in headers["Signature-Input"]

    response = _post(client, body, headers)

    assert response.status_code == 202, response.content


def test_a_peer_signing_with_rfc9421_is_sent_rfc9421_from_then_on(client):
    bob = Remote("https://fedify.example/users/bob")
    body = json.dumps(_like(bob)).encode()

    _post(client, body, _their_rfc9421(bob, body))

    instance = RemoteInstance.objects.get(domain="fedify.example")
    assert instance.signature_standard == RemoteInstance.SignatureStandard.RFC9421
    assert instance.signature_standard_learned_at is not None


def test_draft_cavage_is_still_accepted_and_teaches_nothing(client):
    bob = Remote("https://mastodon.example/users/bob")

    response = bob.post(client, _like(bob))

    assert response.status_code == 202
    instance = RemoteInstance.objects.get(domain="mastodon.example")
    assert instance.signature_standard == RemoteInstance.SignatureStandard.UNKNOWN


def _refused(response, ap_id: str, reason: str) -> None:
    assert response.status_code == 401, response.content
    assert reason in response.json()["error"]
    assert not InboundActivity.objects.filter(ap_id=ap_id).exists()


def test_a_body_changed_under_its_content_digest_gets_401(client):
    bob = Remote("https://fedify.example/users/bob")
    signed_for = json.dumps(_like(bob)).encode()
    headers = _their_rfc9421(bob, signed_for)
    swapped = json.dumps({**_like(bob), "type": "Announce"}).encode()

    _refused(_post(client, swapped, headers), f"{bob.actor_id}#likes/1", "Digest")


def test_an_expired_signature_gets_401(client):
    bob = Remote("https://fedify.example/users/bob")
    body = json.dumps(_like(bob)).encode()
    two_hours_ago = datetime.now(UTC) - timedelta(hours=2)
    headers = _their_rfc9421(bob, body, created=two_hours_ago)

    _refused(_post(client, body, headers), f"{bob.actor_id}#likes/1", "expired")


def test_an_expires_in_the_past_gets_401(client):
    bob = Remote("https://fedify.example/users/bob")
    body = json.dumps(_like(bob)).encode()
    now = datetime.now(UTC)
    headers = _their_rfc9421(
        bob,
        body,
        created=now - timedelta(minutes=70),
        expires=now - timedelta(hours=1, seconds=5),
    )

    _refused(_post(client, body, headers), f"{bob.actor_id}#likes/1", "expired")


def test_a_signature_made_with_another_key_gets_401(client):
    bob = Remote("https://fedify.example/users/bob")
    mallory = Remote("https://evil.example/users/mallory")
    body = json.dumps(_like(bob)).encode()
    headers = _our_rfc9421(
        bob,
        body,
        private_key=serialization.load_pem_private_key(
            mallory.private_pem.encode(), password=None
        ),
    )

    _refused(_post(client, body, headers), f"{bob.actor_id}#likes/1", "does not match")


def test_a_post_whose_signature_does_not_cover_content_digest_gets_401(client):
    bob = Remote("https://fedify.example/users/bob")
    body = json.dumps(_like(bob)).encode()
    message = requests.Request(
        "POST", INBOX_URL, data=body, headers={"Host": HUB_HOST, "Content-Type": AS2}
    ).prepare()
    HTTPMessageSigner(
        signature_algorithm=algorithms.RSA_V1_5_SHA256,
        key_resolver=_Keys(private=bob.private_pem.encode()),
    ).sign(
        message,
        key_id=bob.key_id,
        covered_component_ids=("@method", "@target-uri", "content-type"),
    )

    _refused(
        _post(client, body, dict(message.headers)),
        f"{bob.actor_id}#likes/1",
        "content-digest",
    )


def test_a_signature_for_another_url_gets_401(client):
    bob = Remote("https://fedify.example/users/bob")
    body = json.dumps(_like(bob)).encode()
    headers = _their_rfc9421(bob, body, url=f"https://{HUB_HOST}/users/alice/inbox")

    _refused(_post(client, body, headers), f"{bob.actor_id}#likes/1", "does not match")


# We sign ---------------------------------------------------------------------


def test_what_we_sign_verifies_with_http_message_signatures():
    private_pem, public_pem = signatures.generate_key_pair()
    private = serialization.load_pem_private_key(private_pem.encode(), password=None)
    body = b'{"type": "Like"}'
    url = "https://fedify.example/inbox?x=1"
    headers = ms.sign_request(
        method="POST",
        url=url,
        key_id="https://hub.test/users/alice#main-key",
        private_key=private,
        body=body,
        headers={"Content-Type": AS2},
    )
    message = requests.Request("POST", url, headers=headers, data=body).prepare()

    results = HTTPMessageVerifier(
        signature_algorithm=algorithms.RSA_V1_5_SHA256,
        key_resolver=_Keys(public=public_pem.encode()),
    ).verify(
        message,
        require_components=("@method", "@target-uri", "content-digest"),
        body=body,
    )

    assert results[0].parameters["keyid"] == "https://hub.test/users/alice#main-key"
    assert results[0].parameters["alg"] == "rsa-v1_5-sha256"


# Deliveries --------------------------------------------------------------------


@pytest.fixture
def alice_key(alice):
    return keys.key_for_creator(alice)


def _queue(creator, number: int):
    return services.queue_activity(
        creator=creator,
        payload=create_payload(creator, number),
        inboxes=services.follower_inboxes(creator),
        is_public=True,
    )


def test_a_server_known_to_take_rfc9421_is_sent_rfc9421(alice, alice_key, loopback):
    with DeliverySink(keys={ids.key_id("alice"): alice_key.public_key_pem}) as sink:
        follower(alice, host=sink.host, username="bob")
        RemoteInstance.objects.filter(domain=sink.host).update(
            signature_standard=RemoteInstance.SignatureStandard.RFC9421
        )
        activity = _queue(alice, 1)

        delivery.deliver_due(activity_id=activity.pk)

        (arrival,) = sink.posts()
    assert arrival.verified, arrival.error
    assert arrival.standard == "rfc9421"
    assert "Content-Digest" in arrival.headers
    sent = Delivery.objects.get(activity=activity)
    assert (sent.state, sent.attempts) == (Delivery.State.DELIVERED, 1)


def test_an_unknown_server_is_sent_draft_cavage(alice, alice_key, loopback):
    with DeliverySink(keys={ids.key_id("alice"): alice_key.public_key_pem}) as sink:
        follower(alice, host=sink.host, username="bob")
        activity = _queue(alice, 1)

        delivery.deliver_due(activity_id=activity.pk)

        (arrival,) = sink.posts()
    assert arrival.verified, arrival.error
    assert arrival.standard == "cavage"


def test_a_server_refusing_rfc9421_gets_cavage_on_the_retry_and_from_then_on(
    alice, alice_key, loopback
):
    """It was thought to take RFC 9421 (it signed so once) but answers 401:
    the same POST goes again at once with draft-cavage, one attempt on the
    row; the server is remembered, and the next post goes straight to
    draft-cavage."""
    public = {ids.key_id("alice"): alice_key.public_key_pem}
    with DeliverySink(keys=public, rfc9421=False) as sink:
        follower(alice, host=sink.host, username="bob")
        RemoteInstance.objects.filter(domain=sink.host).update(
            signature_standard=RemoteInstance.SignatureStandard.RFC9421
        )
        first = _queue(alice, 1)

        delivery.deliver_due(activity_id=first.pk)

        assert [(a.standard, a.verified) for a in sink.posts()] == [
            ("rfc9421", False),
            ("cavage", True),
        ]
        sent = Delivery.objects.get(activity=first)
        assert (sent.state, sent.attempts, sent.last_status_code) == (
            Delivery.State.DELIVERED,
            1,
            202,
        )
        instance = RemoteInstance.objects.get(domain=sink.host)
        assert instance.signature_standard == RemoteInstance.SignatureStandard.CAVAGE
        assert instance.signature_standard_learned_at is not None

        second = _queue(alice, 2)
        delivery.deliver_due(activity_id=second.pk)

        arrivals = sink.posts()
    assert len(arrivals) == 3
    assert (arrivals[2].standard, arrivals[2].verified) == ("cavage", True)


def test_a_refusal_of_both_signatures_is_one_failed_attempt(alice, alice_key, loopback):
    """A 401 to draft-cavage too says nothing about RFC 9421: the row is
    retried later as any 401 is, and the server is not relearned."""
    public = {ids.key_id("alice"): alice_key.public_key_pem}
    with DeliverySink(keys=public) as sink:
        follower(alice, host=sink.host, username="bob")
        RemoteInstance.objects.filter(domain=sink.host).update(
            signature_standard=RemoteInstance.SignatureStandard.RFC9421
        )
        sink.script("/users/bob/inbox", Reply(401), Reply(401))
        activity = _queue(alice, 1)

        delivery.deliver_due(activity_id=activity.pk)

        assert [a.standard for a in sink.posts()] == ["rfc9421", "cavage"]
    sent = Delivery.objects.get(activity=activity)
    assert (sent.state, sent.attempts, sent.last_status_code) == (
        Delivery.State.FAILED,
        1,
        401,
    )
    instance = RemoteInstance.objects.get(domain=sink.host)
    assert instance.signature_standard == RemoteInstance.SignatureStandard.RFC9421


def test_the_client_signs_rfc9421_on_request():
    signer = client.Signer(
        key_id="https://hub.test/users/alice#main-key",
        private_key=signatures.load_private_key(signatures.generate_key_pair()[0]),
    )
    headers = client.sign(
        "POST", "https://a.example/inbox", signer, body=b"{}", headers={},
        standard=client.RFC9421,
    )  # fmt: skip
    assert headers["Signature-Input"].startswith(
        'sig1=("@method" "@target-uri" "@authority" "content-digest");created='
    )
    assert "Date" in headers


# FEP-2c59 ---------------------------------------------------------------------


def test_the_actor_names_its_webfinger_address(alice):
    document = activitypub.actor_document(alice, public_key_pem="PEM")
    assert document["webfinger"] == "acct:alice@hub.test"
    terms = document["@context"][-1]
    assert terms["webfinger"]["@id"] == "wf:webfinger"
    assert terms["wf"] == "https://purl.archive.org/socialweb/webfinger#"


# A first knock over real HTTP, the key fetched -------------------------------------


def test_an_unknown_peers_first_rfc9421_knock_fetches_its_key_and_gets_202(
    live_inbox, mastodon_peer
):
    """Through the live server: the keyid is fetched from the peer as a
    draft-cavage keyId would be, and @target-uri is the URL the peer used."""
    like = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{mastodon_peer.actor_id}#likes/1",
        "type": "Like",
        "actor": mastodon_peer.actor_id,
        "object": f"{live_inbox.url}/users/alice/statuses/1",
    }
    body = json.dumps(like).encode()
    url = f"{live_inbox.url}/inbox"
    message = requests.Request(
        "POST", url, data=body, headers={"Content-Type": AS2}
    ).prepare()
    HTTPMessageSigner(
        signature_algorithm=algorithms.RSA_V1_5_SHA256,
        key_resolver=_Keys(private=mastodon_peer.private_pem.encode()),
    ).sign(
        message,
        key_id=mastodon_peer.key_id,
        covered_component_ids=("@method", "@target-uri"),
        body=body,
    )

    response = requests.post(url, data=body, headers=message.headers, timeout=10)

    assert response.status_code == 202, response.text
    assert InboundActivity.objects.get().key_id == mastodon_peer.key_id
    assert any(r.method == "GET" for r in mastodon_peer.received)
    instance = RemoteActor.objects.get(ap_id=mastodon_peer.actor_id).instance
    assert instance.signature_standard == RemoteInstance.SignatureStandard.RFC9421


def test_a_keyid_whose_server_does_not_answer_gets_503(client, loopback):
    """The same answer as draft-cavage: the sender retries later."""
    from tests.federation.delivery_sink import closed_port

    key_id = f"http://127.0.0.1:{closed_port()}/users/bob#main-key"
    actor = key_id.split("#")[0]
    body = json.dumps(
        {"id": f"{actor}#likes/1", "type": "Like", "actor": actor, "object": "x"}
    ).encode()
    private = serialization.load_pem_private_key(
        signatures.generate_key_pair()[0].encode(), password=None
    )
    headers = ms.sign_request(
        method="POST",
        url=INBOX_URL,
        key_id=key_id,
        private_key=private,
        body=body,
        headers={"Host": HUB_HOST, "Content-Type": AS2},
    )

    response = _post(client, body, headers)

    assert response.status_code == 503, response.content
    assert response["Retry-After"] == "10"
    assert not InboundActivity.objects.exists()


@pytest.mark.parametrize(
    ("signature_input", "signature"),
    [
        ("sig1=", "sig1=:AAAA:"),  # not a dictionary
        ('sig1=("@method");created=1', "sig1=:AAAA:"),  # no keyid
        ('sig1=("@method");keyid="k"', 'sig1=("x")'),  # an inner list, no bytes
        ('sig1=(@method);keyid="k"', "sig1=:AAAA:"),  # a token, not a string
        ('sig1=("@METHOD");keyid="k"', "sig1=:AAAA:"),  # upper case
        ('sig1=("@method");keyid=1', "sig1=:AAAA:"),  # keyid not a string
        ('sig1=("@method");keyid="k";created="x"', "sig1=:AAAA:"),
        ('sig1=("@method");keyid="k";alg="hmac-sha256"', "sig1=:AAAA:"),
        ('sig2=("@method");keyid="k"', "sig1=:AAAA:"),  # labels differ
    ],
)
def test_a_malformed_rfc9421_signature_gets_401(client, signature_input, signature):
    bob = Remote("https://fedify.example/users/bob")
    body = json.dumps(_like(bob)).encode()
    headers = {
        "Host": HUB_HOST,
        "Content-Type": AS2,
        "Signature-Input": signature_input,
        "Signature": signature,
    }

    response = _post(client, body, headers)

    assert response.status_code == 401, response.content
    assert not InboundActivity.objects.exists()


def test_a_far_expires_does_not_keep_a_signature_alive_past_twelve_hours(client):
    bob = Remote("https://fedify.example/users/bob")
    body = json.dumps(_like(bob)).encode()
    now = datetime.now(UTC)
    headers = _their_rfc9421(
        bob, body, created=now - timedelta(hours=14), expires=now + timedelta(days=30)
    )

    _refused(_post(client, body, headers), f"{bob.actor_id}#likes/1", "expired")


@pytest.mark.parametrize("component", ['"@status"', '"content-type";bs', '"x-nope"'])
def test_a_component_we_cannot_build_gets_401(client, component):
    bob = Remote("https://fedify.example/users/bob")
    body = json.dumps(_like(bob)).encode()
    headers = _their_rfc9421(bob, body)
    headers["Signature-Input"] = headers["Signature-Input"].replace(
        '"@method"', f'"@method" {component}'
    )

    response = _post(client, body, headers)

    assert response.status_code == 401, response.content
    assert not InboundActivity.objects.exists()
