"""HTTP Signatures: the draft's published vectors and an independent library."""

import base64
from datetime import UTC, datetime, timedelta

import httpsig
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

from federation.protocol import signatures
from federation.protocol.signatures import SignatureError

# draft-cavage-http-signatures-12, Appendix C: the "Test" key and request.
TEST_PRIVATE_KEY = """-----BEGIN RSA PRIVATE KEY-----
MIICXgIBAAKBgQDCFENGw33yGihy92pDjZQhl0C36rPJj+CvfSC8+q28hxA161QF
NUd13wuCTUcq0Qd2qsBe/2hFyc2DCJJg0h1L78+6Z4UMR7EOcpfdUE9Hf3m/hs+F
UR45uBJeDK1HSFHD8bHKD6kv8FPGfJTotc+2xjJwoYi+1hqp1fIekaxsyQIDAQAB
AoGBAJR8ZkCUvx5kzv+utdl7T5MnordT1TvoXXJGXK7ZZ+UuvMNUCdN2QPc4sBiA
QWvLw1cSKt5DsKZ8UETpYPy8pPYnnDEz2dDYiaew9+xEpubyeW2oH4Zx71wqBtOK
kqwrXa/pzdpiucRRjk6vE6YY7EBBs/g7uanVpGibOVAEsqH1AkEA7DkjVH28WDUg
f1nqvfn2Kj6CT7nIcE3jGJsZZ7zlZmBmHFDONMLUrXR/Zm3pR5m0tCmBqa5RK95u
412jt1dPIwJBANJT3v8pnkth48bQo/fKel6uEYyboRtA5/uHuHkZ6FQF7OUkGogc
mSJluOdc5t6hI1VsLn0QZEjQZMEOWr+wKSMCQQCC4kXJEsHAve77oP6HtG/IiEn7
kpyUXRNvFsDE0czpJJBvL/aRFUJxuRK91jhjC68sA7NsKMGg5OXb5I5Jj36xAkEA
gIT7aFOYBFwGgQAQkWNKLvySgKbAZRTeLBacpHMuQdl1DfdntvAyqpAZ0lY0RKmW
G6aFKaqQfOXKCyWoUiVknQJAXrlgySFci/2ueKlIE1QqIiLSZ8V8OlpFLRnb1pzI
7U1yQXnTAEFYM560yJlzUpOb1V4cScGd365tiSMvxLOvTA==
-----END RSA PRIVATE KEY-----
"""
TEST_PUBLIC_KEY = """-----BEGIN PUBLIC KEY-----
MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDCFENGw33yGihy92pDjZQhl0C3
6rPJj+CvfSC8+q28hxA161QFNUd13wuCTUcq0Qd2qsBe/2hFyc2DCJJg0h1L78+6
Z4UMR7EOcpfdUE9Hf3m/hs+FUR45uBJeDK1HSFHD8bHKD6kv8FPGfJTotc+2xjJw
oYi+1hqp1fIekaxsyQIDAQAB
-----END PUBLIC KEY-----
"""
TEST_DATE = "Sun, 05 Jan 2014 21:31:40 GMT"
TEST_NOW = datetime(2014, 1, 5, 21, 31, 40, tzinfo=UTC)
TEST_BODY = b'{"hello": "world"}'
TEST_HEADERS = {
    "Host": "example.com",
    "Date": TEST_DATE,
    "Content-Type": "application/json",
    "Digest": "SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=",
    "Content-Length": "18",
}
# C.1, C.2 and C.3 signature values.
DEFAULT_TEST_SIGNATURE = (
    "SjWJWbWN7i0wzBvtPl8rbASWz5xQW6mcJmn+ibttBqtifLN7Sazz6m79cNfwwb8DMJ5cou1s7uEG"
    "KKCs+FLEEaDV5lp7q25WqS+lavg7T8hc0GppauB6hbgEKTwblDHYGEtbGmtdHgVCk9SuS13F0hZ8"
    "FD0k/5OxEPXe5WozsbM="
)
BASIC_TEST_SIGNATURE = (
    "qdx+H7PHHDZgy4y/Ahn9Tny9V3GP6YgBPyUXMmoxWtLbHpUnXS2mg2+SbrQDMCJypxBLSPQR2aAj"
    "n7ndmw2iicw3HMbe8VfEdKFYRqzic+efkb3nndiv/x1xSHDJWeSWkx3ButlYSuBskLu6kd9Fswte"
    "mr3lgdDEmn04swr2Os0="
)
ALL_HEADERS_TEST_SIGNATURE = (
    "vSdrb+dS3EceC9bcwHSo4MlyKS59iFIrhgYkz8+oVLEEzmYZZvRs8rgOp+63LEM3v+MFHB32NfpB"
    "2bEKBIvB1q52LaEUHFv120V01IL+TAD48XaERZFukWgHoBTLMhYS2Gb51gWxpeIq8knRmPnYePbF"
    "5MOkR0Zkly4zKH7s1dE="
)


@pytest.fixture(scope="module")
def test_key():
    return signatures.load_private_key(
        serialization.load_pem_private_key(TEST_PRIVATE_KEY.encode(), None)
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )


@pytest.fixture(scope="module")
def key_pair():
    private_pem, public_pem = signatures.generate_key_pair()
    return private_pem, public_pem


def _signature_value(header: str) -> str:
    return signatures.parse_signature_header(header).signature


# The draft's vectors ---------------------------------------------------------


def test_basic_test_vector_is_reproduced_when_signing(test_key):
    """C.2: signing (request-target) host date gives the published value."""
    signed = signatures.sign_request(
        method="POST",
        url="https://example.com/foo?param=value&pet=dog",
        key_id="Test",
        private_key=test_key,
        now=TEST_NOW,
    )
    assert signed["Date"] == TEST_DATE
    assert 'headers="(request-target) host date"' in signed["Signature"]
    assert _signature_value(signed["Signature"]) == base64.b64decode(
        BASIC_TEST_SIGNATURE
    )


def test_all_headers_test_vector_verifies():
    """C.3: the published all-headers signature verifies, digest included."""
    headers = {
        **TEST_HEADERS,
        "Signature": 'keyId="Test",algorithm="rsa-sha256",headers="(request-target) '
        'host date content-type digest content-length",'
        f'signature="{ALL_HEADERS_TEST_SIGNATURE}"',
    }
    parsed = signatures.verify_request(
        method="POST",
        path="/foo",
        query="param=value&pet=dog",
        headers=headers,
        body=TEST_BODY,
        public_key=signatures.load_public_key(TEST_PUBLIC_KEY),
        now=TEST_NOW,
    )
    assert parsed.key_id == "Test"


def test_default_test_vector_is_valid_but_covers_too_little():
    """C.1 signs only Date: cryptographically valid, refused as too weak."""
    parsed = signatures.parse_signature_header(
        f'keyId="Test",algorithm="rsa-sha256",signature="{DEFAULT_TEST_SIGNATURE}"'
    )
    assert parsed.headers == ("date",)
    text = signatures.signing_string(
        parsed.headers, method="POST", target="/foo", headers={"date": TEST_DATE}
    )
    signatures.load_public_key(TEST_PUBLIC_KEY).verify(
        parsed.signature, text.encode(), padding.PKCS1v15(), hashes.SHA256()
    )
    with pytest.raises(SignatureError, match="must cover"):
        signatures.verify_request(
            method="POST",
            path="/foo",
            query="param=value&pet=dog",
            headers={
                **TEST_HEADERS,
                "Signature": f'keyId="Test",signature="{DEFAULT_TEST_SIGNATURE}"',
            },
            body=TEST_BODY,
            public_key=signatures.load_public_key(TEST_PUBLIC_KEY),
            now=TEST_NOW,
        )


def test_digest_matches_the_published_value():
    assert signatures.digest_of(TEST_BODY) == TEST_HEADERS["Digest"]


# Against an independent implementation (httpsig, from PyPI) ------------------


def test_independent_library_verifies_what_we_sign(key_pair):
    private_pem, public_pem = key_pair
    body = b'{"type": "Follow"}'
    signed = signatures.sign_request(
        method="POST",
        url="https://remote.example/users/bob/inbox",
        key_id="https://hub.test/users/alice#main-key",
        private_key=signatures.load_private_key(private_pem),
        body=body,
        headers={"Content-Type": "application/activity+json"},
    )
    verifier = httpsig.HeaderVerifier(
        headers=signed,
        secret=public_pem.encode(),
        required_headers=["(request-target)", "host", "date", "digest"],
        method="POST",
        path="/users/bob/inbox",
        sign_header="signature",
    )
    assert verifier.verify()


def test_we_verify_what_the_independent_library_signs(key_pair):
    private_pem, public_pem = key_pair
    body = b'{"type": "Like"}'
    headers = {
        "Host": "hub.test",
        "Date": signatures.http_date(datetime.now(UTC)),
        "Digest": signatures.digest_of(body),
        "Content-Type": "application/activity+json",
    }
    signer = httpsig.HeaderSigner(
        key_id="https://remote.example/users/bob#main-key",
        secret=private_pem.encode(),
        algorithm="rsa-sha256",
        headers=["(request-target)", "host", "date", "digest", "content-type"],
        sign_header="signature",
    )
    signed = signer.sign(headers, method="POST", path="/users/alice/inbox")
    parsed = signatures.verify_request(
        method="POST",
        path="/users/alice/inbox",
        query="",
        headers=signed,
        body=body,
        public_key=signatures.load_public_key(public_pem),
    )
    assert parsed.key_id == "https://remote.example/users/bob#main-key"


# What we refuse ---------------------------------------------------------------


@pytest.fixture
def signed_post(key_pair):
    private_pem, public_pem = key_pair
    body = b'{"type": "Create"}'
    headers = signatures.sign_request(
        method="POST",
        url="https://hub.test/inbox",
        key_id="https://remote.example/users/bob#main-key",
        private_key=signatures.load_private_key(private_pem),
        body=body,
        headers={"Content-Type": "application/activity+json"},
    )
    return {
        "method": "POST",
        "path": "/inbox",
        "query": "",
        "headers": headers,
        "body": body,
        "public_key": signatures.load_public_key(public_pem),
    }


def test_a_well_signed_post_verifies(signed_post):
    assert signatures.verify_request(**signed_post).algorithm == "rsa-sha256"


def test_hs2019_and_a_missing_algorithm_are_accepted(signed_post):
    for replacement in ('algorithm="hs2019",', ""):
        headers = dict(signed_post["headers"])
        headers["Signature"] = headers["Signature"].replace(
            'algorithm="rsa-sha256",', replacement
        )
        signatures.verify_request(**{**signed_post, "headers": headers})


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda h, b: (h, b + b" "), "Digest does not match"),
        (lambda h, b: ({**h, "Digest": "SHA-256=not base64!"}, b), "not base64"),
        (lambda h, b: ({**h, "Digest": "MD5=abc="}, b), "no SHA-256"),
        (lambda h, b: ({**h, "Host": "evil.example"}, b), "does not match the request"),
        (lambda h, b: ({**h, "Signature": "garbage"}, b), "cannot be parsed"),
        (
            lambda h, b: (
                {**h, "Signature": h["Signature"].replace("rsa-sha256", "rsa-sha1")},
                b,
            ),
            "unsupported signature algorithm",
        ),
        (
            lambda h, b: (
                {**h, "Signature": h["Signature"].replace(" digest", "")},
                b,
            ),
            "must cover digest",
        ),
        (
            lambda h, b: ({k: v for k, v in h.items() if k != "Signature"}, b),
            "not signed",
        ),
    ],
    ids=[
        "body-changed",
        "digest-garbled",
        "digest-not-sha256",
        "host-changed",
        "header-garbled",
        "unknown-algorithm",
        "digest-not-covered",
        "unsigned",
    ],
)
def test_tampered_requests_are_refused(signed_post, change, reason):
    headers, body = change(signed_post["headers"], signed_post["body"])
    with pytest.raises(SignatureError, match=reason):
        signatures.verify_request(**{**signed_post, "headers": headers, "body": body})


def test_another_key_does_not_verify(signed_post):
    _, other_public = signatures.generate_key_pair()
    with pytest.raises(SignatureError, match="does not match"):
        signatures.verify_request(
            **{**signed_post, "public_key": signatures.load_public_key(other_public)}
        )


@pytest.mark.parametrize(
    ("offset", "accepted"),
    [
        (timedelta(minutes=-64), True),
        (timedelta(minutes=-66), False),
        (timedelta(minutes=59), True),
        (timedelta(minutes=61), False),
    ],
)
def test_date_window_follows_mastodon(signed_post, offset, accepted):
    """About an hour either way: 65 minutes back, 60 minutes ahead."""
    sent_at = datetime.now(UTC)
    now = sent_at - offset
    if accepted:
        signatures.verify_request(**signed_post, now=now)
    else:
        with pytest.raises(SignatureError, match="future|too old"):
            signatures.verify_request(**signed_post, now=now)


def test_get_is_signed_with_accept_and_without_digest(key_pair):
    private_pem, public_pem = key_pair
    signed = signatures.sign_request(
        method="GET",
        url="https://remote.example:8443/users/bob?page=1",
        key_id="https://hub.test/actor#main-key",
        private_key=signatures.load_private_key(private_pem),
        headers={"Accept": "application/activity+json"},
    )
    assert "Digest" not in signed
    assert signed["Host"] == "remote.example:8443"
    assert 'headers="(request-target) host date accept"' in signed["Signature"]
    signatures.verify_request(
        method="GET",
        path="/users/bob",
        query="page=1",
        headers=signed,
        body=None,
        public_key=signatures.load_public_key(public_pem),
    )


def test_a_broken_public_key_is_refused():
    with pytest.raises(SignatureError, match="not a valid PEM"):
        signatures.load_public_key(
            "-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----"
        )


# Headers shaped otherwise than Mastodon's ---------------------------------------


def _resigned(signed_post, private_pem, *, covered, params, extra=None):
    """signed_post's request signed again over `covered`, its Signature
    header written from `params` (name -> value) in the order given."""
    headers = {**signed_post["headers"], **(extra or {})}
    lower = {name.lower(): value for name, value in headers.items()}
    text = signatures.signing_string(
        covered,
        method="POST",
        target=signed_post["path"],
        headers=lower,
        created=params.get("created"),
        expires=params.get("expires"),
    )
    value = signatures.load_private_key(private_pem).sign(
        text.encode(), padding.PKCS1v15(), hashes.SHA256()
    )
    params = {**params, "headers": " ".join(covered)}
    params["signature"] = base64.b64encode(value).decode()
    headers["Signature"] = ", ".join(
        f"{name}={value}" if isinstance(value, int) else f'{name}="{value}"'
        for name, value in params.items()
    )
    return {**signed_post, "headers": headers}


def test_parameters_in_another_order_with_spaces_verify(signed_post, key_pair):
    request = _resigned(
        signed_post,
        key_pair[0],
        covered=("(request-target)", "host", "date", "digest"),
        params={"signature": None, "keyId": "https://remote.example/k"},
    )
    assert signatures.verify_request(**request).key_id == "https://remote.example/k"


def test_created_and_expires_are_signed_and_checked(signed_post, key_pair):
    """hs2019 as draft 12 describes it: (created) stands in for Date."""
    created = int(datetime.now(UTC).timestamp())
    covered = ("(request-target)", "(created)", "(expires)", "host", "digest")
    request = _resigned(
        signed_post,
        key_pair[0],
        covered=covered,
        params={
            "keyId": "https://remote.example/k",
            "algorithm": "hs2019",
            "created": created,
            "expires": created + 300,
        },
    )
    assert signatures.verify_request(**request).created == created
    later = datetime.now(UTC) + timedelta(minutes=5) + timedelta(hours=1, minutes=1)
    with pytest.raises(SignatureError, match="too old"):
        signatures.verify_request(**request, now=later)


def test_a_signed_header_the_request_lacks_is_named(signed_post, key_pair):
    request = _resigned(
        signed_post,
        key_pair[0],
        covered=("(request-target)", "host", "date", "digest", "x-trace"),
        params={"keyId": "https://remote.example/k", "algorithm": "rsa-sha256"},
        extra={"X-Trace": "abc"},
    )
    del request["headers"]["X-Trace"]
    with pytest.raises(SignatureError, match="'x-trace' is missing"):
        signatures.verify_request(**request)


def test_header_names_in_any_case_verify(signed_post):
    headers = {name.upper(): value for name, value in signed_post["headers"].items()}
    signatures.verify_request(**{**signed_post, "headers": headers})


def test_header_values_padded_with_spaces_verify(signed_post):
    """A caller's dict may keep the spaces HTTP allows around a value."""
    headers = {name: f" {value} " for name, value in signed_post["headers"].items()}
    signatures.verify_request(**{**signed_post, "headers": headers})
