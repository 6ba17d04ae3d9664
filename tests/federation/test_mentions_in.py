"""Mentions of a creator outside their threads, from the wire to the inbox.

A Note that mentions a creator but neither replies to nor quotes one of
their posts is kept as a mention: screened as replies are, listed in the
one reply inbox and the creator's notifications, never counted as
engagement. Activities are POSTed signed to the real inbox view and
processed as the worker does; answers go out through the real delivery
code to a loopback server that checks the signature.
"""

import pytest
from django.urls import reverse
from django.utils import timezone

from analytics import selectors as analytics_selectors
from analytics.models import (
    CreatorHourlyRollup,
    Interaction,
    PostDailyRollup,
    Reply,
)
from federation.models import InboundActivity, OutboundActivity
from federation.outbound import delivery
from federation.protocol import ids, keys
from moderation import services as moderation
from moderation.models import DomainPolicy, ScreeningRules
from posts.models import Post
from tests import factories
from tests.federation.conftest import run_outbox_jobs
from tests.federation.delivery_sink import DeliverySink
from tests.federation.inbox_support import (
    Remote,
    process_queued,
    reset_request_caches,
    stored,
)

pytestmark = pytest.mark.django_db

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
BOB = "https://mastodon.example/users/bob"
State = InboundActivity.State


def mention_note(actor: str, number: int = 1, *, handle: str = "alice", **fields):
    """A Note by `actor` in a conversation elsewhere that mentions @handle."""
    ours = ids.actor_id(handle)
    note = {
        "id": f"{actor}/statuses/{number}",
        "type": "Note",
        "attributedTo": actor,
        "inReplyTo": "https://elsewhere.example/notes/7",
        "published": "2026-12-01T10:00:00Z",
        "content": f'<p><a href="{ours}" class="mention">@{handle}</a> what '
        "do you think?<script>alert(1)</script></p>",
        "to": [PUBLIC],
        "cc": [ours],
        "tag": [{"type": "Mention", "href": ours, "name": f"@{handle}@hub.test"}],
    }
    note.update(fields)
    return note


def create(actor: str, note: dict, *, suffix: str = "activity") -> dict:
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{note['id']}/{suffix}",
        "type": "Create",
        "actor": actor,
        "to": note.get("to", [PUBLIC]),
        "object": note,
    }


@pytest.fixture(autouse=True)
def _fresh_caches():
    # Domain policies and keys are cached per process; each test sets its own.
    reset_request_caches()
    yield
    reset_request_caches()


@pytest.fixture
def bob(db):
    return Remote(BOB)


@pytest.fixture
def send(client, bob):
    """send(activity) posts it signed as bob and processes it; the stored row."""

    def post(activity, remote=None):
        response = (remote or bob).post(client, activity)
        assert response.status_code == 202, response.content
        process_queued()
        return stored(activity["id"])

    return post


@pytest.fixture
def manager(creator):
    return factories.agency_member_with_access(
        creator, role="manager", may_manage_posts=True, username="sam", first_name="Sam"
    )


def test_a_mention_outside_the_creators_threads_is_kept_and_listed(
    client, creator, send, manager
):
    row = send(create(BOB, mention_note(BOB)))

    assert row.state == State.PROCESSED, row.error
    mention = Reply.objects.get()
    assert (mention.creator, mention.post, mention.kind) == (creator, None, "mention")
    assert mention.status == Reply.Status.VISIBLE
    assert "<script>" not in mention.content_html  # sanitised on arrival
    assert "what do you think?" in mention.content_html

    client.force_login(manager)
    page = client.get(reverse("conversations:inbox")).content.decode()
    assert f'id="conversation-{mention.pk}"' in page
    assert "Mention</span>" in page
    assert "Open on mastodon.example" in page
    # The kind filter keeps mentions and leaves them out of replies.
    only = client.get(reverse("conversations:inbox"), {"kind": "mention"})
    assert f'id="conversation-{mention.pk}"' in only.content.decode()
    replies = client.get(reverse("conversations:inbox"), {"kind": "reply"})
    assert f'id="conversation-{mention.pk}"' not in replies.content.decode()

    api = client.get("/api/v1/replies", {"kind": "mention"}).json()
    (item,) = api["results"]
    assert (item["id"], item["kind"], item["post_id"]) == (mention.pk, "mention", None)


def test_a_mention_shows_in_the_creators_notifications(client, creator, send):
    send(create(BOB, mention_note(BOB)))

    page = analytics_selectors.notifications_for(creator=creator)
    assert [n.kind for n in page.items] == ["mention"]
    assert analytics_selectors.notifications_since(creator=creator, since=None) == 1
    client.force_login(creator.user)
    url = reverse("inbox:notifications", kwargs={"handle": creator.handle})
    listed = client.get(url).content.decode()
    assert "mentioned you" in listed
    assert "under your post" not in listed


def test_a_mention_from_a_blocked_domain_is_refused(client, creator, bob):
    DomainPolicy.objects.create(
        domain="mastodon.example", severity=DomainPolicy.Severity.BLOCK
    )

    response = bob.post(client, create(BOB, mention_note(BOB)))

    assert response.status_code == 403
    process_queued()
    assert not Reply.objects.exists()


def test_a_mention_queued_before_its_domain_was_blocked_is_dropped(
    client, creator, bob
):
    activity = create(BOB, mention_note(BOB))
    assert bob.post(client, activity).status_code == 202
    DomainPolicy.objects.create(
        domain="mastodon.example", severity=DomainPolicy.Severity.BLOCK
    )

    process_queued()

    assert stored(activity["id"]).state == State.IGNORED
    assert not Reply.objects.exists()


def test_a_held_mention_is_not_a_notification(creator, send):
    ScreeningRules.objects.create(creator=creator, hold_all=True)

    row = send(create(BOB, mention_note(BOB)))

    assert row.state == State.PROCESSED, row.error
    assert Reply.objects.get().status == Reply.Status.HELD
    assert analytics_selectors.notifications_for(creator=creator).items == []
    assert analytics_selectors.notifications_since(creator=creator, since=None) == 0


def test_the_same_mention_delivered_twice_is_kept_once(creator, send):
    note = mention_note(BOB)
    send(create(BOB, note))
    # A second delivery of the same Note (another activity id, as relays do).
    again = send(create(BOB, note, suffix="activity-again"))

    assert again.state == State.PROCESSED, again.error
    assert Reply.objects.filter(ap_id=note["id"]).count() == 1


def test_a_mention_changes_no_engagement_counts(creator, send):
    post = factories.PostFactory(creator=creator, published=True)

    send(create(BOB, mention_note(BOB)))

    assert Reply.objects.filter(post__isnull=True).count() == 1
    assert not Interaction.objects.exists()
    assert not PostDailyRollup.objects.filter(post=post).exists()
    assert not CreatorHourlyRollup.objects.filter(creator=creator).exists()


def test_approving_a_held_mention_still_counts_nothing(creator, send):
    ScreeningRules.objects.create(creator=creator, hold_all=True)
    send(create(BOB, mention_note(BOB)))

    moderation.reply_approve(reply=Reply.objects.get(), by=creator.user)

    assert Reply.objects.get().status == Reply.Status.VISIBLE
    assert not Interaction.objects.exists()
    assert not CreatorHourlyRollup.objects.exists()


@pytest.mark.parametrize(
    "hostile",
    [
        # Not on the sender's server: anyone could claim it.
        {"id": "https://other.example/statuses/1"},
        # Attributed to someone else than the sender.
        {"attributedTo": "https://mastodon.example/users/carol"},
        # A Mention tag whose name says alice but whose href is elsewhere.
        {
            "tag": [
                {
                    "type": "Mention",
                    "href": "https://evil.example/users/alice",
                    "name": "@alice@hub.test",
                }
            ]
        },
        # A handle of ours that is no creator.
        {"tag": [{"type": "Mention", "href": ids.actor_id("nobody")}]},
        # Not a post at all.
        {"type": "Person"},
    ],
)
def test_hostile_mentions_store_nothing(creator, send, hostile):
    activity = create(BOB, mention_note(BOB, **hostile))
    activity["id"] = f"{BOB}/activities/hostile"  # the Create itself is bob's
    row = send(activity)

    assert row.state == State.IGNORED
    assert not Reply.objects.exists()


def test_a_mention_of_a_deactivated_creator_is_not_kept(creator, send):
    creator.user.is_active = False
    creator.user.save(update_fields=["is_active"])

    row = send(create(BOB, mention_note(BOB)))

    assert row.state == State.IGNORED
    assert not Reply.objects.exists()


def test_the_author_edits_and_deletes_a_mention_nobody_else_does(client, creator, send):
    note = mention_note(BOB)
    send(create(BOB, note))
    carol = Remote("https://mastodon.example/users/carol")
    edited = {**note, "content": "<p>Edited!</p>", "updated": "2026-12-01T11:00:00Z"}

    forged = {
        "id": f"{note['id']}#forged-update",
        "type": "Update",
        "actor": carol.actor_id,
        "object": {**edited, "attributedTo": carol.actor_id},
    }
    send(forged, remote=carol)
    assert "what do you think?" in Reply.objects.get().content_html

    update = {"id": f"{note['id']}#update", "type": "Update", "actor": BOB}
    send({**update, "object": edited})
    assert Reply.objects.get().content_html == "<p>Edited!</p>"

    send({"id": f"{note['id']}#delete", "type": "Delete", "actor": BOB, "object": note})
    assert not Reply.objects.exists()


def test_a_reply_to_the_creators_answer_to_a_mention_is_a_reply_to_that_answer(
    creator, send
):
    send(create(BOB, mention_note(BOB)))
    mention = Reply.objects.get()
    answer = factories.PostFactory(
        creator=creator, published=True, in_reply_to_uri=mention.ap_id
    )
    follow_up = {
        "id": f"{BOB}/statuses/2",
        "type": "Note",
        "attributedTo": BOB,
        "inReplyTo": ids.note_id(answer),
        "content": "<p>Thanks!</p>",
        "to": [PUBLIC],
    }

    row = send(create(BOB, follow_up))

    assert row.state == State.PROCESSED, row.error
    reply = Reply.objects.get(ap_id=follow_up["id"])
    assert (reply.post, reply.kind) == (answer, "reply")


def test_a_reply_under_a_mention_is_kept_only_if_it_names_the_creator_again(
    creator, send
):
    send(create(BOB, mention_note(BOB)))
    first = Reply.objects.get()
    carol = Remote("https://mastodon.example/users/carol")
    again = mention_note(carol.actor_id, 2, inReplyTo=first.ap_id)
    aside = mention_note(carol.actor_id, 3, inReplyTo=first.ap_id, tag=[])

    assert send(create(carol.actor_id, again), remote=carol).state == State.PROCESSED
    assert send(create(carol.actor_id, aside), remote=carol).state == State.IGNORED
    kept = Reply.objects.get(ap_id=again["id"])
    assert (kept.kind, kept.creator) == ("mention", creator)
    assert not Reply.objects.filter(ap_id=aside["id"]).exists()


# Answering from the one reply inbox -------------------------------------------------


@pytest.fixture
def sink(creator, loopback):
    key = keys.key_for_creator(creator)
    with DeliverySink(keys={ids.key_id(creator.handle): key.public_key_pem}) as s:
        yield s


def test_answering_a_mention_federates_it_in_reply_to_the_mention(
    client, creator, manager, sink, send
):
    dan = Remote(sink.url("/users/dan"))
    note = mention_note(dan.actor_id)
    send(create(dan.actor_id, note), remote=dan)
    mention = Reply.objects.get()
    client.force_login(manager)
    answer_url = reverse("inbox:reply-answer", kwargs={"pk": mention.pk})
    assert answer_url in client.get(reverse("conversations:inbox")).content.decode()

    response = client.post(answer_url, {"body": "Love it!", "visibility": "public"})
    assert response.status_code == 302
    run_outbox_jobs()
    for pk in OutboundActivity.objects.order_by("pk").values_list("pk", flat=True):
        delivery.deliver_due(activity_id=pk)

    arrivals = sink.posts("/inbox")
    assert arrivals and all(a.verified for a in arrivals), [a.error for a in arrivals]
    sent = arrivals[-1].json()
    assert sent["type"] == "Create"
    assert sent["actor"] == ids.actor_id(creator.handle)
    assert sent["object"]["inReplyTo"] == mention.ap_id
    mentioned = [t["href"] for t in sent["object"]["tag"] if t["type"] == "Mention"]
    assert dan.actor_id in mentioned
    assert "Love it!" in sent["object"]["content"]
    # Answered in the inbox, and still no engagement counted.
    listed = client.get(reverse("conversations:inbox"), {"kind": "mention"})
    assert "Answered by Sam" in listed.content.decode()
    assert not Interaction.objects.filter(kind=Interaction.Kind.REPLY).exists()


def test_an_analyst_cannot_answer_a_mention(client, creator, send):
    analyst = factories.agency_member_with_access(
        creator, role="analyst", may_manage_posts=False, username="ana"
    )
    send(create(BOB, mention_note(BOB)))
    mention = Reply.objects.get()
    client.force_login(analyst)

    page = client.get(reverse("conversations:inbox")).content.decode()
    assert f'id="conversation-{mention.pk}"' in page
    answer_url = reverse("inbox:reply-answer", kwargs={"pk": mention.pk})
    assert answer_url not in page
    before = Post.objects.count()
    response = client.post(answer_url, {"body": "Sneaky", "visibility": "public"})

    assert response.status_code == 403
    assert Post.objects.count() == before
    done = client.post(reverse("conversations:done", kwargs={"pk": mention.pk}))
    assert done.status_code == 403
    assert not hasattr(Reply.objects.get(), "conversation")


def test_assign_and_done_work_on_a_mention(client, creator, manager, send):
    send(create(BOB, mention_note(BOB)))
    mention = Reply.objects.get()
    client.force_login(manager)

    client.post(
        reverse("conversations:assign", kwargs={"pk": mention.pk}),
        {"assigned_to": manager.pk},
    )
    client.post(reverse("conversations:done", kwargs={"pk": mention.pk}))

    mention.refresh_from_db()
    assert mention.conversation.assigned_to == manager
    assert mention.conversation.done_at <= timezone.now()
    mine = client.get("/api/v1/replies", {"mine": "1"}).json()["results"]
    assert [(i["kind"], i["state"]) for i in mine] == [("mention", "done")]
