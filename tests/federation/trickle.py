"""A loopback server that answers every request slowly, a byte at a time.

    with TrickleServer(b"HTTP/1.1 200 OK\\r\\n...", every=1.0) as server:
        client.get(server.url("/users/bob"))

It sends `prefix` at once, then `trickled` one byte every `every` seconds,
then closes the connection: the hostile peer whose key fetch must not hold a
web process. With `tls`, it speaks https with a certificate for 127.0.0.1
signed by `LoopbackAuthority` (whose file `ca_path` a client must trust).
"""

import datetime
import ipaddress
import socket
import ssl
import threading
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def response_bytes(body: bytes, content_type: str = "application/json") -> bytes:
    head = (
        "HTTP/1.1 200 OK\r\n"
        f"Content-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\n"
        "\r\n"
    )
    return head.encode() + body


class TrickleServer:
    def __init__(
        self,
        trickled: bytes,
        *,
        prefix: bytes = b"",
        every: float = 1.0,
        tls: "LoopbackAuthority | None" = None,
    ):
        self.prefix, self.trickled, self.every = prefix, trickled, every
        self._tls = tls.server_context() if tls else None
        self._listener = socket.create_server(("127.0.0.1", 0), backlog=64)
        self.host = f"127.0.0.1:{self._listener.getsockname()[1]}"
        self._stopping = threading.Event()
        self.connections = 0  # accepted so far
        self._thread = threading.Thread(target=self._accept_forever, daemon=True)

    def url(self, path: str = "/") -> str:
        scheme = "https" if self._tls else "http"
        return f"{scheme}://{self.host}{path}"

    def __enter__(self) -> "TrickleServer":
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stopping.set()
        self._listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept()
        self._listener.close()
        self._thread.join(timeout=5)

    def _accept_forever(self) -> None:
        while not self._stopping.is_set():
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return  # closed
            self.connections += 1
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        try:
            if self._tls:
                conn = self._tls.wrap_socket(conn, server_side=True)
            _read_request_head(conn)
            conn.sendall(self.prefix)
            for byte in self.trickled:
                if self._stopping.wait(self.every):
                    break
                conn.sendall(bytes([byte]))
        except OSError:
            pass  # the client hung up: what the deadline is for
        finally:
            conn.close()


def _read_request_head(conn: socket.socket) -> None:
    received = b""
    while b"\r\n\r\n" not in received:
        chunk = conn.recv(65536)
        if not chunk:
            return
        received += chunk


class LoopbackAuthority:
    """A certificate authority and a certificate for 127.0.0.1, for https."""

    def __init__(self, directory: Path):
        now = datetime.datetime.now(datetime.UTC)
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test CA")])
        ca_cert = (
            _certificate(ca_name, ca_name, ca_key.public_key(), now)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(ca_key, hashes.SHA256())
        )
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
        san = x509.SubjectAlternativeName(
            [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
        )
        cert = (
            _certificate(name, ca_name, key.public_key(), now)
            .add_extension(san, False)
            .sign(ca_key, hashes.SHA256())
        )
        self.ca_path = directory / "ca.pem"
        self.ca_path.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
        self._cert_path = directory / "server.pem"
        self._cert_path.write_bytes(
            cert.public_bytes(serialization.Encoding.PEM)
            + key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self._cert_path)
        return context


def _certificate(subject, issuer, public_key, now) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
    )
