"""Faults, with real processes: a broker that goes away (and comes back
empty, as Redis without persistence does), a worker node killed with
SIGKILL mid fan-out, two inbox workers on one hot post.

Each test runs its own Redis on a free port as the broker, so it can stop
and start it without touching anyone else's; PostgreSQL and the cache stay
the suite's. The test process plays beat where a beat task would run (it
sends the same task by name, as beat does), so nothing waits for a timer.
"""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.utils import timezone

from analytics.models import CreatorTotalRollup, Interaction, PostDailyRollup
from creatorhub.celery import app as celery_app
from federation import queue
from federation.models import Delivery, InboundActivity, OutboxJob
from federation.protocol import ids, keys
from posts.models import Post
from posts.services import PostInput, post_publish, post_save_draft
from tests import factories
from tests.federation.delivery_sink import DeliverySink, Reply, follower
from tests.federation.inbox_support import Remote
from tests.integration.conftest import (
    LOOPBACK_FEDERATION,
    _database_url_for_worker,
    _use_broker,
)
from tests.worker import log_tail, start_worker, stop_worker, wait_for

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        shutil.which("redis-server") is None,
        reason="these tests run a Redis of their own as the broker",
    ),
]

Kind = Interaction.Kind


class OwnRedis:
    """A redis-server on a free loopback port that keeps nothing on disk."""

    def __init__(self, folder: Path):
        self.folder = folder
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.folder),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url, socket_connect_timeout=1)

        def answers():
            """the test's own Redis answering"""
            try:
                return client.ping()
            except redis.RedisError:
                return False

        wait_for(answers, timeout=20)

    def stop(self) -> None:
        self.process.kill()  # as a crash: nothing saved
        self.process.wait()


@pytest.fixture
def broker(integration_services, tmp_path):
    """The suite's Celery app and the workers below on a Redis of the test's
    own; the suite's broker again afterwards."""
    own = OwnRedis(tmp_path)
    own.start()
    original = settings.CELERY_BROKER_URL
    _use_broker(own.url)
    queue.forget_failures()
    yield own
    _use_broker(original)
    queue.forget_failures()
    if own.process.poll() is None:
        own.stop()


@pytest.fixture
def loopback_ids(settings):
    """Our ids as the workers (with LOOPBACK_FEDERATION) make them."""
    settings.CREATORHUB_SCHEME = "http"
    settings.FEDERATION_ALLOW_HTTP = True
    settings.FEDERATION_ALLOW_PRIVATE_ADDRESSES = True
    return settings


def node(tmp_path, name: str, **env) -> subprocess.Popen:
    """A worker node: its own process tree and name, as on its own machine."""
    return start_worker(
        hostname=f"{name}-{uuid.uuid4().hex[:6]}@{socket.gethostname()}",
        env={
            "DATABASE_URL": _database_url_for_worker(),
            "REDIS_URL": settings.REDIS_URL,
            "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
            "MEDIA_ROOT": str(settings.MEDIA_ROOT),
            **LOOPBACK_FEDERATION,
            **env,
        },
        log_path=tmp_path / f"{name}.log",
    )


def kill_node(process: subprocess.Popen) -> None:
    """SIGKILL a worker and its pool processes at once: a machine lost."""
    children = [
        int(entry.name)
        for entry in Path("/proc").iterdir()
        if entry.name.isdigit() and _parent_of(entry) == process.pid
    ]
    for pid in [process.pid, *children]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    process.wait()
    process.log_file.close()


def _parent_of(proc: Path) -> int | None:
    try:
        return int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return None


def state_of_things(nodes=()) -> str:
    """What the outbox, the deliveries and the inbox hold, and what each
    node last logged: for a test that gave up waiting."""
    parts = [
        "outbox jobs: " + _counts(OutboxJob, "state"),
        "deliveries: " + _counts(Delivery, "state"),
        "inbox: " + _counts(InboundActivity, "state"),
        *(log_tail(process) for process in nodes),
    ]
    return "\n".join(parts)


def _counts(model, field: str) -> str:
    counts = Counter(model.objects.values_list(field, flat=True))
    return ", ".join(f"{value} {count}" for value, count in sorted(counts.items()))


def play_beat(task: str) -> None:
    celery_app.send_task(task)


class Beat:
    """Beat's schedule for the tasks that look for work a lost wake-up
    left behind, played from the test's polling loop: each task at most
    once per `every` seconds, as beat would (it runs the relay every 10 s
    and the delivery sweep every 30 s in production)."""

    def __init__(self, *tasks: str, every: float = 10):
        self.tasks = tasks
        self.every = every
        self.last = time.monotonic()

    def tick(self) -> None:
        if time.monotonic() - self.last >= self.every:
            self.last = time.monotonic()
            for task in self.tasks:
                play_beat(task)


def like(person: Remote, post: Post) -> dict:
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{person.actor_id}#likes/1",
        "type": "Like",
        "actor": person.actor_id,
        "object": ids.note_id(post),
    }


def publish(creator, body: str) -> Post:
    draft = post_save_draft(creator=creator, by=creator.user, data=PostInput(body=body))
    return post_publish(post=draft, by=creator.user)


# The broker goes away --------------------------------------------------------------


def test_published_while_the_broker_is_down_every_inbox_gets_it_once_when_back(
    broker, loopback_ids, tmp_path
):
    alice = factories.CreatorFactory(handle="alice", user__username="alice")
    key = keys.key_for_creator(alice)
    with DeliverySink(keys={ids.key_id("alice"): key.public_key_pem}) as sink:
        for n in range(30):
            follower(alice, host=sink.host, username=f"f{n}")
        broker.stop()

        post = publish(alice, "Published while Redis restarts")

        post.refresh_from_db()
        assert post.state == Post.State.PUBLISHED
        job = OutboxJob.objects.get(post=post)
        assert job.enqueued_at is None  # the hand-over failed: the row waits

        broker.start()  # back, and empty
        worker = node(tmp_path, "worker")
        try:
            play_beat("federation.tasks.relay_outbox")

            def all_delivered():
                """30 deliveries recorded delivered"""
                return (
                    Delivery.objects.filter(state=Delivery.State.DELIVERED).count()
                    == 30
                )

            wait_for(
                all_delivered, timeout=60, explain=lambda: state_of_things([worker])
            )
            time.sleep(1)  # anything sent twice would have arrived by now
        finally:
            stop_worker(worker)

    paths = Counter(arrival.path for arrival in sink.arrivals)
    assert len(paths) == 30
    assert set(paths.values()) == {1}  # exactly once per inbox
    assert all(arrival.verified for arrival in sink.arrivals)
    assert {arrival.json()["type"] for arrival in sink.arrivals} == {"Create"}


def test_activities_answered_202_survive_the_brokers_loss(
    broker, live_server, loopback_ids, tmp_path
):
    creator = factories.CreatorFactory(handle="alice", user__username="alice")
    post = Post.objects.create(
        creator=creator,
        body="hot",
        state=Post.State.PUBLISHED,
        published_at=timezone.now(),
    )
    people = [Remote(f"https://s{n}.example/users/u{n}") for n in range(50)]
    for person in people:
        answer = person.post_over_http(f"{live_server.url}/inbox", like(person, post))
        assert answer.status_code == 202
    assert InboundActivity.objects.count() == 50  # stored before each 202

    broker.stop()  # no worker ran: the wake-ups die with the broker
    broker.start()
    worker = node(tmp_path, "worker")
    try:
        play_beat("federation.tasks.process_inbox_sweep")

        def all_processed():
            """50 likes processed"""
            return (
                InboundActivity.objects.filter(
                    state=InboundActivity.State.PROCESSED
                ).count()
                == 50
            )

        wait_for(all_processed, timeout=60, explain=lambda: state_of_things([worker]))
    finally:
        stop_worker(worker)
    assert Interaction.objects.filter(kind=Kind.LIKE, post=post).count() == 50


# Two nodes, one killed -----------------------------------------------------------

SINKS = 10
PER_SINK = 200
DELAY = 0.05


def test_two_nodes_share_a_fan_out_and_one_killed_loses_nothing(
    broker, loopback_ids, tmp_path
):
    """2,000 inboxes on ten servers answering after 50 ms; two worker nodes
    take the batches; one is killed with SIGKILL a third of the way."""
    alice = factories.CreatorFactory(handle="alice", user__username="alice")
    key = keys.key_for_creator(alice)
    sinks = [
        DeliverySink(keys={ids.key_id("alice"): key.public_key_pem}).start()
        for _ in range(SINKS)
    ]
    env = {
        "FEDERATION_DELIVERY_PER_HOST": "8",
        "FEDERATION_DELIVERY_CONCURRENCY": "20",
        "FEDERATION_DELIVERY_LEASE_SECONDS": "12",
    }
    nodes = []
    try:
        for number, sink in enumerate(sinks):
            for n in range(PER_SINK):
                person = follower(alice, host=sink.host, username=f"s{number}f{n}")
                path = f"/users/{person.actor.username}/inbox"
                sink.script(path, Reply(202, delay=DELAY))
        nodes = [node(tmp_path, "node-a", **env), node(tmp_path, "node-b", **env)]
        publish(alice, "To two thousand inboxes")

        beat = Beat("federation.tasks.relay_outbox", "federation.tasks.deliver_sweep")

        def a_third_delivered():
            """a third of the deliveries recorded"""
            beat.tick()
            return (
                Delivery.objects.filter(state=Delivery.State.DELIVERED).count()
                >= SINKS * PER_SINK // 3
            )

        wait_for(a_third_delivered, timeout=120, explain=lambda: state_of_things(nodes))
        killed_at = time.time()
        kill_node(nodes[0])

        def all_delivered():
            """every delivery recorded delivered, after the lease of the
            killed node's rows ran out"""
            play_beat("federation.tasks.deliver_sweep")  # as beat, every 30 s
            return (
                Delivery.objects.filter(state=Delivery.State.DELIVERED).count()
                == SINKS * PER_SINK
            )

        wait_for(
            all_delivered,
            timeout=180,
            interval=2,
            explain=lambda: state_of_things(nodes[1:]),
        )
    finally:
        for process in nodes[1:]:
            stop_worker(process)
        for sink in sinks:
            sink.stop()

    arrivals = [arrival for sink in sinks for arrival in sink.arrivals]
    per_inbox = Counter(arrival.path for arrival in arrivals)
    assert len(per_inbox) == SINKS * PER_SINK  # nothing lost
    duplicates = sum(count - 1 for count in per_inbox.values())
    # In flight at the kill: sent, and not answered (and recorded) before it.
    in_flight = sum(
        1 for arrival in arrivals if killed_at - DELAY - 0.25 <= arrival.at <= killed_at
    )
    assert duplicates <= in_flight
    # Each node took batches of the fan-out (its log names every task it
    # received; a killed node's runs never get to log what they sent).
    taken = {
        name: (tmp_path / f"{name}.log").read_text().count("deliver_batch[")
        for name in ("node-a", "node-b")
    }
    assert taken["node-a"] > 0 and taken["node-b"] > 0, taken


# Two inbox workers on one hot post ------------------------------------------------


def test_one_hot_post_liked_through_two_inbox_workers_counts_exactly(
    broker, live_server, loopback_ids, tmp_path
):
    creator = factories.CreatorFactory(handle="alice", user__username="alice")
    post = Post.objects.create(
        creator=creator,
        body="viral",
        state=Post.State.PUBLISHED,
        published_at=timezone.now(),
    )
    people = [Remote(f"https://h{n % 40}.example/users/u{n}") for n in range(400)]
    nodes = []
    # Stored with no broker to wake anyone: both nodes then start on an
    # equal footing, a drain each for their two processes.
    broker.stop()
    try:
        for number, person in enumerate(people):
            liked = like(person, post)
            url = f"{live_server.url}/inbox"
            assert person.post_over_http(url, liked).status_code == 202
            if number % 4 == 0:  # a quarter change their minds
                undo = {
                    "@context": "https://www.w3.org/ns/activitystreams",
                    "id": f"{person.actor_id}#likes/1/undo",
                    "type": "Undo",
                    "actor": person.actor_id,
                    "object": liked,
                }
                assert person.post_over_http(url, undo).status_code == 202
        # Small batches: each partition takes several, and the workers
        # interleave on the same post's rows and rollups.
        small = {"FEDERATION_INBOX_BATCH_SIZE": "10"}
        broker.start()
        nodes = [node(tmp_path, "inbox-a", **small), node(tmp_path, "inbox-b", **small)]
        for _ in range(4):  # a drain for each of the two nodes' two processes
            play_beat("federation.tasks.process_inbox_batch")

        def all_processed():
            """every stored activity processed"""
            play_beat("federation.tasks.process_inbox_sweep")
            return not InboundActivity.objects.filter(
                state=InboundActivity.State.QUEUED
            ).exists()

        wait_for(
            all_processed,
            timeout=120,
            interval=1,
            explain=lambda: state_of_things(nodes),
        )
    finally:
        for process in nodes:
            stop_worker(process)

    assert Interaction.objects.filter(kind=Kind.LIKE, post=post).count() == 300
    assert (
        sum(PostDailyRollup.objects.filter(post=post).values_list("likes", flat=True))
        == 300
    )
    assert CreatorTotalRollup.objects.get(creator=creator).likes == 300
    batches = {
        name: (tmp_path / f"{name}.log").read_text().count("inbox: partition ")
        for name in ("inbox-a", "inbox-b")
    }
    assert batches["inbox-a"] > 0 and batches["inbox-b"] > 0, batches
