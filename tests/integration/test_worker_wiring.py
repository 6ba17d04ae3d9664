"""The service wiring end to end: web process → broker (Redis or RabbitMQ)
→ worker → PostgreSQL."""

import pytest
from django.conf import settings

from creatorhub import tasks
from creatorhub.models import WorkerHeartbeat
from tests.worker import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_task_enqueued_through_the_broker_runs_in_the_worker_and_lands_in_postgres(
    celery_worker_process,
):
    """A task sent to the broker is run by the separate worker, which writes
    to PG."""
    assert settings.CELERY_BROKER_URL.startswith(("redis://", "amqp://"))
    assert not WorkerHeartbeat.objects.exists()

    tasks.record_worker_heartbeat.delay()

    def heartbeat_row():
        """the worker's heartbeat row in PostgreSQL"""
        return WorkerHeartbeat.objects.filter(
            hostname__startswith="integration@"
        ).first()

    heartbeat = wait_for(heartbeat_row)
    assert heartbeat.beats == 1
    assert celery_worker_process.poll() is None  # the worker is still running


def test_healthz_reports_database_broker_and_live_worker(client, celery_worker_process):
    """/healthz sees PostgreSQL and the broker answer and the worker beating."""
    tasks.record_worker_heartbeat.delay()
    wait_for(lambda: WorkerHeartbeat.objects.exists())

    response = client.get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["broker"] == "ok"
    assert body["checks"]["workers"]["status"] == "ok"
