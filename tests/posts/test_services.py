"""posts.services: each transition, each refusal, and the events they send."""

from datetime import timedelta

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from posts import services
from posts.models import Hashtag, Mention, Post
from posts.services import PostInput
from tests import factories

pytestmark = pytest.mark.django_db


def draft(creator, body="Hello fediverse", **fields) -> Post:
    return services.post_save_draft(
        creator=creator, by=creator.user, data=PostInput(body=body, **fields)
    )


def published(creator, body="Hello fediverse", **fields) -> Post:
    return services.post_publish(post=draft(creator, body, **fields), by=creator.user)


def errors_of(excinfo) -> dict:
    return excinfo.value.message_dict


# Drafts ----------------------------------------------------------------------


def test_a_draft_stores_rendered_html_mentions_and_hashtags(creator):
    post = draft(
        creator,
        "Hi @Bob@Mastodon.Example, see #Art",
        extra_mentions=("@Carol@Misskey.Example",),
    )
    post.refresh_from_db()
    assert post.state == Post.State.DRAFT
    assert 'class="u-url mention"' in post.content_html
    assert 'class="mention hashtag"' in post.content_html
    assert set(post.mentions.values_list("handle", flat=True)) == {
        "bob@mastodon.example",
        "carol@misskey.example",
    }
    assert list(post.hashtags.values_list("name", flat=True)) == ["art"]


def test_changing_a_draft_keeps_resolved_mentions_and_drops_removed_ones(creator):
    post = draft(creator, "@bob@a.example @eve@b.example #one #two")
    Mention.objects.filter(handle="bob@a.example").update(
        actor_uri="https://a.example/users/bob"
    )
    post = services.post_save_draft(
        creator=creator,
        by=creator.user,
        data=PostInput(body="@bob@a.example only #two"),
        post=post,
    )
    assert list(post.mentions.values_list("handle", "actor_uri")) == [
        ("bob@a.example", "https://a.example/users/bob")
    ]
    assert list(post.hashtags.values_list("name", flat=True)) == ["two"]
    # The tag row stays for other posts and the tag page.
    assert Hashtag.objects.filter(name="one").exists()


def test_two_posts_share_one_hashtag_row(creator):
    draft(creator, "#Art")
    draft(creator, "#art again")
    assert Hashtag.objects.filter(name="art").count() == 1


def test_a_content_warning_makes_the_post_sensitive(creator):
    post = draft(creator, summary="spoilers")
    assert post.sensitive is True
    assert draft(creator).sensitive is False


def test_a_new_post_with_nothing_in_it_is_refused_in_words(creator):
    with pytest.raises(ValidationError) as excinfo:
        draft(creator, "  \n ", summary="a warning alone says nothing")
    assert errors_of(excinfo) == {"body": ["Write something or add an image first."]}
    assert not Post.objects.exists()


def test_a_new_post_whose_images_come_next_may_have_no_text(creator):
    post = services.post_save_draft(
        creator=creator, by=creator.user, data=PostInput(body=""), images_to_come=1
    )
    assert post.body == ""


def test_a_draft_may_be_emptied_while_it_is_worked_on(creator):
    post = services.post_save_draft(
        creator=creator, by=creator.user, data=PostInput(body=""), post=draft(creator)
    )
    assert post.body == ""


def test_over_500_characters_is_refused_on_the_body(creator):
    with pytest.raises(ValidationError) as excinfo:
        draft(creator, "x" * 501)
    assert "this has 501" in errors_of(excinfo)["body"][0]
    assert not Post.objects.exists()


def test_the_content_warning_counts_towards_the_limit(creator):
    draft(creator, "x" * 490, summary="y" * 10)
    with pytest.raises(ValidationError) as excinfo:
        draft(creator, "x" * 490, summary="y" * 11)
    assert "body" in errors_of(excinfo)


def test_urls_count_23_so_long_links_fit(creator):
    body = "x" * 470 + " https://example.com/" + "p" * 200
    assert draft(creator, body).body == body


def test_a_huge_body_is_refused_before_it_is_parsed(creator):
    body = " ".join(["https://example.com/" + "a" * 2000] * 10)
    with pytest.raises(ValidationError) as excinfo:
        draft(creator, body)
    assert "body" in errors_of(excinfo)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"visibility": "direct"}, "visibility"),
        ({"language": "english!"}, "language"),
        ({"language": "e"}, "language"),
        ({"in_reply_to_uri": "javascript:alert(1)"}, "in_reply_to_uri"),
        ({"in_reply_to_uri": "not a url"}, "in_reply_to_uri"),
        ({"extra_mentions": ("bob",)}, "extra_mentions"),
        ({"summary": "s" * 501}, "summary"),
    ],
)
def test_invalid_fields_are_refused_by_name(creator, fields, field):
    with pytest.raises(ValidationError) as excinfo:
        draft(creator, **fields)
    assert field in errors_of(excinfo)
    assert not Post.objects.exists()


def test_valid_languages_are_kept(creator):
    assert draft(creator, language="pt-BR").language == "pt-BR"


def test_save_draft_refuses_a_published_post(creator):
    post = published(creator)
    with pytest.raises(ValidationError) as excinfo:
        services.post_save_draft(
            creator=creator, by=creator.user, data=PostInput(body="x"), post=post
        )
    assert errors_of(excinfo)[NON_FIELD_ERRORS] == ["This post is already published."]


def test_save_draft_refuses_a_post_of_another_creator(creator, other_creator):
    post = draft(other_creator)
    with pytest.raises(PermissionDenied):
        services.post_save_draft(
            creator=creator, by=creator.user, data=PostInput(body="x"), post=post
        )


def test_post_input_from_round_trips_extra_mentions(creator):
    post = draft(creator, "@bob@a.example hi", extra_mentions=("eve@b.example",))
    data = services.post_input_from(post)
    assert data.body == "@bob@a.example hi"
    assert data.extra_mentions == ("eve@b.example",)


# Publishing ------------------------------------------------------------------


def test_publishing_a_draft_sends_post_published_inside_its_transaction(
    creator, sent_events
):
    post = draft(creator)
    with pytest.raises(RuntimeError), transaction.atomic():
        services.post_publish(post=post, by=creator.user)
        # Sent before the commit: receivers record their work in it.
        assert sent_events.sent == [("published", post.pk, "published")]
        raise RuntimeError("the request failed after publishing")
    post.refresh_from_db()
    assert post.state == Post.State.DRAFT

    post = services.post_publish(post=post, by=creator.user)
    assert post.state == Post.State.PUBLISHED
    assert post.published_at is not None
    assert post.published_late_by is None


def test_a_post_with_nothing_in_it_cannot_be_published(creator, sent_events):
    post = factories.PostFactory(creator=creator, body="", content_html="")
    with pytest.raises(ValidationError) as excinfo:
        services.post_publish(post=post, by=creator.user)
    assert "body" in errors_of(excinfo)
    post.refresh_from_db()
    assert post.state == Post.State.DRAFT


def test_publishing_twice_is_refused(
    creator, sent_events, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        post = published(creator)
        with pytest.raises(ValidationError):
            services.post_publish(post=post, by=creator.user)
    assert sent_events.names() == ["published"]


def test_a_stale_copy_cannot_publish_a_deleted_post(creator):
    post = published(creator)
    stale = Post.objects.get(pk=post.pk)
    services.post_delete(post=post, by=creator.user)
    with pytest.raises(ValidationError) as excinfo:
        services.post_publish(post=stale, by=creator.user)
    assert errors_of(excinfo)[NON_FIELD_ERRORS] == ["This post was deleted."]


# Scheduling ------------------------------------------------------------------


def test_scheduling_and_rescheduling(creator, sent_events):
    post = draft(creator)
    first = timezone.now() + timedelta(days=1)
    post = services.post_schedule(post=post, by=creator.user, publish_at=first)
    assert (post.state, post.scheduled_at) == (Post.State.SCHEDULED, first)
    later = first + timedelta(hours=3)
    post = services.post_schedule(post=post, by=creator.user, publish_at=later)
    post.refresh_from_db()
    assert post.scheduled_at == later
    assert sent_events.sent == []


def test_a_time_in_the_past_is_refused_clearly(creator):
    post = draft(creator)
    with pytest.raises(ValidationError) as excinfo:
        services.post_schedule(
            post=post,
            by=creator.user,
            publish_at=timezone.now() - timedelta(minutes=5),
        )
    assert errors_of(excinfo)["publish_at"] == [
        "That time has already passed. Pick a time in the future, or publish now."
    ]
    post.refresh_from_db()
    assert post.state == Post.State.DRAFT


def test_a_time_a_few_seconds_ago_is_accepted(creator):
    """A form submitted at 14:00:00 for "14:00" arrives a little late."""
    post = draft(creator)
    at = timezone.now() - timedelta(seconds=30)
    post = services.post_schedule(post=post, by=creator.user, publish_at=at)
    assert post.state == Post.State.SCHEDULED


def test_a_naive_time_is_refused(creator):
    post = draft(creator)
    naive = (timezone.now() + timedelta(days=1)).replace(tzinfo=None)
    with pytest.raises(ValidationError) as excinfo:
        services.post_schedule(post=post, by=creator.user, publish_at=naive)
    assert "publish_at" in errors_of(excinfo)


def test_an_empty_post_cannot_be_scheduled(creator):
    post = factories.PostFactory(creator=creator, body="", content_html="")
    with pytest.raises(ValidationError):
        services.post_schedule(
            post=post, by=creator.user, publish_at=timezone.now() + timedelta(hours=1)
        )


def test_a_scheduled_post_cannot_be_emptied(creator):
    post = factories.PostFactory(creator=creator, scheduled=True)
    with pytest.raises(ValidationError) as excinfo:
        services.post_save_draft(
            creator=creator, by=creator.user, data=PostInput(body=" "), post=post
        )
    assert "body" in errors_of(excinfo)


def test_unscheduling_returns_to_draft(creator):
    post = factories.PostFactory(creator=creator, scheduled=True)
    post = services.post_unschedule(post=post, by=creator.user)
    post.refresh_from_db()
    assert (post.state, post.scheduled_at) == (Post.State.DRAFT, None)
    with pytest.raises(ValidationError):
        services.post_unschedule(post=post, by=creator.user)


def test_a_published_post_cannot_be_scheduled(creator):
    post = published(creator)
    with pytest.raises(ValidationError):
        services.post_schedule(
            post=post, by=creator.user, publish_at=timezone.now() + timedelta(hours=1)
        )


def test_publishing_a_scheduled_post_now(creator):
    post = factories.PostFactory(creator=creator, scheduled=True)
    post = services.post_publish(post=post, by=creator.user)
    assert post.state == Post.State.PUBLISHED
    assert post.published_late_by is None


# Editing ---------------------------------------------------------------------


def test_editing_a_published_post_records_it_and_sends_post_edited(
    creator, sent_events, django_capture_on_commit_callbacks
):
    post = published(creator, "first", visibility="unlisted")
    sent_events.sent.clear()  # publishing sent its own
    with django_capture_on_commit_callbacks(execute=True):
        post = services.post_edit(
            post=post,
            by=creator.user,
            data=PostInput(
                body="second #Fixed",
                summary="cw",
                language="en",
                visibility="unlisted",
            ),
        )
    post.refresh_from_db()
    assert post.body == "second #Fixed"
    assert (post.summary, post.sensitive, post.language) == ("cw", True, "en")
    assert post.edited_at is not None
    assert post.state == Post.State.PUBLISHED
    assert list(post.hashtags.values_list("name", flat=True)) == ["fixed"]
    assert sent_events.sent == [("edited", post.pk, "published")]


def test_the_audience_of_a_published_post_cannot_change(creator, sent_events):
    post = published(creator, visibility="followers")
    with pytest.raises(ValidationError) as excinfo:
        services.post_edit(
            post=post, by=creator.user, data=PostInput(body="x", visibility="public")
        )
    assert "visibility" in errors_of(excinfo)
    post.refresh_from_db()
    assert post.visibility == "followers"
    assert post.edited_at is None


def test_a_published_reply_keeps_its_thread(creator):
    post = published(creator, in_reply_to_uri="https://m.example/notes/1")
    with pytest.raises(ValidationError) as excinfo:
        services.post_edit(
            post=post,
            by=creator.user,
            data=PostInput(body="x", in_reply_to_uri="https://m.example/notes/2"),
        )
    assert "in_reply_to_uri" in errors_of(excinfo)


def test_an_edit_that_changes_nothing_sends_nothing(
    creator, sent_events, django_capture_on_commit_callbacks
):
    post = published(creator, "same")
    sent_events.sent.clear()  # publishing sent its own
    with django_capture_on_commit_callbacks(execute=True):
        services.post_edit(post=post, by=creator.user, data=PostInput(body="same "))
    post.refresh_from_db()
    assert post.edited_at is None
    assert sent_events.sent == []


def test_a_published_post_cannot_be_emptied(creator):
    post = published(creator)
    with pytest.raises(ValidationError):
        services.post_edit(post=post, by=creator.user, data=PostInput(body=""))


def test_drafts_and_scheduled_posts_change_freely_without_events(
    creator, sent_events, django_capture_on_commit_callbacks
):
    post = draft(creator, visibility="public")
    scheduled = factories.PostFactory(creator=creator, scheduled=True)
    with django_capture_on_commit_callbacks(execute=True):
        post = services.post_edit(
            post=post, by=creator.user, data=PostInput(body="y", visibility="followers")
        )
        scheduled = services.post_edit(
            post=scheduled, by=creator.user, data=PostInput(body="z")
        )
    assert post.visibility == "followers"
    assert post.edited_at is None
    assert scheduled.state == Post.State.SCHEDULED
    assert sent_events.sent == []


def test_a_deleted_post_cannot_be_edited(creator):
    post = published(creator)
    services.post_delete(post=post, by=creator.user)
    with pytest.raises(ValidationError):
        services.post_edit(post=post, by=creator.user, data=PostInput(body="x"))


# Deleting ------------------------------------------------------------------


def test_deleting_a_published_post_keeps_a_deleted_row_and_sends_post_deleted(
    creator, sent_events, django_capture_on_commit_callbacks
):
    post = published(creator, "my words")
    sent_events.sent.clear()  # publishing sent its own
    with django_capture_on_commit_callbacks(execute=True):
        services.post_delete(post=post, by=creator.user)
    post.refresh_from_db()
    assert post.state == Post.State.DELETED
    assert post.deleted_at is not None
    assert post.body == "my words"  # kept for the creator's record
    assert sent_events.sent == [("deleted", post.pk, "deleted")]


def test_deleting_twice_does_nothing_more(
    creator, sent_events, django_capture_on_commit_callbacks
):
    post = published(creator)
    sent_events.sent.clear()  # publishing sent its own
    with django_capture_on_commit_callbacks(execute=True):
        services.post_delete(post=post, by=creator.user)
        services.post_delete(post=post, by=creator.user)
    assert sent_events.names() == ["deleted"]


@pytest.mark.parametrize("trait", [{}, {"scheduled": True}])
def test_drafts_and_scheduled_posts_are_removed_outright(
    creator, sent_events, django_capture_on_commit_callbacks, trait
):
    post = factories.PostFactory(creator=creator, **trait)
    with django_capture_on_commit_callbacks(execute=True):
        services.post_delete(post=post, by=creator.user)
    assert not Post.objects.filter(pk=post.pk).exists()
    assert sent_events.sent == []


# Pinning -------------------------------------------------------------------


def test_pinning_and_unpinning_send_their_events(
    creator, sent_events, django_capture_on_commit_callbacks
):
    post = published(creator)
    sent_events.sent.clear()  # publishing sent its own
    with django_capture_on_commit_callbacks(execute=True):
        post = services.post_pin(post=post, by=creator.user)
        assert post.pinned_at is not None
        services.post_pin(post=post, by=creator.user)  # already pinned
        post = services.post_unpin(post=post, by=creator.user)
        services.post_unpin(post=post, by=creator.user)  # not pinned
    assert post.pinned_at is None
    assert sent_events.names() == ["pinned", "unpinned"]


def test_unlisted_posts_can_be_pinned(creator):
    post = published(creator, visibility="unlisted")
    assert services.post_pin(post=post, by=creator.user).pinned_at


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda c: published(c, visibility="followers"), "Followers-only"),
        (lambda c: draft(c), "Only published"),
        (lambda c: factories.PostFactory(creator=c, scheduled=True), "Only published"),
    ],
)
def test_only_published_public_or_unlisted_posts_can_be_pinned(creator, make, message):
    post = make(creator)
    with pytest.raises(ValidationError) as excinfo:
        services.post_pin(post=post, by=creator.user)
    assert errors_of(excinfo)[NON_FIELD_ERRORS][0].startswith(message)


def test_at_most_five_posts_are_pinned(creator, other_creator):
    for _ in range(5):
        services.post_pin(post=published(creator), by=creator.user)
    # Another creator's pins do not count.
    services.post_pin(post=published(other_creator), by=other_creator.user)
    sixth = published(creator)
    with pytest.raises(ValidationError) as excinfo:
        services.post_pin(post=sixth, by=creator.user)
    assert "At most 5" in errors_of(excinfo)[NON_FIELD_ERRORS][0]


def test_a_deleted_post_is_unpinned_and_frees_its_place(creator):
    posts = [published(creator) for _ in range(5)]
    for post in posts:
        services.post_pin(post=post, by=creator.user)
    services.post_delete(post=posts[0], by=creator.user)
    posts[0].refresh_from_db()
    assert posts[0].pinned_at is None
    services.post_pin(post=published(creator), by=creator.user)


# Answering replies -----------------------------------------------------------


def test_an_answer_names_the_reply_author_when_the_body_does_not(
    creator, sent_events, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        post = services.post_answer_reply(
            creator=creator,
            by=creator.user,
            in_reply_to_uri="https://m.example/users/bob/statuses/1",
            reply_author_handle="@Bob@M.example",
            body="Thank you!",
        )
    post.refresh_from_db()
    assert post.body == "@bob@m.example Thank you!"
    assert post.state == Post.State.PUBLISHED
    assert post.in_reply_to_uri == "https://m.example/users/bob/statuses/1"
    assert list(post.mentions.values_list("handle", flat=True)) == ["bob@m.example"]
    assert 'href="https://m.example/@bob"' in post.content_html
    assert sent_events.sent == [("published", post.pk, "published")]


def test_an_answer_that_already_mentions_the_author_is_left_as_written(creator):
    post = services.post_answer_reply(
        creator=creator,
        by=creator.user,
        in_reply_to_uri="https://m.example/notes/1",
        reply_author_handle="bob@m.example",
        body="Yes @Bob@m.example, exactly",
        visibility="unlisted",
    )
    assert post.body == "Yes @Bob@m.example, exactly"
    assert post.visibility == "unlisted"


def test_an_answer_needs_a_real_author_handle(creator):
    with pytest.raises(ValidationError) as excinfo:
        services.post_answer_reply(
            creator=creator,
            by=creator.user,
            in_reply_to_uri="https://m.example/notes/1",
            reply_author_handle="bob",
            body="hi",
        )
    assert "reply_author_handle" in errors_of(excinfo)
    assert not Post.objects.exists()
