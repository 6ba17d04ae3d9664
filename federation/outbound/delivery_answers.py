"""What an inbox's answer means for a delivery, in words a person reads.

Pure functions, no database, no network: classing an answer (or the lack
of one) as Mastodon's delivery worker does (docs/federation.md), the
words the dashboard shows, Retry-After, and the backoff between retries.
federation/delivery.py acts on the verdicts.
"""

import http.client
import random
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from enum import Enum

from django.utils import timezone
from urllib3 import exceptions as http_errors

from federation.protocol import client

# What a server that answered 429 did, in the words of every row it holds
# back (delivery_status recognises them and says until when).
SLOWED_DOWN = "asked us to slow down"
# A 429's Retry-After is honoured up to this; beyond, it is this.
RETRY_AFTER_CAP = timedelta(hours=12)


class Verdict(Enum):
    DELIVERED = "delivered"
    RETRY = "retry"
    GIVE_UP = "give_up"
    GONE = "gone"  # 410


@dataclass(frozen=True)
class Answer:
    """What one attempt came to, in words a person understands."""

    verdict: Verdict
    status: int | None = None
    error: str = ""
    retry_after: timedelta | None = None
    # No answer at all (connection refused, timeout, reset): the breaker.
    unreachable: bool = False
    # Down or broken (no answer, or 5xx): counts as a failure day.
    server_failed: bool = False


def status_words(status: int) -> str:
    """ "403 Forbidden"."""
    try:
        return f"{status} {http.HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)


def judge_response(
    *, host: str, status: int, headers, now: datetime | None = None
) -> Answer:
    """Class an inbox's answer as Mastodon's delivery worker does."""
    words = status_words(status)
    if 200 <= status < 300:
        return Answer(Verdict.DELIVERED, status)
    if status == 410:
        return Answer(Verdict.GONE, status, f"{host} answered {words}")
    if status == 429:
        return Answer(
            Verdict.RETRY,
            status,
            f"{host} {SLOWED_DOWN}: {words}",
            retry_after=parse_retry_after(headers.get("Retry-After"), now=now),
        )
    if status == 401:
        return Answer(
            Verdict.RETRY, status, f"{host} did not accept our signature: {words}"
        )
    if status == 408:
        return Answer(Verdict.RETRY, status, f"{host} timed out reading it: {words}")
    if 300 <= status < 400:
        return Answer(
            Verdict.RETRY,
            status,
            f"{host} answered {words}; deliveries do not follow redirects",
        )
    if 400 <= status < 500 or status == 501:
        return Answer(Verdict.GIVE_UP, status, f"{host} refused it: {words}")
    return Answer(
        Verdict.RETRY, status, f"{host} had a problem: {words}", server_failed=True
    )


def parse_retry_after(value: str | None, *, now: datetime | None = None):
    """Retry-After as a delay (seconds or an HTTP date), capped; None if absent
    or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        delay = timedelta(seconds=int(value))
    else:
        try:
            moment = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if moment.tzinfo is None:
            return None
        delay = moment - (now or timezone.now())
    return min(max(delay, timedelta(seconds=1)), RETRY_AFTER_CAP)


def _causes(exc: BaseException):
    """`exc` and everything it wraps (causes, contexts, urllib3 reasons)."""
    seen = set()
    pending = [exc]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        pending.extend([current.__cause__, current.__context__])
        pending.extend(a for a in current.args if isinstance(a, BaseException))
        reason = getattr(current, "reason", None)
        if isinstance(reason, BaseException):
            pending.append(reason)


def judge_failure(*, host: str, exc: Exception) -> Answer:
    """Class a request that got no answer; say what happened plainly."""
    if isinstance(exc, client.UnsafeURL):
        return Answer(Verdict.GIVE_UP, None, f"not sent to {host}: {exc}")
    causes = list(_causes(exc))

    def caused_by(*kinds) -> bool:
        return any(isinstance(cause, kinds) for cause in causes)

    # Order matters: urllib3's NewConnectionError (refused, unreachable...)
    # is a kind of ConnectTimeoutError, for historical reasons.
    if caused_by(ConnectionRefusedError):
        words = f"{host} refused the connection"
    elif caused_by(socket.gaierror):
        words = f"{host} could not be found (its name does not resolve)"
    elif any(
        isinstance(cause, http_errors.ConnectTimeoutError)
        and not isinstance(cause, http_errors.NewConnectionError)
        for cause in causes
    ):
        words = f"{host} did not accept a connection in time"
    elif caused_by(http_errors.ReadTimeoutError, TimeoutError):
        words = f"{host} did not answer in time"
    elif caused_by(http_errors.SSLError):
        words = f"{host} failed the secure connection (TLS)"
    elif caused_by(
        ConnectionResetError, ConnectionAbortedError, http.client.RemoteDisconnected
    ):
        words = f"{host} dropped the connection"
    elif "too slowly" in str(exc):
        words = f"{host} answered too slowly"
    else:
        words = f"{host} could not be reached ({type(exc).__name__})"
    return Answer(Verdict.RETRY, None, words, unreachable=True, server_failed=True)


def retry_delay(attempt: int, *, rng: random.Random | None = None) -> timedelta:
    """Wait before retry number `attempt` (1 = the first retry).

    Mastodon's delivery backoff: n⁴ + 15 s plus up to half of n⁴ and up to
    10·(n + 1) s of jitter, so 16 retries span about three days and a
    server coming back is not met by every sender at the same second.
    """
    rng = rng or random
    base = attempt**4 + 15
    jitter = rng.uniform(0, 0.5 * attempt**4) + rng.randrange(10) * (attempt + 1)
    return timedelta(seconds=base + jitter)
