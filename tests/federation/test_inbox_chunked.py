"""Inbox bodies sent chunked (Transfer-Encoding: chunked, no Content-Length).

Through real HTTP servers: gunicorn, as production runs it (README), which
decodes the chunks and says so with `wsgi.input_terminated`; and Django's
live server (wsgiref underneath), which does not, so there the sender is
asked for a Content-Length. Signed for real, like a peer.
"""

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from django.db import connection

from federation.models import InboundActivity
from federation.protocol import signatures
from tests.federation.inbox_support import AS2, Remote

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
CAP = 4096  # FEDERATION_INBOX_MAX_BYTES for the server under test


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_database_url() -> str:
    """The database pytest-django made, as a URL another process can open."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    credentials = db["USER"] or ""
    if db["PASSWORD"]:
        credentials += f":{db['PASSWORD']}"
    at = "@" if credentials else ""
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgres://{credentials}{at}{db['HOST'] or 'localhost'}{port}/{db['NAME']}"


test_database_url.__test__ = False  # a helper, not a test


@pytest.fixture
def gunicorn(tmp_path):
    """gunicorn serving the test database, one sync worker."""
    port = free_port()
    log_path = tmp_path / "gunicorn.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": test_database_url(),
        "FEDERATION_INBOX_MAX_BYTES": str(CAP),
    }
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "creatorhub.wsgi",
             "--workers", "1", "--bind", f"127.0.0.1:{port}"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        base_url = f"http://127.0.0.1:{port}"
        try:
            give_up = time.monotonic() + 60
            while True:
                if process.poll() is not None or time.monotonic() > give_up:
                    pytest.fail("gunicorn did not start:\n" + log_path.read_text())
                try:
                    requests.get(f"{base_url}/healthz", timeout=5)
                    break
                except requests.ConnectionError:
                    time.sleep(0.2)
            yield base_url
        finally:
            process.terminate()
            process.wait(timeout=30)


def like(sender: Remote, *, padding: int = 0) -> dict:
    activity = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{sender.actor_id}#likes/{padding}",
        "type": "Like",
        "actor": sender.actor_id,
        "object": "https://hub.test/users/alice/statuses/1",
    }
    if padding:
        activity["padding"] = "x" * padding
    return activity


def post_chunked(url: str, sender: Remote, activity: dict) -> requests.Response:
    """POST `activity` signed, its body in chunks of 1000 bytes: requests
    sends an iterable body with Transfer-Encoding: chunked."""
    body = json.dumps(activity).encode()
    headers = signatures.sign_request(
        method="POST",
        url=url,
        key_id=sender.key_id,
        private_key=signatures.load_private_key(sender.private_pem),
        body=body,
        headers={"Content-Type": AS2},
    )
    pieces = iter([body[i : i + 1000] for i in range(0, len(body), 1000)])
    return requests.post(url, data=pieces, headers=headers, timeout=30)


@pytest.fixture
def bob():
    return Remote("https://mastodon.example/users/bob")


def test_a_chunked_activity_under_the_cap_is_stored(gunicorn, bob):
    activity = like(bob, padding=2000)  # a few chunks, under the 4 KB cap

    response = post_chunked(f"{gunicorn}/inbox", bob, activity)

    assert response.status_code == 202, response.text
    assert response.request.headers.get("Transfer-Encoding") == "chunked"
    assert "Content-Length" not in response.request.headers
    assert InboundActivity.objects.get().payload == activity


def test_a_chunked_body_over_the_cap_is_refused_and_not_stored(gunicorn, bob):
    response = post_chunked(f"{gunicorn}/inbox", bob, like(bob, padding=CAP * 3))

    assert response.status_code == 413, response.text
    assert response.json() == {"error": f"the body is larger than {CAP} bytes"}
    assert not InboundActivity.objects.exists()


def test_a_server_that_cannot_read_chunked_bodies_asks_for_a_length(live_server, bob):
    """Django's own server hands the application no chunked body: 411, not a
    misleading 400 'not JSON'."""
    response = post_chunked(f"{live_server.url}/inbox", bob, like(bob))

    assert response.status_code == 411, response.text
    assert response.json() == {"error": "send the body with a Content-Length"}
    assert not InboundActivity.objects.exists()


def test_a_body_with_a_content_length_is_read_as_before(gunicorn, bob):
    activity = like(bob)

    response = bob.post_over_http(f"{gunicorn}/inbox", activity)

    assert response.status_code == 202, response.text
    assert InboundActivity.objects.get().ap_id == activity["id"]
