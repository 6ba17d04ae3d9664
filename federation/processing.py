"""The inbox's worker side: what stored activities mean for our creators.

Activities are processed in batches (one, when the inbox stores them one by
one; hundreds, when it buffers them in Redis): likes, boosts, reactions and
replies in bulk (federation.process_interactions, process_replies), the
rest one at a time (process_actors). Everything is idempotent and safe to
run again on the same rows: unique constraints, EarlyCancellation and
RemoteTombstone markers decide, and rows stay QUEUED until done.

Recipients come from the activity itself (which post it likes, which
creator it follows), never from the inbox it arrived at, so an activity
that reached several of our inboxes is stored once and still reaches
every creator it concerns.

Ownership rules (../shared/INTEROP.md §b5, recommendation 9): the object of
a Create, Update or Delete must live on the actor's host and be attributed
to the actor; only the original actor undoes. A Like of a missing post, a
reply to a deleted post and anything we do not handle are stored and
ignored, with a note saying why.
"""

import functools
import json
import logging
import re
import time
from collections.abc import Iterable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
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

from . import ids
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


# Handing over and storing ----------------------------------------------------------


_META = ("id", "type", "actor", "key_id", "inbox", "at")


def record_line(
    *,
    activity: dict,
    body: bytes,
    key_id: str,
    inbox_handle: str,
    received_at: float,
) -> bytes:
    """How the request path hands an activity over: a line of metadata, then
    the body exactly as received (parsed again by the worker, not re-encoded
    on the request path).

    The metadata are tab-separated: the request path checked that none of
    them holds a tab or a line break (URLs, a type name, a handle).
    """
    meta = (
        activity["id"],
        activity["type"],
        activity["actor"],
        key_id,
        inbox_handle,
        repr(received_at),
    )
    return "\t".join(meta).encode() + b"\n" + body


def parse_lines(lines: Iterable[bytes]) -> dict[str, tuple[dict, bytes]]:
    """ap_id -> (metadata, body) in arrival order, the first of each id."""
    records: dict[str, tuple[dict, bytes]] = {}
    for line in lines:
        head, _, body = line.partition(b"\n")
        meta = dict(zip(_META, head.decode().split("\t"), strict=True))
        meta["at"] = float(meta["at"])
        records.setdefault(meta["id"], (meta, body))
    return records


def _line(meta: dict, body: bytes) -> bytes:
    return "\t".join(str(meta[name]) for name in _META).encode() + b"\n" + body


def stored_ids(ap_ids: Iterable[str]) -> set[str]:
    return set(
        among(InboundActivity.objects, "ap_id", ap_ids).values_list("ap_id", flat=True)
    )


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


# The batch is copied into a session's scratch table, then inserted from it:
# COPY moves rows far faster than parameters, and the INSERT can then skip
# ids stored before (ON CONFLICT) and say which rows are new.
_STAGE = """
CREATE TEMP TABLE IF NOT EXISTS inbox_stage (
    ap_id text, activity_type text, actor_uri text, payload text, key_id text,
    verified boolean, inbox_handle text, received_at timestamptz, state text,
    error text, attempts integer, processed_at timestamptz
) ON COMMIT DELETE ROWS
"""
_COLUMNS = (
    "ap_id, activity_type, actor_uri, payload, key_id, verified, inbox_handle, "
    "received_at, state, error, attempts, processed_at"
)
_INSERT = """
INSERT INTO {table} ({columns})
SELECT ap_id, activity_type, actor_uri, payload::jsonb, key_id, verified,
       inbox_handle, received_at, state, error, attempts, processed_at
FROM inbox_stage
ON CONFLICT (ap_id) DO NOTHING
RETURNING id, ap_id
"""


def _rows(records: dict, results: Results, *, now: datetime) -> list[dict]:
    rows = []
    for ap_id, (meta, body) in records.items():
        outcome = results.outcomes.get(ap_id)
        failed = ap_id in results.failures
        done = outcome is not None and outcome.state != State.QUEUED
        rows.append(
            {
                "ap_id": ap_id,
                "activity_type": meta["type"][:64],
                "actor_uri": meta["actor"],
                "payload": body.decode(),
                "key_id": meta["key_id"][:500],
                "verified": True,
                "inbox_handle": meta["inbox"],
                "received_at": datetime.fromtimestamp(meta["at"], tz=UTC),
                "state": str(outcome.state) if outcome else str(State.QUEUED),
                "error": (results.failures[ap_id] if failed else outcome.note)[:1000]
                if (failed or outcome)
                else "",
                "attempts": 1 if failed else 0,
                "processed_at": now if done else None,
            }
        )
    return rows


def store(records: dict, results: Results) -> dict[str, int]:
    """Write the raw activities with how they went; ap_id -> pk of new rows.

    On PostgreSQL the batch goes in with COPY, bodies as received (Django's
    cursors quote every value in Python, which cost more than the insert
    itself for a batch of payloads).
    """
    rows = _rows(records, results, now=timezone.now())
    if not rows:
        return {}
    if connection.vendor != "postgresql":
        return _store_orm(rows)
    import psycopg

    connection.ensure_connection()
    with transaction.atomic(), psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(_STAGE)
        with cursor.copy(f"COPY inbox_stage ({_COLUMNS}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(tuple(row.values()))
        cursor.execute(
            _INSERT.format(table=InboundActivity._meta.db_table, columns=_COLUMNS)
        )
        new = {ap_id: pk for pk, ap_id in cursor.fetchall()}
        # Emptied at commit too; now, for a caller inside a larger transaction.
        cursor.execute("DELETE FROM inbox_stage")
        return new


def _store_orm(rows: list[dict]) -> dict[str, int]:
    known = stored_ids(row["ap_id"] for row in rows)
    created = InboundActivity.objects.bulk_create(
        [
            InboundActivity(**(row | {"payload": json.loads(row["payload"])}))
            for row in rows
            if row["ap_id"] not in known
        ]
    )
    return {row.ap_id: row.pk for row in created}


def load_queued(pks: Iterable[int]) -> list[Inbound]:
    """Stored activities still waiting, oldest first."""
    rows = (
        InboundActivity.objects.filter(pk__in=list(pks), state=State.QUEUED)
        .order_by("received_at", "pk")
        .values_list("pk", "ap_id", "activity_type", "actor_uri", "payload", "attempts")
    )
    return [Inbound(*row) for row in rows]


def stale_queued(*, older_than: timedelta, limit: int) -> list[int]:
    """Activities that should have been processed by now (a lost message,
    a worker that died, a retry after a transient failure)."""
    return list(
        InboundActivity.objects.filter(
            state=State.QUEUED, received_at__lt=timezone.now() - older_than
        )
        .order_by("received_at")
        .values_list("pk", flat=True)[:limit]
    )


# Processing ---------------------------------------------------------------------

INTERACTION_TYPES = {"Like", "Announce", "EmojiReact"}
# One batch at a time, whichever worker runs it: batches replay likes and
# undos, and creates and deletes, against what the batch before committed.
# Batches are short (a few ms for hundreds of activities) and never wait on
# the network (see DEFERRED).
INBOX_LOCK = "inbox:batch"
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

    Runs inside the caller's transaction, which holds INBOX_LOCK. A failure
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
    """Process stored activities by primary key (those still waiting): the
    inbox stored them one by one, or the sweeper found them."""
    from . import process_actors

    pks = list(pks)
    # Fetches first, outside the transaction and the lock.
    fetched = process_actors.prefetch(load_queued(pks))
    with bound_server_side(), transaction.atomic():
        lock(INBOX_LOCK)
        items = load_queued(pks)  # a batch may have done some meanwhile
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


# Worker entry points (federation.tasks) ---------------------------------------------


@dataclass
class Drained:
    stored: int = 0
    counts: dict | None = None
    more: bool = False


def drain_buffer(*, seconds: float | None = None) -> Drained:
    """Store and process what the request path queued in Redis, a batch at a
    time, for up to `seconds`; `more` says whether some is left.

    A batch is processed and stored in one transaction; its claim in Redis
    is released only after the commit, so a worker that dies mid-batch
    loses nothing (the sweeper puts the claim back).
    """
    from . import inbox_buffer
    from .tasks import process_inbox_activity

    inbox_buffer.drain_started()
    budget = settings.FEDERATION_INBOX_DRAIN_SECONDS if seconds is None else seconds
    deadline = time.monotonic() + budget
    result = Drained(counts={})
    while True:
        key, lines = inbox_buffer.claim(batch_size())
        if not lines:
            return result
        started = time.monotonic()
        try:
            results, pks = _drain_batch(lines)
        except (OperationalError, InterfaceError):
            inbox_buffer.put_back(key)  # the database is away: try later
            raise
        except Exception:  # noqa: BLE001 (one bad activity must not stall all)
            logger.exception("inbox: a batch failed; storing it one by one")
            results, pks = _drain_one_by_one(lines)
        inbox_buffer.release(key)
        for ap_id, outcome in results.outcomes.items():
            if outcome is DEFERRED and ap_id in pks:
                process_inbox_activity.delay(pks[ap_id])
        counts = results.counts()
        logger.info(
            "inbox: %d activities in %.0f ms: %s",
            len(lines),
            (time.monotonic() - started) * 1000,
            counts,
        )
        result.stored += len(lines)
        for state, count in counts.items():
            result.counts[state] = result.counts.get(state, 0) + count
        if time.monotonic() > deadline:
            result.more = inbox_buffer.pending_count() > 0
            return result
        if len(lines) < batch_size() // 4:
            # A trickle: let a batch gather rather than pay a batch's fixed
            # cost (a dozen queries and a commit) for a handful.
            time.sleep(settings.FEDERATION_INBOX_GATHER_SECONDS)


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


def _drain_batch(lines: Sequence[bytes]) -> tuple[Results, dict[str, int]]:
    records = parse_lines(lines)
    with bound_server_side(), transaction.atomic():
        lock(INBOX_LOCK)
        # After the lock: a batch that held it has committed what it stored.
        known = stored_ids(records)
        new = {ap_id: record for ap_id, record in records.items() if ap_id not in known}
        items = [
            Inbound(
                pk=0,
                ap_id=ap_id,
                type=meta["type"],
                actor=meta["actor"],
                payload=json.loads(body),
            )
            for ap_id, (meta, body) in new.items()
        ]
        results = process(items)
        pks = store(new, results)
    return results, pks


def _drain_one_by_one(lines: Sequence[bytes]) -> tuple[Results, dict[str, int]]:
    """Each activity of a failed batch alone; one that fails again is stored
    as failed once (the sweeper retries it), or dropped if it cannot even
    be stored."""
    results, pks = Results(outcomes={}, failures={}), {}
    for ap_id, (meta, body) in parse_lines(lines).items():
        line = _line(meta, body)
        try:
            one, stored = _drain_batch([line])
        except (OperationalError, InterfaceError):
            raise
        except Exception as exc:  # noqa: BLE001
            logger.exception("inbox: %s failed", ap_id)
            one = Results(outcomes={}, failures={ap_id: f"{type(exc).__name__}: {exc}"})
            try:
                with transaction.atomic():
                    stored = store({ap_id: (meta, body)}, one)
            except Exception:  # noqa: BLE001
                logger.exception("inbox: dropped %s: it cannot be stored", ap_id)
                stored = {}
        results.outcomes.update(one.outcomes)
        results.failures.update(one.failures)
        pks.update(stored)
    return results, pks


# How long after arriving an activity still QUEUED counts as forgotten, and
# how long markers and the raw log are kept.
STALE_AFTER = timedelta(minutes=5)
CANCELLATIONS_KEPT = timedelta(days=7)
TOMBSTONES_KEPT = timedelta(days=90)
SWEEP_LIMIT = 2000


def sweep() -> dict[str, int]:
    """Find work that fell through the cracks and clear old markers.

    Batches of a worker that died are put back into the Redis queue;
    activities still QUEUED long after arriving (a lost message, a retry
    after a transient failure) are processed; cancellation markers, old
    tombstones and the processed raw log past its retention are deleted.
    """
    from . import inbox_buffer
    from .models import EarlyCancellation, RemoteTombstone
    from .tasks import process_inbox_batch

    report = {}
    if inbox_buffer.enabled():
        report["claims_returned"] = inbox_buffer.recover_stale_claims(
            lease_seconds=int(STALE_AFTER.total_seconds())
        )
        if inbox_buffer.pending_count():
            process_inbox_batch.delay()
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
