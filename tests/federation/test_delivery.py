"""Delivery as remote servers see it: signed POSTs over real loopback HTTP.

Every remote here is a real HTTP server on 127.0.0.1 that verifies our
signature with the independent httpsig library (delivery_sink.py, or the
Mastodon-like peer that fetches our key from the live server). The tasks
run in-process, as the worker would run them; nothing of ours is patched.
"""

import random
import socket
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from django.db import transaction
from django.test import RequestFactory
from django.utils import timezone

from analytics.models import Interaction
from federation import tasks
from federation.inbound import verification
from federation.models import (
    Delivery,
    OutboundActivity,
    RemoteActor,
    RemoteInstance,
)
from federation.outbound import breaker, delivery, delivery_answers, services
from federation.protocol import client, ids, keys
from followers.models import Follow
from posts.models import Post
from tests.federation.delivery_sink import (
    DeliverySink,
    Hang,
    Reply,
    Reset,
    closed_port,
    create_payload,
    follower,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_breakers(db):
    """Breakers live in the cache, which outlives a test's database (and on
    Redis shares it with the broker: only these keys go)."""
    yield
    breaker.reset(RemoteInstance.objects.values_list("domain", flat=True))


@pytest.fixture
def sink(alice, loopback):
    key = keys.key_for_creator(alice)
    with DeliverySink(keys={ids.key_id("alice"): key.public_key_pem}) as server:
        yield server


def queue_to_followers(creator, number: int = 1, post=None) -> OutboundActivity:
    return services.queue_activity(
        creator=creator,
        payload=create_payload(creator, number),
        inboxes=services.follower_inboxes(creator),
        is_public=True,
        post=post,
    )


def row(url: str) -> Delivery:
    return Delivery.objects.get(inbox_url=url)


# Delivered once ------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_post_reaches_mastodon_once_signed_with_the_creators_key(
    hub, alice, mastodon_peer
):
    """The peer fetches our key from the live server and verifies the POST."""
    instance = RemoteInstance.objects.create(domain=mastodon_peer.host)
    bob = RemoteActor.objects.create(
        ap_id=mastodon_peer.actor_id,
        instance=instance,
        username="bob",
        inbox_url=mastodon_peer.inbox_url,
        shared_inbox_url=mastodon_peer.shared_inbox_url,
        public_key_id=mastodon_peer.key_id,
        public_key_pem=mastodon_peer.public_pem,
    )
    Follow.objects.create(
        creator=alice, actor=bob, follow_activity_id="x", state="accepted"
    )
    activity = queue_to_followers(alice)

    delivery.deliver_due(activity_id=activity.pk)
    delivery.deliver_due(activity_id=activity.pk)  # again: nothing is owed any more

    posts = mastodon_peer.inbox_posts()
    assert len(posts) == 1
    assert posts[0].path == "/inbox"  # the shared inbox, where offered
    assert posts[0].verified, posts[0].error
    assert posts[0].key_id == ids.key_id("alice")
    assert posts[0].headers["Content-Type"] == "application/activity+json"
    assert posts[0].json() == activity.payload
    sent = Delivery.objects.get(activity=activity)
    assert sent.state == Delivery.State.DELIVERED
    assert (sent.attempts, sent.last_status_code, sent.last_error) == (1, 202, "")
    assert sent.claimed_until is None


def test_every_inbox_gets_it_once_and_shared_inboxes_collapse(alice, sink):
    for name in ("ann", "ben", "cat"):
        follower(alice, host=sink.host, username=name, shared=True)
    follower(alice, host=sink.host, username="dan")  # no shared inbox
    activity = queue_to_followers(alice)

    delivery.deliver_due(activity_id=activity.pk)

    assert sorted(a.path for a in sink.posts()) == ["/inbox", "/users/dan/inbox"]
    assert all(a.verified for a in sink.posts())
    assert activity.deliveries.filter(state="delivered").count() == 2


def test_a_duplicated_task_sends_nothing_twice(alice, sink):
    follower(alice, host=sink.host, username="bob")
    activity = queue_to_followers(alice)

    delivery.deliver_due(activity_id=activity.pk)
    delivery.deliver_due(activity_id=activity.pk)
    tasks.deliver_due()

    assert len(sink.posts()) == 1


def test_a_row_another_worker_holds_is_left_alone_until_its_lease_ends(alice, sink):
    follower(alice, host=sink.host, username="bob")
    activity = queue_to_followers(alice)
    inbox = sink.url("/users/bob/inbox")
    held_until = timezone.now() + timedelta(minutes=3)
    Delivery.objects.update(claimed_until=held_until, claimed_by="other:1:x")

    delivery.deliver_due(activity_id=activity.pk)
    assert sink.posts() == []

    # That worker died: once its lease is over the row is due again.
    delivery.deliver_due(now=held_until + timedelta(seconds=1))
    assert len(sink.posts(path="/users/bob/inbox")) == 1
    assert row(inbox).state == Delivery.State.DELIVERED


def test_queueing_the_same_activity_twice_stores_it_once(alice, sink):
    follower(alice, host=sink.host, username="bob")
    first = queue_to_followers(alice)
    follower(alice, host=sink.host, username="eve")

    again = queue_to_followers(alice)

    assert again.pk == first.pk
    assert Delivery.objects.count() == 1


def test_activities_without_a_creator_are_signed_by_the_instance_actor(
    alice, sink, loopback
):
    sink.keys[ids.instance_key_id()] = keys.key_for_instance().public_key_pem
    payload = {**create_payload(alice), "actor": ids.instance_actor_id()}

    activity = services.queue_activity(
        creator=None, payload=payload, inboxes={sink.url("/inbox")}
    )
    delivery.deliver_due(activity_id=activity.pk)

    (arrival,) = sink.posts()
    assert arrival.verified, arrival.error
    assert arrival.key_id == ids.instance_key_id()


def test_a_long_answer_still_counts_as_delivered(alice, sink):
    follower(alice, host=sink.host, username="bob")
    sink.script("/users/bob/inbox", Reply(200, body=b"x" * 300_000))
    activity = queue_to_followers(alice)

    delivery.deliver_due(activity_id=activity.pk)

    assert row(sink.url("/users/bob/inbox")).state == Delivery.State.DELIVERED
    assert len(sink.posts()) == 1


# Starting on commit --------------------------------------------------------------


def test_delivery_starts_when_the_transaction_commits(
    alice, sink, django_capture_on_commit_callbacks
):
    follower(alice, host=sink.host, username="bob")
    with django_capture_on_commit_callbacks() as callbacks:
        activity = queue_to_followers(alice)
        assert sink.posts() == []

    assert len(callbacks) == 1
    delivery.deliver_due(activity_id=activity.pk)
    assert len(sink.posts()) == 1


def test_a_publish_that_rolls_back_sends_nothing(
    alice, sink, django_capture_on_commit_callbacks
):
    follower(alice, host=sink.host, username="bob")
    with (
        django_capture_on_commit_callbacks() as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        post = Post.objects.create(
            creator=alice,
            body="Hello",
            state="published",
            published_at=timezone.now(),
        )
        queue_to_followers(alice, post=post)
        raise RuntimeError("the publish failed after queueing")

    assert callbacks == []
    assert not OutboundActivity.objects.exists()
    assert not Delivery.objects.exists()
    tasks.deliver_due()
    assert sink.posts() == []


# Answers -------------------------------------------------------------------------


def test_a_server_error_is_retried_with_backoff_then_delivered(alice, sink):
    follower(alice, host=sink.host, username="bob")
    inbox = sink.url("/users/bob/inbox")
    sink.script("/users/bob/inbox", Reply(500))
    activity = queue_to_followers(alice)
    before = timezone.now()

    delivery.deliver_due(activity_id=activity.pk)

    failed = row(inbox)
    assert failed.state == Delivery.State.FAILED
    assert (failed.attempts, failed.last_status_code) == (1, 500)
    assert failed.last_error == f"{sink.host} had a problem: 500 Internal Server Error"
    wait = failed.next_attempt_at - before
    assert timedelta(seconds=16) <= wait <= timedelta(seconds=16 + 0.5 + 20 + 2)

    delivery.deliver_due(activity_id=activity.pk)  # not due yet
    assert len(sink.posts()) == 1

    delivery.deliver_due(now=failed.next_attempt_at + timedelta(seconds=1))
    assert len(sink.posts()) == 2
    assert row(inbox).state == Delivery.State.DELIVERED
    assert row(inbox).attempts == 2


def test_a_server_that_never_answers_is_retried(alice, sink, monkeypatch):
    monkeypatch.setattr(client, "READ_TIMEOUT", 0.5)
    follower(alice, host=sink.host, username="bob")
    sink.script("/users/bob/inbox", Hang())
    activity = queue_to_followers(alice)

    delivery.deliver_due(activity_id=activity.pk)

    failed = row(sink.url("/users/bob/inbox"))
    assert failed.state == Delivery.State.FAILED
    assert failed.last_status_code is None
    assert failed.last_error == f"{sink.host} did not answer in time"
    assert failed.next_attempt_at > timezone.now()
    instance = RemoteInstance.objects.get(domain=sink.host)
    assert instance.delivery_failure_days == [timezone.now().date().isoformat()]


def test_a_dropped_connection_is_retried(alice, sink):
    follower(alice, host=sink.host, username="bob")
    sink.script("/users/bob/inbox", Reset())
    activity = queue_to_followers(alice)

    delivery.deliver_due(activity_id=activity.pk)

    failed = row(sink.url("/users/bob/inbox"))
    assert failed.state == Delivery.State.FAILED
    assert failed.last_error == f"{sink.host} dropped the connection"
    assert len(sink.posts()) == 1


def test_a_refused_connection_is_retried(alice, loopback):
    host = f"127.0.0.1:{closed_port()}"
    follower(alice, host=host, username="bob")
    activity = queue_to_followers(alice)

    delivery.deliver_due(activity_id=activity.pk)

    failed = Delivery.objects.get()
    assert failed.state == Delivery.State.FAILED
    assert failed.last_error == f"{host} refused the connection"


def test_410_from_a_personal_inbox_drops_that_follower(alice, sink):
    gone = follower(alice, host=sink.host, username="gone")
    kept = follower(alice, host=sink.host, username="kept")
    sink.script("/users/gone/inbox", Reply(410))
    activity = queue_to_followers(alice)

    delivery.deliver_due(activity_id=activity.pk)

    assert not Follow.objects.filter(pk=gone.pk).exists()
    assert Follow.objects.filter(pk=kept.pk).exists()
    assert RemoteActor.objects.get(username="gone").gone_at is not None
    # Counted as an unfollow, so the follower counts analytics keeps stay true.
    [unfollow] = Interaction.objects.filter(kind="unfollow")
    assert unfollow.actor_uri.endswith("/users/gone")
    dropped = row(sink.url("/users/gone/inbox"))
    assert dropped.state == Delivery.State.GAVE_UP
    assert dropped.last_status_code == 410
    assert dropped.last_error == (
        f"@gone@{sink.host} no longer exists (410 Gone); removed from followers"
    )
    assert row(sink.url("/users/kept/inbox")).state == Delivery.State.DELIVERED
    # The next post is not addressed to the account that is gone.
    assert services.follower_inboxes(alice) == {sink.url("/users/kept/inbox")}


def test_410_from_a_shared_inbox_gives_up_but_keeps_the_followers(alice, sink):
    follower(alice, host=sink.host, username="ann", shared=True)
    follower(alice, host=sink.host, username="ben", shared=True)
    sink.script("/inbox", Reply(410))
    activity = queue_to_followers(alice)

    delivery.deliver_due(activity_id=activity.pk)

    shared = row(sink.url("/inbox"))
    assert shared.state == Delivery.State.GAVE_UP
    assert shared.last_error == f"{sink.host} is gone (410 Gone); not sending there"
    assert Follow.objects.count() == 2


@pytest.mark.parametrize("in_words", [False, True])
def test_429_waits_as_long_as_retry_after_says(alice, sink, in_words):
    follower(alice, host=sink.host, username="ann")
    follower(alice, host=sink.host, username="ben")
    later = timezone.now() + timedelta(seconds=120)
    retry_after = format_datetime(later, usegmt=True) if in_words else "120"
    sink.script("/users/ann/inbox", Reply(429, headers={"Retry-After": retry_after}))
    sink.script("/users/ben/inbox", Reply(429, headers={"Retry-After": retry_after}))
    activity = queue_to_followers(alice)

    delivery.deliver_due(activity_id=activity.pk)

    # One request found the server busy; nothing more was sent to it.
    assert len(sink.posts()) == 1
    for waiting in Delivery.objects.all():
        assert waiting.state in (Delivery.State.FAILED, Delivery.State.PENDING)
        assert abs(waiting.next_attempt_at - later) < timedelta(seconds=3)
    asked = Delivery.objects.get(attempts=1)
    assert asked.last_status_code == 429
    assert asked.last_error == (
        f"{sink.host} asked us to slow down: 429 Too Many Requests"
    )
    paused = Delivery.objects.get(attempts=0)
    assert paused.last_error == (
        f"{sink.host} asked us to slow down; waiting as it asked"
    )


def test_a_huge_retry_after_is_capped():
    assert (
        delivery_answers.parse_retry_after("99999999")
        == delivery_answers.RETRY_AFTER_CAP
    )
    assert delivery_answers.parse_retry_after("soon") is None
    assert delivery_answers.parse_retry_after(None) is None


@pytest.mark.parametrize(
    ("status", "words"),
    [
        (403, "refused it: 403 Forbidden"),
        (400, "refused it: 400 Bad Request"),
        (501, "refused it: 501 Not Implemented"),
    ],
)
def test_other_refusals_give_up_at_once(alice, sink, status, words):
    follower(alice, host=sink.host, username="bob")
    sink.script("/users/bob/inbox", Reply(status))
    activity = queue_to_followers(alice)

    delivery.deliver_due(activity_id=activity.pk)
    delivery.deliver_due(now=timezone.now() + timedelta(days=4))

    refused = row(sink.url("/users/bob/inbox"))
    assert refused.state == Delivery.State.GAVE_UP
    assert refused.last_error == f"{sink.host} {words}"
    assert len(sink.posts()) == 1


@pytest.mark.parametrize(
    ("status", "words"),
    [
        (401, "did not accept our signature: 401 Unauthorized"),
        (408, "timed out reading it: 408 Request Timeout"),
        (503, "had a problem: 503 Service Unavailable"),
    ],
)
def test_these_answers_are_retried(alice, sink, status, words):
    follower(alice, host=sink.host, username="bob")
    sink.script("/users/bob/inbox", Reply(status))
    activity = queue_to_followers(alice)

    delivery.deliver_due(activity_id=activity.pk)

    retried = row(sink.url("/users/bob/inbox"))
    assert retried.state == Delivery.State.FAILED
    assert retried.last_error == f"{sink.host} {words}"


def test_an_inbox_on_a_private_address_is_never_contacted(alice, settings):
    settings.FEDERATION_ALLOW_HTTP = True
    settings.FEDERATION_ALLOW_PRIVATE_ADDRESSES = False
    activity = services.queue_activity(
        creator=alice,
        payload=create_payload(alice),
        inboxes={"http://10.1.2.3/inbox"},
    )

    delivery.deliver_due(activity_id=activity.pk)

    refused = Delivery.objects.get()
    assert refused.state == Delivery.State.GAVE_UP
    assert refused.last_error.startswith("not sent to 10.1.2.3: refused")


# Backoff -------------------------------------------------------------------------


def test_backoff_grows_as_n_to_the_fourth_plus_15_seconds():
    rng = random.Random(7)
    for attempt in range(1, 17):
        wait = delivery_answers.retry_delay(attempt, rng=rng).total_seconds()
        low = attempt**4 + 15
        assert low <= wait <= low + 0.5 * attempt**4 + 9 * (attempt + 1)
    total = sum(
        delivery_answers.retry_delay(n, rng=random.Random(n)).total_seconds()
        for n in range(1, 17)
    )
    assert timedelta(days=2.5) < timedelta(seconds=total) < timedelta(days=3.5)


def test_after_16_retries_it_gives_up(alice, sink):
    follower(alice, host=sink.host, username="bob")
    activity = queue_to_followers(alice)
    inbox = sink.url("/users/bob/inbox")
    sink.script("/users/bob/inbox", *[Reply(500)] * 17)
    moment = timezone.now()

    for _ in range(17):
        delivery.deliver_due(activity_id=activity.pk, now=moment)
        moment = row(inbox).next_attempt_at + timedelta(seconds=1)

    last = row(inbox)
    assert len(sink.posts()) == 17
    assert last.state == Delivery.State.GAVE_UP
    assert last.attempts == 17
    assert last.last_error == (
        f"gave up after 17 attempts; the last: {sink.host} had a problem: "
        "500 Internal Server Error"
    )
    delivery.deliver_due(now=moment + timedelta(days=30))
    assert len(sink.posts()) == 17


# Servers that stay down ---------------------------------------------------------


FIRST_DAY = datetime(2030, 3, 1, 12, tzinfo=UTC)


def test_a_server_failing_on_seven_days_is_skipped_until_it_works(alice, sink):
    follower(alice, host=sink.host, username="bob")
    instance = RemoteInstance.objects.get(domain=sink.host)
    sink.script("/users/bob/inbox", *[Reply(502)] * 7)
    queue_to_followers(alice, number=1)
    for day in range(7):  # one retry a day, each failing
        delivery.deliver_due(now=FIRST_DAY + timedelta(days=day))
        instance.refresh_from_db()
        assert (instance.unavailable_since is None) == (day < 6)

    assert len(instance.delivery_failure_days) == 7
    queue_to_followers(alice, number=2)
    delivery.deliver_due(now=FIRST_DAY + timedelta(days=8))
    assert len(sink.posts()) == 7  # the server is skipped: nothing sent
    waiting = Delivery.objects.get(activity__ap_id__contains="/statuses/2/")
    assert (waiting.state, waiting.attempts) == (Delivery.State.PENDING, 0)


def test_one_success_clears_the_failure_days(alice, sink):
    follower(alice, host=sink.host, username="bob")
    sink.script("/users/bob/inbox", Reply(500), Reply(500))
    queue_to_followers(alice)
    instance = RemoteInstance.objects.get(domain=sink.host)
    for day in range(2):
        delivery.deliver_due(now=FIRST_DAY + timedelta(days=day))
    instance.refresh_from_db()
    assert instance.delivery_failure_days == ["2030-03-01", "2030-03-02"]

    delivery.deliver_due(now=FIRST_DAY + timedelta(days=2))

    instance.refresh_from_db()
    assert instance.delivery_failure_days == []
    assert Delivery.objects.get().state == Delivery.State.DELIVERED


@pytest.mark.django_db(transaction=True)
def test_an_unavailable_server_is_sent_to_again_once_it_is_heard_from(
    hub, alice, mastodon_peer
):
    instance = RemoteInstance.objects.create(
        domain=mastodon_peer.host, unavailable_since=timezone.now()
    )
    bob = RemoteActor.objects.create(
        ap_id=mastodon_peer.actor_id,
        instance=instance,
        username="bob",
        inbox_url=mastodon_peer.inbox_url,
        public_key_id=mastodon_peer.key_id,
        public_key_pem=mastodon_peer.public_pem,
    )
    Follow.objects.create(
        creator=alice, actor=bob, follow_activity_id="x", state="accepted"
    )
    activity = queue_to_followers(alice)

    delivery.deliver_due(activity_id=activity.pk)
    tasks.deliver_due()
    assert mastodon_peer.inbox_posts() == []

    # The server sends us something, signed: it is up again.
    body = b'{"type": "Like"}'
    url = f"{hub.url}/inbox"
    signed = mastodon_peer.sign("POST", url, body=body)
    request = RequestFactory().post(
        "/inbox",
        data=body,
        content_type=signed.pop("Content-Type"),
        headers=signed,
    )
    verification.verify_signed_request(request, body=body)

    tasks.deliver_due()
    (arrival,) = mastodon_peer.inbox_posts()
    assert arrival.verified, arrival.error
    assert Delivery.objects.get().state == Delivery.State.DELIVERED


def test_the_breaker_pauses_a_server_that_does_not_answer(alice, loopback, sink):
    dead = f"127.0.0.1:{closed_port()}"
    for number in range(5):
        follower(alice, host=dead, username=f"user{number}")
    follower(alice, host=sink.host, username="alive")
    activity = queue_to_followers(alice)
    started = timezone.now()

    run = delivery.deliver_due(activity_id=activity.pk)

    tried = Delivery.objects.filter(host=dead, attempts=1)
    paused = Delivery.objects.filter(host=dead, attempts=0)
    assert tried.count() == 3  # one at a time, until the breaker opened
    assert paused.count() == 2
    for row_ in paused:
        assert row_.state == Delivery.State.PENDING  # deferred, not failed
        assert (
            row_.last_error
            == f"{dead} is not answering; paused sending there for a while"
        )
        wait = row_.next_attempt_at - started
        assert timedelta(seconds=55) < wait < timedelta(seconds=65)
    assert row(sink.url("/users/alive/inbox")).state == Delivery.State.DELIVERED
    assert run.deferred == 2

    # Another run while it is open sends nothing there, even when due.
    Delivery.objects.filter(host=dead).update(next_attempt_at=started)
    delivery.deliver_due(activity_id=activity.pk)
    assert Delivery.objects.filter(host=dead, attempts__gt=1).count() == 0


def test_a_server_that_never_accepts_a_connection_is_retried(
    alice, loopback, monkeypatch
):
    """Its listen queue is full: the connection attempt goes unanswered."""
    monkeypatch.setattr(client, "CONNECT_TIMEOUT", 0.5)
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        host = f"127.0.0.1:{listener.getsockname()[1]}"
        with socket.create_connection(listener.getsockname()):  # fills the queue
            follower(alice, host=host, username="bob")
            activity = queue_to_followers(alice)

            delivery.deliver_due(activity_id=activity.pk)

    failed = Delivery.objects.get()
    assert failed.state == Delivery.State.FAILED
    assert failed.last_error == f"{host} did not accept a connection in time"


# The sweeper ---------------------------------------------------------------------


def test_the_sweeper_counts_only_what_nobody_is_sending(alice):
    activity = services.queue_activity(
        creator=alice,
        payload=create_payload(alice),
        inboxes={f"https://s{n}.example/inbox" for n in range(6)},
    )
    now = timezone.now()
    rows = list(activity.deliveries.order_by("pk"))
    Delivery.objects.filter(pk=rows[0].pk).update(state="delivered")
    Delivery.objects.filter(pk=rows[1].pk).update(state="gave_up")
    Delivery.objects.filter(pk=rows[2].pk).update(
        claimed_until=now + timedelta(minutes=1), claimed_by="w:1:x"
    )
    Delivery.objects.filter(pk=rows[3].pk).update(
        state="failed", next_attempt_at=now + timedelta(minutes=5)
    )
    RemoteInstance.objects.create(domain=rows[4].host, unavailable_since=now)

    assert delivery.due_count(now=now) == 1  # rows[5] only
    assert delivery.runs_for(1) == 1
    assert delivery.runs_for(10_000) == 4  # FEDERATION_DELIVERY_TASKS
    # The lease of a worker that died runs out: its row is due again.
    assert delivery.due_count(now=now + timedelta(minutes=2)) == 2
