"""Slow key servers cannot take the web processes down.

gunicorn with sync workers, as in production (README), on the test
PostgreSQL database and Redis; eight loopback servers that send their key a
byte a second; eight inbox POSTs at once whose keyIds point at them. The
instance keeps answering /healthz, and every POST gets its answer (503 with
Retry-After, the sender retries) by the key fetch's deadline.
"""

import json
import os
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

import pytest
import requests
from django.conf import settings

from federation.protocol import signatures
from tests.federation.trickle import TrickleServer, response_bytes
from tests.integration.conftest import LOOPBACK_FEDERATION, _database_url_for_worker

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
WORKERS = 4
SLOW_SERVERS = 8
KEY_FETCH_SECONDS = 3  # FEDERATION_KEY_FETCH_SECONDS's default
HEALTHZ_WITHIN = 2
# A safety bound on each POST: the deadline plus the request's own work. The
# key servers would take minutes to send their keys.
ANSWERED_WITHIN = KEY_FETCH_SECONDS + 2


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def web(integration_services, transactional_db, tmp_path):
    """gunicorn serving the test database, as the README runs it."""
    port = free_port()
    log = (tmp_path / "gunicorn.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "creatorhub.wsgi",
         "--workers", str(WORKERS), "--bind", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "DATABASE_URL": _database_url_for_worker(),
            "REDIS_URL": settings.REDIS_URL,
            "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
            "CREATORHUB_DOMAIN": f"127.0.0.1:{port}",
            **LOOPBACK_FEDERATION,
        },
        stdout=log,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(process, base_url, tmp_path / "gunicorn.log")
        yield base_url
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def wait_until_serving(process, base_url: str, log_path: Path) -> None:
    give_up = time.monotonic() + 60
    while time.monotonic() < give_up:
        if process.poll() is not None:
            pytest.fail("gunicorn exited:\n" + log_path.read_text(), pytrace=False)
        try:
            requests.get(f"{base_url}/healthz", timeout=5)
            return
        except requests.ConnectionError:
            time.sleep(0.2)
    pytest.fail("gunicorn did not answer:\n" + log_path.read_text(), pytrace=False)


def signed_like(base_url: str, server: TrickleServer, private_pem: str):
    actor = server.url("/users/mallory")
    body = json.dumps(
        {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": f"{actor}#likes/1",
            "type": "Like",
            "actor": actor,
            "object": f"{base_url}/users/alice/statuses/1",
        }
    ).encode()
    headers = signatures.sign_request(
        method="POST",
        url=f"{base_url}/inbox",
        key_id=f"{actor}#main-key",
        private_key=signatures.load_private_key(private_pem),
        body=body,
        headers={"Content-Type": "application/activity+json"},
    )
    return body, headers


def post_timed(base_url: str, body: bytes, headers: dict):
    started = time.monotonic()
    response = requests.post(f"{base_url}/inbox", data=body, headers=headers,
                             timeout=120)  # fmt: skip
    return response, time.monotonic() - started


def healthz_seconds(base_url: str) -> float:
    started = time.monotonic()
    requests.get(f"{base_url}/healthz", timeout=60)
    return time.monotonic() - started


def test_slow_key_servers_hold_no_web_process_for_long(web):
    private_pem, _ = signatures.generate_key_pair()
    key_document = response_bytes(b'{"id": "mallory"}' * 20)
    with ExitStack() as stack:
        servers = [
            stack.enter_context(TrickleServer(key_document, every=1.0))
            for _ in range(SLOW_SERVERS)
        ]
        requests_ = [signed_like(web, server, private_pem) for server in servers]
        with ThreadPoolExecutor(SLOW_SERVERS) as pool:
            posts = [pool.submit(post_timed, web, *request) for request in requests_]
            healthz = []
            while not all(post.done() for post in posts):
                healthz.append(healthz_seconds(web))
                time.sleep(0.1)
            answers = [post.result() for post in posts]

    assert max(healthz) < HEALTHZ_WITHIN, healthz
    for response, seconds in answers:
        assert response.status_code in (503, 401), response.content
        assert response.headers["Content-Type"] == "application/json"
        assert response.json()["error"]
        if response.status_code == 503:
            assert int(response.headers["Retry-After"]) > 0
        assert seconds < ANSWERED_WITHIN, answers
    # The slow servers were asked, at most as many at once as there are slots.
    assert sum(server.connections for server in servers) >= 1
