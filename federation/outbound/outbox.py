"""The outbox: work on the network, recorded with the change that calls for it.

A post published, edited or deleted, a block, a forwarded report, a profile
edit: the domain app announces it inside its transaction (posts.events,
moderation.events, accounts.events), and federation.handlers records an
OutboxJob in that same transaction. The change and the decision to tell
the fediverse about it commit together, or not at all.

Once the transaction commits the job is handed to the broker as a wake-up
(`run_outbox_job`). The broker is never the only copy: a hand-over that
fails (the broker is down) or a message that is lost (Redis restarted
without persistence) leaves the job PENDING, and the relay, a beat task
every few seconds, hands over again whatever has not reached the broker or
has waited too long since it did. Handing over twice is harmless: a run
first claims the job with a conditional update, and every action builds
its activity under a stable id once (federation.outbound.publishing,
federation.outbound.enforcement), so a job that runs again sends nothing twice.

A job that fails (a remote server to resolve a mention is down, the
database blinked) is tried again with backoff, and marked FAILED after
MAX_ATTEMPTS, with its last error, for the admins to see.
"""

import logging
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from functools import partial

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import CreatorProfile
from federation import queue
from federation.models import OutboxJob
from federation.outbound import enforcement, moves, publishing, services

logger = logging.getLogger(__name__)

RUN_TASK = "federation.tasks.run_outbox_job"
# A message that reached the broker this long ago, for a job still not
# claimed, is presumed lost and sent again.
RESEND_AFTER = timedelta(minutes=10)
# Longer than the task's hard time limit: a claim outlives any live run.
LEASE = timedelta(minutes=3)
MAX_ATTEMPTS = 12
RELAY_BATCH = 500


def _profile_update(*, creator_id: int, stamp: int) -> None:
    creator = CreatorProfile.objects.filter(pk=creator_id).first()
    if creator is not None:
        services.announce_profile_update(creator=creator, stamp=stamp)


def _withdraw(*, creator_id: int, stamp: int) -> None:
    creator = CreatorProfile.objects.filter(pk=creator_id).first()
    if creator is not None and not creator.share_to_fediverse:
        services.withdraw_creator_from_fediverse(creator=creator, stamp=stamp)


def _post(action: str) -> Callable[..., object]:
    def run(*, post_id: int, stamp: int | None = None) -> None:
        publishing.federate_post(post_id=post_id, action=action, stamp=stamp)

    return run


# What each action does, by name; arguments are ids and strings only.
ACTIONS: dict[str, Callable[..., object]] = {
    "post.create": _post(publishing.CREATE),
    "post.update": _post(publishing.UPDATE),
    "post.policies": _post(publishing.POLICIES),
    "post.delete": _post(publishing.DELETE),
    "post.pin": _post(publishing.PIN),
    "post.unpin": _post(publishing.UNPIN),
    "actor.block": enforcement.actor_block_federate,
    "actor.unblock": enforcement.actor_unblock_federate,
    "domain.block": enforcement.domain_block_apply,
    "report.forward": enforcement.report_forward_federate,
    "profile.update": _profile_update,
    "creator.withdraw": _withdraw,
    "creator.move": moves.send_move,
}


def record(action: str, *, post=None, **arguments) -> OutboxJob:
    """Record a job in the current transaction; hand it over on commit."""
    if action not in ACTIONS:
        raise ValueError(f"unknown outbox action {action!r}")
    job = OutboxJob.objects.create(action=action, arguments=arguments, post=post)
    transaction.on_commit(partial(hand_over, [job.pk]))
    return job


def hand_over(job_ids: Iterable[int], *, force: bool = False) -> int:
    """Send the broker a wake-up per job; returns how many it took.

    Never raises for a broker that is down: the job stays waiting for the
    relay, and the change that recorded it has committed already. `force`
    tries even while this process believes the broker is down (the relay).
    """
    sent = []
    for pk in job_ids:
        if not queue.wake(RUN_TASK, pk, force=force):
            break  # the broker is away: the rest would fail the same way
        sent.append(pk)
    if sent:
        OutboxJob.objects.filter(pk__in=sent).update(enqueued_at=timezone.now())
    return len(sent)


def relay(*, now: datetime | None = None) -> int:
    """Hand over jobs that never reached the broker, or whose message seems
    lost; returns how many were handed over."""
    now = now or timezone.now()
    due = (
        OutboxJob.objects.filter(
            state=OutboxJob.State.PENDING, next_attempt_at__lte=now
        )
        .filter(Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=now - RESEND_AFTER))
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:RELAY_BATCH]
    )
    return hand_over(due, force=True)


def run(job_id: int) -> bool:
    """Do one job, unless it is done, not due, or another worker holds it.

    Returns whether this call did it.
    """
    now = timezone.now()
    claimed = (
        OutboxJob.objects.filter(
            pk=job_id, state=OutboxJob.State.PENDING, next_attempt_at__lte=now
        )
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .update(claimed_until=now + LEASE)
    )
    if not claimed:
        return False
    job = OutboxJob.objects.get(pk=job_id)
    try:
        ACTIONS[job.action](**job.arguments)
    except Exception as exc:  # noqa: BLE001 (recorded on the job; tried again)
        logger.exception("outbox: job %s (%s) failed", job.pk, job.action)
        _record_failure(job, f"{type(exc).__name__}: {exc}")
        return False
    OutboxJob.objects.filter(pk=job.pk).update(
        state=OutboxJob.State.DONE,
        done_at=timezone.now(),
        claimed_until=None,
        last_error="",
    )
    return True


def retry_delay(attempts: int) -> timedelta:
    """15 s, 30 s, 1 min... doubling up to an hour."""
    return timedelta(seconds=min(15 * 2 ** (attempts - 1), 3600))


def _record_failure(job: OutboxJob, error: str) -> None:
    attempts = job.attempts + 1
    OutboxJob.objects.filter(pk=job.pk).update(
        attempts=attempts,
        last_error=error[:1000],
        claimed_until=None,
        # Not on the broker any more: the relay hands it over when due.
        enqueued_at=None,
        next_attempt_at=timezone.now() + retry_delay(attempts),
        state=(
            OutboxJob.State.FAILED
            if attempts >= MAX_ATTEMPTS
            else OutboxJob.State.PENDING
        ),
    )
