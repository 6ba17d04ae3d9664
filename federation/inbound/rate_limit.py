"""How many activities one server may send to the inbox: a rate per minute.

Each remote server (the host of the signing key) may deliver
FEDERATION_INBOX_RATE_PER_SERVER activities a minute; beyond that the inbox
answers 429 with Retry-After before verifying anything, so a flood from one
server costs a cache read per request, not a signature check, a key fetch
or a row. Senders retry a 429 (Mastodon, GoToSocial and Misskey all do);
nothing is lost, only delayed.

Counted in the cache (Redis in production, shared by every web process;
per process on the laptop defaults) as a sliding window: this minute's
count plus the previous minute's, weighted by how much of it still lies
within the last 60 s. Two cache keys per server, whatever the traffic. A
server may spend a minute's allowance in one burst.

Each verified request costs one increment, which answers the minute's
count so far; the previous minute's is final once read. So a process that
counted a server's last request within VIEW_SECONDS knows where it stood,
and while that was at most half the limit the next check needs no read at
all: under a flood of likes, one round trip to the cache per request
instead of two. Above half the limit every check reads the cache, so the
processes' views being a moment old lets at most one request per process
past the limit (bench/inbox.py measures the request path).

Only verified requests are counted, though the limit is checked before
verifying: the keyId's host is only a claim until then, and counting claims
would let anyone use up another server's allowance with forged requests
naming it (docs/federation.md, "Per-server rate limit").

A cache that fails is no reason to refuse activities: the limit is then
not applied (fail open), and not asked again for a while, so a Redis that
is down costs one timeout per process every CACHE_RETRY_SECONDS, not one
per request.
"""

import logging
import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError
from django.db.models import Case, F, Value, When

from federation.models import RemoteInstance

logger = logging.getLogger(__name__)

WINDOW_SECONDS = 60
CACHE_RETRY_SECONDS = 30
_COUNT_KEY = "federation:inbox-rate:{}:{}"
_NOTED_KEY = "federation:inbox-limited:{}:{}"

VIEW_SECONDS = 1.0

# Until when (time.monotonic()) this process leaves the cache alone.
_cache_down_until = 0.0


@dataclass
class _View:
    """A server's counts as this process last learned them."""

    minute: int
    previous: int
    current: int
    learned_at: float  # time.monotonic()


_views: dict[str, _View] = {}
VIEWS_KEPT = 20_000  # servers; beyond that the views start over


def forget_views() -> None:
    """Forget what this process learned of the counts (tests)."""
    _views.clear()


def _limit() -> int:
    return settings.FEDERATION_INBOX_RATE_PER_SERVER


def _window(now: float) -> tuple[int, float]:
    """(this minute's number, seconds into it)."""
    number, into = divmod(now, WINDOW_SECONDS)
    return int(number), into


def _cache_usable() -> bool:
    return time.monotonic() >= _cache_down_until


def _cache_failed(exc: Exception) -> None:
    global _cache_down_until
    _cache_down_until = time.monotonic() + CACHE_RETRY_SECONDS
    logger.warning(
        "inbox rate limit not applied for %d s: the cache failed (%s)",
        CACHE_RETRY_SECONDS,
        exc,
    )


def retry_after(host: str, *, now: float | None = None) -> int | None:
    """Seconds `host` must wait before sending again; None if it may send."""
    limit = _limit()
    if limit <= 0 or not host or not _cache_usable():
        return None
    number, into = _window(time.time() if now is None else now)
    weight = 1 - into / WINDOW_SECONDS
    view = _views.get(host)
    if (
        view is not None
        and view.minute == number
        and time.monotonic() - view.learned_at < VIEW_SECONDS
        and view.previous * weight + view.current <= limit / 2
    ):
        return None
    previous_key = _COUNT_KEY.format(host, number - 1)
    current_key = _COUNT_KEY.format(host, number)
    try:
        counts = cache.get_many([previous_key, current_key])
    except Exception as exc:  # noqa: BLE001 (fail open: never refuse for the cache)
        _cache_failed(exc)
        return None
    previous = counts.get(previous_key, 0)
    current = counts.get(current_key, 0)
    if len(_views) >= VIEWS_KEPT:
        _views.clear()
    _views[host] = _View(number, previous, current, time.monotonic())
    if previous * weight + current < limit:
        return None
    # When the estimate falls below the limit if nothing more is counted.
    if current >= limit:  # not this minute: once enough of it has slid by
        wait = (WINDOW_SECONDS - into) + WINDOW_SECONDS * (1 - limit / current)
    else:
        wait = WINDOW_SECONDS * (1 - (limit - current) / previous) - into
    # The first whole second after which it is strictly below.
    return max(1, math.floor(wait) + 1)


def count(host: str, *, now: float | None = None) -> None:
    """Count one verified activity from `host`."""
    if _limit() <= 0 or not host or not _cache_usable():
        return
    number, _ = _window(time.time() if now is None else now)
    key = _COUNT_KEY.format(host, number)
    try:
        try:
            current = cache.incr(key)
        except ValueError:  # the minute's first
            if cache.add(key, 1, timeout=2 * WINDOW_SECONDS + 5):
                current = 1
            else:
                current = cache.incr(key)  # another process's first came in between
    except Exception as exc:  # noqa: BLE001 (fail open)
        _cache_failed(exc)
        return
    view = _views.get(host)
    if view is not None and view.minute == number:
        # The previous minute's count, read by this minute's check, is final.
        view.current, view.learned_at = current, time.monotonic()


def note_limited(host: str, *, now: float | None = None) -> None:
    """Record, for admins, that `host` was held back this minute.

    Written on the server's RemoteInstance once per minute it is limited
    (a flag in the cache says whether this minute is written already), so
    a flood of 429s costs no flood of writes: `inbox_limited_at` is the
    last such minute, `inbox_limited_times` how many minutes of its UTC
    day it was limited in.
    """
    moment = time.time() if now is None else now
    number, _ = _window(moment)
    try:
        first = cache.add(
            _NOTED_KEY.format(host, number), 1, timeout=2 * WINDOW_SECONDS
        )
    except Exception as exc:  # noqa: BLE001 (fail open)
        _cache_failed(exc)
        return
    if not first:
        return
    when = datetime.fromtimestamp(moment, UTC)
    day_start = when.replace(hour=0, minute=0, second=0, microsecond=0)
    try:
        RemoteInstance.objects.filter(domain=host).update(
            inbox_limited_times=Case(
                When(
                    inbox_limited_at__gte=day_start,
                    then=F("inbox_limited_times") + 1,
                ),
                default=Value(1),
            ),
            inbox_limited_at=when,
        )
    except DatabaseError as exc:
        # The 429 stands; only the admin's record of it is missing.
        logger.warning("could not record that %s was rate limited: %s", host, exc)
