"""Scheduled posts go out once, when due, late if they must, never twice."""

import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from federation.models import OutboxJob
from posts import services
from posts.models import Post
from tests import factories


def scheduled_post(creator, *, at) -> Post:
    """A scheduled post due at `at` (past times, as if workers were down)."""
    return factories.PostFactory(creator=creator, state="scheduled", scheduled_at=at)


class Boom(Exception):
    pass


# On time, late, not yet ------------------------------------------------------


@pytest.mark.django_db
def test_a_due_post_goes_out_on_time(
    creator, sent_events, django_capture_on_commit_callbacks
):
    now = timezone.now()
    post = scheduled_post(creator, at=now - timedelta(seconds=40))
    with django_capture_on_commit_callbacks(execute=True):
        assert services.publish_due_posts(now=now) == 1
    post.refresh_from_db()
    assert post.state == Post.State.PUBLISHED
    assert post.published_at == now
    assert post.published_late_by is None
    assert sent_events.sent == [("published", post.pk, "published")]


@pytest.mark.django_db
def test_a_post_missed_while_workers_were_down_goes_out_and_says_how_late(
    creator, sent_events, django_capture_on_commit_callbacks
):
    now = timezone.now()
    post = scheduled_post(creator, at=now - timedelta(hours=3, minutes=5))
    with django_capture_on_commit_callbacks(execute=True):
        assert services.publish_due_posts(now=now) == 1
    post.refresh_from_db()
    assert post.state == Post.State.PUBLISHED
    assert post.published_at == now
    assert post.published_late_by == timedelta(hours=3, minutes=5)
    assert sent_events.of("published") == [post.pk]


@pytest.mark.django_db
def test_two_minutes_late_is_still_on_time(creator):
    now = timezone.now()
    post = scheduled_post(creator, at=now - timedelta(minutes=2))
    services.publish_due_posts(now=now)
    post.refresh_from_db()
    assert post.published_late_by is None


@pytest.mark.django_db
def test_future_posts_and_drafts_are_left_alone(creator, sent_events):
    now = timezone.now()
    future = scheduled_post(creator, at=now + timedelta(seconds=1))
    draft = factories.PostFactory(creator=creator)
    assert services.publish_due_posts(now=now) == 0
    future.refresh_from_db()
    draft.refresh_from_db()
    assert future.state == Post.State.SCHEDULED
    assert draft.state == Post.State.DRAFT


@pytest.mark.django_db
def test_the_oldest_due_posts_go_first_within_the_limit(creator):
    now = timezone.now()
    posts = [
        scheduled_post(creator, at=now - timedelta(minutes=minutes))
        for minutes in (1, 30, 10)
    ]
    assert services.publish_due_posts(now=now, limit=2) == 2
    states = {p.pk: p.state for p in Post.objects.all()}
    assert states[posts[1].pk] == states[posts[2].pk] == Post.State.PUBLISHED
    assert states[posts[0].pk] == Post.State.SCHEDULED
    assert services.publish_due_posts(now=now, limit=2) == 1


@pytest.mark.django_db
def test_running_again_publishes_nothing_twice(
    creator, sent_events, django_capture_on_commit_callbacks
):
    now = timezone.now()
    posts = [scheduled_post(creator, at=now - timedelta(minutes=1)) for _ in range(3)]
    with django_capture_on_commit_callbacks(execute=True):
        assert services.publish_due_posts(now=now) == 3
        assert services.publish_due_posts(now=now + timedelta(seconds=30)) == 0
    assert sorted(sent_events.of("published")) == sorted(p.pk for p in posts)


@pytest.mark.django_db
def test_one_post_that_fails_does_not_hold_back_the_others(
    creator, monkeypatch, caplog, django_capture_on_commit_callbacks, sent_events
):
    now = timezone.now()
    bad = scheduled_post(creator, at=now - timedelta(minutes=2))
    good = scheduled_post(creator, at=now - timedelta(minutes=1))
    real = services._mark_published

    def failing_for_bad(post, **kwargs):
        real(post, **kwargs)
        if post.pk == bad.pk:
            raise RuntimeError("disk full")

    monkeypatch.setattr(services, "_mark_published", failing_for_bad)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.publish_due_posts(now=now) == 1
    bad.refresh_from_db()
    good.refresh_from_db()
    assert bad.state == Post.State.SCHEDULED  # its savepoint rolled back
    assert good.state == Post.State.PUBLISHED
    # The bad post's event was sent, and what it recorded rolled back with it.
    assert jobs_for_network() == [("post.create", good.pk)]
    assert f"could not publish scheduled post {bad.pk}" in caplog.text


# Transactions ------------------------------------------------------------------


def jobs_for_network() -> list[tuple[str, int]]:
    """What federation recorded to send, in the posts' transactions."""
    return list(OutboxJob.objects.order_by("pk").values_list("action", "post_id"))


@pytest.mark.django_db(transaction=True)
def test_a_publish_inside_a_transaction_that_rolls_back_sends_nothing(
    creator, sent_events
):
    post = services.post_save_draft(
        creator=creator, by=creator.user, data=services.PostInput(body="hi")
    )
    with pytest.raises(Boom), transaction.atomic():
        services.post_publish(post=post, by=creator.user)
        raise Boom
    post.refresh_from_db()
    assert post.state == Post.State.DRAFT
    assert jobs_for_network() == []

    services.post_publish(post=post, by=creator.user)  # commits at once
    assert jobs_for_network() == [("post.create", post.pk)]


@pytest.mark.django_db(transaction=True)
def test_a_scheduler_run_that_rolls_back_sends_nothing(creator, sent_events):
    post = scheduled_post(creator, at=timezone.now() - timedelta(minutes=1))
    with pytest.raises(Boom), transaction.atomic():
        assert services.publish_due_posts() == 1
        raise Boom
    post.refresh_from_db()
    assert post.state == Post.State.SCHEDULED
    assert jobs_for_network() == []

    assert services.publish_due_posts() == 1
    assert jobs_for_network() == [("post.create", post.pk)]


# Two schedulers at once (PostgreSQL) -------------------------------------------


postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite has no row locks (SELECT … FOR UPDATE); the PostgreSQL "
    "pass runs this",
)


def _in_thread(target, *args):
    """Run `target` on its own database connection, as another worker would."""
    result = {}

    def run():
        try:
            result["value"] = target(*args)
        except BaseException as exc:  # re-raised in the test thread
            result["error"] = exc
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, result


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_run_skips_posts_another_run_holds_and_never_waits_for_them(
    creator, sent_events
):
    now = timezone.now()
    posts = [scheduled_post(creator, at=now - timedelta(minutes=1)) for _ in range(6)]
    held = [p.pk for p in posts[:2]]
    locked = threading.Event()
    release = threading.Event()

    def other_scheduler():
        # Holds two due posts locked, as a run busy with them would.
        with transaction.atomic():
            list(Post.objects.select_for_update().filter(pk__in=held))
            locked.set()
            release.wait(timeout=30)

    thread, result = _in_thread(other_scheduler)
    assert locked.wait(timeout=30)
    try:
        with connection.cursor() as cursor:
            # Waiting on a lock (no SKIP LOCKED) fails instead of hanging.
            cursor.execute("SET lock_timeout = '3s'")
        published = services.publish_due_posts(now=now)
    finally:
        release.set()
        thread.join(timeout=30)
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = 0")
    assert "error" not in result
    assert published == 4
    assert set(Post.objects.filter(state="scheduled").values_list("pk", flat=True)) == (
        set(held)
    )
    # The other run's posts go out once it lets them go.
    assert services.publish_due_posts(now=now) == 2
    assert sorted(sent_events.of("published")) == sorted(p.pk for p in posts)


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_schedulers_racing_publish_each_post_exactly_once(creator, sent_events):
    now = timezone.now()
    posts = [scheduled_post(creator, at=now - timedelta(minutes=1)) for _ in range(60)]
    start = threading.Barrier(2)

    def scheduler():
        start.wait(timeout=30)
        total = 0
        while published := services.publish_due_posts(now=now, limit=7):
            total += published
        return total

    runs = [_in_thread(scheduler) for _ in range(2)]
    for thread, _ in runs:
        thread.join(timeout=60)
    results = [result for _, result in runs]
    assert all("error" not in r for r in results), results
    assert sum(r["value"] for r in results) == len(posts)
    published = sent_events.of("published")
    assert sorted(published) == sorted(p.pk for p in posts)  # once each
    assert not Post.objects.filter(state="scheduled").exists()
