"""Protection per remote server for deliveries: a short breaker, dead days.

Two memories, kept where they work with and without servers:

- The breaker lives in Django's cache (Redis in production, so every worker
  shares it; a per-process memory on the laptop defaults, where one worker
  runs). A server that failed to answer FEDERATION_DELIVERY_BREAKER_FAILURES
  times in a row is left alone for FEDERATION_DELIVERY_BREAKER_SECONDS: its
  rows are deferred, not failed, so a dead or drowning server does not hold
  delivery slots. A 429 pauses a server the same way, until its Retry-After.
- The days a server failed live in the database (RemoteInstance), because
  they decide, over a week, whether it is marked unavailable: Mastodon's
  DeliveryFailureTracker. Any success clears them,
  and so does any verified request from the server.
"""

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from federation.models import RemoteInstance

logger = logging.getLogger(__name__)

# How long a run of failures is remembered: "in a row" within this window.
FAILURE_MEMORY = timedelta(minutes=10)


def _failures_key(host: str) -> str:
    return f"delivery:breaker:failures:{host}"


def _open_key(host: str) -> str:
    return f"delivery:breaker:open:{host}"


# Why a server is paused: it stopped answering (the breaker opened), or it
# answered 429 and said until when (Retry-After).
UNREACHABLE = "paused"
SLOW_DOWN = "slow down"


@dataclass(frozen=True)
class Pause:
    until: datetime
    why: str  # UNREACHABLE or SLOW_DOWN


def paused_until(hosts: Iterable[str]) -> dict[str, Pause]:
    """Servers among `hosts` that must not be sent to now: until when, why."""
    keys = {_open_key(host): host for host in hosts}
    if not keys:
        return {}
    now = timezone.now().timestamp()
    pauses = {}
    for key, value in cache.get_many(list(keys)).items():
        # A bare timestamp was written before pauses kept their reason.
        until, why = value if isinstance(value, list) else (value, UNREACHABLE)
        if until > now:
            pauses[keys[key]] = Pause(datetime.fromtimestamp(until, UTC), why)
    return pauses


def pause(host: str, *, until: datetime, why: str = UNREACHABLE) -> None:
    """Send nothing to `host` until `until` (a 429, or an opened breaker)."""
    seconds = (until - timezone.now()).total_seconds()
    if seconds > 0:
        cache.set(_open_key(host), [until.timestamp(), why], timeout=int(seconds) + 1)


def note_unreachable(host: str) -> datetime | None:
    """Count a failure to connect or get an answer; open the breaker at the
    threshold. Returns until when `host` is paused if it opened now."""
    key = _failures_key(host)
    cache.add(key, 0, timeout=int(FAILURE_MEMORY.total_seconds()))
    try:
        failures = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=int(FAILURE_MEMORY.total_seconds()))
        failures = 1
    if failures < settings.FEDERATION_DELIVERY_BREAKER_FAILURES:
        return None
    until = timezone.now() + timedelta(
        seconds=settings.FEDERATION_DELIVERY_BREAKER_SECONDS
    )
    pause(host, until=until)
    cache.delete(key)
    logger.info(
        "%s failed %d times in a row: no deliveries there until %s",
        host,
        failures,
        until.isoformat(timespec="seconds"),
    )
    return until


def note_reachable(hosts: Iterable[str]) -> None:
    """Answers came from `hosts`: their runs of failures, if any, are over."""
    keys = [_failures_key(host) for host in hosts]
    if keys:
        cache.delete_many(keys)


def reset(hosts: Iterable[str]) -> None:
    """Forget breakers and pauses of `hosts`: send to them again at once."""
    cache.delete_many(
        [key for host in hosts for key in (_failures_key(host), _open_key(host))]
    )


# Days a server failed ----------------------------------------------------------


def record_failure_day(host: str, *, now: datetime) -> bool:
    """Remember that delivering to `host` failed today; True if that made it
    unavailable (FEDERATION_DELIVERY_UNAVAILABLE_DAYS distinct days).

    Days before the server was last heard from (a verified request from it)
    do not count: hearing from it proves it is up.
    """
    today = now.astimezone(UTC).date()
    with transaction.atomic():
        instance, _ = RemoteInstance.objects.select_for_update().get_or_create(
            domain=host
        )
        if instance.unavailable_since is not None:
            return False
        days = set(instance.delivery_failure_days or [])
        days.add(today.isoformat())
        if instance.last_heard_from_at is not None:
            heard = instance.last_heard_from_at.astimezone(UTC).date()
            days = {day for day in days if date.fromisoformat(day) >= heard}
        instance.delivery_failure_days = sorted(days)
        became_unavailable = len(days) >= settings.FEDERATION_DELIVERY_UNAVAILABLE_DAYS
        if became_unavailable:
            instance.unavailable_since = now
        instance.save(update_fields=["delivery_failure_days", "unavailable_since"])
    if became_unavailable:
        logger.warning(
            "%s failed deliveries on %d different days: marked unavailable, "
            "nothing is sent there until it is heard from again",
            host,
            len(days),
        )
    return became_unavailable


def clear_failures(hosts: Iterable[str]) -> int:
    """A delivery to each of `hosts` worked: forget their failure days."""
    hosts = list(hosts)
    if not hosts:
        return 0
    return (
        RemoteInstance.objects.filter(domain__in=hosts)
        .filter(Q(unavailable_since__isnull=False) | ~Q(delivery_failure_days=[]))
        .update(delivery_failure_days=[], unavailable_since=None)
    )


def unavailable_hosts():
    """The domains nothing is delivered to, as a subquery."""
    return RemoteInstance.objects.filter(unavailable_since__isnull=False).values(
        "domain"
    )
