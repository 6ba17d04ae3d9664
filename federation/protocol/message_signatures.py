"""HTTP Message Signatures (RFC 9421), beside draft-cavage (signatures.py).

Pure functions over methods, URLs, header mappings and bytes, like
signatures.py: no Django, no network. Fetching the signer's key stays the
caller's job: parse, look the key up by `key_id`, then verify.

A signed request carries two structured fields (RFC 8941, parsed and
serialised with the `http-sfv` package):

    Signature-Input: sig1=("@method" "@target-uri" "content-digest");
                     created=1618884473;keyid="https://a.example/users/b#main-key"
    Signature: sig1=:<base64>:

and, with a body, `Content-Digest: sha-256=:<base64>:` (RFC 9530). The text
signed, the signature base, is one line per covered component and a last
line with the signature's parameters (RFC 9421, section 2.5).

What is accepted (docs/federation.md, "HTTP signatures"), as Mastodon 4.5
does and a little more:
- one signature: the first label that names a `keyid`;
- algorithms `rsa-v1_5-sha256`, `rsa-pss-sha512` and `ed25519`, from `alg`
  or, without it, from the key (an RSA key tries PKCS#1 v1.5, then PSS);
- `@method` and `@target-uri` (or `@authority` and `@path`) covered, and
  `content-digest` for a request with a body, whose SHA-256 or SHA-512
  value must match the body;
- `created` required, in the draft-cavage window: up to an hour ahead, up
  to an hour past `expires` (or past five minutes after `created`), and
  `expires` counts at most twelve hours after `created`, as Mastodon has it.
"""

import base64
import functools
import hashlib
import time
from collections.abc import Iterable, Mapping
from typing import NamedTuple
from urllib.parse import parse_qsl, quote, urlsplit

import http_sfv
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

from federation.protocol.signatures import (
    CLOCK_SKEW,
    DEFAULT_LIFETIME,
    SignatureError,
    SignatureMismatch,
)

RSA_V1_5_SHA256 = "rsa-v1_5-sha256"
RSA_PSS_SHA512 = "rsa-pss-sha512"
ED25519 = "ed25519"
ALGORITHMS = frozenset({RSA_V1_5_SHA256, RSA_PSS_SHA512, ED25519})
LABEL = "sig1"

POST_COMPONENTS = ("@method", "@target-uri", "@authority", "content-type",
                   "content-digest")  # fmt: skip
GET_COMPONENTS = ("@method", "@target-uri", "@authority", "accept")

_SKEW_SECONDS = CLOCK_SKEW.total_seconds()
_LIFETIME_SECONDS = DEFAULT_LIFETIME.total_seconds()
# However far away a signer sets `expires`, a signature lives no longer than
# this after `created` (Mastodon's EXPIRATION_WINDOW_LIMIT): a captured
# request cannot be replayed for days.
_LONGEST_LIFE_SECONDS = 12 * 3600
_DIGESTS = {"sha-256": hashlib.sha256, "sha-512": hashlib.sha512}
_PKCS1V15 = padding.PKCS1v15()
_SHA256 = hashes.SHA256()
_SHA512 = hashes.SHA512()
# RFC 9421 section 3.3.1: MGF1 with SHA-512 and a 64-byte salt; the salt's
# length is read from the signature, so a signer using another still passes.
_PSS = padding.PSS(mgf=padding.MGF1(hashes.SHA512()), salt_length=padding.PSS.AUTO)


class ParsedMessageSignature(NamedTuple):
    """One signature of a request: its label, parameters and bytes."""

    label: str
    key_id: str
    components: tuple  # http_sfv.Item each: a name and its parameters
    params: str  # the serialised inner list, the base's last line
    signature: bytes
    created: int | None
    expires: int | None
    alg: str | None

    @property
    def covered(self) -> tuple[str, ...]:
        """The names of the covered components, without their parameters."""
        return tuple(item.value for item in self.components)


# Keys ---------------------------------------------------------------------------


@functools.lru_cache(maxsize=8192)
def load_public_key(pem: str):
    """An actor's RSA or Ed25519 public key, or SignatureError."""
    try:
        key = serialization.load_pem_public_key(pem.encode())
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise SignatureError("the signer's public key is not a valid PEM") from exc
    if not isinstance(key, rsa.RSAPublicKey | ed25519.Ed25519PublicKey):
        raise SignatureError("the signer's key is neither RSA nor Ed25519")
    return key


def algorithm_for_key(key) -> str:
    """The algorithm this project signs with for `key` (a private key)."""
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return ED25519
    return RSA_V1_5_SHA256


# Parsing ------------------------------------------------------------------------


def parse_headers(signature_input: str, signature: str) -> ParsedMessageSignature:
    """The signature to check in `Signature-Input` and `Signature`.

    The first label naming a keyid whose Signature is there; a proxy's
    own signature beside it is ignored. SignatureError if there is none.
    """
    inputs, values = http_sfv.Dictionary(), http_sfv.Dictionary()
    try:
        inputs.parse(signature_input.encode())
        values.parse(signature.encode())
    except ValueError as exc:
        raise SignatureError("the Signature-Input or Signature does not parse") from exc
    for label, member in inputs.items():
        if not isinstance(member, http_sfv.InnerList) or "keyid" not in member.params:
            continue
        value = getattr(values.get(label), "value", None)
        if not isinstance(value, bytes):
            continue
        return _parsed(label, member, value)
    raise SignatureError("the Signature-Input names no signature with a keyid")


def _parsed(label: str, member, signature: bytes) -> ParsedMessageSignature:
    params = member.params
    key_id = params.get("keyid")
    if not isinstance(key_id, str) or not key_id:
        raise SignatureError("the signature's keyid is not a string")
    created, expires = params.get("created"), params.get("expires")
    for name, value in (("created", created), ("expires", expires)):
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int)
        ):
            raise SignatureError(f"the signature's {name} is not a number")
    alg = params.get("alg")
    if alg is not None and alg not in ALGORITHMS:
        raise SignatureError(f"unsupported signature algorithm {alg!r}")
    components = tuple(member)
    for item in components:
        # A string exactly: a token (date, unquoted) is not a component name.
        if type(item.value) is not str or item.value != item.value.lower():
            raise SignatureError("a covered component is not a lower-case string")
    return ParsedMessageSignature(
        label, key_id, components, str(member), signature, created, expires, alg
    )


# The signature base ----------------------------------------------------------


def signature_base(
    parsed_components: Iterable,
    params: str,
    *,
    method: str,
    target_uri: str,
    headers: Mapping[str, str],
) -> bytes:
    """RFC 9421 section 2.5: one line per covered component, then the
    parameters. `headers` maps names (any case) to their combined values.
    SignatureError for a component this message lacks or we cannot build."""
    lower = {name.lower(): str(value) for name, value in headers.items()}
    lines, seen = [], set()
    for item in parsed_components:
        identifier = str(item)
        if identifier in seen:
            raise SignatureError(f"the component {identifier} is covered twice")
        seen.add(identifier)
        value = _component_value(item, method=method, target_uri=target_uri,
                                 headers=lower)  # fmt: skip
        if "\n" in value or "\r" in value:
            raise SignatureError(f"the component {identifier} spans lines")
        lines.append(f"{identifier}: {value}")
    lines.append(f'"@signature-params": {params}')
    return "\n".join(lines).encode()


def _component_value(item, *, method: str, target_uri: str, headers) -> str:
    name, params = item.value, item.params
    if name.startswith("@"):
        if any(key != "name" for key in params) or (
            "name" in params and name != "@query-param"
        ):
            raise SignatureError(f"unsupported parameters on {name}")
        return _derived(name, params, method=method, target_uri=target_uri)
    if name not in headers:
        raise SignatureError(f"the signed header {name!r} is missing")
    value = headers[name].strip()
    unsupported = set(params) - {"sf", "key"}
    if unsupported:
        raise SignatureError(f"unsupported parameters on {name}: {sorted(unsupported)}")
    if "key" in params:
        dictionary = http_sfv.Dictionary()
        try:
            dictionary.parse(value.encode())
        except ValueError as exc:
            raise SignatureError(f"the header {name!r} is not a dictionary") from exc
        member = dictionary.get(params["key"])
        if member is None:
            raise SignatureError(f"the header {name!r} has no {params['key']!r}")
        return str(member)
    if "sf" in params:
        return _reserialised(name, value)
    return value


# Fields whose structured type is known (RFC 9421 needs it for ;sf).
_STRUCTURED = {
    "content-digest": http_sfv.Dictionary,
    "repr-digest": http_sfv.Dictionary,
    "signature-input": http_sfv.Dictionary,
    "signature": http_sfv.Dictionary,
    "accept-signature": http_sfv.Dictionary,
}


def _reserialised(name: str, value: str) -> str:
    kind = _STRUCTURED.get(name)
    if kind is None:
        raise SignatureError(f"the header {name!r} has no known structured type")
    structure = kind()
    try:
        structure.parse(value.encode())
    except ValueError as exc:
        raise SignatureError(f"the header {name!r} does not parse") from exc
    return str(structure)


def _derived(name: str, params, *, method: str, target_uri: str) -> str:
    parts = urlsplit(target_uri)
    path = parts.path or "/"
    if name == "@method":
        return method.upper()
    if name == "@target-uri":
        return target_uri
    if name == "@authority":
        return _authority(parts)
    if name == "@scheme":
        return parts.scheme.lower()
    if name == "@request-target":
        return f"{path}?{parts.query}" if parts.query else path
    if name == "@path":
        return path
    if name == "@query":
        return f"?{parts.query}"
    if name == "@query-param":
        wanted = params.get("name")
        if not isinstance(wanted, str):
            raise SignatureError("@query-param needs a name")
        found = [value for key, value in parse_qsl(parts.query, keep_blank_values=True)
                 if key == wanted]  # fmt: skip
        if len(found) != 1:
            raise SignatureError(f"the query has no single {wanted!r} parameter")
        return quote(found[0], safe="")
    raise SignatureError(f"unsupported component {name}")


def _authority(parts) -> str:
    host = (parts.hostname or "").lower()
    if ":" in host:  # IPv6
        host = f"[{host}]"
    default = {"https": 443, "http": 80}.get(parts.scheme.lower())
    if parts.port is not None and parts.port != default:
        return f"{host}:{parts.port}"
    return host


# Content-Digest (RFC 9530) ------------------------------------------------------


def content_digest_of(body: bytes) -> str:
    """The `Content-Digest` header value for `body` (SHA-256)."""
    return f"sha-256=:{base64.b64encode(hashlib.sha256(body).digest()).decode()}:"


def check_content_digest(header: str, body: bytes) -> None:
    """SignatureError unless `header` has a SHA-256 or SHA-512 value and
    every such value matches `body`."""
    if not header:
        raise SignatureError("the Content-Digest header is missing")
    digests = http_sfv.Dictionary()
    try:
        digests.parse(header.encode())
    except ValueError as exc:
        raise SignatureError("the Content-Digest header does not parse") from exc
    checked = False
    for algorithm, member in digests.items():
        digest = _DIGESTS.get(algorithm)
        if digest is None:
            continue
        value = getattr(member, "value", None)
        if not isinstance(value, bytes):
            raise SignatureError("the Content-Digest value is not a byte sequence")
        if value != digest(body).digest():
            raise SignatureError("the Content-Digest does not match the body")
        checked = True
    if not checked:
        raise SignatureError("the Content-Digest has no SHA-256 or SHA-512 value")


# Signing ----------------------------------------------------------------------


def sign_request(
    *,
    method: str,
    url: str,
    key_id: str,
    private_key,
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    created: int | None = None,
    label: str = LABEL,
) -> dict[str, str]:
    """Return `headers` plus Content-Digest (with a body), Signature-Input
    and Signature.

    Covers `@method @target-uri @authority content-type content-digest` with
    a body, `@method @target-uri @authority accept` without (each header
    only if present): what Mastodon requires, and Fedify's choice besides.
    """
    signed = dict(headers or {})
    if body is not None:
        signed["Content-Digest"] = content_digest_of(body)
    present = {name.lower() for name in signed}
    wanted = POST_COMPONENTS if body is not None else GET_COMPONENTS
    alg = algorithm_for_key(private_key)
    inner = http_sfv.InnerList(
        [http_sfv.Item(name) for name in wanted if name[0] == "@" or name in present]
    )
    inner.params["created"] = int(time.time()) if created is None else created
    inner.params["keyid"] = key_id
    inner.params["alg"] = alg
    base = signature_base(inner, str(inner), method=method, target_uri=url,
                          headers=signed)  # fmt: skip
    if alg == ED25519:
        signature = private_key.sign(base)
    else:
        signature = private_key.sign(base, _PKCS1V15, _SHA256)
    signed["Signature-Input"] = f"{label}={inner}"
    signed["Signature"] = f"{label}=:{base64.b64encode(signature).decode()}:"
    return signed


# Verifying --------------------------------------------------------------------


_REQUIRED = ("@method",)


def verify_request(
    *,
    method: str,
    target_uris: Iterable[str],
    headers: Mapping[str, str],
    body: bytes | None,
    public_key,
    parsed: ParsedMessageSignature,
    now: float | None = None,
) -> ParsedMessageSignature:
    """Check a request's RFC 9421 signature, its freshness and its
    Content-Digest; raise SignatureError (SignatureMismatch when only the
    signature itself fails) if any is wrong.

    `target_uris` are the URLs the request may have been sent to (the
    scheme behind a proxy is not always known): the signature must match
    one. `body` is None for requests without one.
    """
    check_coverage(parsed, method=method, has_body=body is not None)
    check_freshness(parsed, now=time.time() if now is None else now)
    lower = {name.lower(): value for name, value in headers.items()}
    if body is not None:
        check_content_digest(lower.get("content-digest", "").strip(), body)
    for target_uri in dict.fromkeys(target_uris):
        base = signature_base(parsed.components, parsed.params, method=method,
                              target_uri=target_uri, headers=lower)  # fmt: skip
        try:
            verify_base(parsed, public_key, base)
        except SignatureMismatch:
            continue
        return parsed
    raise SignatureMismatch("the signature does not match the request")


def verify_base(parsed: ParsedMessageSignature, public_key, base: bytes) -> None:
    """SignatureMismatch unless `parsed.signature` signs `base` with
    `public_key`, by its `alg` or, without one, by what the key allows."""
    for algorithm in _algorithms_for(parsed.alg, public_key):
        if _verifies(algorithm, public_key, parsed.signature, base):
            return
    raise SignatureMismatch("the signature does not match the request")


def check_coverage(parsed: ParsedMessageSignature, *, method: str, has_body: bool):
    covered = set(parsed.covered)
    missing = [name for name in _REQUIRED if name not in covered]
    if "@target-uri" not in covered and not {"@authority", "@path"} <= covered:
        missing.append("@target-uri")
    if (has_body or method.upper() == "POST") and "content-digest" not in covered:
        missing.append("content-digest")
    if missing:
        raise SignatureError("the signature must cover " + ", ".join(missing))


def check_freshness(parsed: ParsedMessageSignature, *, now: float) -> None:
    """The draft-cavage window (signatures._check_freshness), on `created`."""
    if parsed.created is None:
        raise SignatureError("the signature has no created time")
    if parsed.created > now + _SKEW_SECONDS:
        raise SignatureError("the signature was created in the future")
    if parsed.expires is not None:
        expires_at = min(parsed.expires, parsed.created + _LONGEST_LIFE_SECONDS)
    else:
        expires_at = parsed.created + _LIFETIME_SECONDS
    if now > expires_at + _SKEW_SECONDS:
        raise SignatureError("the signature has expired")


def _algorithms_for(alg: str | None, public_key) -> tuple[str, ...]:
    if isinstance(public_key, ed25519.Ed25519PublicKey):
        if alg not in (None, ED25519):
            raise SignatureError(f"{alg} does not go with the signer's Ed25519 key")
        return (ED25519,)
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise SignatureError("the signer's key is neither RSA nor Ed25519")
    if alg == ED25519:
        raise SignatureError("ed25519 does not go with the signer's RSA key")
    return (alg,) if alg else (RSA_V1_5_SHA256, RSA_PSS_SHA512)


def _verifies(algorithm: str, public_key, signature: bytes, base: bytes) -> bool:
    try:
        if algorithm == ED25519:
            public_key.verify(signature, base)
        elif algorithm == RSA_PSS_SHA512:
            public_key.verify(signature, base, _PSS, _SHA512)
        else:
            public_key.verify(signature, base, _PKCS1V15, _SHA256)
    except InvalidSignature:
        return False
    return True
