"""Every outbound request ends by its deadline, however slowly the server talks.

The servers are real loopback sockets sending a byte a second; nothing of
the client is patched. Time bounds below are safety bounds only (the
trickles would take a minute or more): what is asserted is the error.
"""

import json
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from threading import Thread

import certifi
import pytest

from federation.outbound.delivery_answers import judge_failure
from federation.protocol import client
from tests.federation.trickle import LoopbackAuthority, TrickleServer, response_bytes

DOCUMENT = json.dumps({"id": "https://remote.example/users/bob", "pad": "x" * 40})
HEAD, BODY = response_bytes(DOCUMENT.encode()).split(b"\r\n\r\n", 1)
HEAD += b"\r\n\r\n"
# Bytes of a TLS handshake record announcing more to come: an https client
# waits for the rest.
TLS_RECORD_START = b"\x16\x03\x03\x00\x40" + b"\x00" * 64
SAFETY_BOUND = 15  # seconds; every trickle below lasts longer than a minute


@pytest.fixture
def loopback_allowed(settings):
    settings.FEDERATION_ALLOW_HTTP = True
    settings.FEDERATION_ALLOW_PRIVATE_ADDRESSES = True
    return settings


@pytest.fixture
def short_deadline(monkeypatch):
    """Requests outside any `client.deadline(...)` get 2 s instead of 30."""
    monkeypatch.setattr(client, "REQUEST_DEADLINE", 2)


@pytest.fixture
def authority(tmp_path):
    return LoopbackAuthority(tmp_path)


@pytest.fixture
def poster():
    poster = client.InboxPoster(hosts=4, per_host=2)
    yield poster
    poster.close()


def trickling_headers():
    return TrickleServer(HEAD + BODY, every=1.0)


def trickling_body():
    return TrickleServer(BODY, prefix=HEAD, every=1.0)


@pytest.mark.parametrize("server", [trickling_headers, trickling_body])
def test_a_get_is_cut_at_the_deadline(server, loopback_allowed):
    with server() as trickle:
        started = time.monotonic()
        with client.deadline(2), pytest.raises(client.DeadlineExceeded) as caught:
            client.get(trickle.url("/users/bob"))
    assert str(caught.value) == f"{trickle.host} did not answer in 2 s"
    assert time.monotonic() - started < SAFETY_BOUND


@pytest.mark.parametrize("server", [trickling_headers, trickling_body])
def test_an_inbox_post_is_cut_at_the_deadline(
    server, poster, loopback_allowed, short_deadline
):
    with server() as trickle:
        started = time.monotonic()
        with pytest.raises(client.DeadlineExceeded, match="did not answer in 2 s"):
            poster.post(trickle.url("/inbox"), body=b"{}", signer=None)
    assert time.monotonic() - started < SAFETY_BOUND


def test_a_signed_post_is_cut_at_the_deadline_too(loopback_allowed, short_deadline):
    with trickling_body() as trickle, pytest.raises(client.DeadlineExceeded):
        client.post(trickle.url("/inbox"), body=b"{}")


def test_a_trickled_tls_handshake_is_cut_at_the_deadline(loopback_allowed):
    with TrickleServer(TLS_RECORD_START, every=1.0) as trickle:
        started = time.monotonic()
        with client.deadline(2), pytest.raises(client.DeadlineExceeded):
            client.get(f"https://{trickle.host}/users/bob")
    assert time.monotonic() - started < SAFETY_BOUND


def test_a_body_trickled_over_https_is_cut_at_the_deadline(
    loopback_allowed, short_deadline, authority, monkeypatch
):
    monkeypatch.setattr(certifi, "where", lambda: str(authority.ca_path))
    poster = client.InboxPoster(hosts=1, per_host=1)
    with (
        TrickleServer(BODY, prefix=HEAD, every=1.0, tls=authority) as trickle,
        pytest.raises(client.DeadlineExceeded, match="did not answer in 2 s"),
    ):
        poster.post(trickle.url("/inbox"), body=b"{}", signer=None)
    poster.close()


def test_https_within_the_deadline_is_read_whole(
    loopback_allowed, short_deadline, authority, monkeypatch
):
    monkeypatch.setattr(certifi, "where", lambda: str(authority.ca_path))
    poster = client.InboxPoster(hosts=1, per_host=1)
    with TrickleServer(BODY, prefix=HEAD, every=0.01, tls=authority) as trickle:
        response = poster.post(trickle.url("/inbox"), body=b"{}", signer=None)
    poster.close()
    assert response.status == 200
    assert response.body == DOCUMENT.encode()


def test_a_slow_server_within_the_deadline_is_read_whole(loopback_allowed):
    with TrickleServer(BODY, prefix=HEAD, every=0.01) as trickle, client.deadline(5):
        response = client.get(trickle.url("/users/bob"))
    assert response.status == 200
    assert response.body == DOCUMENT.encode()


def test_a_slow_inbox_within_the_deadline_is_answered(
    poster, loopback_allowed, short_deadline
):
    with TrickleServer(BODY, prefix=HEAD, every=0.01) as trickle:
        response = poster.post(trickle.url("/inbox"), body=b"{}", signer=None)
    assert response.status == 200


def test_one_deadline_covers_every_request_inside_it(loopback_allowed):
    """A key fetch may take several requests: together they get the time."""
    with TrickleServer(BODY, prefix=HEAD, every=0.01) as trickle:
        with client.deadline(0.5):
            time.sleep(0.6)
            with pytest.raises(client.DeadlineExceeded):
                client.get(trickle.url("/users/bob"))
        assert client.get(trickle.url("/users/bob")).status == 200  # outside it


def test_a_delivery_cut_at_the_deadline_is_retried_as_not_answering(
    poster, loopback_allowed, short_deadline
):
    with (
        trickling_headers() as trickle,
        pytest.raises(client.DeadlineExceeded) as caught,
    ):
        poster.post(trickle.url("/inbox"), body=b"{}", signer=None)
    answer = judge_failure(host=trickle.host, exc=caught.value)
    assert answer.error == f"{trickle.host} did not answer in time"


# Keep-alive ---------------------------------------------------------------------


class _KeepAlive(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):  # noqa: N802 (BaseHTTPRequestHandler's naming)
        self.rfile.read(int(self.headers["Content-Length"]))
        self.server.peers.append(self.client_address)
        self.send_response(202)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format, *args):  # noqa: A002 (the base signature)
        pass


def test_inbox_posts_to_one_server_reuse_one_connection(poster, loopback_allowed):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _KeepAlive)
    server.daemon_threads = True
    server.peers = []
    thread = Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/inbox"
    try:
        for _ in range(3):
            assert poster.post(url, body=b"{}", signer=None).status == 202
    finally:
        server.shutdown()
        server.server_close()
    assert len(set(server.peers)) == 1
    assert len(server.peers) == 3
