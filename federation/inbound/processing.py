"""The inbox's worker side: what stored activities mean for our creators.

Activities are processed in batches, partition by partition (see "Claiming
work" below): likes, boosts, reactions and replies in bulk
(federation.inbound.process_interactions, process_replies), the rest one at a time
(process_actors). Everything is idempotent and safe to
run again on the same rows: unique constraints, EarlyCancellation and
RemoteTombstone markers decide, and rows stay QUEUED until done.

Recipients come from the activity itself (which post it likes, which
creator it follows), never from the inbox it arrived at, so an activity
that reached several of our inboxes is stored once and still reaches
every creator it concerns.

Ownership rules (as Mastodon applies them; docs/federation.md): the object of
a Create, Update or Delete must live on the actor's host and be attributed
to the actor; only the original actor undoes. A Like of a missing post, a
reply to a deleted post and anything we do not handle are stored and
ignored, with a note saying why.
"""

import logging
import random
import time
import zlib
from collections.abc import Iterable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import InterfaceError, OperationalError, connection, transaction
from django.utils import timezone

from creatorhub.cache import shared_between_processes
from federation import queue
from federation.inbound import process_actors, process_interactions, process_replies
from federation.inbound.activities import (
    INTERACTION_TYPES,
    Actors,
    Inbound,
    Outcome,
    State,
    id_of,
)
from federation.models import EarlyCancellation, InboundActivity, RemoteTombstone

logger = logging.getLogger(__name__)

# Attempts at processing one activity before it is marked failed.
MAX_ATTEMPTS = 5


@dataclass
class Results:
    """How each activity of a batch went, by activity id."""

    outcomes: dict[str, "Outcome"]
    failures: dict[str, str]

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for outcome in self.outcomes.values():
            state = "deferred" if outcome is DEFERRED else str(outcome.state)
            counts[state] = counts.get(state, 0) + 1
        if self.failures:
            counts["retry"] = len(self.failures)
        return counts


# Claiming work ---------------------------------------------------------------------
#
# Stored activities are split into partitions by their actor: all of one
# actor's activities fall in one partition and are processed in the order
# they arrived (a Like before its Undo, a Follow before its Undo, a reply
# before its Delete), while different partitions are processed at once by
# as many workers as there are. A worker holds a partition with a
# PostgreSQL advisory lock for the length of one batch's transaction: a
# worker that dies releases it with its connection, and its batch, never
# committed, is still QUEUED for the next. Activities of different actors
# about the same post (a viral post's likes) may be processed side by side:
# unique constraints and the rollups' upserts keep the counts exact.

# The advisory lock space of the inbox's partitions (any fixed number).
_LOCK_SPACE = 0x1B0C


def partition_of(actor_uri: str) -> int:
    """The partition of an actor's activities (stable across processes)."""
    return zlib.crc32(actor_uri.encode()) % settings.FEDERATION_INBOX_PARTITIONS


def hold(*partitions: int, wait: bool) -> bool:
    """Hold `partitions` until the transaction ends, waiting for them; or,
    without `wait`, hold the one partition given unless another worker has
    it (False). SQLite needs no lock: it runs one write transaction at a
    time already."""
    if connection.vendor != "postgresql" or not partitions:
        return True
    with connection.cursor() as cursor:
        if not wait:
            [partition] = set(partitions)
            cursor.execute(
                "SELECT pg_try_advisory_xact_lock(%s, %s)", [_LOCK_SPACE, partition]
            )
            return cursor.fetchone()[0]
        # In one statement, in one order for every worker: no deadlock.
        cursor.execute(
            "SELECT count(pg_advisory_xact_lock(%s, p)) FROM unnest(%s::int[]) p",
            [_LOCK_SPACE, sorted(set(partitions))],
        )
    return True


_FIELDS = ("pk", "ap_id", "activity_type", "actor_uri", "payload", "attempts")


def load_queued(pks: Iterable[int]) -> list[Inbound]:
    """Stored activities still waiting, oldest first."""
    rows = (
        InboundActivity.objects.filter(pk__in=list(pks), state=State.QUEUED)
        .order_by("received_at", "pk")
        .values_list(*_FIELDS)
    )
    return [Inbound(*row) for row in rows]


def _fresh_in(partition: int, *, limit: int) -> list[Inbound]:
    """The oldest activities of a partition never tried yet (retries are the
    sweeper's, after a pause, so a failing one is not retried at once)."""
    rows = (
        InboundActivity.objects.filter(
            state=State.QUEUED, partition=partition, attempts=0
        )
        .order_by("received_at", "pk")
        .values_list(*_FIELDS)[:limit]
    )
    return [Inbound(*row) for row in rows]


def stale_queued(*, older_than: timedelta, limit: int) -> list[int]:
    """Activities that should have been processed by now (a lost wake-up,
    a retry after a failure)."""
    return list(
        InboundActivity.objects.filter(
            state=State.QUEUED, received_at__lt=timezone.now() - older_than
        )
        .order_by("received_at")
        .values_list("pk", flat=True)[:limit]
    )


# Processing ---------------------------------------------------------------------

# Left queued for a task of its own: it needs a network fetch, which must
# not hold up a batch (Move fetches the new account).
DEFERRED = Outcome(State.QUEUED, "waiting for a fetch")


def _family(item: Inbound) -> str:
    if item.type in INTERACTION_TYPES:
        return "interaction"
    original = item.payload.get("object")
    if item.type == "Undo" and isinstance(original, dict):
        return "interaction" if original.get("type") in INTERACTION_TYPES else "single"
    if item.type == "Create":
        return "reply"
    return "single"


def process(items: Sequence[Inbound], *, fetched: dict | None = None) -> Results:
    """Process a batch: likes, boosts, reactions, their undos and replies in
    bulk; the rest one by one, after them, in the order they arrived.

    Runs inside the caller's transaction, which holds the partitions of the
    activities' actors (see `hold`). A failure
    of one of the one-by-one activities is rolled back alone and reported
    in `failures`. `fetched` holds documents fetched beforehand for the
    activities that need one (Move); without, those are DEFERRED.
    """
    families: dict[str, list[Inbound]] = {"interaction": [], "reply": [], "single": []}
    for item in items:
        families[_family(item)].append(item)
    actors = Actors(
        [item.actor for item in items]
        + [
            id_of(item.payload.get("object"))
            for item in families["single"]
            if item.type == "Delete"
        ]
    )
    results = Results(outcomes={}, failures={})
    if families["interaction"]:
        results.outcomes.update(
            process_interactions.process(families["interaction"], actors)
        )
    if families["reply"]:
        results.outcomes.update(
            process_replies.process_creates(families["reply"], actors)
        )
    for item in families["single"]:
        if item.type == "Move" and (fetched is None or item.ap_id not in fetched):
            results.outcomes[item.ap_id] = DEFERRED
            continue
        try:
            with transaction.atomic():
                results.outcomes[item.ap_id] = process_actors.process_one(
                    item, actors, fetched=(fetched or {}).get(item.ap_id)
                )
        except Exception as exc:  # noqa: BLE001 (recorded; retried later)
            logger.exception("inbox: %s %s failed", item.type, item.ap_id)
            results.failures[item.ap_id] = f"{type(exc).__name__}: {exc}"
    return results


def process_stored(pks: Iterable[int]) -> dict[str, int]:
    """Process stored activities by primary key (those still waiting), one
    batch, waiting for their partitions: what the sweeper retries, and the
    Moves a batch left for a fetch."""
    pks = list(pks)
    # Fetches first, outside the transaction and the locks.
    fetched = process_actors.prefetch(load_queued(pks))
    with bound_server_side(), transaction.atomic():
        # The partitions the rows were stored in (FEDERATION_INBOX_PARTITIONS
        # may have changed since).
        partitions = InboundActivity.objects.filter(
            pk__in=pks, state=State.QUEUED
        ).values_list("partition", flat=True)
        hold(*set(partitions), wait=True)
        items = load_queued(pks)  # another worker may have done some meanwhile
        if not items:
            return {}
        results = process(items, fetched=fetched)
        _update(items, results)
    return results.counts()


def _update(items: Sequence[Inbound], results: Results) -> None:
    now = timezone.now()
    groups: dict[Outcome, list[int]] = {}
    for item in items:
        outcome = results.outcomes.get(item.ap_id)
        if outcome is not None and outcome is not DEFERRED:
            groups.setdefault(outcome, []).append(item.pk)
    for outcome, pks in groups.items():
        InboundActivity.objects.filter(pk__in=pks, state=State.QUEUED).update(
            state=outcome.state, error=outcome.note[:1000], processed_at=now
        )
    for item in items:
        error = results.failures.get(item.ap_id)
        if error is None:
            continue
        # Stays QUEUED for the sweeper to try again, until it gives up.
        final = item.attempts + 1 >= MAX_ATTEMPTS
        InboundActivity.objects.filter(pk=item.pk).update(
            attempts=item.attempts + 1,
            error=error[:1000],
            state=State.FAILED if final else State.QUEUED,
        )


def batch_size() -> int:
    return settings.FEDERATION_INBOX_BATCH_SIZE


# Waking workers ------------------------------------------------------------------
#
# Each stored activity wakes the inbox workers, at most once per
# FEDERATION_INBOX_DRAIN_FLAG_SECONDS: a drain takes whatever has arrived by
# then. The flag is cleared when a drain finds nothing left (and it looks
# once more after clearing it, so an activity stored in between is never
# left without a drain).

DRAIN_TASK = "federation.tasks.process_inbox_batch"
_WAKE_FLAG = "inbox:drain-queued"


# After waking the workers, this process does not ask again for this long:
# under a flood, that spares every request a round trip to the cache. An
# activity stored just after a drain ended waits at most this long for the
# next request's wake-up (or for the sweeper, if none comes).
_RECENTLY_WOKEN_SECONDS = 1.0
_woken_at = -_RECENTLY_WOKEN_SECONDS


def wake_inbox_workers(*, force: bool = False) -> bool:
    """Queue a drain unless one is queued or running; whether one was."""
    global _woken_at
    if not force and time.monotonic() - _woken_at < _RECENTLY_WOKEN_SECONDS:
        return False
    _woken_at = time.monotonic()
    try:
        # Without a shared cache (make run's defaults) the worker could never
        # clear this process's flag, and activities would wait for the
        # sweeper: then every second's first one wakes the workers.
        if (
            not force
            and shared_between_processes()
            and not cache.add(
                _WAKE_FLAG, 1, timeout=settings.FEDERATION_INBOX_DRAIN_FLAG_SECONDS
            )
        ):
            return False
    except Exception:  # noqa: BLE001 (the cache is Redis, and away: wake anyway)
        logger.warning("inbox: the cache does not answer; queuing a drain")
    return queue.wake(DRAIN_TASK, force=force)


def take_drainer_slot() -> str | None:
    """One of FEDERATION_INBOX_DRAINERS places for a drain at work, or None
    when that many run already (the drain then has nothing to add)."""
    timeout = settings.FEDERATION_INBOX_DRAIN_SECONDS + 60
    try:
        for number in range(settings.FEDERATION_INBOX_DRAINERS):
            key = f"inbox:drainer:{number}"
            if cache.add(key, 1, timeout=timeout):
                return key
    except Exception:  # noqa: BLE001 (no cache: drain, unbounded but correct)
        logger.warning("inbox: the cache does not answer; draining anyway")
        return ""
    return None


def leave_drainer_slot(key: str) -> None:
    if key:
        try:
            cache.delete(key)
        except Exception:  # noqa: BLE001 (it expires on its own)
            logger.warning("inbox: could not free a drainer place")


def drain_finished() -> bool:
    """Clear the wake-up flag; whether anything arrived meanwhile."""
    try:
        cache.delete(_WAKE_FLAG)
    except Exception:  # noqa: BLE001 (it expires on its own)
        logger.warning("inbox: could not clear the drain flag")
    return waiting_count(limit=1) > 0


# Worker entry points (federation.tasks) ---------------------------------------------


@dataclass
class Drained:
    processed: int = 0
    counts: dict | None = None
    more: bool = False


def process_partition(partition: int) -> tuple[Results, list[Inbound]] | None:
    """Process the oldest waiting activities of one partition in one
    transaction; None if another worker holds the partition.

    A batch that fails as a whole is done again one activity at a time, so
    one bad activity holds up nothing but itself.
    """
    try:
        with bound_server_side(), transaction.atomic():
            if not hold(partition, wait=False):
                return None
            items = _fresh_in(partition, limit=batch_size())
            results = process(items)
            _update(items, results)
        return results, items
    except (OperationalError, InterfaceError):
        raise  # the database is away: the task tries again later
    except Exception:  # noqa: BLE001 (one bad activity must not stall all)
        logger.exception("inbox: a batch of partition %s failed", partition)
    with transaction.atomic():
        if not hold(partition, wait=False):
            return None
        items = _fresh_in(partition, limit=batch_size())
    results = Results(outcomes={}, failures={})
    for item in items:
        try:
            with transaction.atomic():
                hold(partition, wait=True)
                one = process([item])
                _update([item], one)
        except (OperationalError, InterfaceError):
            raise
        except Exception as exc:  # noqa: BLE001
            logger.exception("inbox: %s failed", item.ap_id)
            one = Results(
                outcomes={}, failures={item.ap_id: f"{type(exc).__name__}: {exc}"}
            )
            _update([item], one)
        results.outcomes.update(one.outcomes)
        results.failures.update(one.failures)
    return results, items


def process_queued(*, seconds: float | None = None) -> Drained:
    """Process waiting activities, partition by partition, for up to
    `seconds`; `more` says whether some were left when time ran out.

    Each round visits every partition in a random order (workers running
    side by side start apart) and skips those another worker holds. Moves
    the batches left for a fetch are done after their batch, outside it.
    """
    budget = settings.FEDERATION_INBOX_DRAIN_SECONDS if seconds is None else seconds
    deadline = time.monotonic() + budget
    drained = Drained(counts={})
    if waiting_count(limit=2 * batch_size()) >= 2 * batch_size():
        # A backlog: more hands help, each on partitions of its own.
        queue.wake(DRAIN_TASK)
    partitions = list(range(settings.FEDERATION_INBOX_PARTITIONS))
    while True:
        random.shuffle(partitions)
        done_this_round = 0
        for partition in partitions:
            outcome = process_partition(partition)
            if outcome is None:  # another worker holds it
                continue
            results, items = outcome
            done_this_round += len(items)
            if items:
                logger.info(
                    "inbox: partition %s: %d activities: %s",
                    partition,
                    len(items),
                    results.counts(),
                )
            _add_counts(drained, results)
            deferred = [
                item.pk
                for item in items
                if results.outcomes.get(item.ap_id) is DEFERRED
            ]
            if deferred:
                process_stored(deferred)
            if time.monotonic() > deadline:
                drained.more = True
                return drained
        drained.processed += done_this_round
        if not done_this_round:
            # Nothing left, or only what other workers hold: they carry on
            # with it, and look once more when they finish.
            return drained
        if done_this_round < batch_size() // 4:
            # A trickle: let a batch gather rather than pay a batch's fixed
            # cost (a dozen queries and a commit) for a handful.
            time.sleep(settings.FEDERATION_INBOX_GATHER_SECONDS)
            if time.monotonic() > deadline:
                drained.more = waiting_count(limit=1) > 0
                return drained


def _add_counts(drained: Drained, results: Results) -> None:
    for state, count in results.counts().items():
        drained.counts[state] = drained.counts.get(state, 0) + count


def waiting_count(*, limit: int) -> int:
    """Activities waiting for their first try, counted up to `limit`."""
    waiting = InboundActivity.objects.filter(state=State.QUEUED, attempts=0)
    return waiting.values("pk")[:limit].count()


@contextmanager
def bound_server_side():
    """Within: the ORM's queries on PostgreSQL bind parameters server-side.

    Django's default cursors quote every value in Python; a batch's queries
    carry hundreds (ids in IN lists, payloads), and quoting them cost more
    than running them. The queries here are plain filters, inserts, updates
    and deletes, which Django's `server_side_binding` option supports.
    """
    if connection.vendor != "postgresql":
        yield
        return
    from django.db.backends.postgresql.base import ServerBindingCursor

    connection.ensure_connection()
    raw = connection.connection
    previous = raw.cursor_factory
    raw.cursor_factory = ServerBindingCursor
    try:
        yield
    finally:
        raw.cursor_factory = previous


# How long after arriving an activity still QUEUED counts as forgotten, and
# how long markers and the raw log are kept.
STALE_AFTER = timedelta(minutes=5)
CANCELLATIONS_KEPT = timedelta(days=7)
TOMBSTONES_KEPT = timedelta(days=90)
SWEEP_LIMIT = 2000


def sweep() -> dict[str, int]:
    """Find work that fell through the cracks and clear old markers.

    Activities waiting for their first try with no worker on them (a lost
    wake-up: the broker was down) get a drain queued; those still QUEUED
    long after arriving (a retry after a failure) are processed here;
    cancellation markers, old tombstones and the processed raw log past its
    retention are deleted.
    """
    report = {}
    if waiting_count(limit=1):
        report["drain_queued"] = int(wake_inbox_workers(force=True))
    stale = stale_queued(older_than=STALE_AFTER, limit=SWEEP_LIMIT)
    report["retried"] = len(stale)
    for start in range(0, len(stale), batch_size()):
        process_stored(stale[start : start + batch_size()])
    now = timezone.now()
    report["cancellations_removed"], _ = EarlyCancellation.objects.filter(
        created_at__lt=now - CANCELLATIONS_KEPT
    ).delete()
    report["tombstones_removed"], _ = RemoteTombstone.objects.filter(
        deleted_at__lt=now - TOMBSTONES_KEPT
    ).delete()
    retention = timedelta(days=settings.FEDERATION_INBOX_RETENTION_DAYS)
    old = InboundActivity.objects.filter(
        state__in=[State.PROCESSED, State.IGNORED], received_at__lt=now - retention
    ).values_list("pk", flat=True)[:SWEEP_LIMIT]
    report["log_removed"], _ = InboundActivity.objects.filter(pk__in=list(old)).delete()
    logger.info("inbox sweep: %s", report)
    return report
