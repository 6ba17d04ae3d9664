"""Post events become activities: built once, addressed right, to the right inboxes.

Mentions are resolved against a Mastodon-like peer on loopback (real
WebFinger and actor fetches through our client); delivery itself is only
queued here (Delivery rows), as the task leaves it.
"""

import pytest
from django.db import transaction

from analytics.models import Interaction, Reply
from federation.models import Delivery, OutboundActivity, OutboxJob
from federation.outbound import fanout, publishing
from federation.protocol import notes
from followers.models import Follow
from posts.models import Post
from posts.services import (
    PostInput,
    post_delete,
    post_edit,
    post_pin,
    post_publish,
    post_save_draft,
    post_unpin,
)
from tests.federation.conftest import fan_out_all, make_follower

pytestmark = pytest.mark.django_db

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


def publish(creator, body="Hello", **fields) -> Post:
    post = post_save_draft(
        creator=creator, by=creator.user, data=PostInput(body=body, **fields)
    )
    return post_publish(post=post, by=creator.user)


def edit(post, body, **fields) -> Post:
    post.refresh_from_db()
    return post_edit(
        post=post,
        by=post.creator.user,
        data=PostInput(body=body, visibility=post.visibility, **fields),
    )


def inboxes_of(activity) -> list[str]:
    """Every inbox the activity goes to, once the fan-out has written them."""
    fanout.fan_out(activity.pk)
    return sorted(activity.deliveries.values_list("inbox_url", flat=True))


def webfinger_requests(peer) -> int:
    return sum(1 for r in peer.received if r.path.startswith("/.well-known/webfinger"))


@pytest.fixture
def followers(alice):
    """Two servers: one with a shared inbox and two followers, one without."""
    make_follower(alice, domain="a.example", username="one")
    make_follower(alice, domain="a.example", username="two")
    make_follower(alice, domain="b.example", username="three", shared=False)
    return ["https://a.example/inbox", "https://b.example/users/three/inbox"]


# Create -------------------------------------------------------------------------


def test_create_goes_to_followers_and_mentioned_accounts(
    alice, followers, mastodon_peer, loopback
):
    post = publish(alice, f"Hello {mastodon_peer.handle}!")

    activity = publishing.federate_post(post_id=post.pk, action="create")

    assert activity.ap_id == f"{notes.note_url(post)}/activity"
    assert activity.activity_type == "Create"
    assert activity.post == post
    assert activity.is_public is True
    note = activity.payload["object"]
    assert note["to"] == [PUBLIC]
    assert note["cc"] == [
        "http://hub.test/users/alice/followers",
        mastodon_peer.actor_id,
    ]
    assert {
        "type": "Mention",
        "href": mastodon_peer.actor_id,
        "name": f"@bob@{mastodon_peer.host}",
    } in note["tag"]
    mention = post.mentions.get()
    assert mention.actor_uri == mastodon_peer.actor_id
    assert mention.profile_url == f"{mastodon_peer.base_url}/@bob"
    # Three followers on two servers, plus the mentioned account's server,
    # each reached once, at its shared inbox where it has one.
    assert inboxes_of(activity) == sorted([*followers, mastodon_peer.shared_inbox_url])


def test_an_unresolvable_mention_stays_text_and_is_not_sent_to(
    alice, followers, mastodon_peer, loopback
):
    ghost = f"@nobody@{mastodon_peer.host}"  # the peer's WebFinger says 404
    post = publish(alice, f"Hello {ghost}")

    activity = publishing.federate_post(post_id=post.pk, action="create")

    note = activity.payload["object"]
    assert f"{ghost}</p>" in note["content"]
    assert note["cc"] == ["http://hub.test/users/alice/followers"]
    assert not [tag for tag in note["tag"] if tag["type"] == "Mention"]
    assert post.mentions.get().actor_uri == ""
    assert inboxes_of(activity) == followers


def test_known_accounts_are_mentioned_without_asking_their_server(alice):
    """bob@mastodon.example is cached (and that server does not exist)."""
    known = make_follower(alice, domain="mastodon.example", username="bob").actor
    post = publish(alice, "Hi @Bob@mastodon.example")
    activity = publishing.federate_post(post_id=post.pk, action="create")
    assert known.ap_id in activity.payload["cc"]
    assert post.mentions.get().actor_uri == known.ap_id


def test_mentions_past_the_time_budget_stay_text(
    alice, mastodon_peer, loopback, monkeypatch
):
    monkeypatch.setattr(publishing, "MENTION_BUDGET_SECONDS", -1)
    post = publish(alice, f"Hi {mastodon_peer.handle}")
    activity = publishing.federate_post(post_id=post.pk, action="create")
    assert mastodon_peer.actor_id not in activity.payload["cc"]
    assert webfinger_requests(mastodon_peer) == 0


def test_federating_twice_queues_one_create_and_resolves_once(
    alice, followers, mastodon_peer, loopback
):
    post = publish(alice, f"Hi {mastodon_peer.handle}")

    publishing.federate_post(post_id=post.pk, action="create")
    publishing.federate_post(post_id=post.pk, action="create")

    assert OutboundActivity.objects.filter(activity_type="Create").count() == 1
    fan_out_all()
    assert Delivery.objects.count() == 3
    assert webfinger_requests(mastodon_peer) == 1


def test_followers_only_posts_are_not_in_the_outbox_and_reach_followers(
    alice, followers
):
    post = publish(alice, "Just for you", visibility="followers")
    activity = publishing.federate_post(post_id=post.pk, action="create")
    assert activity.is_public is False
    assert activity.payload["to"] == ["https://hub.test/users/alice/followers"]
    assert PUBLIC not in activity.payload["cc"]
    assert inboxes_of(activity) == followers


def test_an_answer_also_goes_to_the_author_it_answers(alice, followers):
    author = make_follower(alice, domain="c.example", username="carol").actor
    Follow.objects.filter(actor=author).delete()  # not a follower
    reply = Reply.objects.create(
        ap_id="https://c.example/users/carol/statuses/5",
        creator=alice,
        post=publish(alice, "Question?"),
        in_reply_to_uri="https://hub.test/users/alice/statuses/1",
        actor_uri=author.ap_id,
        instance_domain="c.example",
    )
    answer = publish(alice, "Good question", in_reply_to_uri=reply.ap_id)

    activity = publishing.federate_post(post_id=answer.pk, action="create")

    assert activity.payload["object"]["inReplyTo"] == reply.ap_id
    assert "https://c.example/inbox" in inboxes_of(activity)


def test_nothing_goes_out_for_a_creator_who_stopped_sharing(alice, followers):
    post = publish(alice, "Hello")
    alice.share_to_fediverse = False
    alice.save()
    assert publishing.federate_post(post_id=post.pk, action="create") is None
    assert not OutboundActivity.objects.exists()


def test_a_post_deleted_before_its_create_went_out_sends_nothing(alice, followers):
    post = publish(alice, "Oops")
    post_delete(post=post, by=alice.user)
    assert publishing.federate_post(post_id=post.pk, action="create") is None
    assert publishing.federate_post(post_id=post.pk, action="delete") is None
    assert not OutboundActivity.objects.exists()


# Update -------------------------------------------------------------------------


def test_an_edit_sends_an_update_with_a_fresh_id_to_everyone_reached(alice, followers):
    post = publish(alice, "Frist")
    create = publishing.federate_post(post_id=post.pk, action="create")
    reached = set(inboxes_of(create))
    make_follower(alice, domain="d.example", username="new")

    post = edit(post, "First")
    update = publishing.federate_post(post_id=post.pk, action="update")

    assert update.activity_type == "Update"
    assert update.ap_id == notes.update_id(post)
    assert update.payload["object"]["content"] == "<p>First</p>"
    assert update.payload["object"]["updated"].endswith("Z")
    assert reached < set(inboxes_of(update))
    assert "https://d.example/inbox" in inboxes_of(update)

    # The same edit again: nothing new. Another edit at once: a second id.
    assert publishing.federate_post(post_id=post.pk, action="update") == update
    post = edit(post, "First!")
    second = publishing.federate_post(post_id=post.pk, action="update")
    assert second.ap_id != update.ap_id
    assert OutboundActivity.objects.filter(activity_type="Update").count() == 2


def test_an_edit_before_the_create_went_out_is_in_the_create(alice, followers):
    post = publish(alice, "Draft words")
    post = edit(post, "Final words")

    first = publishing.federate_post(post_id=post.pk, action="update")
    second = publishing.federate_post(post_id=post.pk, action="create")

    assert first == second
    assert first.activity_type == "Create"
    assert first.payload["object"]["content"] == "<p>Final words</p>"
    assert not OutboundActivity.objects.filter(activity_type="Update").exists()


def test_an_edit_adding_a_mention_resolves_and_reaches_it(
    alice, followers, mastodon_peer, loopback
):
    post = publish(alice, "Hello")
    publishing.federate_post(post_id=post.pk, action="create")
    post = edit(post, f"Hello {mastodon_peer.handle}")

    update = publishing.federate_post(post_id=post.pk, action="update")

    assert mastodon_peer.actor_id in update.payload["cc"]
    assert mastodon_peer.shared_inbox_url in inboxes_of(update)


# Delete -------------------------------------------------------------------------


def test_delete_sends_a_tombstone_to_every_inbox_the_post_reached(alice, followers):
    post = publish(alice, "Regrets")
    create = publishing.federate_post(post_id=post.pk, action="create")
    # Since then: a follower left, and someone on another server boosted it.
    Follow.objects.filter(actor__username="three").delete()
    booster = make_follower(alice, domain="e.example", username="booster")
    Follow.objects.filter(pk=booster.pk).delete()
    Interaction.objects.create(
        activity_id="https://e.example/users/booster/statuses/1/activity",
        kind=Interaction.Kind.BOOST,
        creator=alice,
        post=post,
        actor_uri=booster.actor.ap_id,
        instance_domain="e.example",
    )

    post_delete(post=post, by=alice.user)
    delete = publishing.federate_post(post_id=post.pk, action="delete")
    publishing.federate_post(post_id=post.pk, action="delete")  # again: nothing

    assert delete.ap_id == f"{notes.note_url(post)}#delete"
    assert delete.payload["object"] == {
        "id": notes.note_url(post),
        "type": "Tombstone",
        "formerType": "Note",
    }
    assert set(inboxes_of(create)) <= set(inboxes_of(delete))
    assert "https://e.example/inbox" in inboxes_of(delete)
    assert OutboundActivity.objects.filter(activity_type="Delete").count() == 1


# Pins ---------------------------------------------------------------------------


def test_pin_and_unpin_send_add_and_remove_of_the_featured_collection(alice, followers):
    post = publish(alice, "Read this first")
    publishing.federate_post(post_id=post.pk, action="create")

    post_pin(post=post, by=alice.user)
    post.refresh_from_db()
    stamp = int(post.pinned_at.timestamp())
    add = publishing.federate_post(post_id=post.pk, action="pin", stamp=stamp)
    assert publishing.federate_post(post_id=post.pk, action="pin", stamp=stamp) == add
    # An unpin whose task runs while the post is pinned again is stale.
    assert publishing.federate_post(post_id=post.pk, action="unpin", stamp=1) is None

    post_unpin(post=post, by=alice.user)
    remove = publishing.federate_post(post_id=post.pk, action="unpin", stamp=stamp + 9)

    assert add.payload["type"] == "Add"
    assert remove.payload["type"] == "Remove"
    for activity in (add, remove):
        assert activity.payload["object"] == notes.note_url(post)
        assert activity.payload["target"] == (
            "https://hub.test/users/alice/collections/featured"
        )
        assert inboxes_of(activity) == followers
    assert add.ap_id != remove.ap_id


# Events -------------------------------------------------------------------------


def test_each_post_event_records_its_outbox_job_in_the_same_transaction(alice):
    def recorded(action):
        before = set(OutboxJob.objects.values_list("pk", flat=True))
        action()
        return [
            (job.action, job.arguments, job.post_id)
            for job in OutboxJob.objects.exclude(pk__in=before)
        ]

    draft = post_save_draft(creator=alice, by=alice.user, data=PostInput(body="Hi"))
    assert recorded(lambda: post_publish(post=draft, by=alice.user)) == [
        ("post.create", {"post_id": draft.pk}, draft.pk)
    ]
    assert recorded(lambda: edit(draft, "Hi there")) == [
        ("post.update", {"post_id": draft.pk}, draft.pk)
    ]
    pinned = recorded(lambda: post_pin(post=draft, by=alice.user))
    draft.refresh_from_db()
    stamp = int(draft.pinned_at.timestamp())
    assert pinned == [("post.pin", {"post_id": draft.pk, "stamp": stamp}, draft.pk)]
    [(action, arguments, _)] = recorded(lambda: post_unpin(post=draft, by=alice.user))
    assert action == "post.unpin" and arguments["stamp"] >= stamp
    assert recorded(lambda: post_delete(post=draft, by=alice.user)) == [
        ("post.delete", {"post_id": draft.pk}, draft.pk)
    ]


def test_a_publish_that_rolls_back_records_nothing(alice):
    draft = post_save_draft(creator=alice, by=alice.user, data=PostInput(body="Hi"))
    with pytest.raises(RuntimeError), transaction.atomic():
        post_publish(post=draft, by=alice.user)
        assert OutboxJob.objects.count() == 1  # recorded with the change...
        raise RuntimeError("the request failed after publishing")
    assert not OutboxJob.objects.exists()  # ...and gone with it
    draft.refresh_from_db()
    assert draft.state == Post.State.DRAFT


def test_a_missing_post_is_nothing_to_do(db):
    publishing.federate_post(post_id=123456, action="create")
    assert not OutboundActivity.objects.exists()
