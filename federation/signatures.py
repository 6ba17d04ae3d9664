"""HTTP Signatures as the Fediverse uses them (draft-cavage-http-signatures-12).

Pure functions over methods, paths, header mappings and bytes: no Django, no
network, so they are easy to test and reuse. Fetching the signer's key is the
caller's job: parse the header, look the key up by `key_id`, then verify.

What Mastodon sends and checks (../shared/INTEROP.md §b1, §b2):
- RSA-2048, PKCS#1 v1.5 over SHA-256, `algorithm="rsa-sha256"`; `hs2019` and a
  missing algorithm are accepted and mean the same with an RSA key.
- POST signs `(request-target) host date digest content-type`; GET signs
  `(request-target) host date accept`.
- `Digest: SHA-256=<base64>` of the exact body bytes.
- A `Date` up to an hour in the future and up to an hour and five minutes in
  the past is accepted: Mastodon allows an hour of clock skew on top of its
  five-minute default expiry.
"""

import base64
import binascii
import functools
import hashlib
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from typing import NamedTuple
from urllib.parse import urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

ACCEPTED_ALGORITHMS = frozenset({"rsa-sha256", "hs2019"})
# Mastodon allows an hour of clock skew either way, on top of the five
# minutes a signature lives when it names no `expires`.
CLOCK_SKEW = timedelta(hours=1)
DEFAULT_LIFETIME = timedelta(minutes=5)
RSA_KEY_BITS = 2048

POST_SIGNED_HEADERS = ("(request-target)", "host", "date", "digest", "content-type")
GET_SIGNED_HEADERS = ("(request-target)", "host", "date", "accept")

_PARAM = re.compile(r'([A-Za-z]+)\s*=\s*(?:"([^"]*)"|([0-9]+))')
# Stateless, so one of each serves every call.
_PKCS1V15 = padding.PKCS1v15()
_SHA256 = hashes.SHA256()


class SignatureError(Exception):
    """The request's signature cannot be trusted; the message says why."""


class SignatureMismatch(SignatureError):
    """Well-formed and fresh, but not made by the key given.

    The one failure worth fetching the signer's key again for: it may have
    been rotated since it was cached.
    """


class ParsedSignature(NamedTuple):
    key_id: str
    algorithm: str | None
    headers: tuple[str, ...]
    signature: bytes
    created: int | None = None
    expires: int | None = None


# Keys -----------------------------------------------------------------------


def generate_key_pair() -> tuple[str, str]:
    """Return a new RSA-2048 key pair as (PKCS#8 private PEM, SPKI public PEM)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=RSA_KEY_BITS)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return private_pem.decode(), public_pem_of(key)


def public_pem_of(private_key: rsa.RSAPrivateKey) -> str:
    return (
        private_key.public_key()
        .public_bytes(
            serialization.Encoding.PEM,
            serialization.PublicFormat.SubjectPublicKeyInfo,
        )
        .decode()
    )


# Parsing a PEM costs tens of milliseconds (the private key's consistency
# checks above all); signing and verifying cost far less. Cache the objects.
@functools.lru_cache(maxsize=1024)
def load_private_key(pem: str) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("only RSA keys are supported")
    return key


@functools.lru_cache(maxsize=8192)
def load_public_key(pem: str) -> rsa.RSAPublicKey:
    """Load a remote actor's public key, or raise SignatureError."""
    try:
        key = serialization.load_pem_public_key(pem.encode())
    except (ValueError, TypeError) as exc:
        raise SignatureError("the signer's public key is not a valid PEM") from exc
    if not isinstance(key, rsa.RSAPublicKey):
        raise SignatureError("the signer's key is not an RSA key")
    return key


# Building blocks ------------------------------------------------------------


def digest_of(body: bytes) -> str:
    """The `Digest` header value for `body`."""
    return "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode()


def http_date(moment: datetime) -> str:
    """RFC 7231 IMF-fixdate, as the `Date` header wants it."""
    return format_datetime(moment.astimezone(UTC), usegmt=True)


def parse_signature_header(value: str) -> ParsedSignature:
    """Parse a `Signature` header (or `Authorization: Signature ...`)."""
    value = value.strip()
    if value[:10].lower() == "signature ":
        value = value[10:]
    params = _split_params(value)
    if "keyId" not in params or "signature" not in params:
        raise SignatureError("the Signature header lacks keyId or signature")
    try:
        signature = binascii.a2b_base64(params["signature"], strict_mode=True)
    except (binascii.Error, ValueError) as exc:
        raise SignatureError("the signature is not base64") from exc
    headers = tuple(params.get("headers", "date").lower().split())
    try:
        created = int(params["created"]) if "created" in params else None
        expires = int(params["expires"]) if "expires" in params else None
    except ValueError as exc:
        raise SignatureError("created or expires is not a number") from exc
    # Positional: this runs on every inbox POST and keywords cost here.
    return ParsedSignature(
        params["keyId"], params.get("algorithm"), headers, signature, created, expires
    )


def _split_params(value: str) -> dict[str, str]:
    """The name="value" pairs of a Signature header.

    This runs on every inbox POST, so the usual all-quoted form is split with
    plain string methods; anything else (unquoted numbers, odd spacing) goes
    through the regular expression.
    """
    params = {}
    if value.endswith('"'):
        for part in value[:-1].split('",'):
            name, equals, quoted = part.strip().partition('="')
            if not equals or not name.isalpha() or '"' in quoted:
                break
            params[name] = quoted
        else:
            return params
    pairs = _PARAM.findall(value)
    if not pairs or _PARAM.sub("", value).strip(" ,"):
        raise SignatureError("the Signature header cannot be parsed")
    return {name: quoted or number for name, quoted, number in pairs}


_MONTHS = {
    name: number
    for number, name in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun",
         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
        start=1,
    )
}  # fmt: skip


# Requests arriving in the same second share a Date: parse each once.
@functools.lru_cache(maxsize=512)
def parse_http_date(value: str) -> datetime:
    """Parse a `Date` header; ValueError if it is not a date.

    IMF-fixdate ("Sun, 05 Jan 2014 21:31:40 GMT"), which every server sends,
    is read directly; anything else goes through the slower email parser.
    """
    parts = value.split()
    if len(parts) == 6 and parts[5] == "GMT" and parts[2] in _MONTHS:
        hour, minute, second = parts[4].split(":")
        return datetime(
            int(parts[3]),
            _MONTHS[parts[2]],
            int(parts[1]),
            int(hour),
            int(minute),
            int(second),
            tzinfo=UTC,
        )
    moment = parsedate_to_datetime(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def signing_string(
    names: tuple[str, ...],
    *,
    method: str,
    target: str,
    headers: Mapping[str, str],
    created: int | None = None,
    expires: int | None = None,
) -> str:
    """The text that is signed: one `name: value` line per signed header.

    `headers` must have lower-case keys; `target` is the path and query.
    """
    lines = []
    for name in names:
        if name == "(request-target)":
            value = f"{method.lower()} {target}"
        elif name == "(created)":
            if created is None:
                raise SignatureError("(created) is signed but has no value")
            value = str(created)
        elif name == "(expires)":
            if expires is None:
                raise SignatureError("(expires) is signed but has no value")
            value = str(expires)
        elif name in headers:
            value = headers[name]
        else:
            raise SignatureError(f"the signed header {name!r} is missing")
        lines.append(f"{name}: {value}")
    return "\n".join(lines)


def _lower_keys(headers: Mapping[str, str]) -> dict[str, str]:
    return {name.lower(): value.strip() for name, value in headers.items()}


# Signing --------------------------------------------------------------------


def sign_request(
    *,
    method: str,
    url: str,
    key_id: str,
    private_key: rsa.RSAPrivateKey,
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    now: datetime | None = None,
) -> dict[str, str]:
    """Return `headers` plus Host, Date, Digest (with a body) and Signature.

    Signs the header set Mastodon signs: with a body, `(request-target) host
    date digest content-type`; without, `(request-target) host date accept`
    (each only if present).
    """
    parts = urlsplit(url)
    signed = dict(headers or {})
    lower = _lower_keys(signed)
    if "host" not in lower:
        signed["Host"] = parts.netloc
    signed["Date"] = http_date(now or datetime.now(UTC))
    if body is not None:
        signed["Digest"] = digest_of(body)
    lower = _lower_keys(signed)
    wanted = POST_SIGNED_HEADERS if body is not None else GET_SIGNED_HEADERS
    names = tuple(n for n in wanted if n == "(request-target)" or n in lower)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    text = signing_string(names, method=method, target=target, headers=lower)
    signature = private_key.sign(text.encode(), _PKCS1V15, _SHA256)
    signed["Signature"] = (
        f'keyId="{key_id}",algorithm="rsa-sha256",'
        f'headers="{" ".join(names)}",'
        f'signature="{base64.b64encode(signature).decode()}"'
    )
    return signed


# Verifying ------------------------------------------------------------------


def verify_request(
    *,
    method: str,
    path: str,
    query: str,
    headers: Mapping[str, str],
    body: bytes | None,
    public_key: rsa.RSAPublicKey,
    parsed: ParsedSignature | None = None,
    now: datetime | None = None,
) -> ParsedSignature:
    """Check a request's signature, Date and Digest; raise SignatureError if bad.

    `body` is None for requests without one (GET). Returns the parsed header.
    """
    lower = _lower_keys(headers)
    if parsed is None:
        header = lower.get("signature") or lower.get("authorization")
        if not header:
            raise SignatureError("the request is not signed")
        parsed = parse_signature_header(header)
    _check_algorithm(parsed)
    _check_covered_headers(parsed, method=method, has_body=body is not None)
    _check_freshness(parsed, lower, now=now or datetime.now(UTC))
    if body is not None:
        _check_digest(lower.get("digest", ""), body)

    # Mastodon signs the query string in newer versions and not in older
    # ones; accept either, as Mastodon's own verifier does.
    targets = [f"{path}?{query}", path] if query else [path]
    for target in targets:
        text = signing_string(
            parsed.headers,
            method=method,
            target=target,
            headers=lower,
            created=parsed.created,
            expires=parsed.expires,
        )
        try:
            public_key.verify(parsed.signature, text.encode(), _PKCS1V15, _SHA256)
        except InvalidSignature:
            continue
        return parsed
    raise SignatureMismatch("the signature does not match the request")


def _check_algorithm(parsed: ParsedSignature) -> None:
    if parsed.algorithm is not None and parsed.algorithm not in ACCEPTED_ALGORITHMS:
        raise SignatureError(f"unsupported signature algorithm {parsed.algorithm!r}")


def _check_covered_headers(
    parsed: ParsedSignature, *, method: str, has_body: bool
) -> None:
    covered = parsed.headers
    missing = []
    if "(request-target)" not in covered:
        missing.append("(request-target)")
    if "host" not in covered:
        missing.append("host")
    if "date" not in covered and "(created)" not in covered:
        missing.append("date")
    if (has_body or method.upper() == "POST") and "digest" not in covered:
        missing.append("digest")
    if missing:
        raise SignatureError("the signature must cover " + ", ".join(missing))


def _check_freshness(
    parsed: ParsedSignature, headers: Mapping[str, str], *, now: datetime
) -> None:
    if "(created)" in parsed.headers and parsed.created is not None:
        signed_at = datetime.fromtimestamp(parsed.created, UTC)
    else:
        try:
            signed_at = parse_http_date(headers.get("date", ""))
        except (TypeError, ValueError) as exc:
            raise SignatureError("the Date header is not a valid date") from exc
    if signed_at > now + CLOCK_SKEW:
        raise SignatureError("the request is dated in the future")
    if parsed.expires is not None:
        expires_at = datetime.fromtimestamp(parsed.expires, UTC)
    else:
        expires_at = signed_at + DEFAULT_LIFETIME
    if now > expires_at + CLOCK_SKEW:
        raise SignatureError("the request is too old (stale Date)")


def _check_digest(header: str, body: bytes) -> None:
    if not header:
        raise SignatureError("the Digest header is missing")
    claimed = None
    # Almost every server sends exactly one SHA-256 digest.
    if header.startswith("SHA-256=") and "," not in header:
        claimed = header[8:]
    for part in header.split(",") if claimed is None else ():
        algorithm, _, value = part.strip().partition("=")
        if algorithm.lower() == "sha-256":
            claimed = value
    if claimed is None:
        raise SignatureError("the Digest header has no SHA-256 value")
    # Comparing base64 text spares decoding (and validating) the claim; a
    # value that is not canonical base64 cannot equal ours anyway.
    if claimed != base64.b64encode(hashlib.sha256(body).digest()).decode():
        try:
            binascii.a2b_base64(claimed, strict_mode=True)
        except (binascii.Error, ValueError) as exc:
            raise SignatureError("the Digest value is not base64") from exc
        raise SignatureError("the Digest does not match the body")


def key_owner_matches(*, key_id: str, actor_id: str) -> bool:
    """Whether a keyId plausibly belongs to the actor (same document or host).

    The authoritative check is that the fetched key's `owner` equals the
    actor; this is the cheap pre-check before any fetch.
    """
    key_parts, actor_parts = urlsplit(key_id), urlsplit(actor_id)
    return (key_parts.scheme, key_parts.netloc) == (
        actor_parts.scheme,
        actor_parts.netloc,
    )
