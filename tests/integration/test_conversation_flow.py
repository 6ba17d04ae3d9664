"""A conversation with someone on another server, end to end.

A Mastodon-like server on loopback (tests/federation/peer.py, signing with
the independent `httpsig` library) follows our creator, likes and boosts a
post, replies, edits the reply; the creator reads all of it in the
dashboard and answers from there; the answer reaches the peer signed and
`inReplyTo` the reply; the peer answers back and that lands in the same
thread. Real PostgreSQL, Redis and a `celery worker` do everything between
the HTTP requests: the inbox hand-over, processing, the Accept and the
answer's delivery.
"""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from analytics.models import Interaction, Reply
from federation.protocol import notes
from followers.models import Follow
from posts.models import Post
from posts.services import PostInput, post_publish, post_save_draft
from tests import factories
from tests.federation.peer import MastodonPeer
from tests.worker import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

AS = "https://www.w3.org/ns/activitystreams"
PUBLIC = f"{AS}#Public"


def _verified(peer: MastodonPeer, kind: str) -> list[dict]:
    """Activities of `kind` the peer received and verified as signed by us."""
    found = []
    for received in peer.inbox_posts():
        assert received.error is None, received.error
        if received.verified and received.json()["type"] == kind:
            found.append(received.json())
    return found


def _note(peer: MastodonPeer, number: int, *, in_reply_to: str, text: str) -> dict:
    note_id = f"{peer.actor_id}/statuses/{number}"
    return {
        "id": note_id,
        "type": "Note",
        "attributedTo": peer.actor_id,
        "inReplyTo": in_reply_to,
        "content": f"<p>{text}</p>",
        # A minute ago: the edit below, stamped now, is then always newer.
        "published": (datetime.now(UTC) - timedelta(minutes=1)).isoformat(),
        "url": f"{peer.base_url}/@{peer.username}/{number}",
        "to": [PUBLIC],
        "cc": [f"{peer.actor_id}/followers"],
    }


def _send(peer: MastodonPeer, inbox: str, activity: dict) -> None:
    response = peer.post(inbox, {"@context": AS, "actor": peer.actor_id, **activity})
    assert response.status_code == 202, response.text


def test_a_remote_user_follows_likes_boosts_replies_and_gets_an_answer(
    hub, worker, client
):
    alice = factories.CreatorFactory(handle="alice", user__username="alice")
    post = post_publish(
        post=post_save_draft(
            creator=alice, by=alice.user, data=PostInput(body="New mural is up")
        ),
        by=alice.user,
    )
    note_url = notes.note_url(post)
    client.force_login(alice.user)
    notifications = reverse("inbox:notifications", kwargs={"handle": "alice"})
    thread = reverse("inbox:post-replies", kwargs={"pk": post.pk})

    with MastodonPeer() as bob:
        inbox = f"{hub.url}/users/alice/inbox"
        shared_inbox = f"{hub.url}/inbox"

        # Follows: accepted, and the Accept reaches bob's server signed.
        follow_id = f"{bob.actor_id}#follows/1"
        _send(
            bob,
            inbox,
            {"id": follow_id, "type": "Follow", "object": f"{hub.url}/users/alice"},
        )
        wait_for(lambda: _verified(bob, "Accept"), timeout=60)
        [accept] = _verified(bob, "Accept")
        assert accept["object"]["id"] == follow_id
        assert Follow.objects.get(creator=alice).state == Follow.State.ACCEPTED

        # Likes, boosts, replies, then edits the reply.
        _send(bob, shared_inbox, {"id": f"{bob.actor_id}#likes/1", "type": "Like",
                                  "object": note_url})  # fmt: skip
        _send(bob, shared_inbox, {
            "id": f"{bob.actor_id}/statuses/100/activity", "type": "Announce",
            "object": note_url, "to": [PUBLIC],
        })  # fmt: skip
        reply_note = _note(bob, 101, in_reply_to=note_url, text="Love the colours")
        _send(bob, shared_inbox, {"id": f"{reply_note['id']}/activity",
                                  "type": "Create", "object": reply_note})  # fmt: skip

        def recorded():
            """the like, the boost and the reply, processed by the worker"""
            kinds = set(Interaction.objects.values_list("kind", flat=True))
            return {"like", "boost", "reply"} <= kinds

        wait_for(recorded, timeout=60)
        edited = {**reply_note, "content": "<p>Love the colours, and the blue!</p>"}
        edited["updated"] = datetime.now(UTC).isoformat()
        _send(bob, shared_inbox, {"id": f"{reply_note['id']}#updates/1",
                                  "type": "Update", "object": edited})  # fmt: skip

        def reply_edited():
            """the reply's edit, processed by the worker"""
            return Reply.objects.filter(edited_at__isnull=False).first()

        reply = wait_for(reply_edited, timeout=60)
        assert reply.post == post

        # The creator sees each of them in the dashboard.
        page = client.get(notifications).content.decode()
        for verb in ("followed you", "liked your post", "boosted your post",
                     "replied to your post"):  # fmt: skip
            assert verb in page
        assert bob.handle.lstrip("@") in page
        assert "Love the colours, and the blue!" in client.get(thread).content.decode()

        # ... and answers it from there.
        response = client.post(
            reverse("inbox:reply-answer", kwargs={"pk": reply.pk}),
            {"body": "Thank you! It took a week.", "visibility": "public"},
        )
        assert response.status_code == 302
        answer = Post.objects.get(in_reply_to_uri=reply.ap_id)

        def answer_delivered():
            """the answer, verified at bob's server"""
            return [
                create
                for create in _verified(bob, "Create")
                if create["object"]["inReplyTo"] == reply_note["id"]
            ]

        [create] = wait_for(answer_delivered, timeout=60)
        sent = create["object"]
        assert sent["id"] == notes.note_url(answer)
        assert "Thank you! It took a week." in sent["content"]
        assert bob.actor_id in sent["to"] + sent["cc"]
        assert any(
            tag["type"] == "Mention" and tag["href"] == bob.actor_id
            for tag in sent["tag"]
        )

        # Bob answers the answer: it joins the same thread, under the post.
        back = _note(bob, 102, in_reply_to=sent["id"], text="A week well spent")
        _send(bob, shared_inbox, {"id": f"{back['id']}/activity", "type": "Create",
                                  "object": back})  # fmt: skip

        def answered_back():
            """bob's answer to the answer, processed by the worker"""
            return Reply.objects.filter(ap_id=back["id"]).first()

        second = wait_for(answered_back, timeout=60)
        assert second.post == post
        page = client.get(thread).content.decode()
        assert "Thank you! It took a week." in page
        assert "A week well spent" in page
        # The public post page shows the conversation too.
        public = client.get(note_url.removeprefix(hub.url)).content.decode()
        assert "Love the colours, and the blue!" in public
        assert "Thank you! It took a week." in public
