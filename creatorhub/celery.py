"""The Celery app: queues split by function, late acks, JSON only.

Every task must be idempotent: with acks_late and reject_on_worker_lost a
task whose worker dies mid-run is delivered again, so it may run twice.
"""

import os
from datetime import timedelta

from celery import Celery
from celery.schedules import crontab
from kombu import Exchange, Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "creatorhub.settings")

app = Celery("creatorhub")
app.config_from_object("django.conf:settings", namespace="CELERY")

# Each queue has its own routing key: a task routed to one queue lands there
# and nowhere else.
EXCHANGE = Exchange("creatorhub", type="direct")
QUEUES = {
    "default": "everything else",
    "deliver": "outbound HTTP to remote inboxes: slow, many at once",
    "inbox": "processing what remote servers sent: never starved by deliveries",
    "fetch": "fetching remote actors, keys and server information",
}

# Sending a task never holds a web request for long when the broker is down
# or stops answering: connecting, RabbitMQ's write and its publisher confirm
# each give up after this long, and a publish is retried once (on a fresh
# connection). Every task is sent through a route below, so the timeouts
# reach send_task() calls too.
PUBLISH_TIMEOUT = 3
PUBLISH = {"timeout": PUBLISH_TIMEOUT, "confirm_timeout": PUBLISH_TIMEOUT}

app.conf.update(
    task_queues=[Queue(name, EXCHANGE, routing_key=name) for name in QUEUES],
    task_default_queue="default",
    task_default_exchange="creatorhub",
    task_default_routing_key="default",
    task_routes={
        "federation.tasks.deliver_*": {"queue": "deliver", **PUBLISH},
        "federation.tasks.process_inbox_*": {"queue": "inbox", **PUBLISH},
        "federation.tasks.fetch_*": {"queue": "fetch", **PUBLISH},
        "*": {"queue": "default", **PUBLISH},
    },
    broker_connection_timeout=PUBLISH_TIMEOUT,
    task_publish_retry_policy={
        "max_retries": 1,
        "interval_start": 0,
        "interval_step": 0.5,
        "interval_max": 0.5,
    },
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    task_ignore_result=True,
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    # A task whose worker lost its broker connection can no longer be acked:
    # the broker hands it out again (RabbitMQ at once), so stop this run
    # rather than have two run side by side (Celery 6's default).
    worker_cancel_long_running_tasks_on_connection_loss=True,
    task_soft_time_limit=45,
    task_time_limit=60,
    worker_prefetch_multiplier=1,
    worker_hijack_root_logger=False,
    broker_connection_retry_on_startup=True,
    timezone="UTC",
    beat_schedule={
        "record-worker-heartbeat": {
            "task": "creatorhub.tasks.record_worker_heartbeat",
            "schedule": timedelta(seconds=30),
        },
        "clear-expired-sessions": {
            "task": "accounts.tasks.clear_expired_sessions",
            "schedule": timedelta(hours=6),
        },
        # Last week's numbers to every agency, Monday 07:00 UTC.
        "weekly-agency-digests": {
            "task": "analytics.tasks.send_weekly_digests",
            "schedule": crontab(hour=7, minute=0, day_of_week="monday"),
        },
        # Lands on the default queue (no route matches posts.tasks.*).
        "publish-due-posts": {
            "task": "posts.tasks.publish_due_posts",
            "schedule": timedelta(seconds=30),
        },
        # Outbox jobs the broker never took (it was down) or lost.
        "relay-outbox": {
            "task": "federation.tasks.relay_outbox",
            "schedule": timedelta(seconds=10),
        },
        # Retries, and rows of workers that died, are found by their due
        # time in the database, never by long Celery countdowns.
        "deliver-sweep": {
            "task": "federation.tasks.deliver_sweep",
            "schedule": timedelta(seconds=30),
        },
        # Inbox work a dead worker or a lost message left behind.
        "process-inbox-sweep": {
            "task": "federation.tasks.process_inbox_sweep",
            "schedule": timedelta(seconds=60),
        },
    },
)
app.autodiscover_tasks()
