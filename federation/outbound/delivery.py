"""Sending what queue_activity stored: claim due rows, sign, POST, record.

The Delivery rows are the truth; tasks only say "look for work". A run
(one Celery task: a fan-out's batch, an activity's rows, or whatever is
due) claims due rows in batches with a lease, sends them from a thread pool
(many requests in flight per worker process, one keep-alive connection
pool per server), records answers as they arrive, and claims more as slots
free up, until nothing is due or its time budget is spent. Runs on any
number of machines share the work. So:

- A row is claimed by one run at a time: `SELECT ... FOR UPDATE SKIP LOCKED`
  (PostgreSQL) or SQLite's single writer, then a lease (`claimed_until`). A
  duplicated or redelivered task finds the row claimed or delivered and
  sends nothing. A row recorded delivered is never claimed again.
- A worker killed mid-run loses nothing: its rows are due again when the
  lease runs out, and the beat sweeper queues a run for them. What it sends
  twice is what was in flight: a POST the remote server received, whose
  answer had not been recorded here when the worker died, is sent again
  after the lease. It carries the same activity id, and servers drop an id
  they have seen (docs/federation.md, "Delivery").
- Each request is signed when it is sent (a fresh Date), with the creator's
  key, or the instance actor's for activities no creator sent: with RFC 9421
  where the server is known to take it (RemoteInstance.signature_standard),
  else draft-cavage. An RFC 9421 POST answered 400, 401 or 403 is sent
  again at once with draft-cavage, within the same deadline and as the same
  attempt; if that one is taken, the server is remembered as draft-cavage
  only and its next rows go straight to draft-cavage.
- Answers are classed as Mastodon does (docs/federation.md, "Delivery"): 2xx
  delivered; 410 drops that follower (or, from a shared inbox, gives up:
  the server is gone); 429 waits for Retry-After; 401, 408, 5xx and network
  failures retry with backoff (n⁴ + 15 s plus jitter, 16 retries, about
  three days); any other 4xx and 501 give up.
- Per server: at most FEDERATION_DELIVERY_PER_HOST requests in flight,
  counted across every worker on every machine (host_slots.py), one at a
  time per process until the server has answered it once (so a dead server
  holds one slot, not several), and a breaker shared the same way
  (breaker.py).
"""

import json
import logging
import math
import os
import queue
import socket
import threading
import time
import uuid
from collections import Counter, OrderedDict, defaultdict, deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from federation.models import Delivery, OutboundActivity, RemoteActor, RemoteInstance
from federation.outbound import breaker, host_slots
from federation.outbound.delivery_answers import (
    SLOWED_DOWN,
    Answer,
    Verdict,
    judge_failure,
    judge_response,
    retry_delay,
    status_words,
)
from federation.protocol import client, keys
from followers import services as followers
from followers.models import Follow

logger = logging.getLogger(__name__)

DUE_STATES = (Delivery.State.PENDING, Delivery.State.FAILED)
# A server whose slots other workers hold is looked at again after this.
PARK_SECONDS = 0.1
# A server is sent up to PER_HOST requests at once only after it answered;
# until then, one at a time. Remembered this long per worker process.
WARM_FOR = 600
# Answers larger than this are cut: only the status of a delivery counts.
ANSWER_MAX_BYTES = 64 * 1024
# Rows of busy servers left out of a claim, at most (keeps the query small).
EXCLUDE_AT_MOST = 200
# An RFC 9421 POST answered so is sent again with draft-cavage (Fedify's
# "double-knock"; Mastodon before 4.5 answers 401).
FALLBACK_STATUSES = frozenset({400, 401, 403})


# Settings ---------------------------------------------------------------------


@dataclass(frozen=True)
class Limits:
    in_flight: int  # requests at once per worker process
    per_host: int  # requests at once to one server, every worker together
    batch: int  # rows claimed at a time
    lease: timedelta
    budget: float  # seconds a run keeps claiming new rows
    max_retries: int
    tasks: int  # runs the sweep starts at once for what is due

    @property
    def dispatch(self) -> int:
        """Requests handed to the threads at once: half as many again wait
        in their queue, so a thread never idles while the run's own thread
        waits on the database."""
        return self.in_flight + self.in_flight // 2

    @classmethod
    def from_settings(cls) -> "Limits":
        lease = max(settings.FEDERATION_DELIVERY_LEASE_SECONDS, 6)
        return cls(
            in_flight=max(settings.FEDERATION_DELIVERY_CONCURRENCY, 1),
            per_host=max(settings.FEDERATION_DELIVERY_PER_HOST, 1),
            batch=max(settings.FEDERATION_DELIVERY_BATCH, 1),
            lease=timedelta(seconds=lease),
            # A sixth of the lease: what is sent in the budget has the rest
            # of the lease (150 s by default) to be answered and recorded,
            # far more than the client's timeouts allow a request.
            budget=lease / 6,
            max_retries=settings.FEDERATION_DELIVERY_MAX_RETRIES,
            tasks=max(settings.FEDERATION_DELIVERY_TASKS, 1),
        )


# Per worker process: the thread pool, the session, warm servers ----------------


class _Senders:
    """Threads that send, started all at once while the process is idle.

    (A pool that starts threads as work arrives starts them while a hundred
    others compete for the GIL: a second per process, measured.) Jobs wait
    in one queue, so threads that finish pick up the next job even while
    the run's own thread is busy with the database.
    """

    def __init__(self, size: int):
        self.jobs: queue.SimpleQueue = queue.SimpleQueue()
        self.threads = [
            threading.Thread(target=self._work, name=f"deliver-{n}", daemon=True)
            for n in range(size)
        ]
        for thread in self.threads:
            thread.start()

    def _work(self) -> None:
        while (job := self.jobs.get()) is not None:
            function, args = job
            function(*args)

    def submit(self, function, *args) -> None:
        self.jobs.put((function, args))

    def shutdown(self) -> None:
        for _ in self.threads:
            self.jobs.put(None)


class _Process:
    """What a worker process keeps between runs. Made after the fork."""

    def __init__(self, limits: Limits):
        self.pid = os.getpid()
        self.in_flight = limits.in_flight
        self.per_host = limits.per_host
        self.pool = _Senders(limits.in_flight)
        self.poster = client.InboxPoster(
            hosts=max(4 * limits.in_flight, 1000), per_host=limits.per_host
        )
        self.warm: OrderedDict[str, float] = OrderedDict()

    def is_warm(self, host: str) -> bool:
        seen = self.warm.get(host)
        return seen is not None and time.monotonic() - seen < WARM_FOR

    def mark_warm(self, host: str) -> None:
        self.warm[host] = time.monotonic()
        self.warm.move_to_end(host)
        while len(self.warm) > 20_000:
            self.warm.popitem(last=False)

    def forget(self, host: str) -> None:
        self.warm.pop(host, None)


_process: _Process | None = None
_process_lock = threading.Lock()


def _process_state(limits: Limits) -> _Process:
    global _process
    with _process_lock:
        current = _process
        if (
            current is None
            or current.pid != os.getpid()
            or (current.in_flight, current.per_host)
            != (limits.in_flight, limits.per_host)
        ):
            if current is not None and current.pid == os.getpid():
                current.pool.shutdown()
                current.poster.close()
            current = _process = _Process(limits)
        return current


# A run ------------------------------------------------------------------------


@dataclass
class _Row:
    pk: int
    inbox_url: str
    host: str
    activity_id: int
    attempts: int
    slot: str = ""  # its server's slot while it is sent (host_slots)
    standard: str = client.CAVAGE  # the HTTP signature it is sent with
    learned: str = ""  # set by the sending thread: the server takes only this


@dataclass(frozen=True)
class _Outgoing:
    """An activity ready to send: its exact bytes and who signs them."""

    body: bytes
    signer: client.Signer
    creator_id: int | None


@dataclass
class RunResult:
    """What a run did; `more` when it stopped with work still due."""

    claimed: int = 0
    sent: int = 0
    delivered: int = 0
    deferred: int = 0
    more: bool = False


@dataclass
class _Pending:
    """Answers received and not yet written."""

    delivered: dict[int, list[_Row]] = field(default_factory=lambda: defaultdict(list))
    other: list[tuple[_Row, Answer]] = field(default_factory=list)
    deferred: dict[str, tuple[datetime, str, list[_Row]]] = field(default_factory=dict)
    reachable: set[str] = field(default_factory=set)
    learned: dict[str, str] = field(default_factory=dict)  # server: standard

    def __len__(self) -> int:
        return (
            sum(len(rows) for rows in self.delivered.values())
            + len(self.other)
            + sum(len(rows) for _, _, rows in self.deferred.values())
        )


class _Run:
    """One run of a task: claim, send, record, until nothing is due or the
    budget is spent. Only this thread touches the database and the cache;
    the sending threads only sign, POST and report back."""

    def __init__(
        self,
        *,
        activity_id: int | None,
        delivery_ids: list[int] | None = None,
        now: datetime | None,
    ):
        self.limits = Limits.from_settings()
        self.process = _process_state(self.limits)
        self.activity_id = activity_id
        self.delivery_ids = delivery_ids
        self._fixed_now = now
        self.token = f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.results: queue.SimpleQueue = queue.SimpleQueue()
        self.outgoing: dict[int, _Outgoing] = {}
        self.waiting: dict[str, deque[_Row]] = defaultdict(deque)
        self.waiting_count = 0
        self.runnable: deque[str] = deque()
        # Servers whose slots other workers hold, and when to look again.
        self.parked: dict[str, float] = {}
        self.host_in_flight: Counter[str] = Counter()
        self.in_flight = 0
        self.paused: dict[str, breaker.Pause] = {}
        self.checked_hosts: set[str] = set()
        # The HTTP signature standard each server is sent (client.CAVAGE or
        # client.RFC9421), read with the breaker's state.
        self.standards: dict[str, str] = {}
        self.pending = _Pending()
        self.result = RunResult()

    def now(self) -> datetime:
        return self._fixed_now or timezone.now()

    # Claiming ---------------------------------------------------------------

    def claim(self, limit: int, *, exclude: list[str]) -> list[_Row]:
        now = self.now()
        with transaction.atomic():
            rows = due_deliveries(now=now, activity_id=self.activity_id)
            if self.delivery_ids is not None:
                rows = rows.filter(pk__in=self.delivery_ids)
            if exclude:
                rows = rows.exclude(host__in=exclude)
            claimed = [
                _Row(*values)
                for values in rows.order_by("next_attempt_at", "pk")
                .select_for_update(skip_locked=True)
                .values_list("pk", "inbox_url", "host", "activity_id", "attempts")[
                    :limit
                ]
            ]
            if claimed:
                Delivery.objects.filter(pk__in=[row.pk for row in claimed]).update(
                    claimed_until=now + self.limits.lease, claimed_by=self.token
                )
        self.result.claimed += len(claimed)
        return claimed

    def admit(self, rows: list[_Row]) -> None:
        missing = {row.activity_id for row in rows} - set(self.outgoing)
        if missing:
            self.load_activities(missing)
        new_hosts = {row.host for row in rows} - self.checked_hosts
        if new_hosts:
            self.paused.update(breaker.paused_until(new_hosts))
            self.standards.update(_signature_standards(new_hosts))
            self.checked_hosts |= new_hosts
        for row in rows:
            if row.activity_id not in self.outgoing:  # deleted meanwhile
                continue
            if not self.waiting[row.host]:
                self.runnable.append(row.host)
            self.waiting[row.host].append(row)
            self.waiting_count += 1

    def load_activities(self, activity_ids: set[int]) -> None:
        signers: dict[int | None, client.Signer] = {}
        for activity in OutboundActivity.objects.filter(
            pk__in=activity_ids
        ).select_related("creator"):
            if activity.creator_id not in signers:
                signers[activity.creator_id] = (
                    keys.signer_for_creator(activity.creator)
                    if activity.creator_id
                    else keys.instance_signer()
                )
            self.outgoing[activity.pk] = _Outgoing(
                body=json.dumps(activity.payload).encode(),
                signer=signers[activity.creator_id],
                creator_id=activity.creator_id,
            )

    # Sending ----------------------------------------------------------------

    def host_limit(self, host: str) -> int:
        return self.limits.per_host if self.process.is_warm(host) else 1

    def dispatch(self) -> None:
        """Start requests for waiting rows, within every limit: this
        process's (requests at once; one at a time to a server until it has
        answered) and every worker's together (host_slots: requests at once
        to one server, across machines)."""
        now = time.monotonic()
        for host, until in list(self.parked.items()):
            if until <= now:
                del self.parked[host]
                self.runnable.append(host)
        room = self.limits.dispatch - self.in_flight
        wanted: dict[str, int] = {}
        while self.runnable and room > 0:
            host = self.runnable.popleft()
            rows = self.waiting.get(host)
            if not rows or host in wanted or host in self.parked:
                continue
            pause = self.paused.get(host)
            if pause is not None and pause.until > timezone.now():
                self.defer_host(host, pause.until, pause.why)
                continue
            count = min(
                len(rows), self.host_limit(host) - self.host_in_flight[host], room
            )
            # At this process's cap for the server, its next answer puts
            # the server back in line (take()).
            if count > 0:
                wanted[host] = count
                room -= count
        for host, slots in host_slots.take(wanted).items():
            rows = self.waiting[host]
            for slot in slots:
                self.send(rows.popleft(), slot)
            if not slots and not self.host_in_flight[host]:
                # Other workers hold every slot there: look again shortly.
                self.parked[host] = now + PARK_SECONDS
            elif rows and len(slots) == wanted[host]:
                self.runnable.append(host)  # room ran out before its cap

    def send(self, row: _Row, slot: str) -> None:
        self.waiting_count -= 1
        self.host_in_flight[row.host] += 1
        self.in_flight += 1
        self.result.sent += 1
        row.slot = slot
        row.standard = self.standards.get(row.host, client.CAVAGE)
        outgoing = self.outgoing[row.activity_id]
        self.process.pool.submit(
            _post, row, outgoing, self.process.poster, self.results
        )

    def defer_host(self, host: str, until: datetime, why: str) -> None:
        """Hand back this server's waiting rows to be tried after `until`."""
        rows = self.waiting.pop(host, deque())
        if not rows:
            return
        self.waiting_count -= len(rows)
        when = max(until, self.now())
        words = {
            breaker.UNREACHABLE: (
                f"{host} is not answering; paused sending there for a while"
            ),
            breaker.SLOW_DOWN: f"{host} {SLOWED_DOWN}; waiting as it asked",
        }[why]
        _, _, earlier = self.pending.deferred.get(host, (when, words, []))
        self.pending.deferred[host] = (when, words, [*earlier, *rows])
        self.result.deferred += len(rows)

    # Answers ----------------------------------------------------------------

    def collect(self, timeout: float) -> None:
        """Take the answers that have arrived (waiting up to `timeout` for
        the first) and give their servers' slots back."""
        try:
            item = self.results.get(timeout=timeout)
        except queue.Empty:
            return
        freed = []
        while True:
            self.take(*item)
            freed.append((item[0].host, item[0].slot))
            try:
                item = self.results.get_nowait()
            except queue.Empty:
                break
        host_slots.give_back(freed)

    def take(self, row: _Row, answer: Answer) -> None:
        host = row.host
        self.in_flight -= 1
        self.host_in_flight[host] -= 1
        if row.learned:
            self.standards[host] = row.learned
            self.pending.learned[host] = row.learned
        if answer.unreachable:
            self.process.forget(host)
            until = breaker.note_unreachable(host)
            if until is not None:
                self.paused[host] = breaker.Pause(until, breaker.UNREACHABLE)
        elif not self.process.is_warm(host):
            # The first answer after a failure (or ever) ends a run of
            # failures; answers from a warm server need no bookkeeping.
            self.process.mark_warm(host)
            self.pending.reachable.add(host)
        if answer.retry_after is not None:  # 429: the whole server waits
            until = self.now() + answer.retry_after
            breaker.pause(host, until=until, why=breaker.SLOW_DOWN)
            self.paused[host] = breaker.Pause(until, breaker.SLOW_DOWN)
            self.defer_host(host, until, breaker.SLOW_DOWN)
        if answer.verdict is Verdict.DELIVERED:
            self.pending.delivered[answer.status].append(row)
        else:
            self.pending.other.append((row, answer))
        if self.waiting.get(host):
            self.runnable.append(host)

    # Recording --------------------------------------------------------------

    def flush(self) -> None:
        # Answers are written as soon as this thread sees them (together,
        # those that arrived while it wrote the last ones): a killed worker
        # sends again only what was in flight, not what it had heard back.
        pending = self.pending
        if not len(pending):
            return
        self.pending = _Pending()
        now = self.now()
        delivered_hosts = set()
        for status, rows in pending.delivered.items():
            Delivery.objects.filter(pk__in=[row.pk for row in rows]).exclude(
                state=Delivery.State.DELIVERED
            ).update(
                state=Delivery.State.DELIVERED,
                delivered_at=now,
                attempts=F("attempts") + 1,
                last_status_code=status,
                last_error="",
                claimed_until=None,
                claimed_by="",
            )
            delivered_hosts.update(row.host for row in rows)
            self.result.delivered += len(rows)
        breaker.clear_failures(delivered_hosts)
        breaker.note_reachable(pending.reachable)
        for host, standard in pending.learned.items():
            RemoteInstance.objects.filter(domain=host).update(
                signature_standard=standard, signature_standard_learned_at=now
            )
        failed_hosts = set()
        for row, answer in pending.other:
            self.record_failure(row, answer, now=now)
            if answer.server_failed:
                failed_hosts.add(row.host)
        for until, words, rows in pending.deferred.values():
            Delivery.objects.filter(
                pk__in=[row.pk for row in rows], claimed_by=self.token
            ).exclude(state=Delivery.State.DELIVERED).update(
                next_attempt_at=until,
                last_error=words,
                claimed_until=None,
                claimed_by="",
            )
        for host in failed_hosts - delivered_hosts:
            if breaker.record_failure_day(host, now=now):
                self.release_host(host)

    def record_failure(self, row: _Row, answer: Answer, *, now: datetime) -> None:
        attempts = row.attempts + 1
        changes = {
            "attempts": attempts,
            "last_status_code": answer.status,
            "claimed_until": None,
            "claimed_by": "",
        }
        if answer.verdict is Verdict.GONE:
            changes["state"] = Delivery.State.GAVE_UP
            changes["last_error"] = _drop_gone_recipient(row, answer)
        elif answer.verdict is Verdict.GIVE_UP:
            changes["state"] = Delivery.State.GAVE_UP
            changes["last_error"] = answer.error
        elif attempts > self.limits.max_retries:
            changes["state"] = Delivery.State.GAVE_UP
            changes["last_error"] = (
                f"gave up after {attempts} attempts; the last: {answer.error}"
            )
        else:
            changes["state"] = Delivery.State.FAILED
            changes["last_error"] = answer.error
            changes["next_attempt_at"] = now + (
                answer.retry_after or retry_delay(attempts)
            )
        Delivery.objects.filter(pk=row.pk, claimed_by=self.token).exclude(
            state=Delivery.State.DELIVERED
        ).update(**changes)

    def release_host(self, host: str) -> None:
        """Stop sending to a server just marked unavailable."""
        rows = self.waiting.pop(host, deque())
        self.waiting_count -= len(rows)
        self.release(list(rows))

    def release(self, rows: list[_Row]) -> None:
        """Give back claimed rows that were not sent, due at once."""
        if rows:
            Delivery.objects.filter(
                pk__in=[row.pk for row in rows], claimed_by=self.token
            ).update(claimed_until=None, claimed_by="")

    # The loop -----------------------------------------------------------------

    def run(self) -> RunResult:
        deadline = time.monotonic() + self.limits.budget
        exhausted = False
        next_claim_at = 0.0
        try:
            while True:
                self.dispatch()
                clock = time.monotonic()
                claiming = not exhausted and clock < deadline
                # Claim when slots are free and what waits cannot use them
                # (everything dispatchable was just dispatched).
                if (
                    claiming
                    and clock >= next_claim_at
                    and self.in_flight < self.limits.dispatch
                    and self.waiting_count < self.limits.batch
                ):
                    busy = [host for host, rows in self.waiting.items() if rows]
                    rows = self.claim(self.limits.batch, exclude=busy[:EXCLUDE_AT_MOST])
                    if rows:
                        self.admit(rows)
                        continue
                    exhausted = not busy
                    next_claim_at = clock + 0.2
                if not claiming and self.waiting_count:
                    self.release_waiting()  # the budget is spent
                idle = not self.in_flight and not self.waiting_count
                if idle and (exhausted or not claiming):
                    break
                self.collect(timeout=0.05 if self.in_flight else 0.2)
                self.flush()
        finally:
            self.release_waiting()
            self.flush()
        self.result.more = not exhausted
        if self.result.claimed:
            logger.info(
                "delivery run: %d claimed, %d sent, %d delivered, %d deferred in "
                "%.1f s%s",
                self.result.claimed,
                self.result.sent,
                self.result.delivered,
                self.result.deferred,
                time.monotonic() - deadline + self.limits.budget,
                "; more to do" if self.result.more else "",
            )
        return self.result

    def release_waiting(self) -> None:
        rows = [row for host_rows in self.waiting.values() for row in host_rows]
        self.waiting.clear()
        self.runnable.clear()
        self.waiting_count = 0
        self.release(rows)


def _post(row: _Row, outgoing: _Outgoing, poster: client.InboxPoster, results) -> None:
    """Sign and POST one row (in a pool thread); put the answer in `results`.

    An RFC 9421 POST refused with 400, 401 or 403 is sent once more with
    draft-cavage, both within one request's deadline: one attempt, whose
    answer is the second's. If the second is taken, `row.learned` says so.
    """
    try:
        with client.deadline(client.REQUEST_DEADLINE):
            response = poster.post(
                row.inbox_url,
                body=outgoing.body,
                signer=outgoing.signer,
                max_bytes=ANSWER_MAX_BYTES,
                standard=row.standard,
            )
            if row.standard == client.RFC9421 and response.status in FALLBACK_STATUSES:
                response = poster.post(
                    row.inbox_url,
                    body=outgoing.body,
                    signer=outgoing.signer,
                    max_bytes=ANSWER_MAX_BYTES,
                    standard=client.CAVAGE,
                )
                if response.ok:
                    row.learned = client.CAVAGE
    except client.OutboundError as exc:
        answer = judge_failure(host=row.host, exc=exc)
    except Exception as exc:  # never lose a row to a surprise
        logger.exception("delivery %s to %s failed", row.pk, row.inbox_url)
        answer = Answer(
            Verdict.RETRY, None, f"sending to {row.host} failed ({type(exc).__name__})"
        )
    else:
        answer = judge_response(
            host=row.host, status=response.status, headers=response.headers
        )
    results.put((row, answer))


def _signature_standards(hosts: set[str]) -> dict[str, str]:
    """The signature standard to send each server: RFC 9421 where it is
    known to take it, draft-cavage everywhere else (every server takes it)."""
    known = RemoteInstance.objects.filter(
        domain__in=hosts, signature_standard=RemoteInstance.SignatureStandard.RFC9421
    ).values_list("domain", flat=True)
    return dict.fromkeys(known, client.RFC9421)


def _drop_gone_recipient(row: _Row, answer: Answer) -> str:
    """A 410 from an inbox: drop the follower it belonged to, or, from a
    shared inbox, accept that the server is gone. Returns it in words."""
    shared = RemoteActor.objects.filter(shared_inbox_url=row.inbox_url).exists()
    owners = list(RemoteActor.objects.filter(inbox_url=row.inbox_url))
    if shared or not owners:
        return f"{row.host} is gone ({status_words(410)}); not sending there"
    now = timezone.now()
    RemoteActor.objects.filter(pk__in=[actor.pk for actor in owners]).update(
        gone_at=now
    )
    removed = followers.follows_forget(
        Follow.objects.filter(actor__in=owners), reason="gone"
    )
    names = ", ".join(actor.handle for actor in owners)
    logger.info(
        "%s answered 410: removed %d follows of %s", row.inbox_url, removed, names
    )
    return f"{names} no longer exists ({status_words(410)}); removed from followers"


# Entry points -------------------------------------------------------------------


def deliver_due(
    *,
    activity_id: int | None = None,
    delivery_ids: list[int] | None = None,
    now: datetime | None = None,
) -> RunResult:
    """Send due deliveries (of one activity, of a batch of rows, or of any)
    until none is left or the run's time budget is spent; `more` says to
    run again.

    `now` pins the clock, for tests of what happens days later.
    """
    return _Run(activity_id=activity_id, delivery_ids=delivery_ids, now=now).run()


def runs_for(rows: int) -> int:
    """How many runs to start for `rows` due deliveries."""
    limits = Limits.from_settings()
    return min(math.ceil(rows / limits.batch), limits.tasks)


def due_deliveries(*, now: datetime, activity_id: int | None = None):
    """Rows to send now: waiting or failed, due, not held by a live lease,
    and not for a server marked unavailable."""
    rows = (
        Delivery.objects.filter(state__in=DUE_STATES, next_attempt_at__lte=now)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .exclude(host__in=breaker.unavailable_hosts())
    )
    if activity_id is not None:
        rows = rows.filter(activity_id=activity_id)
    return rows


def due_count(*, now: datetime | None = None) -> int:
    """Deliveries waiting to be sent now, counted up to what the sweeper
    could start runs for."""
    limits = Limits.from_settings()
    rows = due_deliveries(now=now or timezone.now()).values("pk")
    return rows[: limits.batch * limits.tasks].count()
