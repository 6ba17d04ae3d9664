"""posts.selectors: lists for the dashboard, the calendar and the profile."""

from datetime import UTC, datetime, timedelta

import pytest
from django.http import Http404

from posts import selectors
from tests import factories

pytestmark = pytest.mark.django_db

DAY = datetime(2030, 3, 4, tzinfo=UTC)


def test_posts_of_creator_leaves_deleted_out_unless_asked(creator, other_creator):
    draft = factories.PostFactory(creator=creator)
    scheduled = factories.PostFactory(creator=creator, scheduled=True)
    deleted = factories.PostFactory(creator=creator, state="deleted")
    factories.PostFactory(creator=other_creator)

    assert set(selectors.posts_of_creator(creator=creator)) == {draft, scheduled}
    assert list(selectors.posts_of_creator(creator=creator, states=["deleted"])) == [
        deleted
    ]
    assert list(
        selectors.posts_of_creator(creator=creator, states=["scheduled", "draft"])
    ) == [scheduled, draft]  # the scheduled one is an hour ahead


def test_posts_of_creator_loads_related_rows_in_fixed_queries(
    creator, django_assert_num_queries
):
    for _ in range(3):
        post = factories.PostFactory(creator=creator, body="@a@b.example #tag")
        factories.PostMediaFactory(post=post)
    with django_assert_num_queries(4):  # posts+creator, media, mentions, tags
        for post in selectors.posts_of_creator(creator=creator):
            list(post.media.all())
            list(post.mentions.all())
            list(post.hashtags.all())
            assert post.creator.handle


def test_posts_between_shows_scheduled_and_published_posts_in_the_window(creator):
    inside_scheduled = factories.PostFactory(
        creator=creator, state="scheduled", scheduled_at=DAY + timedelta(hours=20)
    )
    inside_published = factories.PostFactory(
        creator=creator,
        state="published",
        published_at=DAY + timedelta(hours=9),
        scheduled_at=DAY - timedelta(days=3),  # was planned earlier, went out here
    )
    factories.PostFactory(  # after the window
        creator=creator, state="scheduled", scheduled_at=DAY + timedelta(days=1)
    )
    factories.PostFactory(creator=creator)  # drafts have no date
    factories.PostFactory(
        creator=creator, state="deleted", published_at=DAY + timedelta(hours=1)
    )

    posts = list(
        selectors.posts_between(creator=creator, start=DAY, end=DAY + timedelta(days=1))
    )

    assert posts == [inside_published, inside_scheduled]
    assert posts[0].calendar_at == DAY + timedelta(hours=9)
    assert posts[1].calendar_at == DAY + timedelta(hours=20)


def test_published_public_posts_are_newest_first(creator):
    old = factories.PostFactory(creator=creator, state="published", published_at=DAY)
    new = factories.PostFactory(
        creator=creator, state="published", published_at=DAY + timedelta(hours=1)
    )
    factories.PostFactory(creator=creator, published=True, visibility="unlisted")
    factories.PostFactory(creator=creator, published=True, visibility="followers")
    factories.PostFactory(creator=creator, scheduled=True)
    assert list(selectors.published_public_posts(creator=creator)) == [new, old]


def test_pinned_posts_latest_pin_first(creator):
    first = factories.PostFactory(creator=creator, published=True, pinned_at=DAY)
    second = factories.PostFactory(
        creator=creator, published=True, pinned_at=DAY + timedelta(minutes=1)
    )
    factories.PostFactory(creator=creator, published=True)
    assert list(selectors.pinned_posts(creator=creator)) == [second, first]


def test_post_get_visible_answers_404_for_posts_of_others(
    creator, other_creator, agency_with_analyst
):
    _, analyst = agency_with_analyst
    own = factories.PostFactory(creator=creator)
    theirs = factories.PostFactory(creator=other_creator)
    assert selectors.post_get_visible(user=creator.user, pk=own.pk) == own
    assert selectors.post_get_visible(user=analyst, pk=own.pk) == own
    for user in (creator.user, analyst):
        with pytest.raises(Http404):
            selectors.post_get_visible(user=user, pk=theirs.pk)
