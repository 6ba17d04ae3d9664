"""A Mastodon-like peer posts to our live inbox over real HTTP.

The peer (tests/federation/peer.py) signs with the independent `httpsig`
library; our inbox fetches its key from it over HTTP the first time, keeps
it, and fetches it again once the peer rotates it.
"""

from datetime import timedelta

from django.utils import timezone

from analytics.models import Interaction
from federation.models import InboundActivity, OutboundActivity, RemoteActor
from followers.models import Follow
from posts.models import Post
from tests.federation.inbox_support import process_queued

AS_CONTEXT = "https://www.w3.org/ns/activitystreams"


def test_a_mastodon_follow_arrives_signed_and_is_accepted(
    live_inbox, alice, mastodon_peer
):
    actor = f"{live_inbox.url}/users/alice"
    follow = {
        "@context": AS_CONTEXT,
        "id": f"{mastodon_peer.base_url}/8f2a-follow",
        "type": "Follow",
        "actor": mastodon_peer.actor_id,
        "object": actor,
    }

    response = mastodon_peer.post(f"{live_inbox.url}/users/alice/inbox", follow)
    process_queued()

    assert response.status_code == 202
    row = InboundActivity.objects.get()
    assert row.key_id == mastodon_peer.key_id
    assert row.inbox_handle == "alice"
    # The key was fetched from the peer, with a signed GET.
    fetched = [r for r in mastodon_peer.received if r.method == "GET"]
    assert any(r.path == "/users/bob" for r in fetched)
    follower = Follow.objects.get()
    assert follower.state == Follow.State.ACCEPTED
    assert follower.actor.inbox_url == mastodon_peer.inbox_url
    accept = OutboundActivity.objects.get(activity_type="Accept")
    assert accept.payload["object"]["id"] == follow["id"]
    assert accept.deliveries.get().inbox_url == mastodon_peer.inbox_url


def test_after_the_peer_rotates_its_key_its_posts_still_verify(
    live_inbox, alice, mastodon_peer
):
    post = Post.objects.create(
        creator=alice,
        body="hello",
        state=Post.State.PUBLISHED,
        published_at=timezone.now(),
    )
    note = f"{live_inbox.url}/users/alice/statuses/{post.pk}"

    def like(n):
        return {
            "@context": AS_CONTEXT,
            "id": f"{mastodon_peer.actor_id}#likes/{n}",
            "type": "Like",
            "actor": mastodon_peer.actor_id,
            "object": note,
        }

    assert mastodon_peer.post(f"{live_inbox.url}/inbox", like(1)).status_code == 202
    gets_before = len([r for r in mastodon_peer.received if r.method == "GET"])
    mastodon_peer.rotate_key()
    # The cached copy is old enough to be fetched again (at most once a
    # minute per actor).
    RemoteActor.objects.filter(ap_id=mastodon_peer.actor_id).update(
        last_fetched_at=timezone.now() - timedelta(minutes=5)
    )

    response = mastodon_peer.post(f"{live_inbox.url}/inbox", like(2))
    process_queued()

    assert response.status_code == 202
    gets_after = len([r for r in mastodon_peer.received if r.method == "GET"])
    assert gets_after > gets_before  # fetched again
    assert (
        RemoteActor.objects.get(ap_id=mastodon_peer.actor_id).public_key_pem
        == mastodon_peer.public_pem
    )
    # Two likes of one post by one person: counted once.
    assert Interaction.objects.filter(kind=Interaction.Kind.LIKE).count() == 1
    assert InboundActivity.objects.filter(state="processed").count() == 2


def test_a_peer_signing_with_a_key_it_does_not_publish_is_refused(
    live_inbox, alice, mastodon_peer
):
    """A key that does not verify, even after fetching it again: 401."""
    assert (
        mastodon_peer.post(
            f"{live_inbox.url}/inbox",
            {
                "@context": AS_CONTEXT,
                "id": f"{mastodon_peer.actor_id}#likes/1",
                "type": "Like",
                "actor": mastodon_peer.actor_id,
                "object": f"{live_inbox.url}/users/alice/statuses/1",
            },
        ).status_code
        == 202
    )
    published = mastodon_peer.public_pem
    mastodon_peer.rotate_key()  # signs with a new key ...
    mastodon_peer.public_pem = published  # ... but still publishes the old
    RemoteActor.objects.filter(ap_id=mastodon_peer.actor_id).update(
        last_fetched_at=timezone.now() - timedelta(minutes=5)
    )

    response = mastodon_peer.post(
        f"{live_inbox.url}/inbox",
        {
            "@context": AS_CONTEXT,
            "id": f"{mastodon_peer.actor_id}#likes/2",
            "type": "Like",
            "actor": mastodon_peer.actor_id,
            "object": f"{live_inbox.url}/users/alice/statuses/1",
        },
    )

    assert response.status_code == 401
    assert "does not match" in response.json()["error"]
    assert InboundActivity.objects.count() == 1
