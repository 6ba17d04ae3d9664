"""`make run` needs no server: the embedded broker feeds a real worker."""

import pytest
from django.conf import settings

from creatorhub import tasks
from creatorhub.models import WorkerHeartbeat
from tests.worker import start_embedded_worker, stop_worker, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def embedded_worker(tmp_path):
    if not settings.CELERY_BROKER_URL.startswith("filesystem://"):
        pytest.skip("this run uses Redis; the embedded broker runs in the SQLite pass")
    process = start_embedded_worker(
        hostname="embedded@%h", log_path=tmp_path / "worker.log"
    )
    yield process
    stop_worker(process)


def test_worker_runs_tasks_from_the_embedded_broker(embedded_worker):
    """With no REDIS_URL, a task still runs in a separate worker process."""
    tasks.record_worker_heartbeat.delay()

    def heartbeat_row():
        """the embedded worker's heartbeat in the SQLite database"""
        return WorkerHeartbeat.objects.filter(hostname__startswith="embedded@").first()

    assert wait_for(heartbeat_row).beats == 1
