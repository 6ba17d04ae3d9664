"""The inbox's request path against hostile input, through the real view.

Every request is signed for real (federation.protocol.signatures, keys the test
holds); every refusal is a clear 4xx with a JSON reason and nothing stored,
every acceptance a 202. What happens after (processing) is in
test_inbox_processing.py.
"""

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from analytics.models import Interaction, Reply
from federation.models import (
    InboundActivity,
    OutboundActivity,
    RemoteActor,
    RemoteInstance,
)
from followers.models import Follow
from moderation.models import DomainPolicy
from posts.models import Post
from tests.federation.inbox_support import (
    AS2,
    Remote,
    fixture,
    meta,
    our_values,
    process_queued,
    reset_request_caches,
    stored,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _one_by_one(settings):
    """Store on the request path (the Redis hand-over has its own tests)."""
    reset_request_caches()
    yield
    reset_request_caches()


@pytest.fixture
def post(creator):
    return Post.objects.create(
        creator=creator,
        body="Harbour at dusk",
        content_html="<p>Harbour at dusk</p>",
        state=Post.State.PUBLISHED,
        published_at=timezone.now(),
    )


@pytest.fixture
def bob(db):
    return Remote("https://mastodon.example/users/bob")


@pytest.fixture
def carol(db):
    return Remote("https://mastodon.example/users/carol")


def like_of(post, *, actor="https://mastodon.example/users/bob", n=1) -> dict:
    return fixture("mastodon/like", **our_values(post.creator, post)) | {
        "id": f"{actor}#likes/{n}",
        "actor": actor,
    }


def snapshot() -> dict:
    """Every table an inbox request could change."""
    return {
        "inbound": InboundActivity.objects.count(),
        "interactions": Interaction.objects.count(),
        "replies": Reply.objects.count(),
        "follows": Follow.objects.count(),
        "actors": RemoteActor.objects.count(),
        "outbound": OutboundActivity.objects.count(),
    }


def assert_refused(response, status: int, reason: str) -> None:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    assert reason in response.json()["error"]


# Accepted -----------------------------------------------------------------------


def test_a_signed_like_is_stored_with_its_key_and_answered_202(client, bob, post):
    activity = like_of(post)

    response = bob.post(client, activity)

    assert response.status_code == 202
    row = stored(activity["id"])
    assert row.activity_type == "Like"
    assert row.actor_uri == bob.actor_id
    assert row.key_id == bob.key_id
    assert row.verified is True
    assert row.inbox_handle == ""
    assert row.state == InboundActivity.State.QUEUED
    assert row.payload == activity


def test_the_personal_inbox_records_which_inbox_it_reached(client, bob, post):
    activity = like_of(post)

    response = bob.post(client, activity, path="/users/Alice/inbox")

    assert response.status_code == 202
    assert stored(activity["id"]).inbox_handle == "alice"


def test_processing_is_queued_when_the_row_commits(
    client, bob, post, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        bob.post(client, like_of(post))

    assert len(callbacks) == 1


@pytest.mark.parametrize(
    "content_type",
    [
        "application/activity+json",
        "application/activity+json; charset=utf-8",
        'application/ld+json; profile="https://www.w3.org/ns/activitystreams"',
        "application/json",
    ],
)
def test_the_media_types_peers_send_are_accepted(client, bob, post, content_type):
    body = json.dumps(like_of(post)).encode()
    headers = bob.signed_headers("/inbox", body, content_type=content_type)

    response = client.generic("POST", "/inbox", body, **headers)

    assert response.status_code == 202


def test_a_verified_request_marks_an_unavailable_server_as_back(client, bob, post):
    RemoteInstance.objects.filter(domain=bob.domain).update(
        unavailable_since=timezone.now() - timedelta(days=3)
    )

    bob.post(client, like_of(post))

    instance = RemoteInstance.objects.get(domain=bob.domain)
    assert instance.unavailable_since is None
    assert instance.last_heard_from_at is not None


# Signatures ---------------------------------------------------------------------


def test_an_unsigned_post_is_refused(client, bob, post):
    before = snapshot()
    body = json.dumps(like_of(post)).encode()

    response = client.generic("POST", "/inbox", body, content_type=AS2)

    assert_refused(response, 401, "not signed")
    assert snapshot() == before


def test_a_post_signed_with_another_key_is_refused(client, bob, carol, post):
    """carol's key under bob's keyId: the signature does not verify."""
    before = snapshot()
    assert carol.private_pem != bob.private_pem
    bob.private_pem = carol.private_pem

    response = bob.post(client, like_of(post))

    assert_refused(response, 401, "does not match")
    assert snapshot() == before


def test_a_stale_date_is_refused(client, bob, post):
    before = snapshot()

    response = bob.post(
        client, like_of(post), now=datetime.now(UTC) - timedelta(hours=2)
    )

    assert_refused(response, 401, "too old")
    assert snapshot() == before


def test_a_date_in_the_future_is_refused(client, bob, post):
    response = bob.post(
        client, like_of(post), now=datetime.now(UTC) + timedelta(hours=2)
    )

    assert_refused(response, 401, "future")


def test_a_wrong_digest_is_refused(client, bob, post):
    before = snapshot()
    body = json.dumps(like_of(post)).encode()
    # Signed over another body's digest, then sent with this body.
    headers = bob.signed_headers("/inbox", body + b" ")

    response = client.generic("POST", "/inbox", body, **headers)

    assert_refused(response, 401, "Digest does not match")
    assert snapshot() == before


def test_an_activity_whose_actor_is_not_the_signer_is_refused(client, bob, carol, post):
    """carol signs a like in bob's name."""
    before = snapshot()

    response = carol.post(client, like_of(post, actor=bob.actor_id))

    assert_refused(response, 401, "not the signer")
    assert snapshot() == before


def test_a_signature_over_too_few_headers_is_refused(client, bob, post):
    body = json.dumps(like_of(post)).encode()
    headers = bob.signed_headers("/inbox", body)
    # Drop `digest` from what the signature claims to cover.
    headers["HTTP_SIGNATURE"] = headers["HTTP_SIGNATURE"].replace(" digest", "")

    response = client.generic("POST", "/inbox", body, **headers)

    assert_refused(response, 401, "must cover digest")


def test_a_key_that_cannot_be_fetched_now_answers_503(client, loopback, post):
    """The sender retries later; nothing is stored meanwhile."""
    before = snapshot()
    # Nobody listens on port 9 of this machine: the fetch fails to connect.
    stranger = "http://127.0.0.1:9/users/dave"
    activity = like_of(post, actor=stranger)
    body = json.dumps(activity).encode()
    from federation.protocol import signatures

    private_pem, _ = signatures.generate_key_pair()
    headers = signatures.sign_request(
        method="POST",
        url="https://hub.test/inbox",
        key_id=f"{stranger}#main-key",
        private_key=signatures.load_private_key(private_pem),
        body=body,
        headers={"Content-Type": AS2},
    )

    response = client.generic("POST", "/inbox", body, **meta(headers))

    assert_refused(response, 503, "try again later")
    assert snapshot() == before


# Replays ------------------------------------------------------------------------


def test_the_same_activity_twice_is_stored_and_processed_once(client, bob, post):
    activity = like_of(post)

    first = bob.post(client, activity)
    process_queued()
    again = bob.post(client, activity)  # re-signed, a new Date: a replay

    assert first.status_code == again.status_code == 202
    assert InboundActivity.objects.filter(ap_id=activity["id"]).count() == 1
    assert process_queued() == {}
    assert Interaction.objects.filter(kind=Interaction.Kind.LIKE).count() == 1


# Malformed bodies -----------------------------------------------------------------


@pytest.mark.parametrize(
    "body, reason",
    [
        (b"[]", "not a JSON object"),
        (b'"Like"', "not a JSON object"),
        (b"42", "not a JSON object"),
        (b"{not json", "not JSON"),
        (b"\xff\xfe", "not JSON"),
        (b"", "not JSON"),
    ],
)
def test_a_body_that_is_not_a_json_object_is_refused(client, bob, body, reason):
    before = snapshot()

    response = client.generic(
        "POST", "/inbox", body, **bob.signed_headers("/inbox", body)
    )

    assert_refused(response, 400, reason)
    assert snapshot() == before


def test_a_10_mb_body_is_refused_before_it_is_read(client, bob, post, settings):
    before = snapshot()
    activity = like_of(post) | {"padding": "x" * (10 * 1024 * 1024)}
    body = json.dumps(activity).encode()

    response = client.generic(
        "POST", "/inbox", body, **bob.signed_headers("/inbox", body)
    )

    assert_refused(response, 413, f"larger than {settings.FEDERATION_INBOX_MAX_BYTES}")
    assert snapshot() == before


@pytest.mark.parametrize("depth", [25, 100_000])
def test_deeply_nested_json_is_refused(client, bob, post, depth):
    before = snapshot()
    nested = "[" * depth + "]" * depth
    body = (
        '{"id": "https://mastodon.example/users/bob#likes/9", "type": "Like", '
        f'"actor": "{bob.actor_id}", "object": {nested}}}'
    ).encode()

    response = client.generic(
        "POST", "/inbox", body, **bob.signed_headers("/inbox", body)
    )

    assert response.status_code == 400
    assert snapshot() == before


@pytest.mark.parametrize(
    "change, reason",
    [
        ({"id": None}, "no id"),
        ({"type": ["Like"]}, "no type"),
        ({"actor": None}, "no actor"),
        ({"id": "mastodon.example/likes/1"}, "id is not a URL"),
        ({"type": "Like<script>"}, "type is not a name"),
        (
            {"id": "https://other.example/users/bob#likes/1"},
            "not on the actor's server",
        ),
    ],
)
def test_an_activity_without_a_usable_id_type_or_actor_is_refused(
    client, bob, post, change, reason
):
    before = snapshot()
    activity = {k: v for k, v in (like_of(post) | change).items() if v is not None}

    response = bob.post(client, activity)

    assert_refused(response, 400, reason)
    assert snapshot() == before


def test_an_unsupported_media_type_is_refused(client, bob, post):
    body = json.dumps(like_of(post)).encode()
    headers = bob.signed_headers("/inbox", body, content_type="text/html")

    response = client.generic("POST", "/inbox", body, **headers)

    assert_refused(response, 415, "application/activity+json")


def test_ld_json_with_another_profile_is_refused(client, bob, post):
    body = json.dumps(like_of(post)).encode()
    headers = bob.signed_headers(
        "/inbox",
        body,
        content_type='application/ld+json; profile="https://schema.org"',
    )

    response = client.generic("POST", "/inbox", body, **headers)

    assert response.status_code == 415


def test_get_is_not_served(client):
    assert client.get("/inbox").status_code == 405
    assert client.get("/users/alice/inbox").status_code == 405


def test_the_inbox_of_nobody_is_404(client, bob, post):
    response = bob.post(client, like_of(post), path="/users/nobody/inbox")

    assert_refused(response, 404, "no such inbox")


# Blocked servers and unknown actors ------------------------------------------------


def test_an_activity_from_a_blocked_domain_is_refused_and_not_stored(client, bob, post):
    DomainPolicy.objects.create(domain="mastodon.example")
    before = snapshot()

    response = bob.post(client, like_of(post))

    assert_refused(response, 403, "blocked")
    assert snapshot() == before


def test_a_block_on_a_parent_domain_covers_its_subdomains(client, post):
    DomainPolicy.objects.create(domain="spam.example")
    eve = Remote("https://social.spam.example/users/eve")

    response = eve.post(client, like_of(post, actor=eve.actor_id))

    assert_refused(response, 403, "blocked")


def test_a_silenced_domain_is_not_refused_at_the_door(client, bob, post):
    DomainPolicy.objects.create(
        domain="mastodon.example", severity=DomainPolicy.Severity.SILENCE
    )

    assert bob.post(client, like_of(post)).status_code == 202


def test_a_delete_from_an_actor_never_seen_is_dropped_without_fetching(client, post):
    """Its keyId points at a server that does not exist: a fetch would fail
    (503), so the 202 shows none was tried; nothing is stored."""
    before = snapshot()
    ghost = "https://gone.invalid/users/ghost"
    body = json.dumps(
        {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": f"{ghost}#delete",
            "type": "Delete",
            "actor": ghost,
            "object": ghost,
        }
    ).encode()
    headers = {
        "CONTENT_TYPE": AS2,
        "HTTP_SIGNATURE": f'keyId="{ghost}#main-key",algorithm="rsa-sha256",'
        'headers="(request-target) host date digest",signature="AAAA"',
    }

    response = client.generic("POST", "/inbox", body, **headers)

    assert response.status_code == 202
    assert snapshot() == before


def test_a_delete_from_a_known_actor_is_verified_as_usual(client, bob):
    activity = fixture("mastodon/delete_actor")
    body = json.dumps(activity).encode()
    headers = bob.signed_headers("/inbox", body)
    headers["HTTP_SIGNATURE"] = headers["HTTP_SIGNATURE"].replace(
        'signature="', 'signature="AAAA'
    )

    response = client.generic("POST", "/inbox", body, **headers)

    assert response.status_code == 401
    assert not InboundActivity.objects.exists()
