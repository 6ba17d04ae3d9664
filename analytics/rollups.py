"""Keeping the rollup tables exactly in step with the interactions.

Only analytics.services calls `rollups_add`, in the transaction that inserts
or deletes the interactions, and only with the rows that statement really
inserted or deleted (RETURNING), so a duplicate, a replay or a concurrent
undo never counts twice. Each rollup table gets one multi-row upsert per
batch, `count = count + excluded.count`, creators' total rows first and
keys sorted, so concurrent writers lock rows in the same order.

`rollups_rebuild` recounts them from the interactions: an aggregate per
table, INSERT ... SELECT (the coarser tables summed from the finer ones
just rebuilt), under a lock that holds off writers meanwhile.

Buckets are UTC (models.py): an interaction counts in the hour and day of
its `occurred_at`.
"""

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from django.db import connection, models, transaction
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncDate, TruncHour
from django.utils.dateparse import parse_datetime

from .models import (
    CreatorDailyRollup,
    CreatorHourlyRollup,
    CreatorTotalRollup,
    InstanceDailyRollup,
    Interaction,
    PlatformDailyRollup,
    PostDailyRollup,
)

Kind = Interaction.Kind

# Interaction kind -> the count it adds to.
KIND_FIELDS = {
    Kind.LIKE: "likes",
    Kind.BOOST: "boosts",
    Kind.REACTION: "reactions",
    Kind.REPLY: "replies",
    Kind.QUOTE: "quotes",
    Kind.FOLLOW: "follows",
    Kind.UNFOLLOW: "unfollows",
}
ENGAGEMENT_FIELDS = ("likes", "boosts", "reactions", "replies", "quotes")
ENGAGEMENT_KINDS = [
    kind for kind, name in KIND_FIELDS.items() if name in ENGAGEMENT_FIELDS
]
ALL_FIELDS = (*ENGAGEMENT_FIELDS, "follows", "unfollows")
_FIELD_INDEX = {kind: ALL_FIELDS.index(name) for kind, name in KIND_FIELDS.items()}

# What rollups read of an interaction, in this order: a row of
# `Interaction.objects.values_list(*COUNTED)`, of RETURNING these columns, or
# these values of a row just inserted.
COUNTED = (
    "creator_id",
    "post_id",
    "kind",
    "occurred_at",
    "instance_domain",
    "software",
)


@dataclass(frozen=True)
class _Table:
    model: type[models.Model]
    keys: tuple[str, ...]  # the unique key the upsert conflicts on
    fields: tuple[str, ...]  # the counts
    extra: tuple[str, ...] = ()  # set on insert, never changed after

    @property
    def name(self) -> str:
        return self.model._meta.db_table


POST_DAY = _Table(
    PostDailyRollup, ("post_id", "day"), ENGAGEMENT_FIELDS, ("creator_id",)
)
CREATOR_HOUR = _Table(CreatorHourlyRollup, ("creator_id", "hour"), ALL_FIELDS)
CREATOR_DAY = _Table(CreatorDailyRollup, ("creator_id", "day"), ALL_FIELDS)
PLATFORM_DAY = _Table(
    PlatformDailyRollup, ("creator_id", "day", "software"), ALL_FIELDS
)
INSTANCE_DAY = _Table(
    InstanceDailyRollup,
    ("creator_id", "day", "instance_domain", "software"),
    ALL_FIELDS,
)
CREATOR_TOTAL = _Table(CreatorTotalRollup, ("creator_id",), ALL_FIELDS)
# In the order the rebuild fills them: each of the last three is summed
# from the one before it.
TABLES = (
    POST_DAY,
    CREATOR_HOUR,
    INSTANCE_DAY,
    PLATFORM_DAY,
    CREATOR_DAY,
    CREATOR_TOTAL,
)


def _utc(value) -> datetime:
    # RETURNING on SQLite hands back the stored text, not a datetime.
    if isinstance(value, str):
        value = parse_datetime(value)
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def rollups_add(rows: Iterable[Sequence], *, sign: int = 1) -> None:
    """Count interaction rows (`COUNTED` tuples) into every rollup: sign 1
    for rows just inserted, -1 for rows just deleted."""
    # Runs in the inbox's batch transaction: plain dicts and lists, and
    # identical rows (a batch of likes without `published` shares one
    # time) counted once.
    post_day: dict[tuple, list[int]] = {}
    creator_hour: dict[tuple, list[int]] = {}
    creator_day: dict[tuple, list[int]] = {}
    platform_day: dict[tuple, list[int]] = {}
    instance_day: dict[tuple, list[int]] = {}
    creator_total: dict[tuple, list[int]] = {}
    buckets: dict = {}  # occurred_at -> (hour, day)
    width, engagement = len(ALL_FIELDS), len(ENGAGEMENT_FIELDS)
    for row, n in Counter(map(tuple, rows)).items():
        creator_id, post_id, kind, occurred_at, domain, software = row
        index = _FIELD_INDEX.get(kind)
        if index is None:
            continue
        bucket = buckets.get(occurred_at)
        if bucket is None:
            at = _utc(occurred_at)
            hour = at.replace(minute=0, second=0, microsecond=0)
            bucket = buckets[occurred_at] = (hour, at.date())
        hour, day = bucket
        n *= sign
        for table, key, size in (
            (creator_hour, (creator_id, hour), width),
            (creator_day, (creator_id, day), width),
            (platform_day, (creator_id, day, software), width),
            (instance_day, (creator_id, day, domain, software), width),
            (creator_total, (creator_id,), width),
        ):
            counts = table.get(key) or table.setdefault(key, [0] * size)
            counts[index] += n
        if post_id is not None and index < engagement:
            key = (post_id, day, creator_id)
            counts = post_day.get(key) or post_day.setdefault(key, [0] * engagement)
            counts[index] += n
    # A creator's total row first: a transaction holding it holds the
    # creator's other rows too, so writers touching the same creator queue
    # on it instead of deadlocking over rows taken in different orders
    # (an inbox batch writes rollups several times in one transaction).
    for table, deltas in (
        (CREATOR_TOTAL, creator_total),
        (POST_DAY, post_day),
        (CREATOR_HOUR, creator_hour),
        (CREATOR_DAY, creator_day),
        (PLATFORM_DAY, platform_day),
        (INSTANCE_DAY, instance_day),
    ):
        if deltas:
            _upsert(table, sorted(deltas.items()), remove_empty=sign < 0)


def _adapt(value):
    # Dates and datetimes as the backend stores them, so keys written here
    # match keys written by the rebuild's SQL (SQLite compares text).
    if isinstance(value, datetime):
        return connection.ops.adapt_datetimefield_value(value)
    if isinstance(value, date):
        return connection.ops.adapt_datefield_value(value)
    return value


# SQLite allows 32,766 parameters a statement; 500 rows stays well below.
_CHUNK = 500
# Column -> PostgreSQL array type, for the upsert on PostgreSQL (counts are
# integers).
_PG_TYPES = {
    "creator_id": "bigint",
    "post_id": "bigint",
    "day": "date",
    "hour": "timestamptz",
    "instance_domain": "text",
    "software": "text",
}


def _upsert(table: _Table, items: list[tuple[tuple, list[int]]], *, remove_empty):
    """INSERT ... ON CONFLICT DO UPDATE SET n = n + excluded.n for every
    (key, counts); with `remove_empty`, rows left at zero are deleted."""
    qn = connection.ops.quote_name
    columns = [*table.keys, *table.extra, *table.fields]
    updates = ", ".join(
        f"{qn(name)} = {qn(table.name)}.{qn(name)} + excluded.{qn(name)}"
        for name in table.fields
    )
    # Table and column names come from the models and _Table above.
    head = f"INSERT INTO {qn(table.name)} ({', '.join(map(qn, columns))}) "
    tail = f" ON CONFLICT ({', '.join(map(qn, table.keys))}) DO UPDATE SET {updates}"
    if remove_empty:
        tail += f" RETURNING {qn(table.model._meta.pk.column)}, " + " + ".join(
            f"abs({qn(name)})" for name in table.fields
        )
    rows = [(*key, *counts) for key, counts in items]
    if connection.vendor == "postgresql":
        returned = _execute_postgresql(head, tail, columns, rows)
    else:
        returned = []
        row_sql = "(" + ", ".join(["%s"] * len(columns)) + ")"
        for start in range(0, len(rows), _CHUNK):
            chunk = rows[start : start + _CHUNK]
            with connection.cursor() as cursor:
                cursor.execute(
                    f"{head}VALUES {', '.join([row_sql] * len(chunk))}{tail}",
                    [_adapt(value) for row in chunk for value in row],
                )
                returned += cursor.fetchall() if remove_empty else []
    emptied = [pk for pk, total in returned if not total]
    if emptied:
        table.model.objects.filter(
            pk__in=emptied, **dict.fromkeys(table.fields, 0)
        ).delete()


def _execute_postgresql(head: str, tail: str, columns: list[str], rows: list):
    """The upsert as one statement over unnest()ed arrays, bound server-side
    (as the inbox's insert of interactions): quoting values client-side
    would cost more than the statement."""
    import psycopg

    arrays = ", ".join(f"%b::{_PG_TYPES.get(name, 'integer')}[]" for name in columns)
    connection.ensure_connection()
    with psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(
            f"{head}SELECT * FROM unnest({arrays}){tail}",  # noqa: S608
            [list(values) for values in zip(*rows, strict=True)],
        )
        return cursor.fetchall() if cursor.description else []


# Rebuilding ----------------------------------------------------------------


def _counts() -> dict:
    return {
        field: Count("pk", filter=Q(kind=kind)) for kind, field in KIND_FIELDS.items()
    }


def _aggregates(rows: QuerySet) -> dict[_Table, QuerySet]:
    """Each rollup table's rows as an aggregate of `rows` (interactions), in
    TABLES order."""
    counts = _counts()
    engagement = {name: counts[name] for name in ENGAGEMENT_FIELDS}
    rows = rows.filter(kind__in=list(KIND_FIELDS)).order_by()
    day = TruncDate("occurred_at", tzinfo=UTC)
    aggregates = {
        POST_DAY: rows.filter(post__isnull=False, kind__in=ENGAGEMENT_KINDS)
        .annotate(day=day)
        .values("post_id", "day", "creator_id")
        .annotate(**engagement),
        CREATOR_HOUR: rows.annotate(hour=TruncHour("occurred_at", tzinfo=UTC))
        .values("creator_id", "hour")
        .annotate(**counts),
        INSTANCE_DAY: rows.annotate(day=day)
        .values("creator_id", "day", "instance_domain", "software")
        .annotate(**counts),
        PLATFORM_DAY: rows.annotate(day=day)
        .values("creator_id", "day", "software")
        .annotate(**counts),
        CREATOR_DAY: rows.annotate(day=day)
        .values("creator_id", "day")
        .annotate(**counts),
        CREATOR_TOTAL: rows.values("creator_id").annotate(**counts),
    }
    return {table: aggregates[table] for table in TABLES}


def _from_rollups(creator_id: int | None) -> dict[_Table, QuerySet]:
    """The coarser rollups summed from the finer ones (rebuilt just before
    them): the same numbers as from the interactions, far quicker."""
    sums = {name: Sum(name) for name in ALL_FIELDS}

    def rows(model):
        rows = model.objects.all()
        return rows if creator_id is None else rows.filter(creator_id=creator_id)

    return {
        PLATFORM_DAY: rows(InstanceDailyRollup)
        .values("creator_id", "day", "software")
        .annotate(**sums),
        CREATOR_DAY: rows(PlatformDailyRollup)
        .values("creator_id", "day")
        .annotate(**sums),
        CREATOR_TOTAL: rows(CreatorDailyRollup).values("creator_id").annotate(**sums),
    }


def _lock_interactions() -> None:
    # Writers of interactions (which also write rollups) wait until the
    # rebuild commits, so none is counted twice or lost in between. SQLite
    # has one writer at a time anyway.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"LOCK TABLE {connection.ops.quote_name(Interaction._meta.db_table)} "
                "IN SHARE MODE"
            )


@transaction.atomic
def rollups_rebuild(*, creator_id: int | None = None) -> dict[str, int]:
    """Recount every rollup (or one creator's) from the interactions; returns
    rows written per table."""
    _lock_interactions()
    rows = Interaction.objects.all()
    if creator_id is not None:
        rows = rows.filter(creator_id=creator_id)
    qn = connection.ops.quote_name
    written = {}
    # In TABLES order: each coarser table after the one it is summed from.
    for table, aggregate in (_aggregates(rows) | _from_rollups(creator_id)).items():
        stale = table.model.objects.all()
        if creator_id is not None:
            stale = stale.filter(creator_id=creator_id)
        stale.delete()
        columns = ", ".join(map(qn, (*table.keys, *table.extra, *table.fields)))
        keys = ", ".join(map(qn, ("creator_id", *table.keys)))
        select, params = aggregate.query.sql_with_params()
        with connection.cursor() as cursor:
            # Names come from the models; the SELECT is the ORM's.
            # In key order, so each creator's rows sit together on disk.
            cursor.execute(
                f"INSERT INTO {qn(table.name)} ({columns}) "  # noqa: S608
                f"SELECT {columns} FROM ({select}) AS counted ORDER BY {keys}",
                params,
            )
            written[table.model.__name__] = cursor.rowcount
    return written


def rollups_expected(*, creator_id: int | None = None) -> dict[str, dict]:
    """What every rollup should hold, counted from the interactions now:
    table name -> {key: counts}, without zero rows. For checks and tests."""
    rows = Interaction.objects.all()
    if creator_id is not None:
        rows = rows.filter(creator_id=creator_id)
    return {
        table.model.__name__: {
            tuple(row[name] for name in table.keys): tuple(
                row[name] for name in table.fields
            )
            for row in aggregate
        }
        for table, aggregate in _aggregates(rows).items()
    }


def rollups_stored(*, creator_id: int | None = None) -> dict[str, dict]:
    """What every rollup holds now, in the shape of `rollups_expected`."""
    stored = {}
    for table in TABLES:
        rows = table.model.objects.all()
        if creator_id is not None:
            rows = rows.filter(creator_id=creator_id)
        stored[table.model.__name__] = {
            tuple(row[name] for name in table.keys): tuple(
                row[name] for name in table.fields
            )
            for row in rows.values(*table.keys, *table.fields)
        }
    return stored
