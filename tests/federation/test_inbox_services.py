"""analytics.services, which the inbox records interactions and replies with:
each safe to call twice, each leaving the counts a creator would expect."""

from datetime import timedelta

import pytest
from django.utils import timezone

from analytics import services
from analytics.models import Interaction, Reply
from posts.models import Post

pytestmark = pytest.mark.django_db

BOB = services.Author(
    actor_uri="https://mastodon.example/users/bob",
    handle="@bob@mastodon.example",
    name="Bob",
    domain="mastodon.example",
    software="mastodon",
)


@pytest.fixture
def post(creator):
    return Post.objects.create(
        creator=creator,
        body="hi",
        state=Post.State.PUBLISHED,
        published_at=timezone.now(),
    )


def like(creator, post, activity_id="https://mastodon.example/users/bob#likes/1"):
    return services.interaction_record(
        creator=creator,
        kind=Interaction.Kind.LIKE,
        activity_id=activity_id,
        author=BOB,
        post=post,
    )


def test_an_interaction_is_recorded_once(creator, post):
    first = like(creator, post)

    assert first is not None
    assert first.actor_handle == "@bob@mastodon.example"
    assert like(creator, post) is None  # the same activity again
    assert like(creator, post, "https://mastodon.example/users/bob#likes/2") is None
    assert Interaction.objects.count() == 1


def test_an_interaction_is_removed_by_id_then_by_what_it_was(creator, post):
    like(creator, post)

    assert (
        services.interaction_remove(
            actor_uri=BOB.actor_uri, activity_id="https://other.example/x"
        )
        == 0
    )
    assert (
        services.interaction_remove(
            actor_uri=BOB.actor_uri,
            activity_id="https://mastodon.example/users/bob#likes/9",
            kind=Interaction.Kind.LIKE,
            post=post,
        )
        == 1
    )
    assert not Interaction.objects.exists()


def test_only_who_did_it_removes_it(creator, post):
    like(creator, post)

    removed = services.interaction_remove(
        actor_uri="https://mastodon.example/users/carol",
        activity_id="https://mastodon.example/users/bob#likes/1",
    )

    assert removed == 0
    assert Interaction.objects.count() == 1


def note(**fields) -> services.NoteInput:
    return services.NoteInput(
        **{
            "ap_id": "https://mastodon.example/users/bob/statuses/1",
            "in_reply_to_uri": "https://hub.test/users/alice/statuses/1",
            "content": "<p>Nice<script>x()</script></p>",
            "published_at": timezone.now() - timedelta(minutes=5),
            **fields,
        }
    )


def test_a_reply_is_stored_once_clean_and_counted(creator, post):
    reply = services.reply_store(creator=creator, post=post, note=note(), author=BOB)

    assert reply.content_html == "<p>Nice</p>"
    assert (
        services.reply_store(creator=creator, post=post, note=note(), author=BOB)
        is None
    )
    assert Reply.objects.count() == 1
    assert Interaction.objects.get().kind == Interaction.Kind.REPLY


def test_a_content_warning_is_plain_text_and_marks_it_sensitive(creator, post):
    reply = services.reply_store(
        creator=creator,
        post=post,
        note=note(summary="<b>spoilers</b> &amp; more"),
        author=BOB,
    )

    assert reply.summary == "spoilers & more"
    assert reply.sensitive is True


def test_an_edit_applies_only_when_newer(creator, post):
    reply = services.reply_store(creator=creator, post=post, note=note(), author=BOB)
    later = timezone.now()

    assert services.reply_update(
        reply=reply, note=note(content="<p>edited</p>"), edited_at=later
    )
    assert not services.reply_update(
        reply=reply,
        note=note(content="<p>older</p>"),
        edited_at=later - timedelta(minutes=1),
    )
    reply.refresh_from_db()
    assert reply.content_html == "<p>edited</p>"
    assert reply.edited_at == later


def test_a_reply_is_removed_by_its_author_only(creator, post):
    services.reply_store(creator=creator, post=post, note=note(), author=BOB)
    ap_id = "https://mastodon.example/users/bob/statuses/1"

    assert not services.reply_remove(
        ap_id=ap_id, actor_uri="https://mastodon.example/users/carol"
    )
    assert services.reply_remove(ap_id=ap_id, actor_uri=BOB.actor_uri)
    assert not Reply.objects.exists()
    assert not Interaction.objects.exists()


def test_replies_to_replies_in_one_batch_are_stored_parents_first(creator, post):
    parent = note()
    child = note(
        ap_id="https://mastodon.example/users/bob/statuses/2",
        in_reply_to_uri=parent.ap_id,
    )
    items = [
        services.ReplyInput(
            note=child,
            creator_id=creator.pk,
            post_id=post.pk,
            author=BOB,
            parent_ap_id=parent.ap_id,
        ),
        services.ReplyInput(
            note=parent, creator_id=creator.pk, post_id=post.pk, author=BOB
        ),
    ]

    stored = services.replies_store_many(items=items)

    assert set(stored) == {parent.ap_id, child.ap_id}
    assert Reply.objects.get(ap_id=child.ap_id).parent.ap_id == parent.ap_id
    assert services.replies_store_many(items=items) == []
    assert Interaction.objects.filter(kind=Interaction.Kind.REPLY).count() == 2


def test_a_deleted_account_is_forgotten_but_its_follow_history_kept(creator, post):
    like(creator, post)
    services.reply_store(creator=creator, post=post, note=note(), author=BOB)
    services.interaction_record(
        creator=creator,
        kind=Interaction.Kind.FOLLOW,
        activity_id="https://mastodon.example/follows/1",
        author=BOB,
    )

    assert services.remote_actor_forget(actor_uri=BOB.actor_uri) == (2, 1)
    assert list(Interaction.objects.values_list("kind", flat=True)) == ["follow"]


@pytest.mark.parametrize(
    "html, expected",
    [
        ('<p style="color:red">hi</p>', "<p>hi</p>"),
        ('<img src="https://t.example/p.gif">', ""),
        ("<script>alert(1)</script>ok", "ok"),
        ("<style>p{}</style>ok", "ok"),
        (
            '<a href="javascript:x()">x</a>',
            '<a rel="nofollow noopener noreferrer ugc">x</a>',
        ),
        (
            '<a href="https://ok.example" class="mention evil">@x</a>',
            '<a href="https://ok.example" class="mention" '
            'rel="nofollow noopener noreferrer ugc">@x</a>',
        ),
        (
            '<span class="invisible">https://</span>',
            '<span class="invisible">https://</span>',
        ),
    ],
)
def test_remote_html_keeps_only_what_is_safe_to_show(html, expected):
    assert services.clean_remote_html(html) == expected
