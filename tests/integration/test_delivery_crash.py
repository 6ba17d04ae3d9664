"""A delivery worker killed mid-delivery: nothing lost, nothing sent twice
except the one window nobody can close.

Real PostgreSQL, real Redis, real `celery worker` processes. Twelve loopback
servers verify every POST's signature; half answer at once, half after a
few seconds, so when the worker is SIGKILLed (main process and pool
children, no goodbye) some rows are delivered and recorded, some are on the
wire, some are claimed and waiting. A second worker then picks up every row
whose lease ran out, as the beat sweeper would have it.

The bound asserted: an inbox recorded as delivered before the kill is never
sent to again; the only inboxes that get it twice are ones whose POST had
reached the server before the kill without its answer being recorded (the
same activity id both times, which servers drop as a duplicate).
"""

import contextlib
import os
import signal
import socket
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from creatorhub.celery import app as celery_app
from federation import tasks
from federation.models import Delivery
from federation.outbound import services
from federation.protocol import ids, keys
from tests.federation.delivery_sink import DeliverySink, Reply, follower
from tests.worker import start_worker, stop_worker, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

LEASE_SECONDS = 8
SLOW_ANSWER_SECONDS = 4
INBOXES_PER_SERVER = 3


def _database_url() -> str:
    db = connection.settings_dict
    credentials = db["USER"] or ""
    if db["PASSWORD"]:
        credentials += f":{db['PASSWORD']}"
    at = "@" if credentials else ""
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgres://{credentials}{at}{db['HOST'] or 'localhost'}{port}/{db['NAME']}"


def _pids_of(parent: int) -> list[int]:
    """The pool processes a worker's main process started."""
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == parent:
            children.append(int(entry.name))
    return children


def _kill(process) -> None:
    """SIGKILL the worker and its pool processes, as the OOM killer would."""
    children = _pids_of(process.pid)
    process.send_signal(signal.SIGKILL)
    for pid in children:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    process.wait(timeout=10)
    for pid in children:
        deadline = time.monotonic() + 10
        while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
    process.log_file.close()


@pytest.fixture
def only_our_workers_deliver(integration_services):
    """Other test workers (the session's) stop taking deliveries meanwhile:
    they run without the loopback settings these servers need."""
    replies = celery_app.control.cancel_consumer("deliver", reply=True, timeout=2)
    paused = [name for reply in replies for name in reply]
    yield
    if paused:
        celery_app.control.add_consumer("deliver", destination=paused, reply=True)


@pytest.fixture
def worker_env():
    return {
        "DATABASE_URL": _database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "FEDERATION_ALLOW_HTTP": "true",
        "FEDERATION_ALLOW_PRIVATE_ADDRESSES": "true",
        "FEDERATION_DELIVERY_LEASE_SECONDS": str(LEASE_SECONDS),
    }


def _start(worker_env, tmp_path, label: str):
    name = f"{label}-{uuid.uuid4().hex[:6]}@{socket.gethostname()}"
    process = start_worker(
        hostname=name, env=worker_env, log_path=tmp_path / f"{label}.log"
    )

    def answers():
        """the new worker to answer a ping"""
        return celery_app.control.ping(destination=[name], timeout=0.5)

    wait_for(answers, timeout=60)
    return process


def test_a_killed_worker_loses_nothing_and_resends_only_unanswered_posts(
    creator, only_our_workers_deliver, worker_env, tmp_path
):
    key = keys.key_for_creator(creator)
    sinks = [
        DeliverySink(keys={ids.key_id("alice"): key.public_key_pem}).start()
        for _ in range(12)
    ]
    slow = sinks[6:]  # the first six answer at once
    try:
        for number, sink in enumerate(sinks):
            for n in range(INBOXES_PER_SERVER):
                follower(creator, host=sink.host, username=f"u{number}x{n}")
                if sink in slow:
                    sink.script(
                        f"/users/u{number}x{n}/inbox",
                        Reply(202, delay=SLOW_ANSWER_SECONDS),
                    )
        inboxes = services.follower_inboxes(creator)
        assert len(inboxes) == 36

        first = _start(worker_env, tmp_path, "doomed")
        activity = services.queue_activity(
            creator=creator,
            payload={
                "@context": "https://www.w3.org/ns/activitystreams",
                "id": f"{ids.actor_id('alice')}/statuses/1/activity",
                "type": "Create",
                "actor": ids.actor_id("alice"),
                "object": {"id": f"{ids.actor_id('alice')}/statuses/1", "type": "Note"},
            },
            inboxes=inboxes,
        )

        def mid_delivery():
            """some rows recorded delivered and every slow server mid-request"""
            recorded = Delivery.objects.filter(state="delivered").count()
            return recorded and all(sink.posts() for sink in slow)

        wait_for(mid_delivery, timeout=60, interval=0.05)
        _kill(first)

        time.sleep(0.5)  # requests already in the servers' buffers land
        arrived_before = Counter(
            (sink.host, a.path) for sink in sinks for a in sink.posts()
        )
        recorded_before = set(
            Delivery.objects.filter(state="delivered").values_list(
                "inbox_url", flat=True
            )
        )
        held = Delivery.objects.exclude(state="delivered")
        assert recorded_before, "the worker died before recording anything"
        assert held.exists(), "the worker finished before it was killed"
        assert held.filter(claimed_until__isnull=False).exists()

        second = _start(worker_env, tmp_path, "survivor")
        try:

            def all_delivered():
                """every row delivered once the leases ran out"""
                tasks.deliver_sweep.delay()  # what beat does every 30 s
                return not Delivery.objects.exclude(state="delivered").exists()

            wait_for(all_delivered, timeout=90, interval=1)
        finally:
            stop_worker(second)

        arrivals = Counter((sink.host, a.path) for sink in sinks for a in sink.posts())
        bodies = {a.body for sink in sinks for a in sink.posts()}
        for sink in sinks:
            for arrival in sink.posts():
                assert arrival.verified, arrival.error
    finally:
        for sink in sinks:
            sink.stop()

    assert len(bodies) == 1  # one activity, one id, every time
    url_of = {(s.host, p): s.url(p) for s in sinks for (_, p) in arrivals}
    assert {url_of[key] for key in arrivals} == inboxes  # every inbox has it
    twice = {key for key, count in arrivals.items() if count > 1}
    assert max(arrivals.values()) == 2
    # Exactly the window: what had reached a server without its answer
    # being recorded was sent again, and nothing else was.
    unrecorded = {key for key in arrived_before if url_of[key] not in recorded_before}
    assert twice == unrecorded
    assert {key for key in twice if key[0] in {s.host for s in slow}}, (
        "no POST was on the wire when the worker died"
    )
    for key, url in url_of.items():
        if url in recorded_before:
            assert arrivals[key] == 1  # recorded delivered: never sent again
    assert activity.deliveries.filter(state="delivered").count() == 36
