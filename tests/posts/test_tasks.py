"""posts.tasks: the beat task that publishes due posts, on the default queue."""

from datetime import timedelta

import pytest
from django.utils import timezone

from creatorhub.celery import app as celery_app
from posts import tasks
from posts.models import Post
from tests import factories


def test_publish_due_posts_runs_every_30_seconds_on_the_default_queue():
    entries = [
        entry
        for entry in celery_app.conf.beat_schedule.values()
        if entry["task"] == "posts.tasks.publish_due_posts"
    ]
    assert len(entries) == 1
    assert entries[0]["schedule"] == timedelta(seconds=30)
    route = celery_app.amqp.router.route({}, "posts.tasks.publish_due_posts")
    assert route["queue"].name == "default"
    assert "posts.tasks.publish_due_posts" in celery_app.tasks


@pytest.mark.django_db
def test_the_task_works_through_a_backlog_in_batches(creator, monkeypatch):
    monkeypatch.setattr(tasks, "BATCH_SIZE", 2)
    past = timezone.now() - timedelta(hours=1)
    for _ in range(5):
        factories.PostFactory(creator=creator, state="scheduled", scheduled_at=past)
    assert tasks.publish_due_posts() == 5
    assert not Post.objects.filter(state="scheduled").exists()
    assert tasks.publish_due_posts() == 0
