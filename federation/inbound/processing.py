"""The inbox's worker side: what stored activities mean for our creators.

Activities are processed in batches, partition by partition (see "Claiming
work" below): likes, boosts, reactions and replies in bulk
(federation.process_interactions, process_replies), the rest one at a time
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

import functools
import json
import logging
import random
import re
import time
import zlib
from collections.abc import Iterable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import BooleanField, ExpressionWrapper, Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from analytics.services import Author
from moderation import services as moderation
from posts.models import Post

from . import ids, queue
from .models import InboundActivity, RemoteActor, RemoteInstance

logger = logging.getLogger(__name__)

# Attempts at processing one activity before it is marked failed.
MAX_ATTEMPTS = 5
State = InboundActivity.State


@dataclass
class Inbound:
    """One stored activity, as processing sees it."""

    pk: int
    ap_id: str
    type: str
    actor: str
    payload: dict
    attempts: int = 0


@dataclass(frozen=True)
class Outcome:
    state: str
    note: str = ""


DONE = Outcome(State.PROCESSED)


def ignored(note: str) -> Outcome:
    return Outcome(State.IGNORED, note)


# Reading activities ------------------------------------------------------------


def id_of(value) -> str:
    """The id of a reference: a string, or an object with an `id`."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and isinstance(value.get("id"), str):
        return value["id"]
    if isinstance(value, list) and len(value) == 1:
        return id_of(value[0])
    return ""


_PLAIN_HOST = re.compile(r"[A-Za-z0-9.\-]+(?::[0-9]+)?")


@functools.lru_cache(maxsize=65536)
def host_of(uri: str) -> str:
    """The host (and port) of a URL, lower case; "" if there is none.

    Asked for every activity, mostly about the same few actors: cached, and
    the usual `https://host/...` read directly (anything else goes through
    the standard parser).
    """
    scheme, sep, rest = uri.partition("://")
    if sep and scheme in ("https", "http"):
        netloc = rest.split("/", 1)[0]
        if _PLAIN_HOST.fullmatch(netloc):
            return netloc.lower()
    try:
        return urlsplit(uri).netloc.lower()
    except ValueError:
        return ""


def same_host(a: str, b: str) -> bool:
    return bool(a) and host_of(a) == host_of(b)


def as_list(value) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def parse_time(value, *, not_before: datetime | None = None) -> datetime | None:
    """A time a remote server claims, kept within what can be true: never
    in the future (it would sit on top of every list, and block later
    edits), never before `not_before` (a like older than its post)."""
    if not isinstance(value, str):
        return None
    try:
        moment = parse_datetime(value)
    except ValueError:
        return None
    if moment is None or timezone.is_naive(moment):
        return None
    moment = min(moment, timezone.now())
    if not_before is not None:
        moment = max(moment, not_before)
    return moment


# Our own objects ----------------------------------------------------------------

_HANDLE = re.compile(r"[A-Za-z0-9_]{1,30}")


def local_handle(uri: str) -> str | None:
    """The creator handle an actor URI of ours names, or None."""
    prefix = ids.absolute("/users/")
    if not uri.startswith(prefix):
        return None
    rest = uri[len(prefix) :]
    return rest.lower() if _HANDLE.fullmatch(rest) else None


def local_post_ref(uri: str) -> tuple[str, int] | None:
    """(handle, post pk) for one of our Note ids, or None."""
    prefix = ids.absolute("/users/")
    if not uri.startswith(prefix):
        return None
    handle, sep, pk = uri[len(prefix) :].partition("/statuses/")
    if not sep or not _HANDLE.fullmatch(handle) or not pk.isdigit() or len(pk) > 18:
        return None
    return handle.lower(), int(pk)


def local_posts(uris: Iterable[str]) -> dict[str, Post]:
    """Our posts (any state) by Note id; ids that name none are left out."""
    refs = {uri: ref for uri in set(uris) if (ref := local_post_ref(uri))}
    if not refs:
        return {}
    posts = Post.objects.filter(pk__in={pk for _, pk in refs.values()}).select_related(
        "creator"
    )
    by_pk = {post.pk: post for post in posts}
    found = {}
    for uri, (handle, pk) in refs.items():
        post = by_pk.get(pk)
        if post is not None and post.creator.handle == handle:
            found[uri] = post
    return found


def post_is_live(post: Post) -> bool:
    return post.state == Post.State.PUBLISHED


# Locks ----------------------------------------------------------------------------


def lock(*keys: str) -> None:
    """Serialise work on the same objects across workers, until commit.

    PostgreSQL advisory transaction locks, taken in a fixed order so two
    batches never wait on each other in a circle. SQLite needs none: its
    write transactions (IMMEDIATE) already run one at a time.
    """
    if connection.vendor != "postgresql" or not keys:
        return
    with connection.cursor() as cursor:
        for key in sorted(set(keys)):
            cursor.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [key]
            )


def among(queryset, field: str, values: Iterable[str]):
    """`queryset` filtered to rows whose text `field` is one of `values`.

    On PostgreSQL the values go as one JSON array that the server unpacks:
    one parameter however many values, where `__in` sends (and the server
    plans) one per value, and encoded by json.dumps in C where psycopg
    adapts a list element by element in Python. Batches look up thousands
    of ids this way.
    """
    values = list(values)
    if connection.vendor != "postgresql":
        return queryset.filter(**{f"{field}__in": values})
    column = queryset.model._meta.get_field(field).column
    table = queryset.model._meta.db_table
    return queryset.extra(  # noqa: S610 (names from the model; values bound)
        where=[
            f'"{table}"."{column}" = '
            "ANY(ARRAY(SELECT jsonb_array_elements_text(%s::jsonb)))"
        ],
        params=[json.dumps(values)],
    )


# Who did it -----------------------------------------------------------------------


class Actors:
    """The remote actors of a batch, read once, and what analytics keeps of
    them. Rows are read as values (a batch names hundreds); the model
    instances the one-by-one handlers need are loaded when asked for."""

    _FIELDS = (
        "ap_id", "username", "display_name", "avatar_url", "profile_url",
        "followers_url", "instance__domain", "instance__software",
        "instance__first_seen_at", "gone", "software_unknown",
    )  # fmt: skip

    def __init__(self, uris: Iterable[str]):
        rows = (
            among(RemoteActor.objects, "ap_id", set(uris))
            # Read as booleans, not times: loading a time costs more in
            # Python than the rest of a row.
            .annotate(
                gone=ExpressionWrapper(
                    Q(gone_at__isnull=False), output_field=BooleanField()
                ),
                software_unknown=ExpressionWrapper(
                    Q(instance__nodeinfo_fetched_at__isnull=True),
                    output_field=BooleanField(),
                ),
            )
            .values_list(*self._FIELDS, named=True)
        )
        self._rows = {row.ap_id: row for row in rows}
        self._authors: dict[str, Author] = {}
        self._ask_for_software()

    def get(self, uri: str) -> RemoteActor | None:
        if uri not in self._rows:
            return None
        return RemoteActor.objects.select_related("instance").filter(ap_id=uri).first()

    def is_gone(self, uri: str) -> bool:
        row = self._rows.get(uri)
        return row is not None and row.gone

    def followers_url(self, uri: str) -> str:
        row = self._rows.get(uri)
        return row.followers_url if row else ""

    def server_first_seen(self, uri: str) -> datetime | None:
        """When the actor's server was first heard of (screening holds
        replies from new servers); None if the actor is not known."""
        row = self._rows.get(uri)
        return row.instance__first_seen_at if row else None

    def author(self, uri: str) -> Author:
        author = self._authors.get(uri)
        if author is not None:
            return author
        row = self._rows.get(uri)
        if row is None:
            author = Author(actor_uri=uri, domain=host_of(uri))
        else:
            domain = row.instance__domain
            author = Author(
                actor_uri=uri,
                handle=f"@{row.username}@{domain}",
                name=row.display_name,
                avatar_url=row.avatar_url,
                profile_url=row.profile_url,
                domain=domain,
                software=row.instance__software or RemoteInstance.Software.OTHER,
            )
        self._authors[uri] = author
        return author

    def _ask_for_software(self) -> None:
        """Servers whose software is still unknown get a NodeInfo fetch, at
        most once an hour each (analytics groups by platform)."""
        from .tasks import fetch_instance_info

        domains = {
            row.instance__domain for row in self._rows.values() if row.software_unknown
        }
        for domain in domains:
            if cache.add(f"inbox:nodeinfo-asked:{domain}", 1, timeout=3600):
                transaction.on_commit(
                    lambda domain=domain: fetch_instance_info.delay(domain)
                )


def blocked_hosts(uris: Iterable[str]) -> set[str]:
    """Hosts among `uris` that admins blocked."""
    return moderation.blocked_domains_among(host_of(uri) for uri in uris if uri)


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

INTERACTION_TYPES = {"Like", "Announce", "EmojiReact"}
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
    from . import process_actors, process_interactions, process_replies

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
    from . import process_actors

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
        if not force and not cache.add(
            _WAKE_FLAG, 1, timeout=settings.FEDERATION_INBOX_DRAIN_FLAG_SECONDS
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
    from .models import EarlyCancellation, RemoteTombstone

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
