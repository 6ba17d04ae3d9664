"""Tasks land on the queue for their kind of work, and only there."""

import pytest

from creatorhub.celery import QUEUES
from creatorhub.celery import app as celery_app


@pytest.mark.parametrize(
    ("task_name", "queue"),
    [
        ("creatorhub.tasks.record_worker_heartbeat", "default"),
        ("federation.tasks.fetch_instance_info", "fetch"),
        ("federation.tasks.fetch_followers_count", "fetch"),
        ("federation.tasks.deliver_batch", "deliver"),
        ("federation.tasks.process_inbox_activity", "inbox"),
    ],
)
def test_task_is_routed_to_its_queue(task_name, queue):
    route = celery_app.amqp.router.route({}, task_name)
    assert route["queue"].name == queue
    assert route["queue"].routing_key == queue


def test_no_two_queues_share_a_routing_key():
    """A shared key on a direct exchange would copy every message to both."""
    keys = [q.routing_key for q in celery_app.conf.task_queues]
    assert sorted(keys) == sorted(QUEUES)
