"""The outbound client: safe by default, against real loopback servers."""

import json
import socket
import threading
import time

import pytest
import urllib3.util.connection
from werkzeug import Response as WerkzeugResponse

from federation.protocol import client, signatures


@pytest.fixture
def loopback_allowed(settings):
    """Test peers run on 127.0.0.1 over plain http: allow both, explicitly."""
    settings.FEDERATION_ALLOW_HTTP = True
    settings.FEDERATION_ALLOW_PRIVATE_ADDRESSES = True
    return settings


def test_fetches_with_our_user_agent_and_as2_accept(httpserver, loopback_allowed):
    httpserver.expect_request("/users/bob").respond_with_json({"id": "x"})
    response = client.get(httpserver.url_for("/users/bob"))
    assert response.status == 200
    assert json.loads(response.body) == {"id": "x"}
    request, _ = httpserver.log[0]
    assert request.headers["User-Agent"].startswith(
        "CreatorHub/0.1.0 (+https://hub.test/)"
    )
    assert "application/activity+json" in request.headers["Accept"]


def test_signed_get_verifies_at_the_remote(httpserver, loopback_allowed):
    private_pem, public_pem = signatures.generate_key_pair()
    httpserver.expect_request("/users/bob").respond_with_data("{}")
    signer = client.Signer(
        key_id="https://hub.test/actor#main-key",
        private_key=signatures.load_private_key(private_pem),
    )
    client.get(httpserver.url_for("/users/bob") + "?page=2", signer=signer)
    request, _ = httpserver.log[0]
    parsed = signatures.verify_request(
        method="GET",
        path=request.path,
        query=request.query_string.decode(),
        headers=dict(request.headers),
        body=None,
        public_key=signatures.load_public_key(public_pem),
    )
    assert parsed.key_id == "https://hub.test/actor#main-key"


def test_signed_post_carries_digest_and_content_type(httpserver, loopback_allowed):
    private_pem, public_pem = signatures.generate_key_pair()
    httpserver.expect_request("/inbox", method="POST").respond_with_data("", 202)
    body = b'{"type": "Like"}'
    response = client.post(
        httpserver.url_for("/inbox"),
        body=body,
        signer=client.Signer("https://hub.test/users/a#main-key",
                             signatures.load_private_key(private_pem)),
    )  # fmt: skip
    assert response.status == 202
    request, _ = httpserver.log[0]
    assert request.headers["Content-Type"] == "application/activity+json"
    signatures.verify_request(
        method="POST",
        path="/inbox",
        query="",
        headers=dict(request.headers),
        body=request.get_data(),
        public_key=signatures.load_public_key(public_pem),
    )


# SSRF and scheme policy -------------------------------------------------------


def test_loopback_is_refused_unless_explicitly_allowed(httpserver, settings):
    settings.FEDERATION_ALLOW_HTTP = True
    settings.FEDERATION_ALLOW_PRIVATE_ADDRESSES = False
    httpserver.expect_request("/").respond_with_data("secret")
    with pytest.raises(client.UnsafeURL, match="loopback"):
        client.get(httpserver.url_for("/"))
    assert httpserver.log == []


def test_a_hostname_resolving_to_loopback_is_refused(httpserver, settings):
    """localhost is a name, not an address: it is resolved and checked."""
    settings.FEDERATION_ALLOW_HTTP = True
    settings.FEDERATION_ALLOW_PRIVATE_ADDRESSES = False
    with pytest.raises(client.UnsafeAddress, match="loopback"):
        client.get(f"http://localhost:{httpserver.port}/")
    assert httpserver.log == []


class Listener:
    """A TCP port on loopback that tells whether anyone connected to it.

    The kernel completes handshakes into the listen queue without accept(),
    so one non-blocking accept afterwards sees any connection made.
    """

    def __enter__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        return self

    def connected(self) -> bool:
        self.sock.setblocking(False)
        try:
            conn, _ = self.sock.accept()
        except BlockingIOError:
            return False
        conn.close()
        return True

    def __exit__(self, *exc):
        self.sock.close()


@pytest.fixture
def resolver(monkeypatch):
    """Names of our choosing, answered as DNS would (numeric hosts go to the
    real resolver); `resolver.asked` lists the names looked up."""
    real = socket.getaddrinfo
    answers: dict[str, list[list[str]]] = {}

    def getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
        if host not in answers:
            return real(host, port, family, type, proto, flags)
        fake.asked.append(host)
        replies = answers[host]
        addresses = replies.pop(0) if len(replies) > 1 else replies[0]
        return [
            (
                socket.AF_INET6 if ":" in address else socket.AF_INET,
                socket.SOCK_STREAM,
                6,
                "",
                (address, port, 0, 0) if ":" in address else (address, port),
            )
            for address in addresses
        ]

    class fake:
        asked: list[str] = []

        @staticmethod
        def answer(host: str, *replies: list[str]) -> None:
            answers[host] = list(replies)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return fake


def test_a_name_resolving_to_loopback_is_refused_without_connecting(settings):
    settings.FEDERATION_ALLOW_HTTP = True
    settings.FEDERATION_ALLOW_PRIVATE_ADDRESSES = False
    with Listener() as listener:
        with pytest.raises(client.UnsafeAddress, match="loopback"):
            client.get(f"http://localhost:{listener.port}/users/bob")
        with pytest.raises(client.UnsafeAddress, match="loopback"):
            client.post(f"http://localhost:{listener.port}/inbox", body=b"{}")
        assert not listener.connected()


@pytest.mark.parametrize(
    "addresses, kind",
    [
        (["10.0.0.7"], "private"),
        (["::1"], "loopback"),
        (["::ffff:127.0.0.1"], "loopback"),
        (["::ffff:10.0.0.7"], "private"),
        (["2002:7f00:1::1"], "loopback"),  # 6to4 around 127.0.0.1
        (["64:ff9b::a9fe:a9fe"], "link-local"),  # NAT64 of 169.254.169.254
        (["93.184.216.34", "127.0.0.1"], "loopback"),  # one bad answer is enough
    ],
)
def test_a_name_resolving_to_an_internal_address_is_refused_before_connecting(
    addresses, kind, resolver, settings
):
    settings.FEDERATION_ALLOW_HTTP = True
    settings.FEDERATION_ALLOW_PRIVATE_ADDRESSES = False
    resolver.answer("sneaky.example", addresses)
    with Listener() as listener:
        with pytest.raises(client.UnsafeAddress, match=kind):
            client.get(f"http://sneaky.example:{listener.port}/")
        assert not listener.connected()


def test_the_connection_goes_to_the_address_checked_not_a_second_answer(
    httpserver, loopback_allowed, resolver
):
    """A rebinding DNS server gets asked once per connection: its second
    answer (an internal address) is never used; Host stays the name."""
    httpserver.expect_request("/users/bob").respond_with_json({"id": "x"})
    resolver.answer("rebind.example", ["127.0.0.1"], ["10.255.255.1"])

    response = client.get(f"http://rebind.example:{httpserver.port}/users/bob")

    assert response.status == 200
    assert resolver.asked == ["rebind.example"]
    request, _ = httpserver.log[0]
    assert request.headers["Host"] == f"rebind.example:{httpserver.port}"


def test_a_refusal_reads_the_same_whatever_the_port(settings):
    """An open port and a closed one are refused alike, neither connected."""
    settings.FEDERATION_ALLOW_HTTP = True
    settings.FEDERATION_ALLOW_PRIVATE_ADDRESSES = False
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    closed_port = closed.getsockname()[1]
    closed.close()
    with Listener() as listener:
        errors = []
        for port in (listener.port, closed_port):
            with pytest.raises(client.UnsafeAddress) as refused:
                client.get(f"http://localhost:{port}/")
            errors.append(str(refused.value))
        assert not listener.connected()
    assert errors[0] == errors[1]


def test_inbox_deliveries_are_refused_before_connecting_too(settings):
    settings.FEDERATION_ALLOW_HTTP = True
    settings.FEDERATION_ALLOW_PRIVATE_ADDRESSES = False
    poster = client.InboxPoster(hosts=2, per_host=1)
    with Listener() as listener:
        with pytest.raises(client.UnsafeAddress, match="loopback"):
            poster.post(
                f"http://localhost:{listener.port}/inbox", body=b"{}", signer=None
            )
        assert not listener.connected()
    poster.close()


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("10.1.2.3", "private"),
        ("192.168.1.1", "private"),
        ("172.16.0.1", "private"),
        ("169.254.169.254", "link-local"),
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("fe80::1", "link-local"),
        ("224.0.0.1", "multicast"),
        ("0.0.0.0", "unspecified"),  # noqa: S104 (a target, not a bind)
        ("::ffff:127.0.0.1", "loopback"),
    ],
)
def test_non_public_addresses_are_refused(address, kind, settings):
    settings.FEDERATION_ALLOW_PRIVATE_ADDRESSES = False
    refusal = client.address_refusal(address)
    assert refusal == f"{address} is a {kind} address"


def test_public_addresses_are_allowed(settings):
    settings.FEDERATION_ALLOW_PRIVATE_ADDRESSES = False
    assert client.address_refusal("93.184.216.34") is None
    assert client.address_refusal("2606:4700::1111") is None


@pytest.mark.parametrize(
    "url",
    [
        "http://remote.example/users/bob",
        "ftp://remote.example/",
        "file:///etc/passwd",
        "https://user:pw@remote.example/",
        "https:///nohost",
    ],
)
def test_unsafe_urls_are_refused_before_any_lookup(url, settings):
    settings.FEDERATION_ALLOW_HTTP = False
    with pytest.raises(client.UnsafeURL):
        client.get(url)


# Hostile responses ------------------------------------------------------------


def test_a_huge_body_is_cut_off(httpserver, loopback_allowed):
    loopback_allowed.FEDERATION_MAX_RESPONSE_BYTES = 1000

    def streamed(_request):
        return WerkzeugResponse((b"x" * 500 for _ in range(100)), mimetype="text/plain")

    httpserver.expect_request("/huge").respond_with_handler(streamed)
    with pytest.raises(client.ResponseTooLarge):
        client.get(httpserver.url_for("/huge"))


def test_an_announced_huge_body_is_refused_unread(httpserver, loopback_allowed):
    loopback_allowed.FEDERATION_MAX_RESPONSE_BYTES = 1000
    httpserver.expect_request("/huge").respond_with_data("x" * 5000)
    with pytest.raises(client.ResponseTooLarge, match="announced"):
        client.get(httpserver.url_for("/huge"))


def test_redirects_are_followed_three_times_at_most(httpserver, loopback_allowed):
    for hop in range(5):
        httpserver.expect_request(f"/hop{hop}").respond_with_data(
            "", status=302, headers={"Location": f"/hop{hop + 1}"}
        )
    with pytest.raises(client.TooManyRedirects):
        client.get(httpserver.url_for("/hop0"))
    assert len(httpserver.log) == 4


def test_a_redirect_loop_ends(httpserver, loopback_allowed):
    httpserver.expect_request("/loop").respond_with_data(
        "", status=301, headers={"Location": "/loop"}
    )
    with pytest.raises(client.TooManyRedirects):
        client.get(httpserver.url_for("/loop"))


def test_every_redirect_hop_is_checked_again(httpserver, loopback_allowed):
    """A redirect to a URL we would never fetch is refused, not followed."""
    httpserver.expect_request("/start").respond_with_data(
        "", status=302, headers={"Location": "file:///etc/passwd"}
    )
    with pytest.raises(client.UnsafeURL, match="only https"):
        client.get(httpserver.url_for("/start"))


def test_redirect_is_followed_to_the_final_document(httpserver, loopback_allowed):
    httpserver.expect_request("/old").respond_with_data(
        "", status=301, headers={"Location": "/new"}
    )
    httpserver.expect_request("/new").respond_with_json({"ok": True})
    response = client.get(httpserver.url_for("/old"))
    assert response.status == 200
    assert response.url.endswith("/new")


def test_post_does_not_follow_redirects(httpserver, loopback_allowed):
    httpserver.expect_request("/inbox", method="POST").respond_with_data(
        "", status=307, headers={"Location": "/elsewhere"}
    )
    response = client.post(httpserver.url_for("/inbox"), body=b"{}")
    assert response.status == 307
    assert len(httpserver.log) == 1


def test_a_server_that_never_answers_times_out(loopback_allowed, monkeypatch):
    """Accepts the connection, then says nothing: a read timeout, not a hang."""
    monkeypatch.setattr(client, "READ_TIMEOUT", 0.5)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    accepted = []
    thread = threading.Thread(target=lambda: accepted.append(listener.accept()))
    thread.start()
    started = time.monotonic()
    try:
        with pytest.raises(client.RemoteUnavailable):
            client.get(f"http://127.0.0.1:{listener.getsockname()[1]}/")
    finally:
        thread.join(timeout=5)
        for conn, _ in accepted:
            conn.close()
        listener.close()
    assert time.monotonic() - started < 5


def test_a_refused_connection_is_reported_as_unavailable(loopback_allowed):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    with pytest.raises(client.RemoteUnavailable, match="could not connect"):
        client.get(f"http://127.0.0.1:{port}/")


def test_a_private_ip_literal_is_refused_without_connecting(settings, monkeypatch):
    settings.FEDERATION_ALLOW_PRIVATE_ADDRESSES = False

    def no_connection(*args, **kwargs):
        raise AssertionError("a connection was attempted")

    monkeypatch.setattr(urllib3.util.connection, "create_connection", no_connection)
    with pytest.raises(client.UnsafeURL, match="link-local"):
        client.get("https://169.254.169.254/latest/meta-data/")
