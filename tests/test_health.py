"""/healthz: database, broker and worker liveness."""

import tempfile
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import OperationalError, connections
from django.utils import timezone

from creatorhub.celery import app as celery_app
from creatorhub.models import WorkerHeartbeat
from creatorhub.services import record_worker_heartbeat

pytestmark = pytest.mark.django_db

UNREACHABLE_REDIS = "redis://127.0.0.1:1/0"  # port 1: nothing listens there


def test_healthy_instance_answers_200_with_every_check_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["broker"] == "ok"
    assert response["Cache-Control"].startswith("max-age=0")


def test_the_suite_uses_the_embedded_broker_under_a_temp_dir():
    if not settings.CELERY_BROKER_URL.startswith("filesystem://"):
        pytest.skip("CELERY_BROKER_URL points at a real broker")
    folder = settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"]
    assert folder.startswith(tempfile.gettempdir())


def test_healthz_needs_no_login_and_only_answers_get(client):
    assert client.get("/healthz").status_code == 200
    assert client.post("/healthz").status_code == 405


def test_unreachable_database_answers_503_with_a_reason(client, monkeypatch):
    def refuse(*args, **kwargs):
        raise OperationalError("could not connect to server")

    monkeypatch.setattr(type(connections["default"]), "cursor", refuse)
    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == "unreachable: OperationalError"
    assert body["checks"]["broker"] == "ok"
    # Worker heartbeats live in the database, so they are not reported.
    assert "workers" not in body["checks"]


def test_unreachable_broker_answers_503_with_a_reason(client, monkeypatch):
    # The Celery app's own configuration, as REDIS_URL would have set it.
    # Celery lets the CELERY_BROKER_URL variable win over its configuration,
    # and the PostgreSQL + Redis pass of the suite sets it.
    monkeypatch.setenv("CELERY_BROKER_URL", UNREACHABLE_REDIS)
    monkeypatch.setitem(celery_app.conf, "broker_url", UNREACHABLE_REDIS)
    monkeypatch.setitem(celery_app.conf, "broker_transport_options", {})
    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["broker"].startswith("unreachable: ")


def test_workers_are_unknown_before_any_heartbeat(client):
    workers = client.get("/healthz").json()["checks"]["workers"]
    assert workers["status"] == "unknown"


def test_workers_are_ok_after_a_heartbeat(client):
    record_worker_heartbeat(hostname="celery@worker-1")
    workers = client.get("/healthz").json()["checks"]["workers"]
    assert workers["status"] == "ok"
    assert workers["hostname"] == "celery@worker-1"
    assert workers["last_seen_seconds_ago"] <= 1


def test_old_heartbeats_are_stale_but_do_not_fail_the_check(client):
    record_worker_heartbeat(hostname="celery@worker-1")
    WorkerHeartbeat.objects.update(seen_at=timezone.now() - timedelta(minutes=5))
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["checks"]["workers"]["status"] == "stale"


def test_heartbeats_count_up_per_worker():
    record_worker_heartbeat(hostname="celery@worker-1")
    beat = record_worker_heartbeat(hostname="celery@worker-1")
    assert beat.beats == 2
    assert WorkerHeartbeat.objects.count() == 1
