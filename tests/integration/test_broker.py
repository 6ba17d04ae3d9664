"""What sending a task does when the broker is down, slow or says no.

A web request that queues a task must never hang on the broker: with the
broker gone or not answering, `.delay()` raises within seconds. With
RabbitMQ every publish is confirmed, so one the broker refused raises too
instead of being lost in silence.
"""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from kombu import Exchange

from creatorhub.celery import app as celery_app

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]

DELAY = """
import time
import django
django.setup()
from creatorhub import tasks
started = time.monotonic()
try:
    tasks.record_worker_heartbeat.delay()
except Exception as exc:
    print(type(exc).__name__, round(time.monotonic() - started, 1))
else:
    print("published", round(time.monotonic() - started, 1))
"""


def _delay_against(url: str) -> tuple[str, float]:
    """`.delay()` in a fresh process whose broker is `url`: what and how long."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "creatorhub.settings"}
    env.update(DEBUG="true", CELERY_BROKER_URL=url)
    result = subprocess.run(
        [sys.executable, "-c", DELAY],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    outcome, seconds = result.stdout.split()
    return outcome, float(seconds)


@pytest.fixture
def silent_server():
    """A port that accepts connections and never says a word."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    yield server.getsockname()[1]
    server.close()


@pytest.mark.parametrize("scheme", ["redis", "amqp"])
def test_delay_fails_fast_when_nothing_listens(integration_services, scheme):
    outcome, seconds = _delay_against(f"{scheme}://127.0.0.1:1/")
    assert outcome == "OperationalError"
    assert seconds < 5


@pytest.mark.parametrize("scheme", ["redis", "amqp"])
def test_delay_fails_fast_when_the_broker_does_not_answer(
    integration_services, silent_server, scheme
):
    outcome, seconds = _delay_against(f"{scheme}://127.0.0.1:{silent_server}/")
    assert outcome == "OperationalError"
    assert seconds < 12


def test_a_publish_rabbitmq_refuses_raises(integration_services):
    if not settings.CELERY_BROKER_URL.startswith("amqp://"):
        pytest.skip("publisher confirms are RabbitMQ's; this run's broker is Redis")
    missing = Exchange(f"creatorhub-missing-{time.monotonic_ns()}", type="direct")
    with (
        celery_app.connection_for_write() as conn,
        conn.Producer() as producer,
        pytest.raises(Exception, match="NOT_FOUND"),
    ):
        producer.publish({"x": 1}, exchange=missing, routing_key="x", declare=[])
