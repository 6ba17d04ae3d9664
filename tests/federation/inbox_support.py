"""Helpers for the inbox tests: remote actors whose keys the test holds, real
signatures, payloads from tests/fixtures/inbox/, and running the worker side.

Requests go through the real inbox view with real HTTP signatures made by
federation.protocol.signatures (MastodonPeer covers the key-fetching path in
test_inbox_peer.py); nothing of ours is patched out.
"""

import functools
import json
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import requests
from django.utils import timezone

from federation.inbound import inbox, processing
from federation.models import InboundActivity, RemoteActor, RemoteInstance
from federation.protocol import ids, signatures

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "inbox"
AS2 = "application/activity+json"
HUB_HOST = "hub.test"  # CREATORHUB_DOMAIN in tests/settings.py


@functools.cache
def _key_pair(slot: int) -> tuple[str, str]:
    # Generating RSA keys is slow; a few are enough for every test.
    return signatures.generate_key_pair()


_slots = iter(range(10**6))


class Remote:
    """A remote actor stored as if verified before, with a key we hold."""

    def __init__(self, actor_id: str, *, software: str = "mastodon", key_id=None):
        self.actor_id = actor_id
        parts = urlsplit(actor_id)
        self.domain = parts.netloc
        self.key_id = key_id or f"{actor_id}#main-key"
        self.private_pem, self.public_pem = _key_pair(next(_slots) % 8)
        instance, _ = RemoteInstance.objects.get_or_create(
            domain=self.domain,
            defaults={"software": software, "nodeinfo_fetched_at": timezone.now()},
        )
        username = parts.path.rstrip("/").rsplit("/", 1)[-1]
        self.actor = RemoteActor.objects.create(
            ap_id=actor_id,
            instance=instance,
            username=username,
            display_name=username.capitalize(),
            inbox_url=f"{actor_id}/inbox",
            shared_inbox_url=f"{parts.scheme}://{self.domain}/inbox",
            profile_url=f"{parts.scheme}://{self.domain}/@{username}",
            avatar_url=f"{parts.scheme}://{self.domain}/avatars/{username}.png",
            followers_url=f"{actor_id}/followers",
            public_key_id=self.key_id,
            public_key_pem=self.public_pem,
        )

    def signed_headers(
        self, path: str, body: bytes, *, now=None, content_type=AS2, **extra
    ) -> dict:
        """Headers as Mastodon sends them, as Django test client META; `extra`
        replaces headers after signing."""
        headers = signatures.sign_request(
            method="POST",
            url=f"https://{HUB_HOST}{path}",
            key_id=self.key_id,
            private_key=signatures.load_private_key(self.private_pem),
            body=body,
            headers={"Content-Type": content_type},
            now=now,
        )
        headers.update(extra)
        return meta(headers)

    def post_over_http(self, url: str, activity: dict) -> requests.Response:
        """POST `activity` to a live server's inbox at `url`, signed."""
        body = json.dumps(activity).encode()
        headers = signatures.sign_request(
            method="POST",
            url=url,
            key_id=self.key_id,
            private_key=signatures.load_private_key(self.private_pem),
            body=body,
            headers={"Content-Type": AS2},
        )
        return requests.post(url, data=body, headers=headers, timeout=10)

    def post(self, client, activity, *, path="/inbox", now=None):
        body = json.dumps(activity).encode()
        return client.generic(
            "POST", path, body, **self.signed_headers(path, body, now=now)
        )


def meta(headers: dict) -> dict:
    converted = {}
    for name, value in headers.items():
        if name.lower() == "content-type":
            converted["CONTENT_TYPE"] = value
        elif name.lower() == "host":
            converted["HTTP_HOST"] = value
        else:
            converted["HTTP_" + name.upper().replace("-", "_")] = value
    return converted


def fixture(name: str, **values) -> dict:
    """tests/fixtures/inbox/<name>.json with {{PLACEHOLDERS}} of ours filled:
    CREATOR (our actor id), POST / POST2 (our Note ids), HUB (our base URL)."""
    text = (FIXTURES / f"{name}.json").read_text()
    for placeholder, value in values.items():
        text = text.replace("{{" + placeholder + "}}", value)
    assert "{{" not in text, f"unfilled placeholder in {name}.json"
    return json.loads(text)


def our_values(creator, post=None, post2=None) -> dict:
    values = {"CREATOR": ids.actor_id(creator.handle), "HUB": ids.absolute("")}
    if post is not None:
        values["POST"] = ids.note_id(post)
    if post2 is not None:
        values["POST2"] = ids.note_id(post2)
    return values


def process_queued() -> dict:
    """Run the worker side on everything stored and still waiting."""
    pks = InboundActivity.objects.filter(
        state=InboundActivity.State.QUEUED
    ).values_list("pk", flat=True)
    return processing.process_stored(list(pks))


def stored(ap_id: str) -> InboundActivity:
    return InboundActivity.objects.get(ap_id=ap_id)


def http_date(moment: datetime) -> str:
    return signatures.http_date(moment.astimezone(UTC))


def reset_request_caches() -> None:
    inbox.forget_cached_keys()
