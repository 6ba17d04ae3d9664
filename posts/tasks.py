"""Celery tasks of posts: thin shells around posts.services."""

import logging

from celery import shared_task

from . import services

logger = logging.getLogger(__name__)

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


# An import works RUN_SECONDS at a time (posts.archive), then queues its
# next run: generous limits for one slow image, well under an hour.
@shared_task(soft_time_limit=120, time_limit=150)
def run_archive_import(import_id: int) -> bool:
    """Import the next part of an uploaded archive; queue the rest."""
    from . import archive

    left = archive.archive_import_run(import_id)
    if left:
        queue_archive_import(import_id)
    return left


def queue_archive_import(import_id: int) -> bool:
    """Hand the import to a worker; False if the broker did not take it
    (the import waits; the creator's page offers to try again)."""
    try:
        run_archive_import.delay(import_id)
    except Exception:  # noqa: BLE001 (a broker that is down fails no request)
        logger.warning("archive import %s: the broker did not answer", import_id)
        return False
    return True
