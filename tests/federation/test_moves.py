"""Moving accounts: a creator moves out (Move to followers' servers, movedTo,
the profile's banner, undo, cooldown) and lists old accounts to move in.

The other account is a real Mastodon-like server on loopback (peer.py);
nothing of ours is patched.
"""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts import moves as account_moves
from federation.models import Delivery, OutboundActivity, OutboxJob, RemoteActor
from federation.protocol import ids
from followers.models import Follow
from tests.federation.conftest import (
    AS2,
    fan_out_all,
    make_follower,
    run_outbox_jobs,
)
from tests.federation.peer import MastodonPeer

pytestmark = pytest.mark.django_db


def _lists(peer: MastodonPeer, *aliases: str) -> None:
    """Make the peer's actor name `aliases` in alsoKnownAs, as Mastodon does
    once its user adds an alias."""
    document = MastodonPeer.actor_document(peer)
    document["alsoKnownAs"] = list(aliases)
    peer.actor_document = lambda: document


@pytest.fixture
def logged_in(client, alice):
    client.force_login(alice.user)
    return client


@pytest.fixture
def followed(alice):
    make_follower(alice, domain="mastodon.example", username="bob")
    make_follower(alice, domain="misskey.example", username="carol", shared=False)
    return alice


def _messages(response) -> str:
    return " ".join(str(m) for m in response.context["messages"])


def _actor_document(client, creator) -> dict:
    response = client.get(f"/users/{creator.handle}", HTTP_ACCEPT=AS2)
    assert response.status_code == 200
    return response.json()


def test_a_move_to_an_account_that_does_not_list_us_is_refused_and_nothing_sent(
    logged_in, followed, loopback, mastodon_peer
):
    """The creator reads why, and no follower's server hears anything."""
    response = logged_in.post(
        reverse("move-out"), {"target": mastodon_peer.handle}, follow=True
    )
    text = _messages(response)
    assert "does not list this account as an alias yet" in text
    assert "alice@hub.test" in text  # what to add on the new account
    followed.refresh_from_db()
    assert followed.moved_to_uri == ""
    assert not OutboxJob.objects.exists()
    assert not OutboundActivity.objects.exists()
    assert "movedTo" not in _actor_document(logged_in, followed)


def test_a_move_is_sent_to_every_followers_server_and_the_actor_says_moved(
    logged_in, followed, loopback, mastodon_peer
):
    """Move goes to each follower's inbox, movedTo is on the actor, and the
    profile page says where the creator went while the posts stay."""
    _lists(mastodon_peer, ids.actor_id("alice"))
    response = logged_in.post(
        reverse("move-out"), {"target": mastodon_peer.handle}, follow=True
    )
    assert "Your followers are being told that you moved" in _messages(response)
    followed.refresh_from_db()
    assert followed.moved_to_uri == mastodon_peer.actor_id

    assert run_outbox_jobs() == 1
    fan_out_all()
    move = OutboundActivity.objects.get(activity_type="Move")
    assert move.payload["actor"] == move.payload["object"] == ids.actor_id("alice")
    assert move.payload["target"] == mastodon_peer.actor_id
    inboxes = set(
        Delivery.objects.filter(activity=move).values_list("inbox_url", flat=True)
    )
    assert inboxes == {
        "https://mastodon.example/inbox",
        "https://misskey.example/users/carol/inbox",
    }
    update = OutboundActivity.objects.get(activity_type="Update")
    assert update.payload["object"]["movedTo"] == mastodon_peer.actor_id

    assert _actor_document(logged_in, followed)["movedTo"] == mastodon_peer.actor_id
    page = logged_in.get("/@alice").content.decode()
    assert "has moved to a new account" in page
    moved_to = RemoteActor.objects.get(ap_id=mastodon_peer.actor_id)
    assert f">{moved_to.handle}</a>" in page  # @bob@its-server, as people read it


def test_a_move_can_be_undone_within_the_cooldown(
    logged_in, followed, loopback, mastodon_peer
):
    """Undoing clears movedTo and sends an Update of the actor."""
    _lists(mastodon_peer, ids.actor_id("alice"))
    logged_in.post(reverse("move-out"), {"target": mastodon_peer.actor_id})
    run_outbox_jobs()
    response = logged_in.post(reverse("move-undo"), follow=True)
    assert "Your move is undone" in _messages(response)
    followed.refresh_from_db()
    assert followed.moved_to_uri == ""
    assert OutboxJob.objects.filter(action="profile.update").exists()
    run_outbox_jobs()
    updates = OutboundActivity.objects.filter(activity_type="Update").order_by("pk")
    assert "movedTo" not in updates.last().payload["object"]
    assert "movedTo" not in _actor_document(logged_in, followed)
    assert "has moved" not in logged_in.get("/@alice").content.decode()


def test_a_move_cannot_be_undone_after_the_cooldown(logged_in, followed):
    followed.moved_to_uri = "https://mastodon.example/users/alice"
    followed.moved_at = timezone.now() - timedelta(days=31)
    followed.save()
    response = logged_in.post(reverse("move-undo"), follow=True)
    assert "can only be undone within 30 days" in _messages(response)
    followed.refresh_from_db()
    assert followed.moved_to_uri == "https://mastodon.example/users/alice"


def test_a_second_move_within_the_cooldown_is_refused_without_fetching(
    logged_in, followed, loopback, mastodon_peer
):
    _lists(mastodon_peer, ids.actor_id("alice"))
    logged_in.post(reverse("move-out"), {"target": mastodon_peer.handle})
    logged_in.post(reverse("move-undo"))
    jobs = OutboxJob.objects.count()
    fetched = len(mastodon_peer.received)
    response = logged_in.post(
        reverse("move-out"), {"target": mastodon_peer.handle}, follow=True
    )
    assert "You moved less than 30 days ago" in _messages(response)
    assert len(mastodon_peer.received) == fetched
    assert OutboxJob.objects.count() == jobs
    followed.refresh_from_db()
    assert followed.moved_to_uri == ""


def test_an_agency_member_cannot_move_a_creator(client, creator, manager):
    """Only the creator decides where their followers go: the page is not
    there for anyone else, and the service refuses."""
    client.force_login(manager)
    assert client.get(reverse("moving")).status_code == 404
    assert client.post(reverse("move-out"), {"target": "x"}).status_code == 404
    with pytest.raises(PermissionDenied):
        account_moves.creator_move_out(
            creator=creator, target_uri="https://elsewhere.example/u/a", by=manager
        )


def test_an_old_account_added_as_alias_shows_in_also_known_as(
    logged_in, alice, loopback, mastodon_peer
):
    """The old server's Move is then accepted; follows that arrive after
    are shown as moving in."""
    response = logged_in.post(
        reverse("alias-add"), {"account": mastodon_peer.handle}, follow=True
    )
    assert "is listed as your old account" in _messages(response)
    assert _actor_document(logged_in, alice)["alsoKnownAs"] == [mastodon_peer.actor_id]
    assert OutboxJob.objects.filter(action="profile.update").exists()

    page = logged_in.get(reverse("moving")).content.decode()
    assert f"Moving here from {mastodon_peer.handle}" in page
    assert "0 followers so far" in page
    make_follower(alice, domain="arrived.example", username="dan")
    page = logged_in.get(reverse("moving")).content.decode()
    assert "1 follower so far" in page

    alias = alice.aliases.get()
    logged_in.post(reverse("alias-remove", args=[alias.pk]))
    assert _actor_document(logged_in, alice)["alsoKnownAs"] == []


def test_an_address_that_cannot_be_found_is_refused_in_words(
    logged_in, alice, loopback, mastodon_peer
):
    response = logged_in.post(
        reverse("alias-add"),
        {"account": f"@nobody@{mastodon_peer.host}"},
        follow=True,
    )
    assert "could not be found" in _messages(response)
    assert not alice.aliases.exists()
    assert not Follow.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_followers_mastodon_server_receives_the_move_signed_by_the_creator(hub):
    """End to end on loopback: a follower's server gets the Update with
    movedTo and the Move, and verifies both with our key."""
    from federation.models import RemoteActor, RemoteInstance
    from federation.outbound import delivery
    from federation.outbound import moves as federation_moves
    from tests import factories

    alice = factories.CreatorFactory(handle="alice", user__username="alice")
    with MastodonPeer() as follower_server, MastodonPeer(username="alice2") as new:
        _lists(new, ids.actor_id("alice"))
        bob = RemoteActor.objects.create(
            ap_id=follower_server.actor_id,
            instance=RemoteInstance.objects.create(domain=follower_server.host),
            username="bob",
            inbox_url=follower_server.inbox_url,
            shared_inbox_url=follower_server.shared_inbox_url,
            public_key_id=follower_server.key_id,
            public_key_pem=follower_server.public_pem,
        )
        Follow.objects.create(
            creator=alice, actor=bob, follow_activity_id="x", state="accepted"
        )
        federation_moves.creator_move_out(
            creator=alice, target=new.handle, by=alice.user
        )
        run_outbox_jobs()
        fan_out_all()
        for activity in OutboundActivity.objects.order_by("pk"):
            delivery.deliver_due(activity_id=activity.pk)

        received = [post.json() for post in follower_server.inbox_posts()]
        assert [r["type"] for r in received] == ["Update", "Move"]
        assert all(post.verified for post in follower_server.inbox_posts())
        assert received[0]["object"]["movedTo"] == new.actor_id
        assert received[1]["target"] == new.actor_id
        assert received[1]["object"] == ids.actor_id("alice")


@pytest.mark.django_db(transaction=True)
def test_one_creator_moves_to_another_on_this_hub_by_address(hub, settings):
    """`make run`: the hub on plain http, WebFinger elsewhere on https. An
    address on this hub is its actor's link, fetched from the hub itself."""
    from federation.outbound import moves as federation_moves
    from tests import factories

    settings.FEDERATION_WEBFINGER_SCHEME = "https"
    demo = factories.CreatorFactory(handle="demo", user__username="demo")
    other = factories.CreatorFactory(handle="other", user__username="other")
    domain = settings.CREATORHUB_DOMAIN

    federation_moves.creator_alias_add(
        creator=demo, account=f"@other@{domain}", by=demo.user
    )
    target = federation_moves.creator_move_out(
        creator=other, target=f"@Demo@{domain}", by=other.user
    )

    assert demo.aliases.get().uri == ids.actor_id("other")
    assert target == ids.actor_id("demo")
    other.refresh_from_db()
    assert other.moved_to_uri == ids.actor_id("demo")
    # People read where it went as an address, and open the new profile.
    page = Client().get("/@other").content.decode()
    assert (
        f'<a href="{ids.absolute("/@demo")}" rel="nofollow noopener">@demo@{domain}</a>'
        in page
    )


def test_a_server_that_does_not_answer_is_said_in_words_not_the_networks(
    logged_in, alice, loopback
):
    import socket

    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        host = f"127.0.0.1:{unused.getsockname()[1]}"
    response = logged_in.post(
        reverse("alias-add"), {"account": f"@bob@{host}"}, follow=True
    )

    words = _messages(response)
    assert f"@bob@{host} could not be found: its server did not answer" in words
    assert "Pool" not in words and "Errno" not in words and "Max retries" not in words
    assert not alice.aliases.exists()
