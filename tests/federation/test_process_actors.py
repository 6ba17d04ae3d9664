"""Account changes and undos that must change nothing: what a malformed or
overreaching Update, Undo or Move leaves behind.

POSTed to the inbox with real signatures (tests/federation/inbox_support.py),
then processed as the worker would. The assertions are what people see:
the other account's profile as it was, the follow and the likes still there,
and the stored activity marked ignored with the reason.
"""

import pytest
from django.utils import timezone

from analytics.models import Interaction
from federation.models import InboundActivity, RemoteActor
from moderation.models import DomainPolicy
from posts.models import Post
from tests.federation.inbox_support import (
    Remote,
    fixture,
    our_values,
    process_queued,
    reset_request_caches,
    stored,
)
from tests.federation.peer import mastodon_actor_document

pytestmark = pytest.mark.django_db

State = InboundActivity.State
AS = "https://www.w3.org/ns/activitystreams"


@pytest.fixture(autouse=True)
def _fresh():
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


@pytest.fixture
def following(client, creator, post, bob):
    """Bob follows the creator and liked the post: what must survive."""
    for name in ("mastodon/follow", "mastodon/like"):
        activity = fixture(name, **our_values(creator, post))
        assert bob.post(client, activity).status_code == 202
    process_queued()
    assert creator.follows.get().actor.ap_id == bob.actor_id
    assert Interaction.objects.filter(kind=Interaction.Kind.LIKE).count() == 1


def deliver(client, sender: Remote, activity: dict) -> InboundActivity:
    response = sender.post(client, activity)
    assert response.status_code == 202, response.content
    process_queued()
    return stored(activity["id"])


def profile(actor_id: str) -> dict:
    return RemoteActor.objects.filter(ap_id=actor_id).values(
        "display_name", "public_key_id", "public_key_pem", "inbox_url", "avatar_url"
    )[0]


# Update(Person) ---------------------------------------------------------------


def test_an_actor_cannot_update_another_actors_profile(client, bob, carol):
    """Bob's server may not rename carol or swap her key, even on the same
    server: an actor may only update itself."""
    before = profile(carol.actor_id)
    forged = mastodon_actor_document(
        "https://mastodon.example", "carol", bob.public_pem
    )
    forged["name"] = "Carol (hacked)"
    activity = {
        "@context": AS,
        "id": "https://mastodon.example/users/bob#updates/1",
        "type": "Update",
        "actor": bob.actor_id,
        "object": forged,
    }

    row = deliver(client, bob, activity)

    assert row.state == State.IGNORED
    assert "an actor may only update itself" in row.error
    assert profile(carol.actor_id) == before


def test_an_update_naming_another_actor_by_url_changes_nothing(client, bob, carol):
    before = profile(carol.actor_id)
    activity = {
        "@context": AS,
        "id": "https://mastodon.example/users/bob#updates/2",
        "type": "Update",
        "actor": bob.actor_id,
        "object": carol.actor_id,
    }

    row = deliver(client, bob, activity)

    assert row.state == State.IGNORED
    assert "without an embedded object" in row.error
    assert profile(carol.actor_id) == before


# Undo ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "undone",
    [{}, {"object": None}, {"object": ""}, {"object": 42}, {"object": []}],
    ids=["missing", "null", "empty", "number", "list"],
)
def test_an_undo_without_an_object_undoes_nothing(
    client, creator, bob, following, undone
):
    activity = {
        "@context": AS,
        "id": "https://mastodon.example/users/bob#undo/1",
        "type": "Undo",
        "actor": bob.actor_id,
        **undone,
    }

    row = deliver(client, bob, activity)

    assert row.state == State.IGNORED
    assert "Undo without an object" in row.error
    assert creator.follows.get().actor.ap_id == bob.actor_id
    assert Interaction.objects.filter(kind=Interaction.Kind.LIKE).count() == 1


# Move ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        {},
        {"target": None},
        {"target": ""},
        {"target": "not a url"},
        {"target": "javascript:alert(1)"},
        {"target": {"type": "Person"}},
        {"target": "https://mastodon.example/users/bob"},  # itself
    ],
    ids=["missing", "null", "empty", "text", "javascript", "no-id", "itself"],
)
def test_a_move_without_a_usable_target_moves_nobody(
    client, creator, bob, following, target
):
    activity = {
        "@context": AS,
        "id": "https://mastodon.example/users/bob#moves/1",
        "type": "Move",
        "actor": bob.actor_id,
        "object": bob.actor_id,
        **target,
    }

    row = deliver(client, bob, activity)

    assert row.state == State.IGNORED, row.error
    assert "Move without a usable target" in row.error
    assert creator.follows.get().actor.ap_id == bob.actor_id


def test_a_move_to_a_blocked_server_moves_nobody(client, creator, bob, following):
    DomainPolicy.objects.create(domain="spam.example", severity="suspend")
    activity = {
        "@context": AS,
        "id": "https://mastodon.example/users/bob#moves/2",
        "type": "Move",
        "actor": bob.actor_id,
        "object": bob.actor_id,
        "target": "https://spam.example/users/bob",
    }

    row = deliver(client, bob, activity)

    assert row.state == State.IGNORED
    assert "Move without a usable target" in row.error
    assert creator.follows.get().actor.ap_id == bob.actor_id


def test_a_move_to_an_internal_address_moves_nobody(
    client, creator, bob, following, settings
):
    """The target is fetched through the outbound client: an internal
    address is refused before connecting, and the Move is not retried."""
    settings.FEDERATION_ALLOW_HTTP = True
    settings.FEDERATION_ALLOW_PRIVATE_ADDRESSES = False
    activity = {
        "@context": AS,
        "id": "https://mastodon.example/users/bob#moves/3",
        "type": "Move",
        "actor": bob.actor_id,
        "object": bob.actor_id,
        "target": "http://localhost:5432/users/bob",
    }

    row = deliver(client, bob, activity)

    assert row.state == State.IGNORED
    assert "could not be fetched" in row.error
    assert creator.follows.get().actor.ap_id == bob.actor_id
