"""A post's life on the fediverse, end to end: publish, edit, delete.

Real PostgreSQL, real Redis and a real `celery worker` process run the
event handlers' tasks (federate_post, then the deliveries); two Mastodon-like
servers on loopback (tests/federation/peer.py) resolve the mention by
WebFinger and verify every POST's signature against our actor, which they
fetch from the live server.
"""

import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from federation.protocol import notes, remote
from followers.models import Follow
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
from tests.worker import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


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
