"""How a post's delivery is going, per activity, in words for the dashboard.

"Delivered to 41 of 43 servers, 2 retrying, next try 14:05": counted per
server (a server with several personal inboxes counts once, by its worst
row), with the reasons for failures as the delivery worker recorded them
and times in the creator's time zone. Read-only: a few aggregate queries,
cheap enough to poll every few seconds.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Count, Min
from django.utils import timezone

from federation.models import (
    Delivery,
    OutboundActivity,
    OutboxJob,
    RemoteActor,
    RemoteInstance,
)
from federation.outbound.delivery_answers import SLOWED_DOWN
from posts.models import Post

# Lines of failures shown per activity; the rest are counted.
FAILURES_SHOWN = 5
# Servers listed open under an activity; more are folded away (<details>).
HOSTS_OPEN = 5
# Poll quickly while something is being sent, slowly while only later
# retries are waiting, and not at all once nothing is left to do.
POLL_SENDING = 3
POLL_WAITING = 30
# A worker builds a published post's activity within seconds; after this,
# nothing having gone out means no worker took the job.
START_GRACE = timedelta(minutes=10)

LABELS = {
    "Create": "Post",
    "Update": "Edit",
    "Delete": "Deletion",
    "Add": "Pin",
    "Remove": "Unpin",
    "Announce": "Boost",
}

OUTSTANDING = (Delivery.State.PENDING, Delivery.State.FAILED)

# A server's state in the panel's list of servers, and the order listed.
HOST_WORDS = {
    "sending": "sending",
    "retrying": "retrying",
    "paused": "unreachable for days",
    "failed": "failed",
    "delivered": "delivered",
}


@dataclass
class ServerTally:
    delivered: int = 0
    sending: int = 0
    retrying: int = 0
    paused: int = 0
    failed: int = 0

    @property
    def total(self) -> int:
        return self.delivered + self.sending + self.retrying + self.paused + self.failed


@dataclass
class ActivityProgress:
    """One activity of the post (its Create, an edit, the deletion...)."""

    activity_type: str
    label: str
    created_at: datetime
    servers: ServerTally
    next_try: datetime | None = None
    # Followers whose accounts answered 410 and were removed.
    accounts_gone: int = 0
    # Inboxes (personal and shared) delivered and in all: a server with a
    # thousand followers is one server but a thousand requests.
    inboxes_delivered: int = 0
    inboxes: int = 0
    # (kind, words): "failed", "retrying" or "paused", and what happened.
    failures: list[tuple[str, str]] = field(default_factory=list)
    more_failures: int = 0
    # (host, kind) of every server, worst first, then by name: "delivered",
    # "sending", "retrying", "paused" or "failed".
    hosts: list[tuple[str, str]] = field(default_factory=list)
    time_zone: ZoneInfo = ZoneInfo("UTC")

    @property
    def finished(self) -> bool:
        """Nothing left to send now or later (paused servers wait for news)."""
        return not (self.servers.sending or self.servers.retrying)

    @property
    def percent(self) -> int:
        """The bar: by inboxes, which move while a big server is sent to."""
        if self.inboxes:
            return int(100 * self.inboxes_delivered / self.inboxes)
        if not self.servers.total:
            return 100
        return round(100 * self.servers.delivered / self.servers.total)

    @property
    def summary(self) -> str:
        tally = self.servers
        if not tally.total:
            if self.accounts_gone:
                return "Nothing delivered: the accounts it was for no longer exist"
            return "No server to deliver to: nobody follows yet"
        noun = "server" if tally.total == 1 else "servers"
        parts = [f"Delivered to {tally.delivered} of {tally.total} {noun}"]
        if self.inboxes > tally.total and self.inboxes_delivered < self.inboxes:
            parts[0] += f" ({self.inboxes_delivered:,} of {self.inboxes:,} inboxes)"
        if tally.sending:
            parts.append(f"{tally.sending} sending")
        if tally.retrying:
            retry = f"{tally.retrying} retrying"
            if self.next_try is not None:
                retry += f", next try {self.when(self.next_try)}"
            parts.append(retry)
        if tally.failed:
            parts.append(f"{tally.failed} failed")
        if tally.paused:
            parts.append(f"{tally.paused} unreachable for days")
        return ", ".join(parts)

    @property
    def state(self) -> str:
        """One word for the badge: sending, retrying, failed or done."""
        if self.servers.sending:
            return "sending"
        if self.servers.retrying:
            return "retrying"
        if self.servers.failed or self.servers.paused:
            return "incomplete"
        return "done"

    @property
    def badge(self) -> tuple[str, str]:
        """(label, css class) of the state badge."""
        return {
            "sending": ("Sending", "badge-accent"),
            "retrying": ("Retrying", "badge-warning"),
            "incomplete": ("Not everywhere", "badge-danger"),
            "done": ("Delivered", "badge-on"),
        }[self.state]

    @property
    def hosts_folded(self) -> bool:
        return len(self.hosts) > HOSTS_OPEN

    @property
    def hosts_words(self) -> list[tuple[str, str, str]]:
        """(host, kind, words) of every server, for the list under the bar."""
        return [(host, kind, HOST_WORDS[kind]) for host, kind in self.hosts]

    @property
    def sent_words(self) -> str:
        return self.when(self.created_at)

    @property
    def accounts_gone_words(self) -> str:
        count = self.accounts_gone
        if not count:
            return ""
        if count == 1:
            return (
                "1 follower's account no longer exists; it was removed from "
                "your followers."
            )
        return (
            f"{count} followers' accounts no longer exist; they were removed "
            "from your followers."
        )

    def when(self, moment: datetime) -> str:
        """ "14:05" today, "Tue 14:05" this week, "3 Dec, 14:05" later."""
        local = timezone.localtime(moment, self.time_zone)
        today = timezone.localtime(timezone.now(), self.time_zone).date()
        if local.date() == today:
            return f"{local:%H:%M}"
        if abs((local.date() - today).days) < 7:
            return f"{local:%a %H:%M}"
        return f"{local.day} {local:%b}, {local:%H:%M}"


@dataclass
class DeliveryProgress:
    post: Post
    activities: list[ActivityProgress]
    # Work recorded for the post that has never reached the task queue
    # (the broker is down): it goes out once the queue answers.
    waiting_for_queue: bool = False
    # Preparing the post's activity failed and is tried again: why, when.
    preparing_error: str = ""
    preparing_retry_at: datetime | None = None

    @property
    def finished(self) -> bool:
        return all(activity.finished for activity in self.activities)

    @property
    def not_shared(self) -> bool:
        """Published while the creator does not share to the fediverse."""
        return (
            self.post.state == Post.State.PUBLISHED
            and not self.activities
            and not self.post.creator.share_to_fediverse
        )

    @property
    def imported(self) -> bool:
        """Imported from the creator's old account: never sent as new."""
        return bool(self.post.imported_from) and not self.activities

    @property
    def waiting_to_start(self) -> bool:
        """Published, but the activity is not built and stored yet."""
        return (
            self.post.state == Post.State.PUBLISHED
            and not self.activities
            and not self.imported
            and not self.not_shared
            and not self.stuck
            and not self.waiting_for_queue
            and not self.preparing_error
        )

    @property
    def stuck(self) -> bool:
        """Published a while ago and still nothing built: no worker runs."""
        return (
            self.post.state == Post.State.PUBLISHED
            and not self.activities
            and not self.imported
            and not self.waiting_for_queue
            and not self.preparing_error
            and self.post.creator.share_to_fediverse
            and self.post.published_at is not None
            and timezone.now() - self.post.published_at > START_GRACE
        )

    @property
    def preparing_retry_words(self) -> str:
        if self.preparing_retry_at is None:
            return ""
        zone = _zone(self.post.creator.time_zone)
        return f"{timezone.localtime(self.preparing_retry_at, zone):%H:%M}"

    @property
    def poll_seconds(self) -> int | None:
        if (
            self.waiting_to_start
            or self.waiting_for_queue
            or any(a.servers.sending for a in self.activities)
        ):
            return POLL_SENDING
        if (
            self.stuck
            or self.preparing_error
            or any(a.servers.retrying for a in self.activities)
        ):
            return POLL_WAITING
        return None

    @property
    def headline(self) -> str:
        if self.waiting_for_queue:
            return "Waiting for the queue: it goes out as soon as it answers."
        if self.waiting_to_start:
            return "Getting ready to send…"
        if self.stuck:
            return "Not sent yet: no worker has taken it."
        if self.imported:
            return "Imported from your old account: not sent to anyone as new."
        if not self.activities:
            return "Not sent to any server."
        return self.activities[-1].summary


def delivery_progress(post: Post) -> DeliveryProgress:
    """Where each of the post's activities stands, counted per server."""
    zone = _zone(post.creator.time_zone)
    now = timezone.now()
    activities = list(
        OutboundActivity.objects.filter(post=post)
        .order_by("created_at", "pk")
        .values("pk", "activity_type", "created_at")
    )
    rows = (
        Delivery.objects.filter(activity__post=post)
        .values("activity_id", "host", "state")
        .annotate(n=Count("pk"), due=Min("next_attempt_at"))
    )
    groups: dict[int, dict[str, list[dict]]] = defaultdict(lambda: defaultdict(list))
    outstanding_hosts = set()
    for group in rows:
        groups[group["activity_id"]][group["host"]].append(group)
        if group["state"] in OUTSTANDING:
            outstanding_hosts.add(group["host"])
    unavailable = set(
        RemoteInstance.objects.filter(
            domain__in=outstanding_hosts, unavailable_since__isnull=False
        ).values_list("domain", flat=True)
    )
    reasons = _reasons(Delivery.objects.filter(activity__post=post))
    progress = []
    for activity in activities:
        hosts = groups.get(activity["pk"], {})
        item = ActivityProgress(
            activity_type=activity["activity_type"],
            label=LABELS.get(activity["activity_type"], activity["activity_type"]),
            created_at=activity["created_at"],
            servers=ServerTally(),
            time_zone=zone,
        )
        gone_inboxes = reasons.gone_personal.get(activity["pk"], 0)
        item.accounts_gone = gone_inboxes
        lines = []
        for host, host_rows in sorted(hosts.items()):
            for group in host_rows:
                item.inboxes += group["n"]
                if group["state"] == Delivery.State.DELIVERED:
                    item.inboxes_delivered += group["n"]
            verdict = _server_verdict(
                host_rows, now=now, unavailable=host in unavailable, reasons=reasons
            )
            if verdict is None:
                continue  # only accounts that are gone: not a server failure
            kind, next_try = verdict
            item.hosts.append((host, kind))
            setattr(item.servers, kind, getattr(item.servers, kind) + 1)
            if kind == "retrying" and next_try is not None:
                item.next_try = min(filter(None, [item.next_try, next_try]))
            line = _failure_line(
                kind, reasons.words.get((activity["pk"], host)), host, next_try, item
            )
            if line:
                lines.append((kind, line))
        # Inboxes of accounts that are gone are nobody's to deliver to.
        item.inboxes = max(item.inboxes - gone_inboxes, 0)
        order = list(HOST_WORDS)
        item.hosts.sort(key=lambda pair: (order.index(pair[1]), pair[0]))
        item.failures = lines[:FAILURES_SHOWN]
        item.more_failures = max(len(lines) - FAILURES_SHOWN, 0)
        progress.append(item)
    waiting = OutboxJob.objects.filter(post=post, state=OutboxJob.State.PENDING)
    failing = (
        waiting.filter(attempts__gt=0)
        .order_by("next_attempt_at")
        .values("last_error", "next_attempt_at")
        .first()
    )
    return DeliveryProgress(
        post=post,
        activities=progress,
        waiting_for_queue=waiting.filter(enqueued_at__isnull=True, attempts=0).exists(),
        preparing_error=failing["last_error"] if failing else "",
        preparing_retry_at=failing["next_attempt_at"] if failing else None,
    )


@dataclass(frozen=True)
class DeliveryBadge:
    """A post's delivery in a few words, for lists of posts."""

    # "queue", "sending", "retrying", "incomplete", "done", "nobody",
    # "not-shared" or "stuck"
    state: str
    words: str
    css: str

    @property
    def problem(self) -> bool:
        """Something the creator should look at: not everywhere, or stuck."""
        return self.state in ("retrying", "incomplete", "stuck")


def delivery_badges(posts: list[Post]) -> dict[int, DeliveryBadge]:
    """The badge of each published post: its latest activity, per server.

    The rules of delivery_progress (a server counts once, by its worst row;
    followers found gone are no failure), for a whole list of posts in six
    queries whatever its length. Posts need their creator loaded; posts
    that were never published get no badge.
    """
    by_pk = {post.pk: post for post in posts if post.state == Post.State.PUBLISHED}
    if not by_pk:
        return {}
    latest: dict[int, int] = {}
    for row in (
        OutboundActivity.objects.filter(post__in=list(by_pk))
        .order_by("created_at", "pk")
        .values("pk", "post_id")
    ):
        latest[row["post_id"]] = row["pk"]  # the last one wins
    deliveries = Delivery.objects.filter(activity__in=list(latest.values()))
    groups: dict[int, dict[str, list[dict]]] = defaultdict(lambda: defaultdict(list))
    outstanding_hosts = set()
    for group in deliveries.values("activity_id", "host", "state").annotate(
        n=Count("pk"), due=Min("next_attempt_at")
    ):
        groups[group["activity_id"]][group["host"]].append(group)
        if group["state"] in OUTSTANDING:
            outstanding_hosts.add(group["host"])
    unavailable = set(
        RemoteInstance.objects.filter(
            domain__in=outstanding_hosts, unavailable_since__isnull=False
        ).values_list("domain", flat=True)
    )
    reasons = _reasons(deliveries)
    waiting_for_queue: set[int] = set()
    preparing: set[int] = set()
    for job in OutboxJob.objects.filter(
        post__in=list(by_pk), state=OutboxJob.State.PENDING
    ).values("post_id", "attempts", "enqueued_at"):
        if job["attempts"]:
            preparing.add(job["post_id"])
        elif job["enqueued_at"] is None:
            waiting_for_queue.add(job["post_id"])
    now = timezone.now()
    badges = {}
    for pk, post in by_pk.items():
        if pk in waiting_for_queue:
            badges[pk] = DeliveryBadge(
                "queue", "Waiting for the queue", "badge-warning"
            )
            continue
        if pk not in latest:
            badges[pk] = _badge_before_sending(post, preparing=pk in preparing, now=now)
            continue
        tally = ServerTally()
        for host_rows in groups.get(latest[pk], {}).values():
            verdict = _server_verdict(
                host_rows,
                now=now,
                unavailable=host_rows[0]["host"] in unavailable,
                reasons=reasons,
            )
            if verdict is not None:
                kind = verdict[0]
                setattr(tally, kind, getattr(tally, kind) + 1)
        badges[pk] = _badge_of_tally(tally)
    return badges


def _badge_before_sending(post: Post, *, preparing: bool, now) -> DeliveryBadge:
    """No activity built yet: imported, not shared, getting ready, or stuck."""
    if post.imported_from:
        return DeliveryBadge("imported", "Imported", "badge-off")
    if not post.creator.share_to_fediverse:
        return DeliveryBadge("not-shared", "Not shared", "badge-off")
    late = post.published_at is not None and now - post.published_at > START_GRACE
    if preparing or late:
        return DeliveryBadge("stuck", "Not sent yet", "badge-danger")
    return DeliveryBadge("sending", "Sending…", "badge-accent")


def _badge_of_tally(tally: ServerTally) -> DeliveryBadge:
    if not tally.total:
        return DeliveryBadge("nobody", "No server to deliver to", "badge-off")
    if tally.sending:
        return DeliveryBadge("sending", "Sending…", "badge-accent")
    if tally.retrying:
        return DeliveryBadge("retrying", f"{tally.retrying} retrying", "badge-warning")
    if tally.failed or tally.paused:
        return DeliveryBadge("incomplete", "Not everywhere", "badge-danger")
    return DeliveryBadge(
        "done", f"Delivered to {tally.delivered} of {tally.total}", "badge-on"
    )


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ValueError, KeyError):
        return ZoneInfo("UTC")


@dataclass
class _Reasons:
    # (activity, host) -> the worker's words for its worst row there
    words: dict[tuple[int, str], str]
    # activity -> personal inboxes that answered 410 (followers removed)
    gone_personal: dict[int, int]
    # (activity, host) -> rows that are such 410s
    gone_rows: dict[tuple[int, str], int]


def _reasons(deliveries) -> _Reasons:
    """The recorded reasons, one per server, and the followers found gone."""
    problems = list(
        deliveries.exclude(state=Delivery.State.DELIVERED)
        .exclude(last_error="")
        .order_by("-state", "-last_status_code")
        .values(
            "activity_id",
            "host",
            "inbox_url",
            "state",
            "last_status_code",
            "last_error",
        )[:500]
    )
    gone = [row for row in problems if row["last_status_code"] == 410]
    personal = set(
        RemoteActor.objects.filter(inbox_url__in={row["inbox_url"] for row in gone})
        .exclude(shared_inbox_url__in={row["inbox_url"] for row in gone})
        .values_list("inbox_url", flat=True)
    )
    words: dict[tuple[int, str], str] = {}
    gone_personal: dict[int, int] = defaultdict(int)
    gone_rows: dict[tuple[int, str], int] = defaultdict(int)
    for row in problems:
        key = (row["activity_id"], row["host"])
        if row["last_status_code"] == 410 and row["inbox_url"] in personal:
            gone_personal[row["activity_id"]] += 1
            gone_rows[key] += 1
            continue
        words.setdefault(key, row["last_error"])
    return _Reasons(words, gone_personal, gone_rows)


def _server_verdict(host_rows, *, now, unavailable: bool, reasons: _Reasons):
    """(kind, next try) for one server, from its rows grouped by state.

    Worst first: sending, retrying, unreachable for days, failed, delivered.
    None when every row there was an account that no longer exists.
    """
    activity_id = host_rows[0]["activity_id"]
    host = host_rows[0]["host"]
    outstanding = [r for r in host_rows if r["state"] in OUTSTANDING]
    if outstanding:
        if unavailable:
            return "paused", None
        if any(r["due"] <= now for r in outstanding):
            return "sending", None
        return "retrying", min(r["due"] for r in outstanding)
    gave_up = sum(r["n"] for r in host_rows if r["state"] == Delivery.State.GAVE_UP)
    gone = reasons.gone_rows.get((activity_id, host), 0)
    if gave_up > gone:
        return "failed", None
    if any(r["state"] == Delivery.State.DELIVERED for r in host_rows):
        return "delivered", None
    return None


def _failure_line(kind, words, host, next_try, item: ActivityProgress) -> str:
    if kind == "failed":
        return words or f"{host} could not be reached"
    if kind == "retrying":
        if words and SLOWED_DOWN in words and next_try:
            # A 429: not a failure, the server set the pace and the time.
            return f"{host} {SLOWED_DOWN} (until {item.when(next_try)})"
        reason = words or f"{host} is waiting for its next try"
        return f"{reason}; next try {item.when(next_try)}" if next_try else reason
    if kind == "paused":
        return (
            f"{host} has been unreachable for days; it gets the post when it "
            "is heard from again"
        )
    return ""
