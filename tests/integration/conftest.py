"""Real PostgreSQL, real Redis and a real Celery worker process.

Every test in this folder needs all three. Where they are missing the tests
are skipped with the reason, except under CI=true, where a missing service
is a failure: CI must prove the wiring, not skip it.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection

from creatorhub.celery import app as celery_app

ROOT = Path(__file__).resolve().parents[2]
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
    log_path = tmp_path_factory.mktemp("worker") / "worker.log"
    with django_db_blocker.unblock():
        database_url = _database_url_for_worker()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": database_url,
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
    }
    log = log_path.open("w")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "creatorhub",
            "worker",
            "--queues",
            "default,deliver,inbox,fetch",
            "--pool",
            "prefork",
            "--concurrency",
            "2",
            "--hostname",
            WORKER_NAME,
            "--without-mingle",
            "--without-gossip",
            "--loglevel",
            "INFO",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_until_worker_answers(process, log_path)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _wait_until_worker_answers(process, log_path: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(
                "the Celery worker exited at start-up:\n" + log_path.read_text(),
                pytrace=False,
            )
        if celery_app.control.ping(timeout=1.0):
            return
    pytest.fail(
        "the Celery worker did not answer within a minute:\n" + log_path.read_text(),
        pytrace=False,
    )


def wait_for(predicate, *, timeout: float = 30, interval: float = 0.2):
    """Poll `predicate` until it returns something truthy, or fail."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    pytest.fail(f"gave up after {timeout:.0f} s waiting for {predicate.__doc__}")
