"""Real PostgreSQL, real Redis and a real Celery worker process.

Every test in this folder needs all three. Where they are missing the tests
are skipped with the reason, except under CI=true, where a missing service
is a failure: CI must prove the wiring, not skip it.
"""

import os

import pytest
import redis
from django.conf import settings
from django.db import connection

from tests.worker import start_worker, stop_worker

WORKER_NAME = "integration@%h"


def _not_configured() -> str | None:
    """Why this run is not set up for integration tests, if it is not."""
    if connection.vendor != "postgresql" or not settings.REDIS_URL:
        return (
            "this run uses SQLite and the embedded broker, so it needs no "
            "servers; scripts/test runs the integration tests in its second "
            "pass, on PostgreSQL and Redis"
        )
    return None


def _unreachable() -> str | None:
    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        return f"Redis at {settings.REDIS_URL} does not answer: {exc}"
    return None


@pytest.fixture(scope="session")
def integration_services(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        reason = _not_configured()
    if reason:
        pytest.skip(reason)
    # PostgreSQL answered already: django_db_setup created the test database.
    problem = _unreachable()
    if problem:
        if os.environ.get("CI") == "true":
            pytest.fail(problem, pytrace=False)
        pytest.skip(problem)


def _database_url_for_worker() -> str:
    """The URL of the test database pytest-django created, for the worker."""
    db = connection.settings_dict
    credentials = db["USER"] or ""
    if db["PASSWORD"]:
        credentials += f":{db['PASSWORD']}"
    host = db["HOST"] or "localhost"
    port = f":{db['PORT']}" if db["PORT"] else ""
    at = "@" if credentials else ""
    return f"postgres://{credentials}{at}{host}{port}/{db['NAME']}"


@pytest.fixture(scope="session")
def celery_worker_process(integration_services, django_db_blocker, tmp_path_factory):
    """A separate `celery worker` process consuming from the test Redis.

    It runs the real task code against the test database, exactly as a
    production worker would; the test talks to it only through the broker.
    """
    redis.Redis.from_url(settings.REDIS_URL).flushdb()
    with django_db_blocker.unblock():
        database_url = _database_url_for_worker()
    process = start_worker(
        hostname=WORKER_NAME,
        env={
            "DATABASE_URL": database_url,
            "REDIS_URL": settings.REDIS_URL,
            "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
            "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        },
        log_path=tmp_path_factory.mktemp("worker") / "worker.log",
    )
    yield process
    stop_worker(process)
