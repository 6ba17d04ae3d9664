"""Real PostgreSQL, real Redis and a real Celery worker process.

Every test in this folder needs all three. Where they are missing the tests
are skipped with the reason, except under CI=true, where a missing service
is a failure: CI must prove the wiring, not skip it.

The broker is Redis (CELERY_BROKER_URL=redis://..., scripts/test's second
pass) or RabbitMQ (amqp://..., its third); Redis is the cache either way.
A RabbitMQ run gets a virtual host of its own, made with `rabbitmqctl` and
deleted at the end, so runs sharing one RabbitMQ never see each other's
queues, tasks or workers.
"""

import os
import socket
import subprocess
import uuid
from urllib.parse import quote, urlsplit

import kombu.pools
import pytest
import redis
from django.conf import settings
from django.db import connection
from kombu import Connection

from creatorhub.celery import app as celery_app
from federation.protocol import keys
from tests.worker import start_worker, stop_worker

WORKER_NAME = "integration@%h"


def _uses_rabbitmq() -> bool:
    return settings.CELERY_BROKER_URL.startswith(("amqp://", "amqps://", "pyamqp://"))


def _not_configured() -> str | None:
    """Why this run is not set up for integration tests, if it is not."""
    if (
        connection.vendor != "postgresql"
        or not settings.REDIS_URL
        or settings.CELERY_BROKER_URL.startswith("filesystem://")
    ):
        return (
            "this run uses SQLite and the embedded broker, so it needs no "
            "servers; scripts/test runs the integration tests in its second "
            "pass, on PostgreSQL and Redis, and its third, with RabbitMQ"
        )
    return None


def _unreachable() -> str | None:
    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        return f"Redis at {settings.REDIS_URL} does not answer: {exc}"
    if _uses_rabbitmq():
        try:
            with Connection(settings.CELERY_BROKER_URL, connect_timeout=3) as conn:
                conn.ensure_connection(max_retries=1, timeout=3)
        except Exception as exc:  # any failure means "not reachable"
            return f"RabbitMQ at {settings.CELERY_BROKER_URL} does not answer: {exc}"
    return None


def _rabbitmqctl(*args: str) -> None:
    subprocess.run(
        ["rabbitmqctl", "-q", *args],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _use_broker(url: str) -> None:
    """Point this process's Celery app, and the workers it starts, at `url`."""
    os.environ["CELERY_BROKER_URL"] = url  # Celery prefers it to its config
    settings.CELERY_BROKER_URL = url  # what the worker fixtures pass on
    celery_app.conf.broker_url = url
    # Drop connections, and the pools holding them, made to the old URL:
    # kombu keeps its producer pools by URL, so switching back to a URL must
    # not find that URL's pool closed.
    kombu.pools.reset()
    celery_app._after_fork()
    celery_app.control._after_fork()


@pytest.fixture(scope="session")
def rabbitmq_vhost():
    """A RabbitMQ virtual host for this run alone, deleted when it ends.

    The tests pause and purge queues and ask "any worker" to answer; in a
    shared virtual host they would do that to other runs' workers too.
    Made with `rabbitmqctl`, so RabbitMQ must run on this machine.
    """
    original = settings.CELERY_BROKER_URL
    parts = urlsplit(original)
    vhost = f"creatorhub-test-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    try:
        _rabbitmqctl("add_vhost", vhost)
        _rabbitmqctl(
            "set_permissions", "-p", vhost, parts.username or "guest", ".*", ".*", ".*"
        )
    except (OSError, subprocess.SubprocessError) as exc:
        detail = getattr(exc, "stderr", "") or exc
        yield (
            f"could not make a RabbitMQ virtual host for this run with "
            f"rabbitmqctl: {detail}"
        )
        return
    _use_broker(parts._replace(path="/" + quote(vhost, safe="")).geturl())
    yield None
    _use_broker(original)
    try:
        _rabbitmqctl("delete_vhost", vhost)
    except (OSError, subprocess.SubprocessError) as exc:
        print(f"rabbitmqctl delete_vhost {vhost} failed: {exc}")  # noqa: T201


def _skip_or_fail(problem: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(problem, pytrace=False)
    pytest.skip(problem)


@pytest.fixture(scope="session")
def integration_services(django_db_setup, django_db_blocker, request):
    with django_db_blocker.unblock():
        reason = _not_configured()
    if reason:
        pytest.skip(reason)
    # PostgreSQL answered already: django_db_setup created the test database.
    problem = _unreachable()
    if problem:
        _skip_or_fail(problem)
    if _uses_rabbitmq():
        problem = request.getfixturevalue("rabbitmq_vhost")
        if problem:
            _skip_or_fail(problem)


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


@pytest.fixture(scope="package")
def celery_worker_process(integration_services, django_db_blocker, tmp_path_factory):
    """A separate `celery worker` process consuming from the test broker.

    It runs the real task code against the test database, exactly as a
    production worker would; the test talks to it only through the broker.
    It stops when this folder's tests end: left running, it would pick up
    tasks the later tests queue and take locks on tables they truncate.
    """
    redis.Redis.from_url(settings.REDIS_URL).flushdb()  # the cache, and a Redis broker
    celery_app.control.purge()  # tasks left in the queues, on either broker
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


# Our server on loopback, reachable by peers -------------------------------

QUEUES = ("default", "deliver", "inbox", "fetch")

# The worker's environment for the settings `hub` sets in the test process.
LOOPBACK_FEDERATION = {
    "CREATORHUB_SCHEME": "http",
    "FEDERATION_ALLOW_HTTP": "true",
    "FEDERATION_ALLOW_PRIVATE_ADDRESSES": "true",
    "FEDERATION_WEBFINGER_SCHEME": "http",
}


@pytest.fixture
def hub(live_server, settings):
    """Our side, on loopback over plain http, as the peers reach it."""
    settings.CREATORHUB_DOMAIN = urlsplit(live_server.url).netloc
    settings.CREATORHUB_SCHEME = "http"
    settings.FEDERATION_ALLOW_HTTP = True
    settings.FEDERATION_ALLOW_PRIVATE_ADDRESSES = True
    settings.FEDERATION_WEBFINGER_SCHEME = "http"
    keys.key_for_instance()
    return live_server


@pytest.fixture
def only_our_worker(integration_services):
    """Workers of other tests stop consuming meanwhile: they run without the
    loopback settings (and the live server's domain) this test needs."""
    paused = {}
    for queue in QUEUES:
        replies = celery_app.control.cancel_consumer(queue, reply=True, timeout=2)
        paused[queue] = [name for reply in replies for name in reply]
    yield
    for queue, names in paused.items():
        if names:
            celery_app.control.add_consumer(queue, destination=names, reply=True)


@pytest.fixture
def worker(hub, only_our_worker, tmp_path):
    """A worker of our own, federating as the live server's domain."""
    name = f"loopback-{uuid.uuid4().hex[:6]}@{socket.gethostname()}"
    process = start_worker(
        hostname=name,
        env={
            "DATABASE_URL": _database_url_for_worker(),
            "REDIS_URL": settings.REDIS_URL,
            "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
            "MEDIA_ROOT": str(settings.MEDIA_ROOT),
            "CREATORHUB_DOMAIN": urlsplit(hub.url).netloc,
            **LOOPBACK_FEDERATION,
        },
        log_path=tmp_path / "worker.log",
    )
    yield process
    stop_worker(process)
