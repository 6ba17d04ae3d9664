"""Queued on commit, sent by a real worker process: the laptop defaults.

With no servers at all (SQLite and the embedded file broker), committing a
queued activity starts a run in a separate `celery worker`, which signs and
POSTs to the loopback servers. The PostgreSQL + Redis pass proves the same
in tests/integration/test_delivery_crash.py, with a worker killed midway.
"""

import pytest
from django.conf import settings

from federation.models import Delivery
from federation.outbound import services
from federation.protocol import ids, keys
from tests.federation.delivery_sink import DeliverySink, create_payload, follower
from tests.worker import log_tail, start_embedded_worker, stop_worker, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def embedded_worker(tmp_path):
    if not settings.CELERY_BROKER_URL.startswith("filesystem://"):
        pytest.skip("this run uses Redis; the embedded broker runs in the SQLite pass")
    process = start_embedded_worker(
        hostname="embedded-delivery@%h",
        env={
            "FEDERATION_ALLOW_HTTP": "true",
            "FEDERATION_ALLOW_PRIVATE_ADDRESSES": "true",
        },
        log_path=tmp_path / "worker.log",
    )
    yield process
    stop_worker(process)


def test_a_committed_activity_is_delivered_by_the_worker(creator, embedded_worker):
    key = keys.key_for_creator(creator)
    with DeliverySink(keys={ids.key_id("alice"): key.public_key_pem}) as sink:
        for name in ("ann", "ben"):
            follower(creator, host=sink.host, username=name, shared=True)
        follower(creator, host=sink.host, username="cat")

        activity = services.queue_activity(
            creator=creator,
            payload=create_payload(creator),
            inboxes=services.follower_inboxes(creator),
        )

        def delivered():
            """both inboxes recorded delivered by the worker"""
            return activity.deliveries.filter(state="delivered").count() == 2

        wait_for(delivered, timeout=60, explain=lambda: log_tail(embedded_worker))
        arrivals = sink.posts()

    assert sorted(a.path for a in arrivals) == ["/inbox", "/users/cat/inbox"]
    assert all(a.verified for a in arrivals), [a.error for a in arrivals]
    assert all(a.json()["id"] == activity.ap_id for a in arrivals)
    assert not Delivery.objects.filter(claimed_until__isnull=False).exists()
