"""Celery tasks of federation: thin, idempotent, ids and strings only."""

import logging

from celery import shared_task
from django.db import OperationalError

from federation.inbound import processing
from federation.outbound import delivery, fanout, outbox
from federation.protocol import client, remote

logger = logging.getLogger(__name__)


@shared_task(
    autoretry_for=(client.RemoteUnavailable,),
    retry_backoff=60,
    retry_backoff_max=600,
    max_retries=3,
)
def fetch_instance_info(domain: str) -> None:
    """Learn a server's software from its NodeInfo (analytics groups by it)."""
    try:
        remote.refresh_instance_info(domain)
    except (
        remote.ResolveError,
        client.UnsafeURL,
        client.ResponseTooLarge,
        client.TooManyRedirects,
    ) as exc:
        logger.info("no NodeInfo for %s: %s", domain, exc)


@shared_task(
    autoretry_for=(client.RemoteUnavailable,),
    retry_backoff=60,
    retry_backoff_max=600,
    max_retries=2,
)
def fetch_followers_count(actor_uri: str) -> None:
    """Learn how many follow someone who boosted a creator's post (the
    reach estimate adds them); queued when the boost is processed, at most
    once a day per actor (remote.refresh_followers_count skips a fresh one)."""
    try:
        remote.refresh_followers_count(actor_uri)
    except (
        remote.ResolveError,
        client.UnsafeURL,
        client.ResponseTooLarge,
        client.TooManyRedirects,
    ) as exc:
        logger.info("no follower count for %s: %s", actor_uri, exc)


# The outbox: jobs recorded with the changes that call for them. Resolving
# a post's mentions may wait on slow servers (publishing.py budgets it).


@shared_task(soft_time_limit=120, time_limit=150)
def run_outbox_job(job_id: int) -> None:
    """Do one recorded job (a post's Create, a Block...), unless done."""
    outbox.run(job_id)


@shared_task
def relay_outbox() -> None:
    """Beat, every 10 s: hand over jobs the broker never took or lost."""
    outbox.relay()


# Delivery: a run claims due rows, sends them and records the answers; the
# rows say what is owed, so a task that runs twice, or dies, costs nothing.
# The limits leave room inside the default 180 s lease: a run claims for 30 s
# and the client's timeouts bound each request.
DELIVERY_LIMITS = {"soft_time_limit": 120, "time_limit": 150}


@shared_task(**DELIVERY_LIMITS)
def deliver_batch(delivery_ids: list[int]) -> None:
    """Send a batch of an activity's rows (the fan-out hands them out by
    page); rows still due when time is up are left to the sweep."""
    delivery.deliver_due(delivery_ids=delivery_ids)


@shared_task(soft_time_limit=60, time_limit=90)
def fan_out(activity_id: int) -> None:
    """Write an activity's audience as Delivery rows, page by page, handing
    each page to the senders; a fresh run carries on when time is up."""
    if not fanout.fan_out(activity_id).done:
        fan_out.delay(activity_id)


@shared_task(**DELIVERY_LIMITS)
def deliver_due() -> None:
    """Send due deliveries of any activity (retries, rows of dead workers)."""
    if delivery.deliver_due().more:
        deliver_due.delay()


@shared_task
def deliver_sweep() -> None:
    """Beat, every 30 s: start runs for whatever is due and nobody sends,
    and restart unfinished fan-outs (a dead worker's, a lost message's; a
    run still at one takes turns with the restarted one, page by page)."""
    for _ in range(delivery.runs_for(delivery.due_count())):
        deliver_due.delay()
    for activity_id in fanout.unfinished():
        fan_out.delay(activity_id)


# Inbox: what remote servers sent, processed on the `inbox` queue (the
# process_inbox_ prefix routes there). Rows stay QUEUED until processed, so
# a retried or repeated run does nothing twice.


@shared_task(
    autoretry_for=(OperationalError,),
    retry_backoff=5,
    retry_backoff_max=120,
    max_retries=5,
)
def process_inbox_batch() -> None:
    """Process stored activities, partition by partition, alongside up to
    FEDERATION_INBOX_DRAINERS other runs; queue the next run if some are
    left when this one's time is up, or arrived as it finished."""
    slot = processing.take_drainer_slot()
    if slot is None:
        return  # enough runs at work; they take what this one would
    try:
        drained = processing.process_queued()
    finally:
        processing.leave_drainer_slot(slot)
    if drained.more or processing.drain_finished():
        processing.wake_inbox_workers(force=True)


@shared_task
def process_inbox_sweep() -> None:
    """Beat, every minute: batches of dead workers, activities left queued,
    old markers (processing.sweep)."""
    processing.sweep()
