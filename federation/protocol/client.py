"""The one outbound HTTP client: every request to another server goes here.

Remote servers are hostile until proven otherwise, and so are the URLs they
hand us. This module enforces, for every request:
- only https (plain http only when FEDERATION_ALLOW_HTTP is on, for
  development);
- no private, loopback, link-local, multicast, reserved or unspecified
  addresses (IPv4 and IPv6, IPv4 inside IPv6 too): the name is resolved and
  every address it has is checked before any connection is made, then the
  connection goes to an address that was checked, so neither the port nor a
  second DNS answer (rebinding) changes the outcome
  (FEDERATION_ALLOW_PRIVATE_ADDRESSES lifts this for loopback test peers);
- connect 5 s and read 10 s timeouts, and a deadline for the whole request
  (30 s; shorter inside `deadline(...)`), enforced while reading, so a
  server trickling its headers or body a byte at a time is cut off;
- a response body cap (1 MB by default);
- at most 3 redirects for GET, each re-checked; none for POST;
- a User-Agent naming the software, version and domain;
- an HTTP signature on every request when a signer is given: draft-cavage,
  or RFC 9421 where the caller knows the server takes it (deliveries).
"""

import contextlib
import ipaddress
import logging
import os
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

import certifi
import requests
import urllib3
import urllib3.util.connection
from django.conf import settings
from requests.adapters import HTTPAdapter
from urllib3 import PoolManager
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import (
    ConnectTimeoutError,
    NameResolutionError,
    NewConnectionError,
)

from federation.protocol import message_signatures, signatures

logger = logging.getLogger(__name__)

CONNECT_TIMEOUT = 5
READ_TIMEOUT = 10
REQUEST_DEADLINE = 30
MAX_REDIRECTS = 3
ACTIVITY_JSON = "application/activity+json"
# The HTTP signature standards a request can be signed with.
CAVAGE = "cavage"
RFC9421 = "rfc9421"
AS2_ACCEPT = 'application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams"'


class OutboundError(Exception):
    """A request to another server could not be made or completed."""


class UnsafeURL(OutboundError):
    """The URL or the address it resolves to is not one we may contact."""


class UnsafeAddress(UnsafeURL):
    """The host is, or resolves to, an address we never connect to."""


class ResponseTooLarge(OutboundError):
    pass


class TooManyRedirects(OutboundError):
    pass


class RemoteUnavailable(OutboundError):
    """Connecting, sending or reading failed (timeouts, resets, DNS)."""


class DeadlineExceeded(RemoteUnavailable, TimeoutError):
    """The server did not finish answering before the request's deadline."""


@dataclass(frozen=True)
class Signer:
    """Who signs a request: the key id and the private key object."""

    key_id: str
    private_key: object


@dataclass(frozen=True)
class Response:
    status: int
    headers: requests.structures.CaseInsensitiveDict
    body: bytes
    url: str  # after redirects

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "").split(";")[0].strip().lower()

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


def user_agent() -> str:
    return (
        f"CreatorHub/{settings.CREATORHUB_VERSION} "
        f"(+{settings.CREATORHUB_SCHEME}://{settings.CREATORHUB_DOMAIN}/)"
    )


# Address policy ---------------------------------------------------------------


# IPv6 prefixes that carry an IPv4 address a gateway may route to: NAT64's
# well-known prefix (RFC 6052); 6to4 and IPv4-mapped are read by ipaddress.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def address_refusal(address: str) -> str | None:
    """Why we may not connect to `address`, or None if we may."""
    if getattr(settings, "FEDERATION_ALLOW_PRIVATE_ADDRESSES", False):
        return None
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped:
            ip = ip.ipv4_mapped
        elif ip.sixtofour:
            ip = ip.sixtofour
        elif ip in _NAT64:
            ip = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    for label, flagged in (
        ("unspecified", ip.is_unspecified),
        ("loopback", ip.is_loopback),
        ("link-local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("reserved", ip.is_reserved),
        ("private", ip.is_private),
    ):
        if flagged:
            return f"{address} is a {label} address"
    if not ip.is_global:
        return f"{address} is not a public address"
    return None


def check_url(url: str) -> None:
    """Raise UnsafeURL for URLs we never fetch, before any DNS lookup."""
    parts = urlsplit(url)
    allow_http = getattr(settings, "FEDERATION_ALLOW_HTTP", False)
    if parts.scheme != "https" and not (allow_http and parts.scheme == "http"):
        raise UnsafeURL(f"only https URLs are fetched, not {parts.scheme or 'none'}")
    if not parts.hostname:
        raise UnsafeURL("the URL has no host")
    if parts.username or parts.password:
        raise UnsafeURL("URLs with credentials are not fetched")
    try:
        literal = ipaddress.ip_address(parts.hostname)
    except ValueError:
        return  # a name: its addresses are checked once resolved, unconnected
    refusal = address_refusal(str(literal))
    if refusal:
        raise UnsafeAddress(f"refused: {refusal}")


def vetted_addresses(host: str, port: int) -> list[tuple]:
    """getaddrinfo's answers for `host`, once each has been checked.

    One address that may not be contacted refuses the name, whatever the
    others: a name that answers both a public and an internal address is
    somebody's trick. socket.gaierror when the name does not resolve.
    """
    answers = socket.getaddrinfo(
        host, port, urllib3.util.connection.allowed_gai_family(), socket.SOCK_STREAM
    )
    for *_, sockaddr in answers:
        refusal = address_refusal(sockaddr[0])
        if refusal:
            raise UnsafeAddress(f"refused to connect: {refusal}")
    return answers


class _Guarded:
    """Connects only to addresses checked beforehand, and puts every socket a
    request uses (new or reused) under that request's deadline."""

    def _new_conn(self):
        # urllib3's own _new_conn would resolve the name again inside
        # create_connection: a second answer a rebinding DNS server could
        # change. Resolve once, check, connect to those very addresses; the
        # name stays the Host header and the TLS server name (self.host).
        try:
            answers = vetted_addresses(self._dns_host, self.port)
        except socket.gaierror as exc:
            raise NameResolutionError(self.host, self, exc) from exc
        sock, error = None, None
        for *_, sockaddr in answers:
            try:
                sock = urllib3.util.connection.create_connection(
                    (sockaddr[0], sockaddr[1]),
                    self.timeout,
                    source_address=self.source_address,
                    socket_options=self.socket_options,
                )
                break
            except OSError as exc:  # socket.timeout included
                error = exc
        if sock is None:
            if isinstance(error, TimeoutError):
                raise ConnectTimeoutError(
                    self, f"Connection to {self.host} timed out"
                ) from error
            raise NewConnectionError(
                self, f"Failed to establish a new connection: {error}"
            ) from error
        _watch_socket(sock)  # before the TLS handshake, which can trickle too
        return sock

    def request(self, *args, **kwargs):
        if self.sock is not None:  # a kept-alive connection
            _watch_socket(self.sock)
        return super().request(*args, **kwargs)


class _GuardedHTTPConnection(_Guarded, HTTPConnection):
    pass


class _GuardedHTTPSConnection(_Guarded, HTTPSConnection):
    pass


class _GuardedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection


class _GuardedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


class _GuardedAdapter(HTTPAdapter):
    def init_poolmanager(self, connections, maxsize, block=False, **pool_kwargs):
        self.poolmanager = PoolManager(
            num_pools=connections, maxsize=maxsize, block=block, **pool_kwargs
        )
        self.poolmanager.pool_classes_by_scheme = {
            "http": _GuardedHTTPPool,
            "https": _GuardedHTTPSPool,
        }


_local = threading.local()


# Deadlines --------------------------------------------------------------------
#
# Socket timeouts bound each recv, not a response: a server sending a byte
# every few seconds never trips them, and urllib3's read(amt) loops until amt
# bytes have come. So every request gets a deadline, and one watchdog thread
# shuts down the sockets of requests past theirs. That unblocks whatever read
# is waiting, in any phase (TLS handshake, headers, body), for http and https
# alike, without touching urllib3's reading code. The shutdown goes through a
# duplicate of the descriptor: the ssl object belongs to the reading thread.
# Connecting is bounded by the connect timeout, capped to the time left; name
# resolution is the system resolver's.


@dataclass(eq=False)
class _Watch:
    """One request's deadline and the sockets it has used."""

    host: str
    started: float
    deadline: float
    sockets: list = field(default_factory=list)
    expired: bool = False

    def timeouts(self) -> tuple[float, float]:
        """(connect, read) timeouts, none longer than the time left."""
        left = max(self.deadline - time.monotonic(), 0.001)
        return min(CONNECT_TIMEOUT, left), min(READ_TIMEOUT, left)

    def error(self) -> DeadlineExceeded:
        allowed = self.deadline - self.started
        return DeadlineExceeded(f"{self.host} did not answer in {allowed:.2g} s")


class _Watchdog:
    def __init__(self):
        self._reset()

    def _reset(self) -> None:
        self._wakeup = threading.Condition()
        self._watches: set[_Watch] = set()
        self._thread = None

    def start(self, watch: _Watch) -> None:
        with self._wakeup:
            self._watches.add(watch)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="outbound-deadlines", daemon=True
                )
                self._thread.start()
            self._wakeup.notify()

    def stop(self, watch: _Watch) -> None:
        with self._wakeup:
            self._watches.discard(watch)

    def add_socket(self, watch: _Watch, sock) -> None:
        with self._wakeup:
            if watch.expired:
                _shut_down(sock)
            else:
                watch.sockets.append(sock)

    def _run(self) -> None:
        with self._wakeup:
            while True:
                now = time.monotonic()
                for watch in [w for w in self._watches if w.deadline <= now]:
                    self._watches.discard(watch)
                    watch.expired = True
                    for sock in watch.sockets:
                        _shut_down(sock)
                soonest = min((w.deadline for w in self._watches), default=None)
                self._wakeup.wait(None if soonest is None else soonest - now)


def _shut_down(sock) -> None:
    try:
        with socket.socket(fileno=os.dup(sock.fileno())) as duplicate:
            duplicate.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # closed already: nothing left to unblock


_watchdog = _Watchdog()
# A forked child (a Celery pool process) has no watchdog thread, and may have
# inherited the lock held.
os.register_at_fork(after_in_child=_watchdog._reset)


@contextlib.contextmanager
def deadline(seconds: float):
    """Every request made inside ends within `seconds` from now, all of them
    together (a key fetch may take two requests and a redirect)."""
    outer = getattr(_local, "deadline", None)
    ends = time.monotonic() + seconds
    _local.deadline = ends if outer is None else min(outer, ends)
    try:
        yield
    finally:
        _local.deadline = outer


def _start_watch(url: str) -> _Watch:
    now = time.monotonic()
    ends = now + REQUEST_DEADLINE
    outer = getattr(_local, "deadline", None)
    watch = _Watch(host=_host(url), started=now, deadline=min(ends, outer or ends))
    if outer is not None and outer <= now:
        raise watch.error()
    _watchdog.start(watch)
    _local.watch = watch
    return watch


def _stop_watch(watch: _Watch) -> None:
    _watchdog.stop(watch)
    _local.watch = None


def _watch_socket(sock) -> None:
    watch = getattr(_local, "watch", None)
    if watch is not None:
        _watchdog.add_socket(watch, sock)


def _failure(watch: _Watch, exc: BaseException, words: str) -> RemoteUnavailable:
    """The error to raise for `exc`: the deadline's when the watchdog cut it."""
    if watch.expired:
        return watch.error()
    return RemoteUnavailable(f"{words}: {exc}")


def _session() -> requests.Session:
    """A keep-alive session per thread; connection pools are per host."""
    session = getattr(_local, "session", None)
    if session is None:
        session = requests.Session()
        session.trust_env = False  # never route through an environment proxy
        adapter = _GuardedAdapter(pool_connections=100, pool_maxsize=10)
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        _local.session = session
    return session


class InboxPoster:
    """POSTs to inboxes from many threads at once, over keep-alive connections.

    One connection pool per server (up to `hosts` of them, `per_host`
    connections each), behind the same address guard and timeouts as every
    other request. It talks to urllib3 directly: `requests` adds nothing a
    delivery needs (no cookies, auth or redirects) and its per-call work
    costs as much as the signature. See federation/delivery.py.
    """

    def __init__(self, *, hosts: int, per_host: int):
        self._pools = PoolManager(
            num_pools=hosts, maxsize=per_host, block=False, ca_certs=certifi.where()
        )
        self._pools.pool_classes_by_scheme = {
            "http": _GuardedHTTPPool,
            "https": _GuardedHTTPSPool,
        }

    def post(
        self,
        url: str,
        *,
        body: bytes,
        signer: Signer | None,
        content_type: str = ACTIVITY_JSON,
        max_bytes: int = 64 * 1024,
        standard: str = CAVAGE,
    ) -> Response:
        """POST `body` to `url`, signed (draft-cavage, or RFC 9421 with
        `standard=RFC9421`); redirects are not followed.

        An answer longer than `max_bytes` is cut there (and its connection
        dropped): only the status of a delivery counts, and a server that
        accepted an activity has accepted it however much it says.
        """
        check_url(url)
        headers = {"User-Agent": user_agent(), "Content-Type": content_type}
        if signer is not None:
            headers = sign("POST", url, signer, body=body, headers=headers,
                           standard=standard)  # fmt: skip
        watch = _start_watch(url)
        raw, complete = None, False
        try:
            raw = self._pools.urlopen(
                "POST",
                url,
                body=body,
                headers=headers,
                timeout=urllib3.Timeout(*watch.timeouts()),
                retries=False,
                redirect=False,
                preload_content=False,
            )
            answer, complete = _read_answer(raw, max_bytes)
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            words = "reading from" if raw is not None else "could not reach"
            raise _failure(watch, exc, f"{words} {_host(url)}") from exc
        finally:
            # Unwatched before the connection can go back to the shared pool,
            # where another thread may take it.
            _stop_watch(watch)
            if raw is not None:
                if not complete or watch.expired:
                    raw.close()  # never reuse a connection with unread bytes
                raw.release_conn()
        if watch.expired:
            raise watch.error()  # what was read may be cut short
        return Response(status=raw.status, headers=raw.headers, body=answer, url=url)

    def close(self) -> None:
        self._pools.clear()


def sign(
    method: str,
    url: str,
    signer: Signer,
    *,
    body: bytes | None,
    headers: dict[str, str],
    standard: str = CAVAGE,
) -> dict[str, str]:
    """`headers` and the signature headers of `standard`.

    RFC 9421 requests carry a Date as well: nothing covers it, but servers
    log it and some still want one.
    """
    if standard == RFC9421:
        signed = message_signatures.sign_request(
            method=method,
            url=url,
            key_id=signer.key_id,
            private_key=signer.private_key,
            body=body,
            headers=headers,
        )
        signed.setdefault("Date", signatures.http_date(datetime.now(UTC)))
        return signed
    return signatures.sign_request(
        method=method,
        url=url,
        key_id=signer.key_id,
        private_key=signer.private_key,
        body=body,
        headers=headers,
    )


def _read_answer(raw, max_bytes: int) -> tuple[bytes, bool]:
    """Up to `max_bytes` of an inbox's answer, and whether that was all."""
    chunks, size = [], 0
    for chunk in raw.stream(16384):
        chunks.append(chunk)
        size += len(chunk)
        if size > max_bytes:
            return b"".join(chunks)[:max_bytes], False
    return b"".join(chunks), True


# Requests ---------------------------------------------------------------------


def get(
    url: str,
    *,
    accept: str = AS2_ACCEPT,
    signer: Signer | None = None,
    max_bytes: int | None = None,
) -> Response:
    """GET `url`, following at most 3 redirects, each checked and re-signed."""
    for _ in range(MAX_REDIRECTS + 1):
        response = _send("GET", url, body=None, headers={"Accept": accept},
                         signer=signer, max_bytes=max_bytes)  # fmt: skip
        if response.status not in (301, 302, 303, 307, 308):
            return response
        location = response.headers.get("Location")
        if not location:
            return response
        url = urljoin(url, location)
    raise TooManyRedirects(f"more than {MAX_REDIRECTS} redirects")


def post(
    url: str,
    *,
    body: bytes,
    content_type: str = ACTIVITY_JSON,
    signer: Signer | None = None,
    max_bytes: int = 64 * 1024,
) -> Response:
    """POST `body` to `url`. Redirects are not followed: an inbox is an inbox."""
    return _send(
        "POST",
        url,
        body=body,
        headers={"Content-Type": content_type},
        signer=signer,
        max_bytes=max_bytes,
    )


def _send(method, url, *, body, headers, signer, max_bytes) -> Response:
    check_url(url)
    headers = {"User-Agent": user_agent(), **headers}
    if signer is not None:
        headers = signatures.sign_request(
            method=method,
            url=url,
            key_id=signer.key_id,
            private_key=signer.private_key,
            body=body,
            headers=headers,
        )
    limit = max_bytes or settings.FEDERATION_MAX_RESPONSE_BYTES
    watch = _start_watch(url)
    try:
        status, answer_headers, answer = _exchange(
            method, url, body=body, headers=headers, limit=limit, watch=watch
        )
    finally:
        _stop_watch(watch)
    if watch.expired:
        raise watch.error()  # what was read may be cut short
    return Response(status=status, headers=answer_headers, body=answer, url=url)


def _exchange(method, url, *, body, headers, limit, watch):
    try:
        raw = _session().request(
            method,
            url,
            data=body,
            headers=headers,
            timeout=watch.timeouts(),
            allow_redirects=False,
            stream=True,
        )
    except requests.exceptions.ConnectionError as exc:
        unsafe = _find_cause(exc, UnsafeURL)
        if unsafe is not None:
            raise unsafe from None
        raise _failure(watch, exc, f"could not connect to {_host(url)}") from exc
    except requests.exceptions.RequestException as exc:
        raise _failure(watch, exc, f"request to {_host(url)} failed") from exc
    with raw:
        try:
            answer = _read_capped(raw, limit, url)
        except requests.exceptions.RequestException as exc:
            raise _failure(watch, exc, f"reading from {_host(url)} failed") from exc
    return raw.status_code, raw.headers, answer


def _read_capped(raw: requests.Response, limit: int, url: str) -> bytes:
    declared = raw.headers.get("Content-Length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise ResponseTooLarge(f"{_host(url)} announced {declared} bytes")
    chunks, size = [], 0
    for chunk in raw.iter_content(chunk_size=16384):
        size += len(chunk)
        if size > limit:
            raise ResponseTooLarge(f"{_host(url)} sent more than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _find_cause(exc: BaseException, kind: type[BaseException]):
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, kind):
            return exc
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__ or _first_arg_exception(exc)
    return None


def _first_arg_exception(exc: BaseException):
    for arg in getattr(exc, "args", ()):
        if isinstance(arg, BaseException):
            return arg
        reason = getattr(arg, "reason", None)
        if isinstance(reason, BaseException):
            return reason
    return None


def _host(url: str) -> str:
    return urlsplit(url).netloc
