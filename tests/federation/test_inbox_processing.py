"""What each platform's activities do once processed, from their real shapes.

Activities are POSTed to the inbox with real signatures (tests/fixtures/
inbox/<platform>/*.json), then the worker side runs as the Celery task
would. The assertions are what the creator sees: followers, counts,
replies and their threads, and the answers sent back.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from analytics.models import Interaction, Reply
from federation.inbound import activities, processing
from federation.models import (
    Delivery,
    EarlyCancellation,
    InboundActivity,
    OutboundActivity,
    RemoteActor,
    RemoteInstance,
    RemoteTombstone,
)
from federation.protocol.ids import actor_id
from followers.models import Follow
from moderation.models import ActorBlock, DomainPolicy, Report
from posts.models import Post
from tests import factories
from tests.federation.inbox_support import (
    Remote,
    fixture,
    our_values,
    process_queued,
    reset_request_caches,
    stored,
)

pytestmark = pytest.mark.django_db

State = InboundActivity.State
Kind = Interaction.Kind

ACTORS = {
    "mastodon": ("https://mastodon.example/users/bob", "mastodon", None),
    "threads": ("https://www.threads.net/ap/users/17841400123456789/", "threads", None),
    "misskey": ("https://misskey.example/users/9x2k1m0a7b", "misskey", None),
    "pleroma": ("https://pleroma.example/users/akko", "pleroma", None),
    "pixelfed": ("https://pixelfed.example/users/dansup", "pixelfed", None),
    "gotosocial": (
        "https://gotosocial.example/users/tobi",
        "gotosocial",
        "https://gotosocial.example/users/tobi/main-key",
    ),
}


@pytest.fixture(autouse=True)
def _one_by_one(settings):
    reset_request_caches()
    yield
    reset_request_caches()


def published(creator, body="A post", **fields) -> Post:
    return Post.objects.create(
        creator=creator,
        body=body,
        content_html=f"<p>{body}</p>",
        state=Post.State.PUBLISHED,
        published_at=timezone.now() - timedelta(hours=1),
        **fields,
    )


@pytest.fixture
def post(creator):
    return published(creator, "Harbour at dusk")


@pytest.fixture
def post2(creator):
    return published(creator, "Harbour at dawn")


@pytest.fixture
def remote(db):
    """remote("mastodon") -> the platform's actor from the fixtures."""
    made = {}

    def make(platform: str) -> Remote:
        if platform not in made:
            actor_id, software, key_id = ACTORS[platform]
            made[platform] = Remote(actor_id, software=software, key_id=key_id)
        return made[platform]

    return make


@pytest.fixture
def deliver(client, creator, post, post2, remote):
    """deliver("mastodon/like") posts the fixture as its platform's actor and
    processes it; returns the stored row."""

    def send(name: str, **extra_values):
        platform = name.split("/")[0]
        activity = fixture(name, **our_values(creator, post, post2), **extra_values)
        response = remote(platform).post(client, activity)
        assert response.status_code == 202, response.content
        process_queued()
        return stored(activity["id"])

    return send


def counts(post) -> dict:
    return {
        kind: Interaction.objects.filter(post=post, kind=kind).count()
        for kind in (Kind.LIKE, Kind.BOOST, Kind.REACTION, Kind.REPLY, Kind.QUOTE)
    }


# Follows ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "mastodon/follow",
        "threads/follow",
        "misskey/follow",
        "pixelfed/follow",
        "gotosocial/follow",
    ],
)
def test_a_follow_is_accepted_and_the_accept_is_queued(deliver, creator, remote, name):
    row = deliver(name)

    assert row.state == State.PROCESSED, row.error
    follower = remote(name.split("/")[0])
    follow = Follow.objects.get(creator=creator, actor=follower.actor)
    assert follow.state == Follow.State.ACCEPTED
    assert follow.follow_activity_id == row.ap_id
    accept = OutboundActivity.objects.get(activity_type="Accept")
    assert accept.creator == creator
    assert accept.payload["actor"] == f"https://hub.test/users/{creator.handle}"
    assert accept.payload["object"] == {
        "id": row.ap_id,
        "type": "Follow",
        "actor": follower.actor_id,
        "object": f"https://hub.test/users/{creator.handle}",
    }
    # Answers go to the follower's own inbox, as Mastodon sends them.
    assert list(accept.deliveries.values_list("inbox_url", flat=True)) == [
        follower.actor.inbox_url
    ]
    [event] = Interaction.objects.filter(kind=Kind.FOLLOW)
    assert event.actor_uri == follower.actor_id
    assert event.software == ACTORS[name.split("/")[0]][1]


def test_a_follow_of_a_creator_who_approves_followers_waits(deliver, creator):
    creator.approve_followers_manually = True
    creator.save()

    row = deliver("mastodon/follow")

    follow = Follow.objects.get()
    assert follow.state == Follow.State.PENDING
    assert "approval" in row.error
    assert not OutboundActivity.objects.exists()
    assert not Interaction.objects.filter(kind=Kind.FOLLOW).exists()


def test_a_follow_of_a_creator_not_sharing_is_refused_unanswered(deliver, creator):
    """Their actor answers 410, so a Reject signed with its key could not be
    verified anywhere: nothing is kept and nothing is sent."""
    creator.share_to_fediverse = False
    creator.save()

    deliver("mastodon/follow")

    assert not Follow.objects.exists()
    assert not OutboundActivity.objects.exists()


def test_a_blocked_accounts_follow_is_rejected_under_an_id_of_its_own(deliver, creator):
    bob = "https://mastodon.example/users/bob"
    ActorBlock.objects.create(creator=creator, actor_uri=bob, domain="mastodon.example")

    row = deliver("mastodon/follow")

    assert not Follow.objects.exists()
    reject = OutboundActivity.objects.get()
    assert reject.activity_type == "Reject"
    assert reject.payload["object"]["id"] == row.ap_id
    assert reject.payload["object"]["actor"] == bob
    # Named by the request it answers (a refused one is never saved).
    assert reject.ap_id.startswith(f"{actor_id(creator.handle)}#rejects/follows/")
    assert "None" not in reject.ap_id


def test_a_follow_of_someone_who_is_not_ours_is_ignored(client, remote):
    bob = remote("mastodon")
    activity = fixture("mastodon/follow", CREATOR="https://elsewhere.example/users/x")

    bob.post(client, activity)
    process_queued()

    assert stored(activity["id"]).state == State.IGNORED
    assert not Follow.objects.exists()


def test_the_same_follow_again_answers_again_without_a_second_follower(
    deliver, client, creator, post, remote
):
    deliver("mastodon/follow")
    again = fixture("mastodon/follow", **our_values(creator)) | {
        "id": "https://mastodon.example/users/bob#follows/again"
    }

    remote("mastodon").post(client, again)
    process_queued()

    assert Follow.objects.get().follow_activity_id == again["id"]
    assert OutboundActivity.objects.filter(activity_type="Accept").count() == 2


@pytest.mark.parametrize("platform", ["mastodon", "pixelfed"])
def test_undo_follow_removes_the_follower_and_counts_an_unfollow(deliver, platform):
    deliver(f"{platform}/follow")

    row = deliver(f"{platform}/undo_follow")

    assert row.state == State.PROCESSED
    assert not Follow.objects.exists()
    assert Interaction.objects.filter(kind=Kind.UNFOLLOW).count() == 1


def test_an_undo_naming_the_follow_by_id_only_ends_the_follow(
    deliver, client, creator, post, remote
):
    """Some servers send Undo{object: <follow id>}: that id also names the
    follow as analytics counts it, and the follow itself must end, or the
    person keeps getting posts."""
    follow = deliver("mastodon/follow")
    undo = fixture("mastodon/undo_follow", **our_values(creator, post))
    undo["object"] = follow.ap_id

    remote("mastodon").post(client, undo)
    process_queued()

    assert stored(undo["id"]).state == State.PROCESSED
    assert not Follow.objects.exists()
    kinds = sorted(Interaction.objects.values_list("kind", flat=True))
    assert kinds == [Kind.FOLLOW, Kind.UNFOLLOW]


def test_an_undo_follow_before_the_follow_drops_the_follow(deliver):
    deliver("mastodon/undo_follow")

    row = deliver("mastodon/follow")

    assert row.state == State.IGNORED
    assert "undone before it arrived" in row.error
    assert not Follow.objects.exists()
    assert not OutboundActivity.objects.exists()


def test_a_block_removes_the_follow_so_nothing_is_delivered(deliver, creator):
    deliver("mastodon/follow")

    row = deliver("mastodon/block")

    assert not Follow.objects.exists()
    assert "nothing more is delivered" in row.error
    from federation.outbound.services import follower_inboxes

    assert follower_inboxes(creator) == set()
    assert deliver("mastodon/undo_block").state == State.PROCESSED
    assert not Follow.objects.exists()


# Likes, boosts, reactions ---------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "mastodon/like",
        "threads/like",
        "pleroma/like",
        "pixelfed/like",
        "gotosocial/like",
    ],
)
def test_a_like_is_counted_once_with_who_and_where_from(deliver, post, remote, name):
    row = deliver(name)

    assert row.state == State.PROCESSED, row.error
    [like] = Interaction.objects.all()
    platform = name.split("/")[0]
    actor = remote(platform).actor
    assert like.kind == Kind.LIKE
    assert like.post == post
    assert like.creator == post.creator
    assert like.activity_id == row.ap_id
    assert like.actor_uri == actor.ap_id
    assert like.actor_handle == f"@{actor.username}@{actor.instance.domain}"
    assert like.actor_name == actor.display_name
    assert like.actor_avatar_url == actor.avatar_url
    assert like.instance_domain == actor.instance.domain
    assert like.software == ACTORS[platform][1]


def test_times_other_servers_claim_stay_between_the_post_and_now(
    client, creator, post, remote
):
    """A like dated in the future would top the notifications forever; one
    dated before the post cannot be true."""
    future = fixture("misskey/like_reaction", **our_values(creator, post))
    future["published"] = "2999-01-01T00:00:00Z"
    past = fixture("mastodon/like", **our_values(creator, post))
    past["published"] = "2001-01-01T00:00:00Z"

    remote("misskey").post(client, future)
    remote("mastodon").post(client, past)
    process_queued()

    by_id = {row.activity_id: row for row in Interaction.objects.all()}
    assert by_id[future["id"]].occurred_at <= timezone.now()
    assert by_id[past["id"]].occurred_at == post.published_at


@pytest.mark.parametrize(
    "name",
    [
        "mastodon/announce",
        "misskey/announce",
        "pixelfed/announce",
        "gotosocial/announce",
    ],
)
def test_a_boost_is_counted(deliver, post, name):
    deliver(name)

    assert counts(post)[Kind.BOOST] == 1


@pytest.mark.parametrize(
    "like, undo",
    [
        ("mastodon/like", "mastodon/undo_like"),
        ("threads/like", "threads/undo_like"),
        ("mastodon/announce", "mastodon/undo_announce"),
        ("gotosocial/announce", "gotosocial/undo_announce"),
        ("misskey/like_reaction", "misskey/undo_reaction"),
        ("pleroma/emoji_react", "pleroma/undo_emoji_react"),
    ],
)
def test_undo_removes_what_it_undoes(deliver, post, like, undo):
    deliver(like)
    assert sum(counts(post).values()) == 1

    row = deliver(undo)

    assert row.state == State.PROCESSED
    assert sum(counts(post).values()) == 0


@pytest.mark.parametrize(
    "like, undo",
    [
        ("mastodon/like", "mastodon/undo_like"),
        ("pleroma/emoji_react", "pleroma/undo_emoji_react"),
    ],
)
def test_an_undo_before_its_like_leaves_nothing_when_the_like_comes(
    deliver, post, like, undo
):
    deliver(undo)
    assert EarlyCancellation.objects.count() == 1

    row = deliver(like)

    assert row.state == State.IGNORED
    assert "undone before it arrived" in row.error
    assert sum(counts(post).values()) == 0


def test_misskey_reactions_are_reactions_with_their_emoji(deliver, post, post2):
    deliver("misskey/like_reaction")
    deliver("misskey/like_custom_emoji")

    assert Interaction.objects.get(post=post).emoji == "👍"
    assert Interaction.objects.get(post=post).kind == Kind.REACTION
    assert Interaction.objects.get(post=post2).emoji == ":blobcat_heart:"
    assert counts(post)[Kind.LIKE] == 0


def test_pleroma_emoji_reacts_count_per_emoji_beside_a_like(deliver, post):
    deliver("pleroma/emoji_react")
    deliver("pleroma/emoji_react_custom")
    deliver("pleroma/like")

    assert counts(post) | {} == {
        Kind.LIKE: 1,
        Kind.BOOST: 0,
        Kind.REACTION: 2,
        Kind.REPLY: 0,
        Kind.QUOTE: 0,
    }
    assert set(
        Interaction.objects.filter(kind=Kind.REACTION).values_list("emoji", flat=True)
    ) == {"🧡", ":mouse:"}


def test_a_like_of_a_post_that_does_not_exist_is_stored_and_ignored(
    client, creator, post, remote
):
    activity = fixture("mastodon/like", **our_values(creator, post)) | {
        "object": f"https://hub.test/users/{creator.handle}/statuses/999999"
    }

    remote("mastodon").post(client, activity)
    process_queued()

    row = stored(activity["id"])
    assert row.state == State.IGNORED
    assert "not about a post of ours" in row.error
    assert not Interaction.objects.exists()


def test_a_like_of_a_deleted_post_is_ignored(deliver, post):
    Post.objects.filter(pk=post.pk).update(state=Post.State.DELETED)

    row = deliver("mastodon/like")

    assert row.state == State.IGNORED
    assert not Interaction.objects.exists()


def test_a_like_under_another_id_from_the_same_person_counts_once(
    deliver, client, creator, post, remote
):
    deliver("mastodon/like")
    again = fixture("mastodon/like", **our_values(creator, post)) | {
        "id": "https://mastodon.example/users/bob#likes/2"
    }

    remote("mastodon").post(client, again)
    process_queued()

    assert counts(post)[Kind.LIKE] == 1


def test_an_undo_of_someone_elses_like_is_ignored(deliver, client, creator, post):
    deliver("mastodon/like")
    carol = Remote("https://mastodon.example/users/carol")
    undo = fixture("mastodon/undo_like", **our_values(creator, post)) | {
        "id": "https://mastodon.example/users/carol#undo/1",
        "actor": carol.actor_id,
    }

    carol.post(client, undo)
    process_queued()

    assert stored(undo["id"]).state == State.IGNORED
    assert counts(post)[Kind.LIKE] == 1


def test_an_unknown_software_is_looked_up_once(
    client, creator, post, django_capture_on_commit_callbacks
):
    RemoteInstance.objects.create(domain="new.example")
    dave = Remote("https://new.example/users/dave", software="other")
    RemoteInstance.objects.filter(domain="new.example").update(nodeinfo_fetched_at=None)
    from django.core.cache import cache

    cache.delete("inbox:nodeinfo-asked:new.example")
    like = fixture("mastodon/like", **our_values(creator, post)) | {
        "id": "https://new.example/users/dave#likes/1",
        "actor": dave.actor_id,
    }
    dave.post(client, like)

    with django_capture_on_commit_callbacks() as callbacks:
        process_queued()
    with django_capture_on_commit_callbacks() as again:
        activities.Actors([dave.actor_id])

    assert len(callbacks) == 1  # fetch_instance_info.delay("new.example")
    assert again == []
    assert Interaction.objects.get().software == "other"


# Replies ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, visibility",
    [
        ("mastodon/create_reply", "public"),
        ("threads/create_reply", "public"),
        ("pleroma/create_reply", "followers"),
        ("pixelfed/create_reply", "public"),
        ("gotosocial/create_reply", "public"),
    ],
)
def test_a_reply_is_stored_in_the_thread_with_its_details(
    deliver, post, remote, name, visibility
):
    row = deliver(name)

    assert row.state == State.PROCESSED, row.error
    reply = Reply.objects.get()
    note = row.payload["object"]
    actor = remote(name.split("/")[0]).actor
    assert reply.ap_id == note["id"]
    assert reply.post == post
    assert reply.creator == post.creator
    assert reply.parent is None
    assert reply.in_reply_to_uri == f"https://hub.test/users/alice/statuses/{post.pk}"
    assert reply.visibility == visibility
    assert reply.actor_uri == actor.ap_id
    assert reply.instance_domain == actor.instance.domain
    assert reply.mentions == [
        {"href": "https://hub.test/users/alice", "name": "@alice@hub.test"}
    ]
    assert reply.content_html
    assert "<script" not in reply.content_html
    assert counts(post)[Kind.REPLY] == 1


def test_a_mastodon_reply_keeps_its_attachment_listed_and_language(deliver):
    deliver("mastodon/create_reply")

    reply = Reply.objects.get()
    assert reply.language == "en"
    assert reply.url == "https://mastodon.example/@bob/113527512233445566"
    assert reply.attachments == [
        {
            "url": "https://files.mastodon.example/media_attachments/files/113/527/512/original/4f1c.jpg",
            "media_type": "image/jpeg",
            "name": "A sketch of the same harbour at night",
        }
    ]
    assert reply.sensitive is False
    # Mastodon's mention markup survives, with safe link attributes.
    assert 'class="u-url mention"' in reply.content_html
    assert 'rel="nofollow noopener noreferrer ugc"' in reply.content_html


def test_a_content_warning_marks_the_reply_sensitive(deliver):
    deliver("gotosocial/create_reply")

    reply = Reply.objects.get()
    assert reply.summary == "goblin content"
    assert reply.sensitive is True
    assert reply.attachments[0]["name"] == "a small green goblin waving"


def test_scripts_styles_and_tracking_pixels_are_removed_from_replies(
    client, creator, post, remote
):
    activity = fixture("mastodon/create_reply", **our_values(creator, post))
    activity["object"]["content"] = (
        '<p onclick="steal()">Nice!<script>steal()</script>'
        "<style>body{display:none}</style>"
        '<img src="https://tracker.example/pixel.gif" width="1" height="1">'
        '<a href="javascript:steal()">click</a>'
        '<a href="https://ok.example/" target="_blank" style="color:red">ok</a>'
        '<iframe src="https://evil.example"></iframe></p>'
    )
    activity["object"]["summary"] = "<b>cw</b><script>x()</script>"

    remote("mastodon").post(client, activity)
    process_queued()

    reply = Reply.objects.get()
    html = reply.content_html
    for forbidden in (
        "script",
        "steal",
        "style",
        "img",
        "pixel",
        "javascript",
        "iframe",
        "onclick",
    ):
        assert forbidden not in html
    assert html.startswith("<p>Nice!")
    assert (
        '<a href="https://ok.example/" rel="nofollow noopener noreferrer ugc">ok</a>'
        in html
    )
    assert reply.summary == "cw"
    # The raw activity stays in the inbox log, as received.
    assert "<script>" in stored(activity["id"]).payload["object"]["content"]


def test_a_reply_to_a_deleted_post_is_stored_and_ignored(deliver, post):
    Post.objects.filter(pk=post.pk).update(
        state=Post.State.DELETED, deleted_at=timezone.now()
    )

    row = deliver("mastodon/create_reply")

    assert row.state == State.IGNORED
    assert "deleted post" in row.error
    assert not Reply.objects.exists()
    assert not Interaction.objects.exists()


def test_a_reply_to_a_reply_joins_the_thread_under_it(deliver, client, creator, post):
    deliver("mastodon/create_reply")
    parent = Reply.objects.get()
    carol = Remote("https://mastodon.example/users/carol")
    answer = fixture("mastodon/create_reply", **our_values(creator, post))
    answer["id"] = "https://mastodon.example/users/carol/statuses/2/activity"
    answer["actor"] = carol.actor_id
    answer["object"] |= {
        "id": "https://mastodon.example/users/carol/statuses/2",
        "attributedTo": carol.actor_id,
        "inReplyTo": parent.ap_id,
    }

    carol.post(client, answer)
    process_queued()

    child = Reply.objects.get(ap_id="https://mastodon.example/users/carol/statuses/2")
    assert child.parent == parent
    assert child.post == post
    assert child.in_reply_to_uri == parent.ap_id
    assert counts(post)[Kind.REPLY] == 2


def test_a_reply_to_the_creators_answer_stays_in_the_posts_thread(
    deliver, client, creator, post, remote
):
    deliver("mastodon/create_reply")
    reply = Reply.objects.get()
    answer = published(creator, "Thank you!", in_reply_to_uri=reply.ap_id)
    follow_up = fixture("mastodon/create_reply", **our_values(creator, post))
    follow_up["id"] = "https://mastodon.example/users/bob/statuses/3/activity"
    follow_up["object"] |= {
        "id": "https://mastodon.example/users/bob/statuses/3",
        "inReplyTo": f"https://hub.test/users/alice/statuses/{answer.pk}",
    }

    client_response = remote("mastodon").post(client, follow_up)
    process_queued()

    assert client_response.status_code == 202
    second = Reply.objects.get(ap_id="https://mastodon.example/users/bob/statuses/3")
    assert second.post == post  # the thread's root, not the answer
    assert second.parent is None
    assert (
        second.in_reply_to_uri == f"https://hub.test/users/alice/statuses/{answer.pk}"
    )


@pytest.mark.parametrize(
    "name",
    ["mastodon/create_quote", "misskey/create_quote", "pleroma/create_quote_link"],
)
def test_a_quote_of_a_post_is_recorded_as_a_quote(deliver, post, name):
    row = deliver(name)

    assert row.state == State.PROCESSED, row.error
    quote = Reply.objects.get()
    assert quote.is_quote is True
    assert quote.post == post
    assert counts(post)[Kind.QUOTE] == 1
    assert counts(post)[Kind.REPLY] == 0


def test_a_note_that_neither_replies_quotes_nor_mentions_is_ignored(
    client, creator, post, remote
):
    activity = fixture("mastodon/create_reply", **our_values(creator, post))
    activity["object"]["inReplyTo"] = "https://elsewhere.example/notes/1"
    activity["object"]["tag"] = []

    remote("mastodon").post(client, activity)
    process_queued()

    row = stored(activity["id"])
    assert row.state == State.IGNORED
    assert not Reply.objects.exists()
    assert not Reply.objects.exists()


def test_an_update_edits_the_reply_when_newer(deliver):
    deliver("mastodon/create_reply")

    row = deliver("mastodon/update_note")

    assert row.state == State.PROCESSED, row.error
    reply = Reply.objects.get()
    assert "edited: the blues especially" in reply.content_html
    assert reply.summary == "art talk"
    assert reply.sensitive is True
    assert reply.edited_at is not None


def test_an_older_update_does_not_overwrite_a_newer_one(
    deliver, client, creator, post, remote
):
    deliver("mastodon/create_reply")
    deliver("mastodon/update_note")
    older = fixture("mastodon/update_note", **our_values(creator, post))
    older["id"] += "-older"
    older["object"]["updated"] = "2024-11-22T10:21:00Z"
    older["object"]["content"] = "<p>an older edit</p>"

    remote("mastodon").post(client, older)
    process_queued()

    assert "the blues especially" in Reply.objects.get().content_html
    assert "older than the version held" in stored(older["id"]).error


def test_an_update_without_updated_is_ignored(deliver, client, creator, post, remote):
    deliver("mastodon/create_reply")
    update = fixture("mastodon/update_note", **our_values(creator, post))
    del update["object"]["updated"]

    remote("mastodon").post(client, update)
    process_queued()

    assert stored(update["id"]).state == State.IGNORED
    assert "edited" not in Reply.objects.get().content_html


def test_only_the_author_edits_a_reply(deliver, client, creator, post):
    deliver("mastodon/create_reply")
    carol = Remote("https://mastodon.example/users/carol")
    update = fixture("mastodon/update_note", **our_values(creator, post))
    update["id"] = "https://mastodon.example/users/carol#updates/1"
    update["actor"] = carol.actor_id
    update["object"]["attributedTo"] = carol.actor_id

    carol.post(client, update)
    process_queued()

    assert stored(update["id"]).state == State.IGNORED
    assert "edited" not in Reply.objects.get().content_html


@pytest.mark.parametrize(
    "create, delete",
    [
        ("mastodon/create_reply", "mastodon/delete_note"),
        ("pleroma/create_reply", "pleroma/delete_note"),
        ("gotosocial/create_reply", "gotosocial/delete_note"),
        ("misskey/create_quote", "misskey/delete_note"),
    ],
)
def test_a_delete_removes_the_reply_and_its_count(deliver, post, create, delete):
    deliver(create)
    assert Reply.objects.count() == 1

    row = deliver(delete)

    assert row.state == State.PROCESSED
    assert not Reply.objects.exists()
    assert sum(counts(post).values()) == 0
    assert RemoteTombstone.objects.count() == 1


def test_a_delete_before_the_create_drops_the_late_create(deliver, post):
    deliver("mastodon/delete_note")

    row = deliver("mastodon/create_reply")

    assert row.state == State.IGNORED
    assert "deleted before it arrived" in row.error
    assert not Reply.objects.exists()


def test_a_delete_of_another_servers_object_is_ignored(
    deliver, client, creator, post, remote
):
    """bob claims to delete the creator's own post."""
    deliver("mastodon/like")
    delete = fixture("mastodon/delete_note") | {
        "id": "https://mastodon.example/users/bob#delete-theirs",
        "object": f"https://hub.test/users/alice/statuses/{post.pk}",
    }

    remote("mastodon").post(client, delete)
    process_queued()

    row = stored(delete["id"])
    assert row.state == State.IGNORED
    post.refresh_from_db()
    assert post.state == Post.State.PUBLISHED
    assert counts(post)[Kind.LIKE] == 1


def test_an_update_claiming_our_post_changes_nothing(
    deliver, client, creator, post, remote
):
    deliver("mastodon/like")
    update = fixture("mastodon/update_note", **our_values(creator, post))
    update["object"]["id"] = f"https://hub.test/users/alice/statuses/{post.pk}"
    update["object"]["content"] = "<p>defaced</p>"

    remote("mastodon").post(client, update)
    process_queued()

    assert stored(update["id"]).state == State.IGNORED
    assert "not on the actor's server" in stored(update["id"]).error
    post.refresh_from_db()
    assert post.body == "Harbour at dusk"


def test_a_create_claiming_to_be_our_note_is_ignored(client, creator, post, remote):
    activity = fixture("mastodon/create_reply", **our_values(creator, post))
    activity["object"]["id"] = "https://hub.test/users/alice/statuses/424242"

    remote("mastodon").post(client, activity)
    process_queued()

    assert stored(activity["id"]).state == State.IGNORED
    assert not Reply.objects.exists()


def test_a_reply_from_a_blocked_domain_relayed_by_another_is_dropped(
    client, creator, post
):
    DomainPolicy.objects.create(domain="blocked.example")
    relay = Remote("https://relay.example/actor")
    activity = fixture("mastodon/create_reply", **our_values(creator, post))
    activity["id"] = "https://relay.example/activities/1"
    activity["actor"] = relay.actor_id
    activity["object"]["attributedTo"] = "https://blocked.example/users/troll"

    relay.post(client, activity)
    process_queued()

    assert stored(activity["id"]).state == State.IGNORED
    assert not Reply.objects.exists()


def test_a_reply_from_a_domain_blocked_after_it_arrived_is_dropped(
    client, creator, post, remote
):
    """Accepted, then the server is blocked before a worker gets to it."""
    activity = fixture("mastodon/create_reply", **our_values(creator, post))
    remote("mastodon").post(client, activity)
    DomainPolicy.objects.create(domain="mastodon.example")

    processing.process_stored([stored(activity["id"]).pk])

    row = stored(activity["id"])
    assert row.state == State.IGNORED
    assert "blocked" in row.error
    assert not Reply.objects.exists()


def test_a_reply_from_a_silenced_server_is_held_for_review(deliver):
    DomainPolicy.objects.create(
        domain="mastodon.example", severity=DomainPolicy.Severity.SILENCE
    )

    deliver("mastodon/create_reply")

    reply = Reply.objects.get()
    assert reply.status == Reply.Status.HELD
    assert "silenced" in reply.hold_reason


# Accounts ---------------------------------------------------------------------------


def test_a_deleted_account_takes_its_follow_likes_and_replies_along(deliver, post):
    deliver("mastodon/follow")
    deliver("mastodon/like")
    deliver("mastodon/create_reply")

    row = deliver("mastodon/delete_actor")

    assert row.state == State.PROCESSED
    assert not Follow.objects.exists()
    assert not Reply.objects.exists()
    assert counts(post) == dict.fromkeys(counts(post), 0)
    assert RemoteActor.objects.get(ap_id="https://mastodon.example/users/bob").gone_at
    assert "1 follows, 2 interactions and 1 replies removed" in row.error


def test_an_update_of_the_actor_refreshes_the_cached_profile(deliver, client, remote):
    bob = remote("mastodon")
    from tests.federation.peer import mastodon_actor_document

    document = mastodon_actor_document(
        "https://mastodon.example", "bob", bob.public_pem
    )
    document["name"] = "Bob, renamed"
    activity = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": "https://mastodon.example/users/bob#updates/1732280000",
        "type": "Update",
        "actor": bob.actor_id,
        "object": document,
    }

    bob.post(client, activity)
    process_queued()

    assert stored(activity["id"]).state == State.PROCESSED
    assert RemoteActor.objects.get(ap_id=bob.actor_id).display_name == "Bob, renamed"


def test_a_flag_becomes_a_report_for_admins_once(client, creator, post):
    """Mastodon reports come from its instance actor."""
    instance_actor = Remote("https://mastodon.example/actor")
    activity = fixture("mastodon/flag", **our_values(creator, post))
    other_post = factories.PostFactory(creator=creator)

    assert instance_actor.post(client, activity).status_code == 202
    assert instance_actor.post(client, activity).status_code == 202  # again
    process_queued()

    assert stored(activity["id"]).state == State.PROCESSED
    report = Report.objects.get()
    assert report.creator == creator
    assert list(report.posts.all()) == [post]
    assert other_post not in report.posts.all()
    assert report.comment == "Spam links in every post"
    assert report.reporter_domain == "mastodon.example"
    assert report.status == Report.Status.OPEN


def test_a_flag_about_nothing_of_ours_is_ignored(client, creator):
    instance_actor = Remote("https://mastodon.example/actor")
    activity = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": "https://mastodon.example/flags/2",
        "type": "Flag",
        "actor": instance_actor.actor_id,
        "content": "<script>alert(1)</script>",
        "object": ["https://elsewhere.example/users/zed"],
    }

    instance_actor.post(client, activity)
    process_queued()

    assert stored(activity["id"]).state == State.IGNORED
    assert not Report.objects.exists()


@pytest.mark.parametrize("kind", ["Add", "Read", "Listen", "Accept", "Reject"])
def test_anything_else_is_stored_and_ignored(client, creator, remote, kind):
    activity = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"https://mastodon.example/users/bob#{kind.lower()}/1",
        "type": kind,
        "actor": "https://mastodon.example/users/bob",
        "object": f"https://hub.test/users/{creator.handle}",
    }

    response = remote("mastodon").post(client, activity)
    process_queued()

    assert response.status_code == 202
    row = stored(activity["id"])
    assert row.state == State.IGNORED
    assert row.error


# Idempotency --------------------------------------------------------------------------


def test_processing_the_same_rows_again_changes_nothing(deliver, post):
    deliver("mastodon/follow")
    deliver("mastodon/like")
    deliver("mastodon/create_reply")
    before = (
        Follow.objects.count(),
        Interaction.objects.count(),
        Reply.objects.count(),
        OutboundActivity.objects.count(),
    )
    # As if every task ran again after the rows were marked (or not).
    InboundActivity.objects.update(state=State.QUEUED)

    process_queued()
    for row in InboundActivity.objects.all():
        processing.process_stored([row.pk])

    assert before == (
        Follow.objects.count(),
        Interaction.objects.count(),
        Reply.objects.count(),
        OutboundActivity.objects.count(),
    )
    assert Delivery.objects.count() == 1


def test_a_retried_task_does_nothing_twice(deliver, client, creator, post, remote):
    activity = fixture("mastodon/like", **our_values(creator, post))
    remote("mastodon").post(client, activity)
    row = stored(activity["id"])

    processing.process_stored([row.pk])
    processing.process_stored([row.pk])

    assert counts(post)[Kind.LIKE] == 1


def test_like_undo_and_like_again_in_one_batch_leave_one_like(
    client, creator, post, remote
):
    bob = remote("mastodon")
    values = our_values(creator, post)
    like = fixture("mastodon/like", **values)
    undo = fixture("mastodon/undo_like", **values)
    like_again = like | {"id": "https://mastodon.example/users/bob#likes/2"}
    for activity in (like, undo, like_again):
        bob.post(client, activity)

    process_queued()  # one batch, in arrival order

    assert [i.activity_id for i in Interaction.objects.all()] == [like_again["id"]]


def test_a_like_and_its_undo_in_either_order_in_one_batch_leave_nothing(
    client, creator, post, remote
):
    bob = remote("mastodon")
    values = our_values(creator, post)
    for activity in (
        fixture("mastodon/undo_like", **values),
        fixture("mastodon/like", **values),
    ):
        bob.post(client, activity)

    process_queued()

    assert not Interaction.objects.exists()


def test_a_failure_is_recorded_and_retried_later(deliver, creator, monkeypatch):
    deliver("mastodon/follow")  # bob is known
    from federation.inbound import process_actors

    def broken(item, actor, actors):
        raise RuntimeError("database hiccup")

    monkeypatch.setitem(process_actors.HANDLERS, "Block", broken)
    row = deliver("mastodon/block")

    assert row.state == State.QUEUED
    assert row.attempts == 1
    assert "database hiccup" in row.error
    assert processing.stale_queued(older_than=timedelta(0), limit=10) == [row.pk]


# Moves -------------------------------------------------------------------------------


@pytest.fixture
def new_account(httpserver, loopback):
    """The account bob moves to, on a server of its own (loopback)."""
    from tests.federation.peer import mastodon_actor_document, new_key_pair

    def serve(*, also_known_as):
        _, public_pem = new_key_pair()
        base = httpserver.url_for("").rstrip("/")
        document = mastodon_actor_document(base, "bob2", public_pem)
        document["alsoKnownAs"] = also_known_as
        httpserver.expect_request("/users/bob2").respond_with_json(
            document, content_type="application/activity+json"
        )
        return document["id"]

    return serve


def test_a_move_re_points_the_follow_to_the_new_account(deliver, new_account):
    deliver("mastodon/follow")
    target = new_account(also_known_as=["https://mastodon.example/users/bob"])

    row = deliver("mastodon/move", TARGET=target)

    assert row.state == State.PROCESSED, row.error
    follow = Follow.objects.get()
    assert follow.actor.ap_id == target
    assert follow.state == Follow.State.ACCEPTED
    assert "1 follows re-pointed" in row.error


def test_a_move_to_an_account_that_does_not_claim_the_old_one_is_ignored(
    deliver, new_account
):
    deliver("mastodon/follow")
    target = new_account(also_known_as=[])

    row = deliver("mastodon/move", TARGET=target)

    assert row.state == State.IGNORED
    assert "alsoKnownAs" in row.error
    assert Follow.objects.get().actor.ap_id == "https://mastodon.example/users/bob"


def test_a_move_whose_target_cannot_be_reached_is_tried_again_later(deliver, loopback):
    deliver("mastodon/follow")

    row = deliver("mastodon/move", TARGET="http://127.0.0.1:9/users/bob2")

    assert row.state == State.QUEUED
    assert row.attempts == 1
    assert "RemoteUnavailable" in row.error
    assert Follow.objects.get().actor.ap_id == "https://mastodon.example/users/bob"
