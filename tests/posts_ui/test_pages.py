"""The queue, the calendar and a post's page, as a creator reads them."""

import datetime
import zoneinfo

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from posts.models import Post
from tests import factories
from tests.posts_ui.conftest import page_text

pytestmark = pytest.mark.django_db

PARIS = zoneinfo.ZoneInfo("Europe/Paris")


def queue_url(creator) -> str:
    return reverse("posts:queue", kwargs={"handle": creator.handle})


def calendar_url(creator, **params) -> str:
    url = reverse("posts:calendar", kwargs={"handle": creator.handle})
    query = "&".join(f"{key}={value}" for key, value in params.items())
    return f"{url}?{query}" if query else url


def paris(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=PARIS)


# Posts home --------------------------------------------------------------------


def test_a_creator_lands_on_their_own_queue(alice_client, creator):
    response = alice_client.get(reverse("posts:index"))
    assert response.status_code == 302
    assert response["Location"] == queue_url(creator)


def test_agency_members_pick_among_the_creators_they_may_see(
    client, creator, other_creator, manager
):
    third = factories.CreatorFactory(handle="carol")
    grant_agency = manager.agency_memberships.get().agency
    factories.AgencyAccessFactory(creator=third, agency=grant_agency)
    client.force_login(manager)
    response = client.get(reverse("posts:index"))
    text = page_text(response)
    assert response.status_code == 200
    assert queue_url(creator) in text
    assert queue_url(third) in text
    assert queue_url(other_creator) not in text
    assert "you may manage posts" in text  # alice allowed it
    assert "read only" in text  # carol did not


def test_someone_with_no_creator_is_told_how_access_works(client):
    client.force_login(factories.UserFactory())
    text = page_text(client.get(reverse("posts:index")))
    assert "No creator has shared their posts with you" in text


# Queue -------------------------------------------------------------------------


def test_the_queue_lists_scheduled_posts_in_the_order_they_go_out(
    alice_client, creator
):
    later = factories.PostFactory(
        creator=creator,
        body="Second to go",
        state="scheduled",
        scheduled_at=timezone.now() + datetime.timedelta(days=2),
    )
    sooner = factories.PostFactory(
        creator=creator,
        body="First to go",
        state="scheduled",
        scheduled_at=timezone.now() + datetime.timedelta(hours=3),
    )
    factories.PostFactory(creator=creator, body="Just an idea")
    text = page_text(alice_client.get(queue_url(creator)))
    assert text.index("First to go") < text.index("Second to go")
    assert "Just an idea" in text
    assert "in 2 h" in text or "in 3 h" in text
    for post in (sooner, later):
        assert reverse("posts:unschedule", kwargs={"pk": post.pk}) in text
        assert reverse("posts:publish", kwargs={"pk": post.pk}) in text
    assert "times in Europe/Paris" in text


def test_published_posts_say_they_were_late_and_pinned(alice_client, creator):
    factories.PostFactory(
        creator=creator,
        body="Late one",
        published=True,
        published_late_by=datetime.timedelta(minutes=14, seconds=20),
        pinned_at=timezone.now(),
    )
    text = page_text(alice_client.get(queue_url(creator)))
    assert "Went out late by 14 min" in text
    assert "Pinned" in text
    assert "Unpin" in text


def test_followers_only_posts_offer_no_pin(alice_client, creator):
    post = factories.PostFactory(
        creator=creator, published=True, visibility="followers"
    )
    text = page_text(alice_client.get(queue_url(creator)))
    assert reverse("posts:pin", kwargs={"pk": post.pk}) not in text


def test_published_posts_load_their_delivery_and_counts_for_the_whole_list(
    alice_client, creator
):
    older = factories.PostFactory(
        creator=creator,
        published=True,
        published_at=timezone.now() - datetime.timedelta(hours=1),
    )
    newer = factories.PostFactory(creator=creator, published=True)
    text = page_text(alice_client.get(queue_url(creator)))
    url = reverse("posts-overview")
    assert f'hx-get="{url}?ids={newer.pk},{older.pk}"' in text
    assert f'id="post-{newer.pk}-overview"' in text
    assert f'id="post-{older.pk}-overview"' in text


def test_an_empty_queue_says_what_to_do(alice_client, creator):
    text = page_text(alice_client.get(queue_url(creator)))
    assert "Nothing scheduled" in text
    assert "No drafts" in text
    assert "Nothing published yet" in text
    assert reverse("posts:compose", kwargs={"handle": "alice"}) in text


def _queries_for(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def _add_posts(creator, count):
    for i in range(count):
        post = factories.PostFactory(creator=creator, published=True, body=f"p{i}")
        factories.PostMediaFactory(post=post, alt_text="")
        factories.PostFactory(creator=creator, scheduled=True)
        factories.PostFactory(creator=creator)


def test_the_queue_and_calendar_cost_the_same_queries_for_many_posts(
    alice_client, creator
):
    """Ten posts of each kind, with images, cost no more queries than one."""
    pages = [queue_url(creator), calendar_url(creator)]
    _add_posts(creator, 1)
    few = [_queries_for(alice_client, url) for url in pages]
    _add_posts(creator, 9)
    many = [_queries_for(alice_client, url) for url in pages]
    assert many == few
    text = page_text(alice_client.get(queue_url(creator)))
    assert text.count("missing alt text") == 10


# Calendar ----------------------------------------------------------------------


def test_the_month_shows_posts_on_their_local_day(alice_client, creator):
    """23:30 UTC on 31 May is 1 June in Paris: it sits on 1 June."""
    year = timezone.now().year + 1
    factories.PostFactory(
        creator=creator,
        body="Summer opening",
        state="scheduled",
        scheduled_at=datetime.datetime(year, 5, 31, 23, 30, tzinfo=datetime.UTC),
    )
    june = page_text(alice_client.get(calendar_url(creator, date=f"{year}-06-10")))
    may = page_text(alice_client.get(calendar_url(creator, date=f"{year}-05-10")))
    assert f"June {year}" in june
    assert "01:30" in june and "Summer opening" in june
    # Still in May's grid (as a day outside the month), not in May's count.
    assert "Nothing in May" in may


def test_the_week_view_navigates_by_weeks(alice_client, creator):
    year = timezone.now().year + 1
    monday = datetime.date(year, 3, 1)
    monday -= datetime.timedelta(days=monday.weekday())
    factories.PostFactory(
        creator=creator,
        body="Midweek thought",
        state="scheduled",
        scheduled_at=paris(monday.year, monday.month, monday.day, 9, 0)
        + datetime.timedelta(days=2),
    )
    factories.PostFactory(
        creator=creator,
        body="Already out",
        published=True,
        published_at=paris(monday.year, monday.month, monday.day, 18, 15),
    )
    response = alice_client.get(
        calendar_url(creator, view="week", date=monday.isoformat())
    )
    text = page_text(response)
    assert "Midweek thought" in text and "Already out" in text
    assert "chip-scheduled" in text and "chip-published" in text
    next_week = monday + datetime.timedelta(days=7)
    previous_week = monday - datetime.timedelta(days=7)
    assert f"view=week&amp;date={next_week.isoformat()}" in text
    assert f"view=week&amp;date={previous_week.isoformat()}" in text
    following = page_text(
        alice_client.get(calendar_url(creator, view="week", date=next_week))
    )
    assert "Midweek thought" not in following


def test_drafts_and_deleted_posts_stay_off_the_calendar(alice_client, creator):
    factories.PostFactory(creator=creator, body="Secret draft")
    factories.PostFactory(
        creator=creator,
        body="Gone",
        state="deleted",
        published_at=timezone.now(),
        deleted_at=timezone.now(),
    )
    text = page_text(alice_client.get(calendar_url(creator)))
    assert "Secret draft" not in text and "Gone" not in text


def test_a_bad_date_or_view_falls_back_to_this_month(alice_client, creator):
    response = alice_client.get(calendar_url(creator, view="year", date="soon"))
    today = timezone.now().astimezone(PARIS)
    assert response.status_code == 200
    assert f"{today:%B} {today.year}" in page_text(response)


# Post page ---------------------------------------------------------------------


def test_the_post_page_shows_the_post_times_and_media(alice_client, creator):
    post = factories.PostFactory(
        creator=creator,
        body="Look at this",
        summary="Eye strain",
        sensitive=True,
        state="scheduled",
        scheduled_at=paris(timezone.now().year + 1, 12, 3, 14, 5),
    )
    factories.PostMediaFactory(post=post, alt_text="A bright lamp")
    factories.PostMediaFactory(post=post, alt_text="")
    text = page_text(alice_client.get(reverse("posts:detail", kwargs={"pk": post.pk})))
    assert "Eye strain" in text and "Look at this" in text
    assert "Goes out" in text and "14:05" in text and "(Europe/Paris)" in text
    assert "A bright lamp" in text
    assert "1 without description" in text
    assert "Sensitive" in text
    # Not out yet: nothing to deliver.
    assert "Delivery" not in text


def test_a_published_post_embeds_the_delivery_progress(alice_client, creator):
    post = factories.PostFactory(creator=creator, published=True)
    text = page_text(alice_client.get(reverse("posts:detail", kwargs={"pk": post.pk})))
    assert "Delivery" in text
    from posts.views.common import delivery_url

    url = delivery_url(post)
    if url:
        assert f'hx-get="{url}"' in text
        assert 'hx-trigger="load"' in text
        assert "could not be loaded" in text  # the words shown if it fails
    else:
        assert "Delivery progress will show here" in text


@override_settings(ROOT_URLCONF="tests.posts_ui.urls_with_delivery")
def test_the_delivery_fragment_loads_from_federation(alice_client, creator):
    post = factories.PostFactory(creator=creator, published=True)
    text = page_text(alice_client.get(reverse("posts:detail", kwargs={"pk": post.pk})))
    assert f'hx-get="/delivery/{post.pk}/"' in text
    assert 'hx-trigger="load"' in text
    assert "could not be loaded just now" in text


@override_settings(ROOT_URLCONF="tests.posts_ui.urls_without_delivery")
def test_without_the_fragment_the_page_says_what_will_show(alice_client, creator):
    post = factories.PostFactory(creator=creator, published=True)
    text = page_text(alice_client.get(reverse("posts:detail", kwargs={"pk": post.pk})))
    assert "hx-trigger" not in text
    assert "Delivery progress will show here" in text


def test_a_deleted_post_keeps_its_page_without_actions(alice_client, creator):
    post = factories.PostFactory(
        creator=creator,
        body="Regretted",
        state="deleted",
        published_at=timezone.now(),
        deleted_at=timezone.now(),
    )
    text = page_text(alice_client.get(reverse("posts:detail", kwargs={"pk": post.pk})))
    assert "Deleted post" in text
    assert reverse("posts:edit", kwargs={"pk": post.pk}) not in text
    assert reverse("posts:delete", kwargs={"pk": post.pk}) not in text


def test_late_and_edited_posts_say_so_on_their_page(alice_client, creator):
    post = factories.PostFactory(
        creator=creator,
        published=True,
        published_late_by=datetime.timedelta(hours=2, minutes=5),
        edited_at=timezone.now(),
    )
    text = page_text(alice_client.get(reverse("posts:detail", kwargs={"pk": post.pk})))
    assert "went out late by 2 h 5 min" in text
    assert "Edited" in text
    assert Post.objects.get(pk=post.pk).state == "published"
