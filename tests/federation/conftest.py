import pytest

from federation.models import OutboxJob, RemoteActor, RemoteInstance
from federation.outbound import fanout, outbox
from followers.models import Follow
from tests import factories
from tests.federation.peer import MastodonPeer

AS2 = "application/activity+json"


@pytest.fixture
def alice(db):
    """A creator sharing to the fediverse, with a bio and a profile link."""
    creator = factories.CreatorFactory(
        handle="alice",
        user__username="alice",
        display_name="Alice Example",
        bio="Painter & maker <3\nhttps://alice.example",
    )
    creator.links.create(label="Shop", url="https://shop.alice.example/", position=0)
    return creator


def run_outbox_jobs() -> int:
    """Run every outbox job that is due, as a worker would; how many ran."""
    due = OutboxJob.objects.filter(state=OutboxJob.State.PENDING).order_by("pk")
    return sum(outbox.run(pk) for pk in due.values_list("pk", flat=True))


def fan_out_all() -> int:
    """Write every unfinished audience as Delivery rows, as the workers
    would; how many rows were added."""
    return sum(fanout.fan_out(activity_id).added for activity_id in fanout.unfinished())


def make_follower(creator, *, domain="mastodon.example", username="bob", shared=True):
    instance, _ = RemoteInstance.objects.get_or_create(domain=domain)
    actor = RemoteActor.objects.create(
        ap_id=f"https://{domain}/users/{username}",
        instance=instance,
        username=username,
        inbox_url=f"https://{domain}/users/{username}/inbox",
        shared_inbox_url=f"https://{domain}/inbox" if shared else "",
        public_key_id=f"https://{domain}/users/{username}#main-key",
        public_key_pem="-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----\n",
    )
    return Follow.objects.create(
        creator=creator,
        actor=actor,
        follow_activity_id=f"https://{domain}/{username}#follows/1",
        state=Follow.State.ACCEPTED,
    )


@pytest.fixture
def mastodon_peer():
    """A Mastodon-like server on 127.0.0.1 with an actor `bob` (see peer.py)."""
    with MastodonPeer() as peer:
        yield peer
