"""The Redis hand-over: the request path queues, workers store in batches.

Needs Redis (the PostgreSQL + Redis pass); skipped on the SQLite pass. The
worker side runs in this process (processing.drain_buffer, what the
process_inbox_batch task calls); tests/integration/test_inbox_worker.py
runs it in a real worker.
"""

import json
from datetime import timedelta

import pytest
import redis
from django.utils import timezone

from analytics.models import Interaction
from federation import inbox_buffer, processing
from federation.models import Follow, InboundActivity
from posts.models import Post
from tests.federation.inbox_support import (
    Remote,
    fixture,
    our_values,
    reset_request_caches,
    stored,
)

pytestmark = pytest.mark.django_db

State = InboundActivity.State


@pytest.fixture(autouse=True)
def buffer(settings):
    if not settings.REDIS_URL:
        pytest.skip("needs Redis: runs in the PostgreSQL + Redis pass")
    client = redis.Redis.from_url(settings.REDIS_URL)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis does not answer: {exc}")
    settings.FEDERATION_INBOX_BUFFER = "redis"
    settings.FEDERATION_INBOX_GATHER_SECONDS = 0

    def clear():
        for key in client.scan_iter("inbox:*"):
            client.delete(key)

    clear()
    # As if a drain task were queued already: the request path then sends
    # none (a real worker, if one runs, must not touch this test's data).
    client.set(inbox_buffer.DRAIN_QUEUED, "1")
    reset_request_caches()
    yield client
    clear()
    reset_request_caches()


@pytest.fixture
def post(creator):
    return Post.objects.create(
        creator=creator,
        body="Harbour at dusk",
        state=Post.State.PUBLISHED,
        published_at=timezone.now(),
    )


@pytest.fixture
def bob(db):
    return Remote("https://mastodon.example/users/bob")


def hand_over(buffer, sender, *activities) -> None:
    """Queue activities as the request path leaves them, past its memory of
    ids seen (the database is the guard then)."""
    buffer.rpush(
        inbox_buffer.PENDING,
        *[
            processing.record_line(
                activity=activity,
                body=json.dumps(activity).encode(),
                key_id=sender.key_id,
                inbox_handle="",
                received_at=0,
            )
            for activity in activities
        ],
    )


def test_an_activity_is_queued_in_redis_and_stored_by_the_worker(
    client, bob, post, buffer
):
    like = fixture("mastodon/like", **our_values(post.creator, post))

    response = bob.post(client, like)

    assert response.status_code == 202
    assert not InboundActivity.objects.exists()  # not on the request path
    assert inbox_buffer.pending_count() == 1

    drained = processing.drain_buffer(seconds=5)

    assert drained.stored == 1
    row = stored(like["id"])
    assert row.state == State.PROCESSED
    assert row.key_id == bob.key_id
    assert row.payload == like
    assert Interaction.objects.get().kind == Interaction.Kind.LIKE
    assert inbox_buffer.pending_count() == 0
    assert not buffer.zrange(inbox_buffer.CLAIMS, 0, -1)


def test_a_redelivery_is_answered_at_once_and_not_queued_again(client, bob, post):
    like = fixture("mastodon/like", **our_values(post.creator, post))

    assert bob.post(client, like).status_code == 202
    assert bob.post(client, like).status_code == 202

    assert inbox_buffer.pending_count() == 1


def test_a_batch_stores_each_id_once_and_skips_ids_stored_before(
    client, bob, post, buffer
):
    values = our_values(post.creator, post)
    like = fixture("mastodon/like", **values)
    follow = fixture("mastodon/follow", **values)
    bob.post(client, like)
    processing.drain_buffer(seconds=5)
    # The same like again, and a follow handed over twice.
    hand_over(buffer, bob, like, follow, follow)

    drained = processing.drain_buffer(seconds=5)

    assert drained.stored == 3
    assert InboundActivity.objects.count() == 2
    assert Interaction.objects.filter(kind=Interaction.Kind.LIKE).count() == 1
    assert Follow.objects.count() == 1


def test_a_like_with_an_unusual_id_redelivered_after_its_undo_stays_undone(
    bob, post, buffer
):
    # Ids are looked up in bulk; quotes, backslashes, commas, braces and
    # characters beyond ASCII must survive the trip to the database.
    values = our_values(post.creator, post)
    like = fixture("mastodon/like", **values)
    like["id"] = bob.actor_id + '#likes/"a\\b,{c} é😀'
    undo = fixture("mastodon/undo_like", **values)
    undo["object"]["id"] = like["id"]

    hand_over(buffer, bob, like)
    processing.drain_buffer(seconds=5)
    assert Interaction.objects.filter(activity_id=like["id"]).exists()
    hand_over(buffer, bob, undo)
    processing.drain_buffer(seconds=5)
    hand_over(buffer, bob, like)  # a re-delivery: seen before, not a new like
    processing.drain_buffer(seconds=5)

    assert not Interaction.objects.filter(kind=Interaction.Kind.LIKE).exists()
    assert stored(like["id"]).state == State.PROCESSED
    assert InboundActivity.objects.count() == 2


def test_an_undo_of_an_overlong_id_does_not_hold_up_its_batch(bob, post, buffer):
    # Only the activity's own id has a length limit at the door; the id it
    # undoes is whatever the sender wrote.
    values = our_values(post.creator, post)
    like = fixture("mastodon/like", **values)
    undo = fixture("mastodon/undo_like", **values)
    undo["object"]["id"] = bob.actor_id + "#likes/" + "9" * 600
    hand_over(buffer, bob, undo, like)

    drained = processing.drain_buffer(seconds=5)

    assert drained.counts == {State.PROCESSED: 2}
    assert stored(undo["id"]).attempts == 0
    assert Interaction.objects.filter(activity_id=like["id"]).exists()


def test_an_early_undo_by_someone_else_does_not_cancel_the_like(bob, post, buffer):
    carol = Remote("https://pleroma.example/users/carol")
    values = our_values(post.creator, post)
    like = fixture("mastodon/like", **values)
    undo = fixture("mastodon/undo_like", **values)
    undo["id"] = carol.actor_id + "#undo/1"
    undo["actor"] = carol.actor_id
    del undo["object"]["actor"]  # naming bob's like, without saying whose
    hand_over(buffer, carol, undo)
    processing.drain_buffer(seconds=5)
    hand_over(buffer, bob, like)
    processing.drain_buffer(seconds=5)

    assert Interaction.objects.filter(activity_id=like["id"]).exists()


def test_a_batch_left_by_a_dead_worker_is_put_back_and_processed(
    client, bob, post, buffer
):
    like = fixture("mastodon/like", **our_values(post.creator, post))
    bob.post(client, like)
    key, lines = inbox_buffer.claim(100)  # ... and the worker dies
    assert len(lines) == 1
    assert inbox_buffer.pending_count() == 0

    assert inbox_buffer.recover_stale_claims(lease_seconds=0) == 1
    processing.drain_buffer(seconds=5)

    assert stored(like["id"]).state == State.PROCESSED
    assert not buffer.exists(key)


def test_an_activity_that_breaks_its_batch_does_not_hold_up_the_others(
    client, bob, post, monkeypatch
):
    values = our_values(post.creator, post)
    like = fixture("mastodon/like", **values)
    follow = fixture("mastodon/follow", **values)
    bob.post(client, like)
    bob.post(client, follow)
    from federation import process_interactions

    def broken(items, actors):
        raise ValueError("a bug in the likes code")

    monkeypatch.setattr(process_interactions, "process", broken)

    processing.drain_buffer(seconds=5)

    assert stored(follow["id"]).state == State.PROCESSED
    assert Follow.objects.count() == 1
    failed = stored(like["id"])
    assert failed.state == State.QUEUED
    assert failed.attempts == 1
    assert "a bug in the likes code" in failed.error
    assert inbox_buffer.pending_count() == 0

    monkeypatch.undo()  # fixed and deployed: the sweeper gets to it
    processing.process_stored([failed.pk])

    assert stored(like["id"]).state == State.PROCESSED
    assert Interaction.objects.filter(kind=Interaction.Kind.LIKE).count() == 1


def test_a_move_waits_for_its_own_task_instead_of_fetching_in_the_batch(
    client, bob, post
):
    move = fixture("mastodon/move", TARGET="https://elsewhere.example/users/bob2")

    bob.post(client, move)
    processing.drain_buffer(seconds=5)

    row = stored(move["id"])
    assert row.state == State.QUEUED
    assert row.error == "waiting for a fetch"


def test_the_sweeper_puts_back_batches_of_dead_workers(client, bob, post, monkeypatch):
    like = fixture("mastodon/like", **our_values(post.creator, post))
    bob.post(client, like)
    inbox_buffer.claim(100)  # a worker took it, and died
    monkeypatch.setattr(processing, "STALE_AFTER", timedelta(0))

    report = processing.sweep()

    assert report["claims_returned"] == 1
    processing.drain_buffer(seconds=5)
    assert stored(like["id"]).state == State.PROCESSED
