"""Celery tasks of posts: thin shells around posts.services."""

from celery import shared_task

from . import services

# One batch is one transaction; a backlog (workers were down) is worked
# through in several, each well inside the task time limit.
BATCH_SIZE = 100
MAX_BATCHES = 20


@shared_task
def publish_due_posts() -> int:
    """Publish every scheduled post whose time has come (beat, every 30 s).

    Safe to run twice at once or to repeat: the service claims posts with
    SKIP LOCKED and only publishes posts still scheduled.
    """
    total = 0
    for _ in range(MAX_BATCHES):
        published = services.publish_due_posts(limit=BATCH_SIZE)
        total += published
        if published < BATCH_SIZE:
            break
    return total
