"""Bad input through the real inbox: replies crafted to slip past the
filters, a flood, blocked servers arriving by other routes, blocked
accounts. Signed POSTs to the inbox view, then the worker side, as in
tests/federation."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from analytics.models import Interaction, Reply
from federation.models import InboundActivity, OutboundActivity
from followers.models import Follow
from moderation import selectors, services
from moderation.models import DomainPolicy, ScreeningRules
from tests.federation.inbox_support import (
    Remote,
    fixture,
    our_values,
    process_queued,
    reset_request_caches,
    stored,
)

pytestmark = pytest.mark.django_db

State = InboundActivity.State
BOB = "https://mastodon.example/users/bob"


@pytest.fixture(autouse=True)
def _one_by_one(settings):
    reset_request_caches()
    yield
    reset_request_caches()


@pytest.fixture
def post(creator):
    from tests.moderation.conftest import published

    return published(creator, "Harbour at dusk")


@pytest.fixture
def bob(db):
    return Remote(BOB)


def reply_from(remote: Remote, creator, post, text: str, *, n: int = 1) -> dict:
    """Mastodon's Create(Note) reply, from `remote`, saying `text`."""
    activity = fixture("mastodon/create_reply", **our_values(creator, post))
    text_json = json.dumps(activity)
    text_json = text_json.replace("https://mastodon.example/users/bob", remote.actor_id)
    text_json = text_json.replace("https://mastodon.example/@bob", remote.actor_id)
    activity = json.loads(text_json)
    note = activity["object"]
    note["id"] = f"{remote.actor_id}/statuses/{n}"
    activity["id"] = f"{note['id']}/activity"
    note["content"] = f"<p>{text}</p>"
    note.pop("contentMap")
    return activity


def send(client, remote, activity, *, path="/inbox"):
    response = remote.post(client, activity, path=path)
    assert response.status_code == 202, response.content
    process_queued()
    return stored(activity["id"])


def test_a_look_alike_spelling_of_a_filtered_word_is_held_with_its_reason(
    client, creator, post, bob
):
    ScreeningRules.objects.create(creator=creator, keywords="crypto")

    send(client, bob, reply_from(bob, creator, post, "Buy ＣＲＹＰ\u200bТО with me!"))

    reply = Reply.objects.get()
    assert reply.status == Reply.Status.HELD
    assert reply.hold_reason == "Matches the filter list: “crypto”"
    assert "with me" in reply.content_html  # stored as written


def test_a_flood_from_one_account_is_rate_held_and_the_queue_stays_usable(
    client, creator, post, bob
):
    """Thirty replies in a burst: the first ten show, the rest wait in the
    queue; someone else's reply in the same burst is not held."""
    ScreeningRules.objects.create(is_instance=True, flood_limit=10, flood_minutes=5)
    for n in range(30):
        activity = reply_from(bob, creator, post, f"spam {n}", n=n)
        assert bob.post(client, activity).status_code == 202
    carol = Remote("https://fine.example/users/carol")
    assert (
        carol.post(client, reply_from(carol, creator, post, "hello")).status_code == 202
    )
    process_queued()

    counts = selectors.reply_status_counts(user=creator.user, creator=creator)
    assert counts == {"visible": 11, "held": 20, "hidden": 0, "removed": 0}
    assert Reply.objects.get(actor_uri=carol.actor_id).status == "visible"
    queue = selectors.reply_queue(user=creator.user, creator=creator)
    assert queue.count() == 20
    assert {r.actor_uri for r in queue} == {BOB}
    assert "more than 10" in queue.first().hold_reason
    # One action clears the flood out of the queue.
    assert (
        services.replies_moderate(
            replies=list(queue), action=services.REMOVE, by=creator.user
        )
        == 20
    )
    assert not selectors.reply_queue(user=creator.user, creator=creator).exists()


def test_a_blocked_servers_activity_forwarded_by_another_is_refused(
    client, creator, post
):
    """Mastodon forwards replies to the inboxes of people they concern: a
    third server POSTs the blocked server's Create, signed with its own
    key. Refused at the door, nothing stored."""
    DomainPolicy.objects.create(domain="blocked.example")
    troll = Remote("https://blocked.example/users/troll")
    forwarder = Remote("https://relay.example/users/fwd")
    activity = reply_from(troll, creator, post, "you again")
    body = json.dumps(activity).encode()

    response = client.generic(
        "POST", "/inbox", body, **forwarder.signed_headers("/inbox", body)
    )

    assert response.status_code == 403
    assert not InboundActivity.objects.exists()
    assert not Reply.objects.exists()


def test_a_key_on_a_blocked_server_is_refused_whoever_the_actor(client, creator, post):
    DomainPolicy.objects.create(domain="blocked.example")
    sneaky = Remote(
        "https://fine.example/users/sneaky",
        key_id="https://blocked.example/keys/1",
    )
    response = sneaky.post(
        client, reply_from(sneaky, creator, post, "hi"), path="/users/alice/inbox"
    )
    assert response.status_code == 403
    assert not InboundActivity.objects.exists()


def test_a_relayed_note_co_attributed_to_a_blocked_account_is_dropped(
    client, creator, post
):
    """A relay's own Note naming a blocked server's account among its
    authors passes the door (the relay is not blocked) and is dropped by
    processing."""
    DomainPolicy.objects.create(domain="blocked.example")
    relay = Remote("https://relay.example/users/relay")
    activity = reply_from(relay, creator, post, "relayed")
    activity["object"]["attributedTo"] = [
        relay.actor_id,
        "https://blocked.example/users/troll",
    ]

    row = send(client, relay, activity)

    assert row.state == State.IGNORED
    assert "blocked" in row.error
    assert not Reply.objects.exists()


def test_what_a_blocked_account_sends_the_creator_is_dropped(
    client, creator, post, bob
):
    services.actor_block(creator=creator, actor_uri=BOB, by=creator.user)
    values = our_values(creator, post)

    like = send(client, bob, fixture("mastodon/like", **values))
    reply = send(client, bob, reply_from(bob, creator, post, "hello?"))
    follow = send(client, bob, fixture("mastodon/follow", **values))

    assert (like.state, like.error) == (State.IGNORED, "blocked by the creator")
    assert (reply.state, reply.error) == (State.IGNORED, "blocked by the creator")
    assert follow.error == "rejected: the creator blocked them"
    assert not Interaction.objects.exists()
    assert not Reply.objects.exists()
    assert not Follow.objects.exists()
    [answer] = OutboundActivity.objects.filter(activity_type="Reject")
    assert answer.payload["object"]["id"] == fixture("mastodon/follow", **values)["id"]


def test_a_block_is_per_creator(client, creator, other_creator, post, bob):
    services.actor_block(creator=other_creator, actor_uri=BOB, by=other_creator.user)

    send(client, bob, fixture("mastodon/like", **our_values(creator, post)))

    assert Interaction.objects.filter(kind="like").count() == 1


def test_media_from_a_server_whose_media_is_rejected_is_not_kept(
    client, creator, post, bob
):
    DomainPolicy.objects.create(
        domain="mastodon.example", severity="noop", reject_media=True
    )
    activity = fixture("mastodon/create_reply", **our_values(creator, post))
    assert activity["object"]["attachment"]

    send(client, bob, activity)

    reply = Reply.objects.get()
    assert reply.status == Reply.Status.VISIBLE
    assert reply.attachments == []


def test_a_reply_from_a_server_first_seen_today_is_held(client, creator, post, bob):
    ScreeningRules.objects.create(creator=creator, hold_new_servers=True)

    send(client, bob, fixture("mastodon/create_reply", **our_values(creator, post)))

    reply = Reply.objects.get()
    assert reply.status == Reply.Status.HELD
    assert reply.hold_reason == (
        "From a new server: mastodon.example, first seen today"
    )


def test_a_batch_of_replies_is_screened_in_a_bounded_number_of_queries(
    client, creator, post
):
    """Screening reads a fixed handful of rows sets per batch, not some per
    reply: fifty replies from fifty accounts are read with as many queries
    as five (the inserts are analytics', batched on PostgreSQL)."""
    ScreeningRules.objects.create(
        creator=creator, hold_first_time=True, keywords="crypto\n/sp[a4]m/"
    )

    def batch(size, offset):
        for n in range(size):
            remote = Remote(f"https://s{n + offset}.example/users/u")
            remote.post(client, reply_from(remote, creator, post, "hi", n=n + offset))

    def queries(size, offset):
        batch(size, offset)
        with CaptureQueriesContext(connection) as context:
            process_queued()
        return sum(1 for q in context.captured_queries if q["sql"].startswith("SELECT"))

    small = queries(5, 0)
    large = queries(50, 100)
    assert Reply.objects.count() == 55
    assert large == small
