"""A post's life on the fediverse, end to end: publish, edit, delete.

Real PostgreSQL, real Redis and a real `celery worker` process run the
event handlers' tasks (federate_post, then the deliveries); two Mastodon-like
servers on loopback (tests/federation/peer.py) resolve the mention by
WebFinger and verify every POST's signature against our actor, which they
fetch from the live server.
"""

import io
import socket
import uuid
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone
from PIL import Image

from creatorhub.celery import app as celery_app
from federation import keys, notes, remote
from federation.models import Follow
from posts.models import Post
from posts.services import (
    PostInput,
    post_attach_media,
    post_delete,
    post_edit,
    post_save_draft,
    post_schedule,
)
from posts.tasks import publish_due_posts
from tests import factories
from tests.federation.peer import MastodonPeer
from tests.worker import start_worker, stop_worker, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


def _database_url() -> str:
    db = connection.settings_dict
    credentials = db["USER"] or ""
    if db["PASSWORD"]:
        credentials += f":{db['PASSWORD']}"
    at = "@" if credentials else ""
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgres://{credentials}{at}{db['HOST'] or 'localhost'}{port}/{db['NAME']}"


@pytest.fixture
def hub(live_server, settings):
    """Our side, on loopback over plain http, as the peers reach it."""
    settings.CREATORHUB_DOMAIN = urlsplit(live_server.url).netloc
    settings.CREATORHUB_SCHEME = "http"
    settings.FEDERATION_ALLOW_HTTP = True
    settings.FEDERATION_ALLOW_PRIVATE_ADDRESSES = True
    settings.FEDERATION_WEBFINGER_SCHEME = "http"
    keys.key_for_instance()
    return live_server


@pytest.fixture
def only_our_worker(integration_services):
    """Workers of other tests stop consuming meanwhile: they run without the
    loopback settings (and the live server's domain) this test needs."""
    paused = {}
    for queue in ("default", "deliver"):
        replies = celery_app.control.cancel_consumer(queue, reply=True, timeout=2)
        paused[queue] = [name for reply in replies for name in reply]
    yield
    for queue, names in paused.items():
        if names:
            celery_app.control.add_consumer(queue, destination=names, reply=True)


@pytest.fixture
def worker(hub, only_our_worker, tmp_path):
    name = f"publishing-{uuid.uuid4().hex[:6]}@{socket.gethostname()}"
    process = start_worker(
        hostname=name,
        env={
            "DATABASE_URL": _database_url(),
            "REDIS_URL": settings.REDIS_URL,
            "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
            "CREATORHUB_DOMAIN": urlsplit(hub.url).netloc,
            "CREATORHUB_SCHEME": "http",
            "FEDERATION_ALLOW_HTTP": "true",
            "FEDERATION_ALLOW_PRIVATE_ADDRESSES": "true",
            "FEDERATION_WEBFINGER_SCHEME": "http",
        },
        log_path=tmp_path / "worker.log",
    )
    yield process
    stop_worker(process)


def _activities(peer, kind: str) -> list[dict]:
    """Activities of `kind` the peer received with a signature it verified."""
    found = []
    for received in peer.inbox_posts():
        assert received.error is None, received.error
        if not received.verified:
            continue  # the peer is still fetching our key
        if received.json()["type"] == kind:
            found.append(received.json())
    return found


def _photo() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (30, 90, 160)).save(buffer, "JPEG")
    return SimpleUploadedFile("mural.jpg", buffer.getvalue(), "image/jpeg")


def test_a_scheduled_post_with_image_and_mention_goes_out_is_edited_and_deleted(
    hub, worker
):
    """The issue's "done when": scheduled, then delivered by the worker to a
    follower's server (shared inbox) and a mentioned account's server (no
    shared inbox), each verifying our signature; then Update and Delete."""
    alice = factories.CreatorFactory(handle="alice", user__username="alice")
    with (
        MastodonPeer() as follower,
        MastodonPeer(username="carol", shared_inbox=False) as mentioned,
    ):
        Follow.objects.create(
            creator=alice,
            actor=remote.fetch_actor(follower.actor_id),
            follow_activity_id=f"{follower.actor_id}#follows/1",
            state=Follow.State.ACCEPTED,
        )
        draft = post_save_draft(
            creator=alice,
            by=alice.user,
            data=PostInput(body=f"New mural with {mentioned.handle} #art"),
        )
        post_attach_media(
            post=draft, by=alice.user, upload=_photo(), alt_text="A blue wall"
        )
        post = post_schedule(
            post=draft, by=alice.user, publish_at=timezone.now() + timedelta(seconds=2)
        )
        note_id = notes.note_url(post)
        assert not follower.inbox_posts()  # nothing goes out before its time

        def published():
            """beat's publish_due_posts, run by the worker, published it"""
            publish_due_posts.delay()  # what beat does every 30 s
            post.refresh_from_db()
            return post.state == Post.State.PUBLISHED

        wait_for(published, timeout=60, interval=1)

        def created():
            """a verified Create at both servers"""
            return _activities(follower, "Create") and _activities(mentioned, "Create")

        wait_for(created, timeout=60)
        [create] = _activities(follower, "Create")
        assert create == _activities(mentioned, "Create")[0]  # one activity
        assert create["id"] == f"{note_id}/activity"
        note = create["object"]
        assert note["to"] == [PUBLIC]
        assert note["cc"] == [f"{hub.url}/users/alice/followers", mentioned.actor_id]
        assert {
            "type": "Mention",
            "href": mentioned.actor_id,
            "name": f"@carol@{mentioned.host}",
        } in note["tag"]
        [image] = note["attachment"]
        assert image["mediaType"] == "image/jpeg"
        assert image["name"] == "A blue wall"
        assert (image["width"], image["height"]) == (640, 480)
        assert image["blurhash"]
        # Shared inbox where offered, the personal inbox where not.
        assert {r.path for r in follower.inbox_posts()} == {"/inbox"}
        assert {r.path for r in mentioned.inbox_posts()} == {"/users/carol/inbox"}

        post = post_edit(
            post=post, by=alice.user, data=PostInput(body=f"Mural! {mentioned.handle}")
        )

        def updated():
            """a verified Update at both servers"""
            return _activities(follower, "Update") and _activities(mentioned, "Update")

        wait_for(updated, timeout=60)
        [update] = _activities(follower, "Update")
        assert update["object"]["updated"]
        assert update["object"]["content"].startswith("<p>Mural!")

        post_delete(post=post, by=alice.user)

        def deleted():
            """a verified Delete at both servers"""
            return _activities(follower, "Delete") and _activities(mentioned, "Delete")

        wait_for(deleted, timeout=60)
        [delete] = _activities(follower, "Delete")
        assert delete["object"]["type"] == "Tombstone"
        assert follower.get(note_id).status_code == 410
        # Each server got each activity once.
        for peer in (follower, mentioned):
            kinds = [r.json()["type"] for r in peer.inbox_posts()]
            assert sorted(kinds) == ["Create", "Delete", "Update"]
