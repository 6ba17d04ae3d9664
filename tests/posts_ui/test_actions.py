"""The buttons on the queue and the post page: each does what it says."""

import datetime
import zoneinfo

import pytest
from django.urls import reverse
from django.utils import timezone

from posts.models import Post
from tests import factories
from tests.posts_ui.conftest import page_text

pytestmark = pytest.mark.django_db

PARIS = zoneinfo.ZoneInfo("Europe/Paris")


def url(name, post) -> str:
    return reverse(f"posts:{name}", kwargs={"pk": post.pk})


def queue_url(creator) -> str:
    return reverse("posts:queue", kwargs={"handle": creator.handle})


def test_publish_now_from_the_queue(alice_client, creator):
    post = factories.PostFactory(creator=creator, scheduled=True)
    response = alice_client.post(
        url("publish", post), {"next": queue_url(creator)}, follow=True
    )
    post.refresh_from_db()
    assert post.state == Post.State.PUBLISHED
    assert response.redirect_chain[-1][0] == url("detail", post)
    assert "Published." in page_text(response)


def test_publishing_an_empty_draft_explains_why_not(alice_client, creator):
    post = factories.PostFactory(creator=creator, body="", content_html="")
    response = alice_client.post(url("publish", post), follow=True)
    post.refresh_from_db()
    assert post.state == Post.State.DRAFT
    assert "It was not published: Write something or add an image first." in (
        page_text(response)
    )


def test_reschedule_moves_the_post_in_the_creators_zone(alice_client, creator):
    post = factories.PostFactory(creator=creator, scheduled=True)
    day = (timezone.now().astimezone(PARIS) + datetime.timedelta(days=3)).date()
    response = alice_client.post(
        url("schedule", post),
        {
            "schedule_date": day.isoformat(),
            "schedule_time": "07:45",
            "next": queue_url(creator),
        },
        follow=True,
    )
    post.refresh_from_db()
    assert post.scheduled_at == datetime.datetime.combine(
        day, datetime.time(7, 45), tzinfo=PARIS
    )
    assert response.redirect_chain[-1][0] == queue_url(creator)
    assert (
        f"Scheduled for {day:%a} {day.day} {day:%b}, 07:45 (Europe/Paris)."
        in page_text(response)
    )


def test_reschedule_without_a_time_changes_nothing(alice_client, creator):
    post = factories.PostFactory(creator=creator, scheduled=True)
    before = post.scheduled_at
    response = alice_client.post(
        url("schedule", post), {"schedule_date": "2030-01-01"}, follow=True
    )
    post.refresh_from_db()
    assert post.scheduled_at == before
    assert "It was not scheduled" in page_text(response)


def test_unschedule_sends_the_post_back_to_the_drafts(alice_client, creator):
    post = factories.PostFactory(creator=creator, scheduled=True)
    response = alice_client.post(
        url("unschedule", post), {"next": queue_url(creator)}, follow=True
    )
    post.refresh_from_db()
    assert post.state == Post.State.DRAFT
    assert post.scheduled_at is None
    assert "the post is a draft again" in page_text(response)


def test_pin_and_unpin(alice_client, creator):
    post = factories.PostFactory(creator=creator, published=True)
    alice_client.post(url("pin", post))
    post.refresh_from_db()
    assert post.pinned_at is not None
    response = alice_client.post(url("unpin", post), follow=True)
    post.refresh_from_db()
    assert post.pinned_at is None
    assert "Unpinned" in page_text(response)


def test_a_refused_pin_says_why(alice_client, creator):
    post = factories.PostFactory(
        creator=creator, published=True, visibility="followers"
    )
    response = alice_client.post(url("pin", post), follow=True)
    assert "Followers-only posts cannot be pinned." in page_text(response)


def test_delete_asks_first(alice_client, creator):
    post = factories.PostFactory(creator=creator, published=True, body="Hot take")
    response = alice_client.get(url("delete", post))
    text = page_text(response)
    assert response.status_code == 200
    assert "Delete this post?" in text
    assert "every server that has a copy is asked to delete it" in text
    assert "Hot take" in text
    assert Post.objects.get(pk=post.pk).state == Post.State.PUBLISHED


def test_deleting_a_published_post_keeps_its_page(alice_client, creator):
    post = factories.PostFactory(creator=creator, published=True)
    response = alice_client.post(url("delete", post), follow=True)
    post.refresh_from_db()
    assert post.state == Post.State.DELETED
    assert response.redirect_chain[-1][0] == url("detail", post)
    assert "Servers that have a copy are being asked to remove it." in page_text(
        response
    )


def test_deleting_a_draft_removes_it(alice_client, creator):
    post = factories.PostFactory(creator=creator)
    response = alice_client.post(url("delete", post), follow=True)
    assert not Post.objects.filter(pk=post.pk).exists()
    assert response.redirect_chain[-1][0] == queue_url(creator)


def test_next_only_goes_to_our_own_pages(alice_client, creator):
    post = factories.PostFactory(creator=creator, scheduled=True)
    response = alice_client.post(
        url("unschedule", post), {"next": "https://evil.example/"}
    )
    assert response["Location"] == url("detail", post)
    page = page_text(alice_client.get(url("delete", post) + "?next=javascript:x"))
    assert "javascript:x" not in page


def test_actions_only_answer_posts(alice_client, creator):
    post = factories.PostFactory(creator=creator, scheduled=True)
    for name in ("publish", "schedule", "unschedule", "pin", "unpin"):
        assert alice_client.get(url(name, post)).status_code == 405, name
    preview = reverse("posts:preview", kwargs={"handle": "alice"})
    assert alice_client.get(preview).status_code == 405
