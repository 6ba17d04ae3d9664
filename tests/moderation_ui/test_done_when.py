"""Issue 7's "Done when", tried as a new user would.

Three Mastodon-like servers run on loopback (tests/federation/peer.py, each
signing with the independent `httpsig` library): bob sends a normal reply,
eve a spam reply her creator's filter list catches, and mallory a reply
from a server the admins blocked. The creator and the admin set things up
in the dashboard, the live server takes the signed POSTs, and processing
runs in-process (as tests/federation/test_inbox_peer.py), so this runs on
SQLite as well as PostgreSQL.
"""

from datetime import UTC, datetime

import pytest
import requests
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from analytics.models import Reply
from federation.protocol import notes
from moderation.models import DomainPolicy
from posts.models import Post
from tests import factories
from tests.federation.inbox_support import process_queued
from tests.federation.peer import MastodonPeer

pytestmark = pytest.mark.django_db(transaction=True)

AS = "https://www.w3.org/ns/activitystreams"
AS2 = "application/activity+json"


def reply(peer: MastodonPeer, number: int, *, to: str, text: str) -> dict:
    """A Create(Note) answering `to`, as Mastodon sends one."""
    note_id = f"{peer.actor_id}/statuses/{number}"
    return {
        "@context": AS,
        "id": f"{note_id}/activity",
        "type": "Create",
        "actor": peer.actor_id,
        "published": datetime.now(UTC).isoformat(timespec="seconds"),
        "to": [f"{AS}#Public"],
        "object": {
            "id": note_id,
            "type": "Note",
            "attributedTo": peer.actor_id,
            "inReplyTo": to,
            "content": f"<p>{text}</p>",
            "published": datetime.now(UTC).isoformat(timespec="seconds"),
            "url": f"{peer.base_url}/@{peer.username}/{number}",
            "to": [f"{AS}#Public"],
            "cc": [f"{peer.actor_id}/followers"],
        },
    }


def test_a_normal_reply_a_spam_reply_and_one_from_a_blocked_server(live_inbox):
    alice = factories.CreatorFactory(handle="alice", user__username="alice")
    admin = factories.UserFactory(username="admin", admin=True)
    post = Post.objects.create(
        creator=alice,
        body="New mural is up",
        content_html="<p>New mural is up</p>",
        state=Post.State.PUBLISHED,
        published_at=timezone.now(),
    )
    note_url = notes.note_url(post)
    shared_inbox = f"{live_inbox.url}/inbox"
    creator = Client()
    creator.force_login(alice.user)
    moderator = Client()
    moderator.force_login(admin)
    queue = reverse("moderation:queue", kwargs={"handle": "alice"})

    with (
        MastodonPeer(username="bob") as bob,
        MastodonPeer(username="eve") as eve,
        MastodonPeer(username="mallory") as mallory,
    ):
        # The creator lists a word to hold; the admin blocks mallory's server.
        rules = reverse("moderation:rules", kwargs={"handle": "alice"})
        saved = creator.post(
            rules,
            {"keywords": "crypto", "new_server_days": 7, "mention_limit": 5,
             "flood_limit": 10, "flood_minutes": 10},
        )  # fmt: skip
        assert saved.status_code == 302
        added = moderator.post(
            reverse("moderation:policy-create"),
            {"domain": mallory.host, "severity": "suspend", "public_reason": "Abuse"},
        )
        assert added.status_code == 302
        assert DomainPolicy.objects.get().domain == mallory.host

        normal = reply(bob, 1, to=note_url, text="Love the colours")
        # Full-width letters to slip past the filter: folded, still caught.
        spam = reply(eve, 2, to=note_url, text="Free ＣＲＹＰＴＯ for every follower")
        blocked = reply(mallory, 3, to=note_url, text="You are all idiots")
        assert bob.post(shared_inbox, normal).status_code == 202
        assert eve.post(shared_inbox, spam).status_code == 202
        refused = mallory.post(f"{live_inbox.url}/users/alice/inbox", blocked)
        assert refused.status_code == 403
        process_queued()

    # The creator sees the first in her notifications and the thread.
    notifications = creator.get(
        reverse("inbox:notifications", kwargs={"handle": "alice"})
    ).content.decode()
    thread = creator.get(
        reverse("inbox:post-replies", kwargs={"pk": post.pk})
    ).content.decode()
    assert "Love the colours" in notifications and "Love the colours" in thread
    assert "Love the colours" not in creator.get(queue).content.decode()

    # ... finds the second in the queue, with why it was held ...
    held = creator.get(queue).content.decode()
    assert "Free ＣＲＹＰＴＯ for every follower" in held
    assert "matches the filter list: “crypto”" in held
    assert eve.handle in held

    # ... and never sees the third: not shown, held or stored anywhere.
    for status in Reply.Status.values:
        page = creator.get(queue, {"status": status}).content.decode()
        assert "idiots" not in page and mallory.host not in page
    assert "idiots" not in notifications and "idiots" not in thread
    assert not Reply.objects.filter(actor_uri=mallory.actor_id).exists()

    # Before approval the spam is on neither the public page nor in `replies`.
    def public_page() -> str:
        response = requests.get(note_url, headers={"Accept": "text/html"}, timeout=10)
        assert response.status_code == 200
        return response.text

    def replies_collection() -> list[str]:
        response = requests.get(
            f"{note_url}/replies", headers={"Accept": AS2}, timeout=10
        )
        assert response.status_code == 200
        return response.json()["first"]["items"]

    spam_id = spam["object"]["id"]
    assert "Love the colours" in public_page()
    assert "CRYPTO" not in public_page() and "ＣＲＹＰＴＯ" not in public_page()
    assert replies_collection() == [normal["object"]["id"]]

    # Approving it in the queue puts it on the page and in the collection.
    held_reply = Reply.objects.get(ap_id=spam_id)
    approved = creator.post(
        reverse("moderation:reply-act", kwargs={"pk": held_reply.pk}),
        {"action": "approve", "next": queue},
        follow=True,
    )
    assert "Approved the reply by" in approved.content.decode()
    assert "ＣＲＹＰＴＯ" in public_page()
    assert set(replies_collection()) == {normal["object"]["id"], spam_id}
