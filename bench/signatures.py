"""HTTP Signatures: our sign and verify against the raw RSA operations.

Signing a delivery is one RSA-2048 PKCS#1 v1.5 SHA-256 signature plus a
digest of the body and some string building; verifying an inbox POST is one
RSA verification plus parsing, the Date check and the digest. The floor is
`cryptography` doing just the RSA operation, measured here in the same run
with the same iterations, the two taking turns (best of 3 repeats), so the
ratio holds on any machine. Goals: signing >= 90 % of raw, verifying >= 70 % of raw.

Run: .venv/bin/python bench/signatures.py
"""

import base64
import binascii
import hashlib
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import padding  # noqa: E402

from federation.protocol import signatures

SIGN_ITERATIONS = 1000
VERIFY_ITERATIONS = 5000
LOAD_ITERATIONS = 20
REPEATS = 3
SIGN_GOAL = 0.90
VERIFY_GOAL = 0.70

INBOX = "https://mastodon.example/users/bob/inbox"
KEY_ID = "https://hub.example/users/alice#main-key"
HEADERS = {
    "User-Agent": "CreatorHub/0.1.0 (+https://hub.example/)",
    "Content-Type": "application/activity+json",
}


def activity_body(size: int = 2048) -> bytes:
    """A Create(Note) of about `size` bytes, as a delivery carries."""
    note = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": "https://hub.example/users/alice/statuses/1#create",
        "type": "Create",
        "actor": "https://hub.example/users/alice",
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "cc": ["https://hub.example/users/alice/followers"],
        "object": {
            "id": "https://hub.example/users/alice/statuses/1",
            "type": "Note",
            "attributedTo": "https://hub.example/users/alice",
            "content": "",
        },
    }
    filler = size - len(json.dumps(note))
    note["object"]["content"] = "<p>" + "x" * max(filler - 7, 0) + "</p>"
    return json.dumps(note).encode()


def best_rates(*operations, iterations: int, slices: int = 10) -> list[float]:
    """Operations per second of each: the best of REPEATS timed runs.

    Within a run the operations take turns in slices of iterations/slices
    calls, so a machine that slows down part-way through (other processes,
    frequency scaling) penalises every side alike.
    """
    per_slice = max(iterations // slices, 1)
    best = [float("inf")] * len(operations)
    for _ in range(REPEATS):
        spent = [0.0] * len(operations)
        for _ in range(slices):
            for index, operation in enumerate(operations):
                start = time.perf_counter()
                for _ in range(per_slice):
                    operation()
                spent[index] += time.perf_counter() - start
        best = [min(b, s) for b, s in zip(best, spent, strict=True)]
    return [per_slice * slices / seconds for seconds in best]


def main() -> int:
    private_pem, public_pem = signatures.generate_key_pair()
    private_key = signatures.load_private_key(private_pem)  # cached, as in production
    public_key = signatures.load_public_key(public_pem)
    body = activity_body()
    signed = signatures.sign_request(
        method="POST",
        url=INBOX,
        key_id=KEY_ID,
        private_key=private_key,
        body=body,
        headers=HEADERS,
    )
    text = signatures.signing_string(
        signatures.POST_SIGNED_HEADERS,
        method="POST",
        target="/users/bob/inbox",
        headers={k.lower(): v for k, v in signed.items()},
    ).encode()
    raw_signature = private_key.sign(text, padding.PKCS1v15(), hashes.SHA256())

    def ours_sign():
        signatures.sign_request(
            method="POST",
            url=INBOX,
            key_id=KEY_ID,
            private_key=private_key,
            body=body,
            headers=HEADERS,
        )

    pkcs1, sha256 = padding.PKCS1v15(), hashes.SHA256()

    def raw_sign():
        private_key.sign(text, pkcs1, sha256)

    def ours_verify():
        signatures.verify_request(
            method="POST",
            path="/users/bob/inbox",
            query="",
            headers=signed,
            body=body,
            public_key=public_key,
        )

    def raw_verify():
        public_key.verify(raw_signature, text, pkcs1, sha256)

    encoded_signature = base64.b64encode(raw_signature)

    def protocol_minimum_verify():
        # What any verifier must do beyond RSA: hash the body for Digest and
        # decode the base64 signature. Shown for scale, not used as the goal.
        hashlib.sha256(body).digest()
        binascii.a2b_base64(encoded_signature)
        public_key.verify(raw_signature, text, pkcs1, sha256)

    def load_uncached():
        serialization.load_pem_private_key(private_pem.encode(), password=None)

    def load_cached():
        signatures.load_private_key(private_pem)

    ours_verify()  # it must verify before it is timed
    print(f"body {len(body)} bytes, RSA-2048, best of {REPEATS} repeats")
    sign, sign_floor = best_rates(ours_sign, raw_sign, iterations=SIGN_ITERATIONS)
    verify, verify_floor, verify_minimum = best_rates(
        ours_verify, raw_verify, protocol_minimum_verify, iterations=VERIFY_ITERATIONS
    )
    [uncached] = best_rates(load_uncached, iterations=LOAD_ITERATIONS)
    [cached] = best_rates(load_cached, iterations=LOAD_ITERATIONS * 1000)

    sign_ratio, verify_ratio = sign / sign_floor, verify / verify_floor
    for name, ours, floor in (
        ("sign_request", sign, sign_floor),
        ("verify_request", verify, verify_floor),
    ):
        print(
            f"{name:15s} {ours:9.1f} ops/s   raw RSA {floor:9.1f} ops/s   "
            f"ratio {ours / floor:.2f}"
        )
    print(
        f"verify_request is {verify / verify_minimum:.2f} of RSA + body SHA-256 + "
        f"base64 decode ({verify_minimum:.1f} ops/s), the least any verifier does"
    )
    print(
        f"private key from PEM: {1000 / uncached:.2f} ms uncached, "
        f"{1_000_000 / cached:.3f} us cached (lru_cache), "
        f"{cached / uncached:,.0f}x faster; an uncached load costs "
        f"{sign_floor / uncached:.0f} signatures"
    )
    for name, ratio, goal in (
        ("signing", sign_ratio, SIGN_GOAL),
        ("verifying", verify_ratio, VERIFY_GOAL),
    ):
        verdict = "PASS" if ratio >= goal else "FAIL"
        print(f"{verdict}: {name} at {ratio:.1%} of raw (goal >= {goal:.0%})")
    print("(exit status is 0 either way: benchmarks report, they do not gate)")
    # The summary follows verification: every inbox POST pays it, and it is
    # the further of the two from its goal.
    print(
        f"signatures: {verify:.1f} ops/s, floor {verify_floor:.1f} ops/s, "
        f"ratio {verify_ratio:.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
