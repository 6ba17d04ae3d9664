"""Requests at once to one remote server, counted across every worker on
every machine: what one holds, the others wait for."""

import threading
import time

import pytest
from django.conf import settings as django_settings
from django.db import connection

from federation.models import Delivery
from federation.outbound import delivery, host_slots, services
from federation.protocol import ids, keys
from tests.federation.delivery_sink import DeliverySink, Reply, create_payload, follower

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_slots_left(db):
    yield
    host_slots.reset(["a.example", "b.example", "dead.example", *_sink_hosts])


_sink_hosts: list[str] = []


@pytest.fixture
def sink(alice, loopback):
    key = keys.key_for_creator(alice)
    with DeliverySink(keys={ids.key_id("alice"): key.public_key_pem}) as server:
        _sink_hosts.append(server.host)
        yield server


@pytest.fixture
def limits(settings):
    settings.FEDERATION_DELIVERY_PER_HOST = 2
    # A run claims for a second (a sixth of the lease), then gives back.
    settings.FEDERATION_DELIVERY_LEASE_SECONDS = 6
    return settings


def queue_to(creator, inboxes):
    return services.queue_activity(
        creator=creator, payload=create_payload(creator), inboxes=set(inboxes)
    )


def test_slots_are_capped_per_server_and_come_back_when_given_back(limits):
    first = host_slots.take({"a.example": 3, "b.example": 1})
    assert [len(first["a.example"]), len(first["b.example"])] == [2, 1]
    assert host_slots.take({"a.example": 1}) == {"a.example": []}

    host_slots.give_back([("a.example", first["a.example"][0])])
    assert len(host_slots.take({"a.example": 5})["a.example"]) == 1
    assert host_slots.in_flight("a.example") == 2


def test_while_another_machine_holds_a_servers_slots_nothing_more_goes_there(
    alice, sink, limits
):
    inboxes = [
        sink.url(f"/users/{f.actor.username}/inbox")
        for f in (follower(alice, host=sink.host, username=f"f{n}") for n in range(3))
    ]
    activity = queue_to(alice, inboxes)
    held = host_slots.take({sink.host: 2})[sink.host]  # another machine's

    delivery.deliver_due(activity_id=activity.pk)

    assert sink.arrivals == []
    assert set(Delivery.objects.values_list("state", flat=True)) == {"pending"}
    assert not Delivery.objects.filter(claimed_until__isnull=False).exists()

    host_slots.give_back([(sink.host, slot) for slot in held])
    delivery.deliver_due(activity_id=activity.pk)

    assert len(sink.arrivals) == 3
    assert set(Delivery.objects.values_list("state", flat=True)) == {"delivered"}
    assert host_slots.in_flight(sink.host) == 0


@pytest.mark.skipif(
    not django_settings.REDIS_URL,
    reason="without Redis the slots are this process's own and go with it; "
    "the PostgreSQL + Redis pass runs this",
)
def test_the_slots_of_a_worker_that_died_lapse(limits, monkeypatch):
    monkeypatch.setattr(host_slots, "LAPSE_SECONDS", 0.3)
    host_slots.take({"dead.example": 2})  # and never given back

    assert host_slots.take({"dead.example": 1}) == {"dead.example": []}
    time.sleep(0.4)
    assert len(host_slots.take({"dead.example": 2})["dead.example"]) == 2


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="two runs at once need row locks, which SQLite does not have; the "
    "PostgreSQL pass runs this",
)
@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_keep_to_the_servers_limit_together(alice, sink, limits):
    people = [follower(alice, host=sink.host, username=f"f{n}") for n in range(8)]
    paths = [f"/users/{person.actor.username}/inbox" for person in people]
    for path in paths:
        sink.script(path, Reply(202, delay=0.3))
    activity = queue_to(alice, [sink.url(path) for path in paths])

    def run():
        try:
            while delivery.deliver_due(activity_id=activity.pk).more:
                pass
        finally:
            connection.close()  # this thread's own

    runs = [threading.Thread(target=run) for _ in range(2)]
    for thread in runs:
        thread.start()
    for thread in runs:
        thread.join(timeout=60)

    assert len(sink.arrivals) == 8
    starts = sorted(arrival.at for arrival in sink.arrivals)
    overlapping = max(
        sum(1 for other in starts if start <= other < start + 0.3) for start in starts
    )
    assert overlapping <= 2  # each run alone may send 2: together, still 2
