"""The one outbound HTTP client: every request to another server goes here.

Remote servers are hostile until proven otherwise, and so are the URLs they
hand us. This module enforces, for every request:
- only https (plain http only when FEDERATION_ALLOW_HTTP is on, for
  development);
- no private, loopback, link-local, multicast or reserved addresses, checked
  on the socket actually connected, so DNS rebinding cannot slip past
  (FEDERATION_ALLOW_PRIVATE_ADDRESSES lifts this for loopback test peers);
- connect 5 s and read 10 s timeouts and a 30 s deadline per response body;
- a response body cap (1 MB by default);
- at most 3 redirects for GET, each re-checked; none for POST;
- a User-Agent naming the software, version and domain;
- an HTTP signature on every request when a signer is given.
"""

import ipaddress
import logging
import threading
import time
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import certifi
import requests
import urllib3
from django.conf import settings
from requests.adapters import HTTPAdapter
from urllib3 import PoolManager
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from . import signatures

logger = logging.getLogger(__name__)

CONNECT_TIMEOUT = 5
READ_TIMEOUT = 10
BODY_DEADLINE = 30
MAX_REDIRECTS = 3
ACTIVITY_JSON = "application/activity+json"
AS2_ACCEPT = 'application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams"'


class OutboundError(Exception):
    """A request to another server could not be made or completed."""


class UnsafeURL(OutboundError):
    """The URL or the address it resolves to is not one we may contact."""


class ResponseTooLarge(OutboundError):
    pass


class TooManyRedirects(OutboundError):
    pass


class RemoteUnavailable(OutboundError):
    """Connecting, sending or reading failed (timeouts, resets, DNS)."""


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


def address_refusal(address: str) -> str | None:
    """Why we may not connect to `address`, or None if we may."""
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if getattr(settings, "FEDERATION_ALLOW_PRIVATE_ADDRESSES", False):
        return None
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
        return  # a name: checked on the socket once it resolves and connects
    refusal = address_refusal(str(literal))
    if refusal:
        raise UnsafeURL(f"refused: {refusal}")


def _check_connected_socket(sock) -> None:
    address = sock.getpeername()[0]
    refusal = address_refusal(address)
    if refusal:
        sock.close()
        raise UnsafeURL(f"refused to connect: {refusal}")


class _GuardedHTTPConnection(HTTPConnection):
    def _new_conn(self):
        sock = super()._new_conn()
        _check_connected_socket(sock)
        return sock


class _GuardedHTTPSConnection(HTTPSConnection):
    def _new_conn(self):
        sock = super()._new_conn()
        _check_connected_socket(sock)
        return sock


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
    ) -> Response:
        """POST `body` to `url`, signed; redirects are not followed.

        An answer longer than `max_bytes` is cut there (and its connection
        dropped): only the status of a delivery counts, and a server that
        accepted an activity has accepted it however much it says.
        """
        check_url(url)
        headers = {"User-Agent": user_agent(), "Content-Type": content_type}
        if signer is not None:
            headers = signatures.sign_request(
                method="POST",
                url=url,
                key_id=signer.key_id,
                private_key=signer.private_key,
                body=body,
                headers=headers,
            )
        try:
            raw = self._pools.urlopen(
                "POST",
                url,
                body=body,
                headers=headers,
                timeout=urllib3.Timeout(connect=CONNECT_TIMEOUT, read=READ_TIMEOUT),
                retries=False,
                redirect=False,
                preload_content=False,
            )
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise RemoteUnavailable(f"could not reach {_host(url)}: {exc}") from exc
        deadline = time.monotonic() + BODY_DEADLINE
        chunks, size, complete = [], 0, True
        try:
            for chunk in raw.stream(16384):
                chunks.append(chunk)
                size += len(chunk)
                if size > max_bytes:
                    complete = False
                    break
                if time.monotonic() > deadline:
                    complete = False
                    raise RemoteUnavailable(f"{_host(url)} is sending too slowly")
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            complete = False
            raise RemoteUnavailable(f"reading from {_host(url)} failed: {exc}") from exc
        finally:
            if not complete:
                raw.close()  # never reuse a connection with unread bytes
            raw.release_conn()
        return Response(
            status=raw.status,
            headers=raw.headers,
            body=b"".join(chunks)[:max_bytes],
            url=url,
        )

    def close(self) -> None:
        self._pools.clear()


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
    try:
        raw = _session().request(
            method,
            url,
            data=body,
            headers=headers,
            timeout=(CONNECT_TIMEOUT, READ_TIMEOUT),
            allow_redirects=False,
            stream=True,
        )
    except requests.exceptions.ConnectionError as exc:
        unsafe = _find_cause(exc, UnsafeURL)
        if unsafe is not None:
            raise unsafe from None
        raise RemoteUnavailable(f"could not connect to {_host(url)}: {exc}") from exc
    except requests.exceptions.RequestException as exc:
        raise RemoteUnavailable(f"request to {_host(url)} failed: {exc}") from exc
    with raw:
        body_bytes = _read_capped(raw, limit, url)
    return Response(
        status=raw.status_code, headers=raw.headers, body=body_bytes, url=url
    )


def _read_capped(raw: requests.Response, limit: int, url: str) -> bytes:
    declared = raw.headers.get("Content-Length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise ResponseTooLarge(f"{_host(url)} announced {declared} bytes")
    deadline = time.monotonic() + BODY_DEADLINE
    chunks, size = [], 0
    try:
        for chunk in raw.iter_content(chunk_size=16384):
            size += len(chunk)
            if size > limit:
                raise ResponseTooLarge(f"{_host(url)} sent more than {limit} bytes")
            if time.monotonic() > deadline:
                raise RemoteUnavailable(f"{_host(url)} is sending too slowly")
            chunks.append(chunk)
    except requests.exceptions.RequestException as exc:
        raise RemoteUnavailable(f"reading from {_host(url)} failed: {exc}") from exc
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
