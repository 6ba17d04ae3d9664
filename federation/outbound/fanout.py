"""Fan-out: an activity's audience, written as Delivery rows page by page
and handed to the senders in bounded batches.

An activity for a creator's followers does not list them when it is
stored: it names where its audience comes from (`OutboundActivity.audience`:
the creator's followers, the inboxes earlier activities of the same post
reached) and `fan_out` walks those sources a page at a time, in keyset
order along an index (only inbox URLs are read, never a model per
follower). Each page is one transaction: its Delivery rows (one per
distinct inbox, by the table's unique constraint) and the cursor that says
where the next page starts commit together, so a worker killed mid-way
leaves no gap and no double, and the next run carries on from the cursor.
Memory and time per page depend on the page size alone, whatever the
audience.

The new rows of a page go to the senders in batches of
FEDERATION_DELIVERY_TASK_ROWS (`deliver_batch` tasks, taken by any worker
on any machine: large enough that a task's fixed cost is small beside its
requests, small enough that several machines share one fan-out). A
batch whose message is lost is not: its rows are due, and the beat's
delivery sweep finds due rows no run holds.
"""

import json
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from federation import queue
from federation.models import Delivery, OutboundActivity
from followers.models import Follow
from moderation import policies as moderation

logger = logging.getLogger(__name__)

FAN_OUT_TASK = "federation.tasks.fan_out"
DELIVER_BATCH_TASK = "federation.tasks.deliver_batch"
# Seconds one fan-out task keeps paging before it hands over to a fresh one.
BUDGET_SECONDS = 20


def audience_of(*, followers_of: int | None = None, reached: Iterable[int] = ()):
    """What `OutboundActivity.audience` says before the first page: the
    creator whose accepted followers receive it, and the earlier activities
    whose inboxes receive it too (an edit, a deletion)."""
    reached = sorted(set(reached))
    if followers_of is None and not reached:
        return {}
    return {"followers": followers_of, "reached": reached, "step": 0, "after": None}


# Pages ------------------------------------------------------------------------


@dataclass
class _Page:
    inboxes: list[str]
    audience: dict  # where the next page starts
    last: bool


def _followers_page(audience: dict, size: int) -> _Page:
    """Accepted followers after the cursor, by follow id (an index range).

    The audience is the followers there were when the walk began: the last
    of their follow ids is noted on the first page, and bounds every page,
    so the last one ends there instead of reading on through follows made
    since (by anyone) to the end of the table.
    """
    follows = Follow.objects.filter(
        creator_id=audience["followers"], state=Follow.State.ACCEPTED
    )
    if "until" not in audience:
        last = follows.aggregate(last=Max("pk"))["last"] or 0
        audience = {**audience, "until": last}
    rows = list(
        follows.filter(
            pk__gt=audience["after"] or 0,
            pk__lte=audience["until"],
            actor__gone_at__isnull=True,
        )
        .order_by("pk")
        .values_list("pk", "actor__shared_inbox_url", "actor__inbox_url")[:size]
    )
    inboxes = [shared or personal for _, shared, personal in rows]
    if len(rows) < size:
        return _Page(inboxes, _next_step(audience), last=False)
    return _Page(inboxes, {**audience, "after": rows[-1][0]}, last=False)


def _reached_page(audience: dict, size: int) -> _Page:
    """Inboxes an earlier activity reached, after the cursor (its unique
    (activity, inbox) index, in order)."""
    activity_id = audience["reached"][audience["step"] - 1]
    rows = Delivery.objects.filter(activity_id=activity_id).order_by("inbox_url")
    if audience["after"]:
        rows = rows.filter(inbox_url__gt=audience["after"])
    inboxes = list(rows.values_list("inbox_url", flat=True)[:size])
    if len(inboxes) < size:
        return _Page(inboxes, _next_step(audience), last=False)
    return _Page(inboxes, {**audience, "after": inboxes[-1]}, last=False)


def _next_step(audience: dict) -> dict:
    return {**audience, "step": audience["step"] + 1, "after": None}


def _page(audience: dict, size: int) -> _Page:
    """The next page of inboxes. Step 0 is the followers (when there are
    any to read), step n the n-th earlier activity."""
    step = audience["step"]
    if step == 0:
        if audience.get("followers") is None:
            return _Page([], _next_step(audience), last=False)
        return _followers_page(audience, size)
    if step <= len(audience["reached"]):
        return _reached_page(audience, size)
    return _Page([], audience, last=True)


# Writing rows -------------------------------------------------------------------


def host_of(url: str) -> str:
    """The `host[:port]` a Delivery row is kept under, as RemoteInstance is."""
    return urlsplit(url).netloc.lower()


def add_deliveries(activity_id: int, inboxes: Iterable[str]) -> list[int]:
    """One Delivery row per inbox not already there and not on a blocked
    server; the ids of the rows added."""
    by_host = {inbox: host_of(inbox) for inbox in set(inboxes) if inbox}
    blocked = moderation.blocked_domains_among(set(by_host.values()))
    rows = [
        (inbox, host) for inbox, host in sorted(by_host.items()) if host not in blocked
    ]
    if not rows:
        return []
    now = timezone.now()
    with connection.cursor() as cursor:
        # One statement, the rows as one JSON parameter: building a statement
        # with a parameter per value cost four times what the insert does.
        # ON CONFLICT: an inbox an earlier page (or source) added already.
        cursor.execute(
            _INSERT[connection.vendor].format(
                table=connection.ops.quote_name(Delivery._meta.db_table)
            ),
            [
                activity_id,
                Delivery.State.PENDING,
                now,
                now,
                json.dumps([{"inbox": inbox, "host": host} for inbox, host in rows]),
            ],
        )
        return [row[0] for row in cursor.fetchall()]


# The same set-based insert in each database's words for reading a JSON
# array of rows (SQLite needs the WHERE to read ON CONFLICT as an upsert).
_COLUMNS = (
    "activity_id, inbox_url, host, state, attempts, next_attempt_at, last_error, "
    "created_at, claimed_by"
)
# Table and column names come from the model; every value is bound.
_INSERT = {
    "postgresql": (
        f"INSERT INTO {{table}} ({_COLUMNS}) "  # noqa: S608
        "SELECT %s, r.inbox, r.host, %s, 0, %s, '', %s, '' "
        "FROM jsonb_to_recordset(%s::jsonb) AS r(inbox text, host text) "
        "ON CONFLICT (activity_id, inbox_url) DO NOTHING RETURNING id"
    ),
    "sqlite": (
        f"INSERT INTO {{table}} ({_COLUMNS}) "  # noqa: S608
        "SELECT %s, json_extract(value, '$.inbox'), json_extract(value, '$.host'), "
        "%s, 0, %s, '', %s, '' FROM json_each(%s) WHERE true "
        "ON CONFLICT (activity_id, inbox_url) DO NOTHING RETURNING id"
    ),
}


def send(delivery_ids: list[int]) -> int:
    """Hand new rows to the senders in batches; how many batches the broker
    took (the rest are found by the delivery sweep)."""
    size = max(settings.FEDERATION_DELIVERY_TASK_ROWS, 1)
    sent = 0
    for start in range(0, len(delivery_ids), size):
        if not queue.wake(DELIVER_BATCH_TASK, delivery_ids[start : start + size]):
            break
        sent += 1
    return sent


# The walk -------------------------------------------------------------------------


@dataclass
class FanOut:
    pages: int = 0
    added: int = 0
    done: bool = False


def fan_out(activity_id: int, *, seconds: float = BUDGET_SECONDS) -> FanOut:
    """Write the activity's audience a page at a time and start sending it,
    until it is all written (`done`) or `seconds` have passed.

    Each page locks the activity's row for its transaction; a run that
    finds it locked leaves the activity to the run holding it. Two runs
    that meet between pages take turns, each starting from the cursor the
    other left.
    """
    result = FanOut()
    deadline = time.monotonic() + seconds
    size = max(settings.FEDERATION_FANOUT_PAGE, 1)
    while True:
        with transaction.atomic():
            activity = (
                OutboundActivity.objects.select_for_update(skip_locked=True)
                .filter(pk=activity_id, fanned_out_at__isnull=True)
                .first()
            )
            if activity is None:  # written already, or another run is at it
                result.done = True
                return result
            page = _page(activity.audience, size)
            added = add_deliveries(activity.pk, page.inboxes)
            activity.audience = page.audience
            if page.last:
                activity.fanned_out_at = timezone.now()
            activity.save(update_fields=["audience", "fanned_out_at"])
        result.pages += 1
        result.added += len(added)
        send(added)
        if page.last:
            result.done = True
            logger.info(
                "activity %s: fanned out to %d more inboxes in %d pages",
                activity_id,
                result.added,
                result.pages,
            )
            return result
        if time.monotonic() > deadline:
            return result


def unfinished(*, limit: int = 100) -> list[int]:
    """Activities whose audience is not all written yet (the sweep restarts
    their fan-out: a run that died, or a message that was lost)."""
    return list(
        OutboundActivity.objects.filter(fanned_out_at__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
