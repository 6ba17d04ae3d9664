"""HTTP Signatures as the Fediverse uses them (draft-cavage-http-signatures-12).

Pure functions over methods, paths, header mappings and bytes: no Django, no
network, so they are easy to test and reuse. Fetching the signer's key is the
caller's job: parse the header, look the key up by `key_id`, then verify.

What Mastodon sends and checks (docs/federation.md says more):
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
import operator
import re
import time
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


# Mastodon, Misskey, Pleroma/Akkoma and GoToSocial all send the four
# parameters in this order, so splitting at the quotes yields these
# separators between the values; anything else takes the general parser.
_USUAL_SEPARATORS = ["keyId=", ",algorithm=", ",headers=", ",signature=", ""]


def parse_signature_header(value: str) -> ParsedSignature:
    """Parse a `Signature` header (or `Authorization: Signature ...`)."""
    parts = value.split('"')
    if len(parts) == 9 and parts[::2] == _USUAL_SEPARATORS:
        # tuple.__new__ skips the named tuple's Python-level constructor:
        # every inbox POST comes through here.
        return tuple.__new__(
            ParsedSignature,
            (
                parts[1],
                parts[3],
                _covered_names(parts[5]),
                _decoded(parts[7]),
                None,
                None,
            ),
        )
    value = value.strip()
    if value[:10].lower() == "signature ":
        value = value[10:]
    params = _split_params(value)
    if "keyId" not in params or "signature" not in params:
        raise SignatureError("the Signature header lacks keyId or signature")
    signature = _decoded(params["signature"])
    headers = _covered_names(params.get("headers", "date"))
    try:
        created = int(params["created"]) if "created" in params else None
        expires = int(params["expires"]) if "expires" in params else None
    except ValueError as exc:
        raise SignatureError("created or expires is not a number") from exc
    # Positional: this runs on every inbox POST and keywords cost here.
    return ParsedSignature(
        params["keyId"], params.get("algorithm"), headers, signature, created, expires
    )


# Each server signs the same few header lists: split each once.
@functools.lru_cache(maxsize=64)
def _covered_names(headers_parameter: str) -> tuple[str, ...]:
    return tuple(headers_parameter.lower().split())


def _decoded(signature: str) -> bytes:
    try:
        return binascii.a2b_base64(signature, strict_mode=True)
    except (binascii.Error, ValueError) as exc:
        raise SignatureError("the signature is not base64") from exc


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
    Every inbox POST runs this, so the usual case (a Mastodon-shaped POST)
    takes few steps: the RSA verification should be most of its cost.
    """
    lower = {name.lower(): value for name, value in headers.items()}
    if parsed is None:
        header = lower.get("signature") or lower.get("authorization")
        if not header:
            raise SignatureError("the request is not signed")
        parsed = parse_signature_header(header)
    _, algorithm, covered, signature, created, expires = parsed
    if algorithm is not None and algorithm not in ACCEPTED_ALGORITHMS:
        raise SignatureError(f"unsupported signature algorithm {algorithm!r}")
    _check_covered_headers(covered, method=method, has_body=body is not None)
    _check_freshness(parsed, lower, now=time.time() if now is None else now.timestamp())
    if body is not None:
        _check_digest(lower.get("digest", "").strip(), body)

    # Mastodon signs the query string in newer versions and not in older
    # ones; accept either, as Mastodon's own verifier does.
    for target in (f"{path}?{query}", path) if query else (path,):
        text = _signed_text(parsed, method, target, lower)
        try:
            public_key.verify(signature, text, _PKCS1V15, _SHA256)
        except InvalidSignature:
            continue
        return parsed
    raise SignatureMismatch("the signature does not match the request")


def _signed_text(
    parsed: ParsedSignature, method: str, target: str, lower: Mapping[str, str]
) -> bytes:
    """signing_string, from a template made once per list of signed headers.

    (created), (expires), a missing header or an unusual list take
    signing_string, which also says what is missing.
    """
    recipe = _text_recipe(parsed.headers)
    if recipe is not None:
        template, values_of = recipe
        try:
            values = values_of(lower)
        except KeyError:
            pass
        else:
            return template.format(
                f"{method.lower()} {target}", *map(str.strip, values)
            ).encode()
    return signing_string(
        parsed.headers,
        method=method,
        target=target,
        headers=_lower_keys(lower),
        created=parsed.created,
        expires=parsed.expires,
    ).encode()


@functools.lru_cache(maxsize=64)
def _text_recipe(covered: tuple[str, ...]):
    """(template, getter of its header values) for lists that start with
    (request-target) and go on with two or more headers; else None."""
    names = covered[1:]
    if covered[:1] != ("(request-target)",) or len(names) < 2:
        return None
    if any(name.startswith("(") for name in names):
        return None
    lines = ["(request-target): {}"]
    lines += [name.replace("{", "{{").replace("}", "}}") + ": {}" for name in names]
    return "\n".join(lines), operator.itemgetter(*names)


_REQUIRED_COVERAGE = frozenset({"(request-target)", "host", "date"})
_REQUIRED_COVERAGE_WITH_BODY = _REQUIRED_COVERAGE | {"digest"}


def _check_covered_headers(
    covered: tuple[str, ...], *, method: str, has_body: bool
) -> None:
    body_expected = has_body or method.upper() == "POST"
    required = _REQUIRED_COVERAGE_WITH_BODY if body_expected else _REQUIRED_COVERAGE
    if required.issubset(covered):
        return
    missing = []
    if "(request-target)" not in covered:
        missing.append("(request-target)")
    if "host" not in covered:
        missing.append("host")
    if "date" not in covered and "(created)" not in covered:
        missing.append("date")
    if body_expected and "digest" not in covered:
        missing.append("digest")
    if missing:
        raise SignatureError("the signature must cover " + ", ".join(missing))


def _check_freshness(
    parsed: ParsedSignature, headers: Mapping[str, str], *, now: float
) -> None:
    """Refuse a signature made in the future or whose life has run out.

    Times are POSIX seconds: `now` is time.time() or a given moment's.
    """
    if parsed.created is not None and "(created)" in parsed.headers:
        signed_at = float(parsed.created)
    else:
        signed_at = _posix_time_of(headers.get("date", "").strip())
    if signed_at > now + _SKEW_SECONDS:
        raise SignatureError("the request is dated in the future")
    if parsed.expires is not None:
        expires_at = float(parsed.expires)
    else:
        expires_at = signed_at + _LIFETIME_SECONDS
    if now > expires_at + _SKEW_SECONDS:
        raise SignatureError("the request is too old (stale Date)")


_SKEW_SECONDS = CLOCK_SKEW.total_seconds()
_LIFETIME_SECONDS = DEFAULT_LIFETIME.total_seconds()


# Requests arriving in the same second share a Date: convert each once.
@functools.lru_cache(maxsize=512)
def _posix_time_of(date_header: str) -> float:
    try:
        return parse_http_date(date_header).timestamp()
    except (TypeError, ValueError, OverflowError) as exc:
        raise SignatureError("the Date header is not a valid date") from exc


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
    try:
        matches = binascii.a2b_base64(claimed, strict_mode=True) == (
            hashlib.sha256(body).digest()
        )
    except (binascii.Error, ValueError) as exc:
        raise SignatureError("the Digest value is not base64") from exc
    if not matches:
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
