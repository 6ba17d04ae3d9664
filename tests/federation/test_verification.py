"""Signed requests from a Mastodon-like peer, verified by us over real HTTP.

The peer signs with the independent `httpsig` library; our side runs in the
live server with "secure mode" (FEDERATION_AUTHORIZED_FETCH) on, so a
collection is served only when we could verify who asked.
"""

from datetime import timedelta

import pytest
import requests
from django.utils import timezone

from federation.models import RemoteActor, RemoteInstance
from tests.federation.peer import MastodonPeer


@pytest.fixture
def secure_hub(hub, alice, loopback):
    loopback.FEDERATION_AUTHORIZED_FETCH = True
    return hub


def fetch(url: str, headers: dict) -> requests.Response:
    return requests.get(url, headers=headers, timeout=10)


def outbox_url(hub) -> str:
    return f"{hub.url}/users/alice/outbox"


def test_a_signed_fetch_from_mastodon_is_verified_and_served(secure_hub, mastodon_peer):
    response = mastodon_peer.get(outbox_url(secure_hub))

    assert response.status_code == 200
    assert response.json()["type"] == "OrderedCollection"
    signer = RemoteActor.objects.get(ap_id=mastodon_peer.actor_id)
    assert signer.public_key_id == mastodon_peer.key_id
    assert signer.instance.last_heard_from_at is not None


def test_an_unsigned_fetch_is_refused_with_a_reason(secure_hub):
    response = fetch(outbox_url(secure_hub), {"Accept": "application/activity+json"})
    assert response.status_code == 401
    assert response.json() == {"error": "the request is not signed"}
    assert not RemoteActor.objects.exists()


def test_actor_documents_stay_public_so_keys_can_be_fetched(secure_hub):
    response = fetch(
        f"{secure_hub.url}/users/alice", {"Accept": "application/activity+json"}
    )
    assert response.status_code == 200


def test_a_signature_from_another_request_is_refused(secure_hub, mastodon_peer):
    """Headers signed for one URL, replayed against another."""
    headers = mastodon_peer.sign("GET", f"{secure_hub.url}/users/alice/followers")
    response = fetch(outbox_url(secure_hub), headers)
    assert response.status_code == 401
    assert "does not match" in response.json()["error"]


def test_a_stale_signature_is_refused(secure_hub, mastodon_peer):
    headers = mastodon_peer.sign(
        "GET", outbox_url(secure_hub), now=timezone.now() - timedelta(hours=2)
    )
    response = fetch(outbox_url(secure_hub), headers)
    assert response.status_code == 401
    assert "too old" in response.json()["error"]


def test_a_rotated_key_is_fetched_again_once(secure_hub, mastodon_peer):
    assert mastodon_peer.get(outbox_url(secure_hub)).status_code == 200
    mastodon_peer.rotate_key()
    # The cached copy is older than the refetch guard allows.
    RemoteActor.objects.update(last_fetched_at=timezone.now() - timedelta(minutes=5))

    assert mastodon_peer.get(outbox_url(secure_hub)).status_code == 200
    assert RemoteActor.objects.get().public_key_pem.strip() == (
        mastodon_peer.public_pem.strip()
    )


def test_a_bad_signature_does_not_refetch_a_fresh_key(secure_hub, mastodon_peer):
    """A flood of forged requests cannot make us fetch keys over and over."""
    assert mastodon_peer.get(outbox_url(secure_hub)).status_code == 200
    requests_before = len(mastodon_peer.received)
    mastodon_peer.rotate_key()

    assert mastodon_peer.get(outbox_url(secure_hub)).status_code == 401
    assert len(mastodon_peer.received) == requests_before


def test_a_signer_whose_server_is_down_gets_503(secure_hub):
    with MastodonPeer(username="carol") as peer:
        headers = peer.sign("GET", outbox_url(secure_hub))
    # The peer has stopped: its key cannot be fetched now, maybe later.
    response = fetch(outbox_url(secure_hub), headers)
    assert response.status_code == 503
    assert not RemoteInstance.objects.filter(last_heard_from_at__isnull=False).exists()
