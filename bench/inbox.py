"""Inbox ingestion: signed likes, boosts and replies from remote actors.

Two measurements, each beside a figure measured in the same run:

1. Request path. gunicorn serves the project (4 sync workers); a loopback
   load generator (8 processes, a connection per request as Mastodon's
   delivery workers open) POSTs signed Like, Announce and Create(Note) reply
   activities from 500 remote actors whose keys the inbox already knows (and
   every gunicorn worker has cached), to the shared inbox. Each 202 comes
   only once PostgreSQL has the activity (InboundActivity, with its
   partition) and the inbox workers were woken (once per flag period).
   Printed: accepted requests per second, p50 and p99 of the 202. Floor:
   the same requests against a Django view that only answers 202, in the
   same gunicorn, before and after (the higher kept). Goals: >= 45 % of the
   floor's rate, p99 <= 3x the floor's. By default no inbox worker runs
   while the clock runs (on a small machine it would take CPU from the
   request path the floor does not pay); `--worker-during-requests` starts
   it first. Afterwards a real `celery worker` on `inbox`, woken by the
   messages the requests queued, processes everything, and each activity
   is checked stored once and processed exactly once.

2. Worker side. N activities (likes, boosts, Misskey reactions and replies
   from the 500 actors, a third on three hot posts; one in ten an undo,
   some undos before what they undo; some likes sent again under a new id)
   are seeded as stored InboundActivity rows, as the request path leaves
   them (COPY; real payloads; `partition` from processing.partition_of;
   received one after another, so each actor's go in order). Then `--workers
   P` separate processes (forked, each with its own database connection)
   run processing.process_queued in a loop until nothing waits: the code a
   `process_inbox_batch` task runs, without the broker, so the figure is
   the processing's and its partition locks', not a wake-up's latency.
   Printed per run: activities/s from the start signal to the last process
   done, and where the time went (CPU of the workers and of PostgreSQL,
   what the workers' backends were doing, sampled from pg_stat_activity,
   partitions found held by another worker). Interactions per post and
   kind, replies and every rollup table are then checked exactly against a
   model of the rules (and the rollups against a recount); any difference
   stops the bench. Default: 1 process, then 2 (the data seeded afresh for
   each); goal: 2 processes >= 1.3x one.

Needs PostgreSQL and Redis: BENCH_DATABASE_URL (default
postgres://postgres@127.0.0.1:5432/bench_creatorhub_inbox; its name must
contain "bench": it is dropped and created again) and BENCH_REDIS_URL
(default redis://127.0.0.1:6379/14; flushed): the cache, and the broker.

Signing 500 distinct RSA keys' worth of requests is done before the clock
starts; the actors' keys come from a pool of 25 key pairs (generating 500
RSA-2048 keys takes about a minute, and verifying costs the same whichever
key signed).

Run: .venv/bin/python bench/inbox.py [--quick] [--workers P [P ...]]
     [--only requests|workers] [--worker-during-requests]
"""

import argparse
import http.client
import json
import multiprocessing
import os
import random
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.postgres import recreate_database  # noqa: E402 (after the path)

DOMAIN = "hub.bench.example"
AS2 = "application/activity+json"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
REQUEST_GOAL = 0.45
LATENCY_GOAL = 3.0
WORKER_GOAL = 1.3
KEY_POOL = 25
LOAD_PROCESSES = 8
GUNICORN_WORKERS = 4
FLOOR_PATH = "/bench/floor"
HOT_POSTS = 3


# Served by gunicorn: the project's URLs plus the floor view -----------------------

if os.environ.get("BENCH_INBOX_SERVE"):
    import django
    from django.conf import settings

    django.setup()
    settings.ROOT_URLCONF = __name__
    from django.contrib.auth.decorators import login_not_required
    from django.core.wsgi import get_wsgi_application
    from django.http import HttpResponse
    from django.urls import include, path
    from django.views.decorators.csrf import csrf_exempt
    from django.views.decorators.http import require_POST

    @csrf_exempt
    @login_not_required
    @require_POST
    def floor_view(request):
        """The least a Django view can do with an inbox POST."""
        return HttpResponse(status=202)

    urlpatterns = [
        path(FLOOR_PATH.lstrip("/"), floor_view),
        path("", include("creatorhub.urls")),
    ]
    application = get_wsgi_application()


# Setting up -------------------------------------------------------------------------


def configure_environment(var_dir: Path) -> None:
    database = os.environ.get(
        "BENCH_DATABASE_URL",
        "postgres://postgres@127.0.0.1:5432/bench_creatorhub_inbox",
    )
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
    if "bench" not in urlsplit(database).path:
        raise SystemExit("BENCH_DATABASE_URL must name a database with 'bench' in it")
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "creatorhub.settings",
            "SECRET_KEY": "bench-inbox-not-secret-bench-inbox-not-secret",
            "DEBUG": "false",
            "LOG_LEVEL": "WARNING",
            "CREATORHUB_DOMAIN": DOMAIN,
            "CREATORHUB_VAR_DIR": str(var_dir),
            "DATABASE_URL": database,
            "REDIS_URL": redis_url,
            "CELERY_BROKER_URL": redis_url,
            # The per-server limit stays on the request path (its cache read
            # and increment are measured) but never trips: the load comes
            # from a few made-up servers, far faster than any real one.
            "FEDERATION_INBOX_RATE_PER_SERVER": "1000000000",
        }
    )


def flush_redis(url: str) -> None:
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=3).flushdb()
    except redis.RedisError as exc:
        raise SystemExit(f"Redis does not answer at {url}: {exc}") from exc


def make_world(*, actors: int, posts: int):
    """A creator with posts, and remote actors whose keys are stored."""
    from django.utils import timezone

    from accounts.models import CreatorProfile, User
    from federation.models import RemoteActor, RemoteInstance
    from federation.protocol import ids, signatures
    from posts.models import Post

    user = User.objects.create(username="bench")
    creator = CreatorProfile.objects.create(
        user=user, handle="bench", share_to_fediverse=True
    )
    now = timezone.now()
    post_ids = [
        ids.note_id(
            Post.objects.create(
                creator=creator,
                body=f"post {n}",
                state=Post.State.PUBLISHED,
                published_at=now,
            )
        )
        for n in range(posts)
    ]
    pool = [signatures.generate_key_pair() for _ in range(KEY_POOL)]
    instances = [
        RemoteInstance.objects.create(
            domain=f"s{n}.example",
            software=RemoteInstance.Software.MASTODON,
            nodeinfo_fetched_at=now,
        )
        for n in range(max(actors // 10, 1))
    ]
    people = []
    rows = []
    for n in range(actors):
        instance = instances[n % len(instances)]
        actor = f"https://{instance.domain}/users/u{n}"
        private_pem, public_pem = pool[n % KEY_POOL]
        rows.append(
            RemoteActor(
                ap_id=actor,
                instance=instance,
                username=f"u{n}",
                display_name=f"User {n}",
                inbox_url=f"{actor}/inbox",
                shared_inbox_url=f"https://{instance.domain}/inbox",
                followers_url=f"{actor}/followers",
                public_key_id=f"{actor}#main-key",
                public_key_pem=public_pem,
            )
        )
        people.append((actor, f"{actor}#main-key", private_pem))
    RemoteActor.objects.bulk_create(rows)
    return creator, post_ids, people


# Activities ---------------------------------------------------------------------


def like(actor: str, n: int, post: str) -> dict:
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{actor}#likes/{n}",
        "type": "Like",
        "actor": actor,
        "object": post,
    }


def boost(actor: str, n: int, post: str) -> dict:
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{actor}/statuses/{n}/activity",
        "type": "Announce",
        "actor": actor,
        "published": "2024-11-22T10:15:00Z",
        "to": [PUBLIC],
        "cc": [post.split("/statuses/")[0], f"{actor}/followers"],
        "object": post,
    }


def reaction(actor: str, n: int, post: str) -> dict:
    return like(actor, n, post) | {"content": "🔥", "_misskey_reaction": "🔥"}


def reply(actor: str, n: int, post: str) -> dict:
    note = f"{actor}/statuses/{n}"
    creator = post.split("/statuses/")[0]
    return {
        "@context": [
            "https://www.w3.org/ns/activitystreams",
            {"sensitive": "as:sensitive", "toot": "http://joinmastodon.org/ns#"},
        ],
        "id": f"{note}/activity",
        "type": "Create",
        "actor": actor,
        "published": "2024-11-22T10:20:31Z",
        "to": [PUBLIC],
        "cc": [f"{actor}/followers", creator],
        "object": {
            "id": note,
            "type": "Note",
            "summary": None,
            "inReplyTo": post,
            "published": "2024-11-22T10:20:31Z",
            "url": note.replace("/users/", "/@").replace("/statuses/", "/"),
            "attributedTo": actor,
            "to": [PUBLIC],
            "cc": [f"{actor}/followers", creator],
            "sensitive": False,
            "content": (
                '<p><span class="h-card"><a href="https://hub.bench.example/@bench" '
                'class="u-url mention">@<span>bench</span></a></span> Lovely light '
                f"in this one, number {n}. Where was it taken?</p>"
            ),
            "contentMap": {"en": f"<p>Lovely light in this one, number {n}.</p>"},
            "attachment": [],
            "tag": [{"type": "Mention", "href": creator, "name": "@bench"}],
        },
    }


def undo(actor: str, original: dict) -> dict:
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{original['id']}/undo",
        "type": "Undo",
        "actor": actor,
        "object": {k: v for k, v in original.items() if k != "@context"},
    }


# 1. The request path --------------------------------------------------------------


def request_activities(people, posts, total: int) -> list[tuple[int, dict]]:
    """(actor index, activity): likes, boosts and replies, each (actor, post,
    kind) once, so every one of them must end up counted."""
    makers = (like, boost, reply)
    activities = []
    for number in range(total):
        index = number % len(people)
        rounds = number // len(people)
        maker = makers[rounds % 3]
        post = posts[(rounds // 3 + index) % len(posts)]
        activities.append((index, maker(people[index][0], 10_000_000 + number, post)))
    return activities


def _sign_all(people, activities, path):
    from federation.protocol import signatures

    signed = []
    for index, activity in activities:
        actor, key_id, private_pem = people[index]
        body = json.dumps(activity).encode()
        headers = signatures.sign_request(
            method="POST",
            url=f"https://{DOMAIN}{path}",
            key_id=key_id,
            private_key=signatures.load_private_key(private_pem),
            body=body,
            headers={"Content-Type": AS2},
        )
        signed.append((body, headers))
    return signed


def _load_main(conn, port, path, people, activities, barrier):
    """One load generator process: sign its share, then POST it as fast as
    the server answers, a connection per request."""
    requests = _sign_all(people, activities, path)
    barrier.wait()
    started = time.perf_counter()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    latencies, statuses = [], {}
    for body, headers in requests:
        sent = time.perf_counter()
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        connection.request("POST", path, body, headers)
        response = connection.getresponse()
        response.read()
        connection.close()
        latencies.append(time.perf_counter() - sent)
        statuses[response.status] = statuses.get(response.status, 0) + 1
    finished = time.perf_counter()
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime - usage.ru_utime) + (after.ru_stime - usage.ru_stime)
    conn.send((started, finished, latencies, statuses, cpu))


def children_cpu(pid: int) -> float:
    """CPU seconds of the live children of `pid` (gunicorn's workers)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                total += _cpu_seconds(int(entry.name))
    return total


def blast(port: int, path: str, people, activities, server_pid: int = 0) -> dict:
    """POST every activity once from LOAD_PROCESSES processes; the rate is
    counted from when they all start sending to when the last one ends."""
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(LOAD_PROCESSES + 1)
    pipes, processes = [], []
    for slot in range(LOAD_PROCESSES):
        parent, child = context.Pipe()
        share = activities[slot::LOAD_PROCESSES]
        process = context.Process(
            target=_load_main, args=(child, port, path, people, share, barrier)
        )
        process.start()
        pipes.append(parent)
        processes.append(process)
    barrier.wait()
    clock_started = time.time()
    cpu_before = (children_cpu(server_pid), postgres_cpu(), machine_cpu())
    results = [pipe.recv() for pipe in pipes]
    cpu_after = (children_cpu(server_pid), postgres_cpu(), machine_cpu())
    for process in processes:
        process.join()
    latencies = sorted(x for result in results for x in result[2])
    statuses = {}
    for result in results:
        for status, count in result[3].items():
            statuses[status] = statuses.get(status, 0) + count
    seconds = max(r[1] for r in results) - min(r[0] for r in results)
    return {
        "rate": len(latencies) / seconds,
        "seconds": seconds,
        "p50": statistics.median(latencies),
        "p99": latencies[int(len(latencies) * 0.99) - 1],
        "statuses": statuses,
        "started": clock_started,
        "cpu": {
            "gunicorn": cpu_after[0] - cpu_before[0],
            "postgres": (cpu_after[1] or 0.0) - (cpu_before[1] or 0.0),
            "load": sum(r[4] for r in results),
            "busy": cpu_after[2][0] - cpu_before[2][0],
            "idle": cpu_after[2][1] - cpu_before[2][1],
        },
    }


def start_gunicorn(port: int, log_path: Path):
    env = {
        **os.environ,
        "BENCH_INBOX_SERVE": "1",
        "PYTHONPATH": f"{ROOT / 'bench'}:{ROOT}",
    }
    process = subprocess.Popen(  # noqa: S603 (our interpreter, our arguments)
        [
            sys.executable, "-m", "gunicorn", "inbox:application",
            "--workers", str(GUNICORN_WORKERS), "--bind", f"127.0.0.1:{port}",
            "--log-level", "warning", "--backlog", "2048",
        ],
        cwd=ROOT, env=env, stdout=log_path.open("a"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("gunicorn exited:\n" + log_path.read_text()[-3000:])
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("gunicorn did not start:\n" + log_path.read_text()[-3000:])


def start_worker(log_path: Path):
    from creatorhub.celery import app

    name = f"bench-inbox-{os.getpid()}@{socket.gethostname()}"
    process = subprocess.Popen(  # noqa: S603 (our interpreter, our arguments)
        [
            sys.executable, "-m", "celery", "-A", "creatorhub", "worker",
            "--queues", "inbox,fetch", "--pool", "prefork", "--concurrency", "1",
            "--hostname", name, "--without-mingle", "--without-gossip",
            "--loglevel", "WARNING",
        ],
        cwd=ROOT, stdout=log_path.open("a"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("the worker exited:\n" + log_path.read_text()[-3000:])
        if app.control.ping(destination=[name], timeout=0.5):
            return process
    process.kill()
    raise SystemExit("the worker did not start:\n" + log_path.read_text()[-3000:])


def stop(process) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def wait_processed(expected: int, started: float, timeout: float) -> float:
    """Seconds from `started` (a time.time()) until every activity stored is
    processed: none left QUEUED, at least `expected` stored."""
    from federation.models import InboundActivity

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        stored = InboundActivity.objects.count()
        waiting = InboundActivity.objects.filter(
            state=InboundActivity.State.QUEUED
        ).count()
        if stored >= expected and not waiting:
            return time.time() - started
        time.sleep(0.2)
    raise SystemExit(f"not everything was processed within {timeout:.0f} s")


def check_request_results(activities, warm) -> str:
    from django.db.models import Count

    from analytics.models import Interaction, Reply
    from federation.models import InboundActivity

    sent = {activity["id"] for _, activity in activities + warm}
    rows = InboundActivity.objects.filter(ap_id__in=sent)
    warm_actors = {activity["actor"] for _, activity in warm}
    states = dict(
        InboundActivity.objects.values_list("state").annotate(n=Count("pk")).order_by()
    )
    # Warm-up likes are all of one post: one like per person counts.
    kinds = {"Like": len(warm_actors), "Announce": 0, "Create": 0}
    for _, activity in activities:
        kinds[activity["type"]] += 1
    counted = {
        "Like": Interaction.objects.filter(kind="like").count(),
        "Announce": Interaction.objects.filter(kind="boost").count(),
        "Create": Reply.objects.count(),
    }
    replies_counted = Interaction.objects.filter(kind="reply").count()
    problems = []
    if rows.count() != len(sent):
        problems.append(f"{rows.count()} stored of {len(sent)} sent")
    if states.get("processed", 0) != len(sent):
        problems.append(f"states {states}")
    if counted != kinds or replies_counted != kinds["Create"]:
        problems.append(
            f"counted {counted} (+{replies_counted} reply counts), sent {kinds}"
        )
    if problems:
        raise SystemExit("not processed exactly once: " + "; ".join(problems))
    return (
        f"each processed exactly once: {len(sent)} stored, {counted['Like']} likes, "
        f"{counted['Announce']} boosts, {counted['Create']} replies"
    )


def run_requests(
    people, posts, *, total: int, var_dir: Path, worker_during: bool
) -> dict:
    from django.db import connections

    # The last post is only for warming up, so warm-up likes never meet the
    # measured ones.
    activities = request_activities(people, posts[:-1], total)
    # Every person a few times per gunicorn worker, so that each worker has
    # each key cached before the clock starts ("keys known and cached").
    warm = [
        (index, like(people[index][0], 1000 * round_ + index, posts[-1]))
        for round_ in range(GUNICORN_WORKERS * 3)
        for index in range(len(people))
    ]
    port = free_port()
    connections.close_all()
    server = start_gunicorn(port, var_dir / "gunicorn.log")
    worker = None
    try:
        if worker_during:
            worker = start_worker(var_dir / "worker.log")
        warm_up = blast(port, "/inbox", people, warm)
        blast(port, FLOOR_PATH, people, warm[: len(people)])
        if worker is not None:
            # The clock starts with the worker idle, as it is for the floor.
            wait_processed(len(warm), warm_up["started"], timeout=600)
        pid = server.pid
        floor_before = blast(port, FLOOR_PATH, people, activities, pid)
        inbox = blast(port, "/inbox", people, activities, pid)
        floor_after = blast(port, FLOOR_PATH, people, activities, pid)
        # Otherwise the wake-ups the requests queued wait in the broker for
        # a worker: it starts now, and must find them.
        if worker is None:
            worker = start_worker(var_dir / "worker.log")
        processed_in = wait_processed(
            len(activities) + len(warm), inbox["started"], timeout=600
        )
        checked = check_request_results(activities, warm)
    finally:
        stop(server)
        if worker is not None:
            stop(worker)
    for run in (floor_before, inbox, floor_after):
        if set(run["statuses"]) != {202}:
            raise SystemExit(f"answers other than 202: {run['statuses']}")
    floor = max(floor_before, floor_after, key=lambda run: run["rate"])
    return {
        "inbox": inbox,
        "floor": floor,
        "floor_rates": (floor_before["rate"], floor_after["rate"]),
        "processed_in": processed_in,
        "checked": checked,
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Model:
    """What the counts must be: the processing rules, applied in order."""

    def __init__(self):
        self.seen = set()
        self.present = {}  # (kind, actor, post, emoji) -> activity id
        self.by_id = {}
        self.cancelled = set()
        self.replies = {}  # note id -> post

    def apply(self, activity: dict) -> None:
        if activity["id"] in self.seen:
            return
        self.seen.add(activity["id"])
        actor = activity["actor"]
        kind = activity["type"]
        if kind == "Create":
            self.replies.setdefault(
                activity["object"]["id"], activity["object"]["inReplyTo"]
            )
            return
        if kind == "Undo":
            original = activity["object"]
            key = self.key(original)
            found = self.by_id.get(original["id"])
            if found is None or found[1] != actor or self.present.get(found) is None:
                found = key if self.present.get(key) is not None else None
            if found is not None:
                self.present[found] = None
            else:
                self.cancelled.add((actor, original["id"]))
            return
        if (actor, activity["id"]) in self.cancelled:
            return
        key = self.key(activity)
        if self.present.get(key) is None:
            self.present[key] = activity["id"]
            self.by_id[activity["id"]] = key

    @staticmethod
    def key(activity: dict) -> tuple:
        if activity["type"] == "Announce":
            return ("boost", activity["actor"], activity["object"], "")
        emoji = activity.get("_misskey_reaction", "")
        return (
            "reaction" if emoji else "like",
            activity["actor"],
            activity["object"],
            emoji,
        )

    def counts(self) -> dict:
        counts = {}
        for (kind, _, post, _), present in self.present.items():
            if present is not None:
                counts[(post, kind)] = counts.get((post, kind), 0) + 1
        for post in self.replies.values():
            counts[(post, "reply")] = counts.get((post, "reply"), 0) + 1
        return counts


# 2. The worker side -------------------------------------------------------------


def worker_activities(people, posts, total: int, seed: int = 7) -> list[dict]:
    """`total` activities with distinct ids (the request path stores an id
    once: a re-delivery never reaches a worker), in arrival order: a third
    of them on HOT_POSTS hot posts, one in ten an undo (a few sent before
    what they undo), one in twenty a like or boost sent again under a new
    id."""
    rng = random.Random(seed)
    hot, others = posts[:HOT_POSTS], posts[HOT_POSTS:]
    sent: list[dict] = []
    undoable: list[dict] = []
    early: list[dict] = []
    number = 20_000_000
    while len(sent) < total:
        roll = rng.random()
        if undoable and roll < 0.10:
            original = undoable.pop(rng.randrange(len(undoable)))
            sent.append(undo(original["actor"], original))
            continue
        number += 1
        if undoable and roll < 0.15:
            # The same like or boost again, under a new id: counted once.
            again = rng.choice(undoable)
            maker = boost if again["type"] == "Announce" else like
            sent.append(maker(again["actor"], number, again["object"]))
            continue
        actor = people[rng.randrange(len(people))][0]
        post = rng.choice(hot) if rng.random() < 1 / 3 else rng.choice(others)
        maker = rng.choices((like, boost, reaction, reply), weights=(5, 2, 1, 2))[0]
        activity = maker(actor, number, post)
        if maker is not reply and rng.random() < 0.01:
            # Its undo goes first: the activity must be dropped on arrival.
            early.append(activity)
            sent.append(undo(actor, activity))
            continue
        if early and rng.random() < 0.05:
            sent.append(early.pop())
        sent.append(activity)
        if maker is not reply:
            undoable.append(activity)
    return sent[:total]


_TOUCHED = (
    "analytics.Interaction",
    "analytics.Reply",
    "analytics.PostDailyRollup",
    "analytics.CreatorHourlyRollup",
    "analytics.CreatorDailyRollup",
    "analytics.PlatformDailyRollup",
    "analytics.InstanceDailyRollup",
    "analytics.CreatorTotalRollup",
    "federation.EarlyCancellation",
    "federation.RemoteTombstone",
    "federation.InboundActivity",
)


def seed_inbound(activities: list[dict]) -> float:
    """Empty what processing writes, then store `activities` as the request
    path does (QUEUED, never tried, partition by actor, received in order);
    seconds it took."""
    from django.apps import apps
    from django.db import connection
    from django.utils import timezone

    from federation.inbound import processing

    started = time.perf_counter()
    tables = [apps.get_model(label)._meta.db_table for label in _TOUCHED]
    columns = (
        "ap_id", "activity_type", "actor_uri", "payload", "key_id", "verified",
        "inbox_handle", "partition", "state", "attempts", "error", "received_at",
    )  # fmt: skip
    base = timezone.now() - timedelta(hours=1)
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
        raw = cursor.cursor
        table = "federation_inboundactivity"
        with raw.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for n, activity in enumerate(activities):
                actor = activity["actor"]
                copy.write_row(
                    (
                        activity["id"],
                        activity["type"],
                        actor,
                        json.dumps(activity),
                        f"{actor}#main-key",
                        True,
                        "",
                        processing.partition_of(actor),
                        "queued",
                        0,
                        "",
                        base + timedelta(microseconds=10 * n),
                    )
                )
    # Fresh tables, fresh statistics: each run starts the same.
    connection.close()
    with connection.cursor() as cursor:
        for name in tables:
            cursor.execute(f"VACUUM ANALYZE {name}")
    return time.perf_counter() - started


def _cpu_seconds(pid: int, *, children: bool = False) -> float:
    """User + system CPU of a process (and of its reaped children)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    # After the name: state is field 3, utime 14, stime 15, cutime 16, cstime 17.
    ticks = int(fields[11]) + int(fields[12])
    if children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / os.sysconf("SC_CLK_TCK")


def postgres_cpu() -> float | None:
    """CPU seconds of every PostgreSQL process on this machine, including
    backends gone since (counted in the postmaster's children), or None
    when PostgreSQL is not visible here."""
    total, seen = 0.0, False
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            comm = (entry / "comm").read_text().strip()
            status = (entry / "status").read_text()
        except OSError:
            continue
        if comm != "postgres":
            continue
        seen = True
        ppid = next(
            (line.split()[1] for line in status.splitlines() if line[:5] == "PPid:"),
            "0",
        )
        try:
            parent = Path(f"/proc/{ppid}/comm").read_text().strip()
        except OSError:
            parent = ""
        # The postmaster's children's times hold the backends gone since.
        total += _cpu_seconds(int(entry.name), children=parent != "postgres")
    return total if seen else None


def machine_cpu() -> tuple[float, float]:
    """(busy, idle) CPU seconds of the whole machine since boot."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    idle = fields[3] + fields[4]
    tick = os.sysconf("SC_CLK_TCK")
    return (sum(fields[:8]) - idle) / tick, idle / tick


class Sampler(threading.Thread):
    """What the workers' database sessions are doing, every 20 ms, from
    pg_stat_activity: running a statement, waiting for a lock (which one),
    waiting on something else, or idle in a transaction (the worker is
    busy in Python, holding its partition)."""

    def __init__(self, dsn: str, database: str):
        super().__init__(daemon=True)
        self.dsn, self.database = dsn, database
        self.counts: dict[str, int] = {}
        self.samples = 0
        self.stopping = threading.Event()

    def run(self) -> None:
        import psycopg

        with psycopg.connect(self.dsn, autocommit=True) as conn:
            while not self.stopping.is_set():
                rows = conn.execute(
                    "SELECT state, wait_event_type, wait_event FROM pg_stat_activity "
                    "WHERE datname = %s AND pid <> pg_backend_pid() "
                    "AND backend_type = 'client backend' "
                    "AND application_name = 'bench-inbox-worker'",
                    [self.database],
                ).fetchall()
                self.samples += 1
                for state, wait_type, wait in rows:
                    if state == "active" and wait_type == "Lock":
                        label = f"waiting for a lock ({wait})"
                    elif state == "active" and wait_type and wait_type != "Client":
                        label = f"active, waiting on {wait_type}"
                    elif state == "active":
                        label = "running a statement"
                    elif state == "idle in transaction":
                        label = "in a transaction, the worker in Python"
                    else:
                        label = "idle (between transactions)"
                    self.counts[label] = self.counts.get(label, 0) + 1
                time.sleep(0.02)


def _worker_main(conn, barrier, budget: float) -> None:
    """One worker process: process_queued in a loop until nothing waits."""
    from django.db import connection, connections

    connections.close_all()
    # Imported before the signal, as a running worker has them.
    import federation.inbound.process_actors
    import federation.inbound.process_interactions
    import federation.inbound.process_replies  # noqa: F401
    from federation.inbound import processing

    calls = {"partitions": 0, "held_elsewhere": 0, "empty": 0, "seconds": 0.0}
    last_batch = [0.0]  # when the last batch with activities committed
    original = processing.process_partition

    def process_partition(partition):
        started = time.perf_counter()
        outcome = original(partition)
        ended = time.perf_counter()
        calls["partitions"] += 1
        if outcome is None:
            calls["held_elsewhere"] += 1
        elif not outcome[1]:
            calls["empty"] += 1
        else:
            last_batch[0] = ended
        calls["seconds"] += ended - started
        return outcome

    processing.process_partition = process_partition
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("SET application_name = 'bench-inbox-worker'")
    processing.waiting_count(limit=1)
    barrier.wait()
    started = time.perf_counter()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    processed, counts, rounds = 0, {}, 0
    while True:
        drained = processing.process_queued(seconds=budget)
        rounds += 1
        processed += drained.processed
        for state, n in (drained.counts or {}).items():
            counts[state] = counts.get(state, 0) + n
        if not processing.waiting_count(limit=1):
            break
    finished = time.perf_counter()
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime - usage.ru_utime) + (after.ru_stime - usage.ru_stime)
    connections.close_all()
    conn.send(
        {
            "started": started,
            "finished": finished,
            "last_batch": last_batch[0],
            "processed": processed,
            "counts": counts,
            "cpu": cpu,
            "calls": calls,
            "process_queued_runs": rounds,
        }
    )


def process_with(workers: int, *, dsn: str, database: str) -> dict:
    """Start `workers` processes at one signal; wait for all to finish."""
    from django.db import connections

    connections.close_all()
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(workers + 1)
    pipes, processes = [], []
    for _ in range(workers):
        parent, child = context.Pipe()
        process = context.Process(target=_worker_main, args=(child, barrier, 600.0))
        process.start()
        pipes.append(parent)
        processes.append(process)
    sampler = Sampler(dsn, database)
    barrier.wait()
    pg_before, machine_before = postgres_cpu(), machine_cpu()
    sampler.start()
    results = []
    for pipe, process in zip(pipes, processes, strict=True):
        try:
            results.append(pipe.recv())
        except EOFError:
            process.join()
            raise SystemExit(
                f"a worker process died (exit code {process.exitcode})"
            ) from None
    for process in processes:
        process.join()
    sampler.stopping.set()
    sampler.join()
    time.sleep(0.2)  # the backends' exit reaped into the postmaster's times
    pg_after, machine_after = postgres_cpu(), machine_cpu()
    # perf_counter is the system's monotonic clock: one clock for all.
    started = min(r["started"] for r in results)
    return {
        "workers": workers,
        # Until the last batch committed: the rate. Until the last process
        # stopped, beside it: a worker that finds a partition held by
        # another and nothing else sleeps FEDERATION_INBOX_GATHER_SECONDS
        # before it looks again (process_queued), which on a backlog that
        # ends is a wait for nothing.
        "seconds": max(r["last_batch"] for r in results) - started,
        "wall": max(r["finished"] for r in results) - started,
        "results": results,
        "postgres_cpu": None if pg_before is None else pg_after - pg_before,
        "machine_busy": machine_after[0] - machine_before[0],
        "machine_idle": machine_after[1] - machine_before[1],
        "sampled": sampler.counts,
        "samples": sampler.samples,
    }


def check_worker_results(expected: dict, replies: int, seeded: int) -> dict:
    """Counts against the model, rollups against a recount; SystemExit if
    anything differs."""
    from django.db.models import Count

    from analytics.models import Interaction, Reply
    from analytics.rollups import rollups_expected, rollups_stored
    from federation.models import InboundActivity
    from federation.protocol import ids
    from posts.models import Post

    by_uri = {post.pk: ids.note_id(post) for post in Post.objects.all()}
    actual: dict = {}
    for post_id, kind, n in (
        Interaction.objects.values_list("post_id", "kind")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        actual[(by_uri[post_id], kind)] = n
    states = dict(
        InboundActivity.objects.values_list("state").annotate(n=Count("pk")).order_by()
    )
    # A reply counts while it is shown: screening (moderation) holds some,
    # which the model does not predict; their counts must match what shows.
    expected = {k: v for k, v in expected.items() if k[1] != "reply"}
    for post_id, n in (
        Reply.objects.filter(status=Reply.Status.VISIBLE)
        .values_list("post_id")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        expected[(by_uri[post_id], "reply")] = n
    problems = []
    if actual != expected:
        wrong = {
            k: (actual.get(k), v) for k, v in expected.items() if actual.get(k) != v
        }
        extra = {k: v for k, v in actual.items() if k not in expected}
        problems.append(f"counts differ (actual, expected): {wrong} extra {extra}")
    stored_replies = Reply.objects.count()
    if stored_replies != replies:
        problems.append(f"{stored_replies} replies stored, {replies} sent")
    if sum(states.values()) != seeded or states.get("queued") or states.get("failed"):
        problems.append(f"inbound activities by state {states}, {seeded} seeded")
    stored, recounted = rollups_stored(), rollups_expected()
    for table, rows in recounted.items():
        if stored.get(table) != rows:
            differ = [
                key
                for key in set(rows) | set(stored.get(table, {}))
                if rows.get(key) != stored.get(table, {}).get(key)
            ]
            problems.append(
                f"rollup {table} differs from a recount at {len(differ)} keys, "
                f"e.g. {differ[:3]}"
            )
    if problems:
        raise SystemExit("worker side, counts not exact: " + "; ".join(problems))
    return states


def run_worker_side(people, posts, *, total: int, workers: list[int]) -> dict:
    from django.conf import settings

    activities = worker_activities(people, posts, total)
    model = Model()
    for activity in activities:
        model.apply(activity)
    expected = model.counts()
    stats = {
        "total": len(activities),
        "hot": sum(1 for a in activities if id_of_object(a) in posts[:HOT_POSTS]),
        "undos": sum(1 for a in activities if a["type"] == "Undo"),
        "replies": len(model.replies),
        "interactions": sum(expected.values()),
    }
    dsn = os.environ["DATABASE_URL"]
    database = urlsplit(dsn).path.lstrip("/")
    runs = []
    for count in workers:
        seeded_in = seed_inbound(activities)
        run = process_with(count, dsn=dsn, database=database)
        run["seeded_in"] = seeded_in
        run["states"] = check_worker_results(
            expected, len(model.replies), len(activities)
        )
        run["rate"] = len(activities) / run["seconds"]
        runs.append(run)
        print(describe_worker_run(run, stats), flush=True)
    return {
        **stats,
        "runs": runs,
        "batch": settings.FEDERATION_INBOX_BATCH_SIZE,
        "partitions": settings.FEDERATION_INBOX_PARTITIONS,
    }


def id_of_object(activity: dict) -> str:
    target = activity.get("object")
    if isinstance(target, dict):
        target = target.get("inReplyTo") or target.get("object")
    return target if isinstance(target, str) else ""


def describe_worker_run(run: dict, stats: dict) -> str:
    results = run["results"]
    worker_cpu = sum(r["cpu"] for r in results)
    calls = {
        key: sum(r["calls"][key] for r in results)
        for key in ("partitions", "held_elsewhere", "empty")
    }
    in_batches = sum(r["calls"]["seconds"] for r in results)
    pg = run["postgres_cpu"]
    wall = run["wall"]
    others = run["machine_busy"] - worker_cpu - (pg or 0.0)
    cores = os.cpu_count() or 1
    samples = max(run["samples"], 1)
    sampled = ", ".join(
        f"{label} {n / samples:.2f}"
        for label, n in sorted(run["sampled"].items(), key=lambda kv: -kv[1])
    )
    per = ", ".join(
        f"{r['processed']} in {r['finished'] - r['started']:.1f} s" for r in results
    )
    return (
        f"worker side, {run['workers']} process(es): {stats['total']} activities in "
        f"{run['seconds']:.2f} s = {run['rate']:.0f} activities/s (the last process "
        f"stopped at {wall:.2f} s; seeded in {run['seeded_in']:.1f} s; states "
        f"{run['states']}; counts exact)\n"
        f"  per process: {per}; {in_batches:.1f} s inside batches, "
        f"{calls['partitions']} partition visits ({calls['held_elsewhere']} held by "
        f"another worker, {calls['empty']} empty)\n"
        f"  CPU over {wall:.1f} s x {cores} cores = {wall * cores:.1f} s: workers "
        f"{worker_cpu:.1f} s, PostgreSQL "
        + (f"{pg:.1f} s" if pg is not None else "not visible")
        + f", anything else {others:.1f} s (this bench's sampler; other work on "
        f"the machine), idle {run['machine_idle']:.1f} s\n"
        f"  worker sessions on average (pg_stat_activity, {samples} samples): "
        f"{sampled or 'none seen'}"
    )


# Main -----------------------------------------------------------------------------


def report_requests(result: dict, requests: int) -> tuple[float, bool]:
    inbox, floor = result["inbox"], result["floor"]
    ratio = inbox["rate"] / floor["rate"]
    latency = inbox["p99"] / floor["p99"]
    before, after = result["floor_rates"]
    print(
        f"floor (a view that only answers 202): {floor['rate']:.0f} requests/s, "
        f"p50 {floor['p50'] * 1000:.1f} ms, p99 {floor['p99'] * 1000:.1f} ms "
        f"({before:.0f} before, {after:.0f} after)"
    )
    print(
        f"inbox: {inbox['rate']:.0f} requests/s accepted ({requests} in "
        f"{inbox['seconds']:.1f} s), p50 {inbox['p50'] * 1000:.1f} ms, p99 "
        f"{inbox['p99'] * 1000:.1f} ms; all processed {result['processed_in']:.1f}"
        f" s after the first request; {result['checked']}"
    )
    for name, run in (("floor", floor), ("inbox", inbox)):
        cpu = run["cpu"]
        others = cpu["busy"] - cpu["gunicorn"] - cpu["postgres"] - cpu["load"]
        print(
            f"  CPU during the {name} run ({run['seconds']:.1f} s x "
            f"{os.cpu_count() or 1} cores): gunicorn workers {cpu['gunicorn']:.1f} s, "
            f"PostgreSQL {cpu['postgres']:.1f} s, load generator {cpu['load']:.1f} s, "
            f"anything else {others:.1f} s (Redis; other work on the machine), "
            f"idle {cpu['idle']:.1f} s"
        )
    passed = ratio >= REQUEST_GOAL and latency <= LATENCY_GOAL
    print(
        f"  vs floor: rate {ratio:.2f} (goal >= {REQUEST_GOAL}), p99 {latency:.2f}x "
        f"(goal <= {LATENCY_GOAL:g}x) {'PASS' if passed else 'FAIL'}"
    )
    return ratio, passed


def report_workers(worker: dict) -> tuple[dict, dict, float] | None:
    runs = {run["workers"]: run for run in worker["runs"]}
    print(
        f"worker side: {worker['total']} activities ({worker['hot']} on the "
        f"{HOT_POSTS} hot posts, {worker['undos']} undos, {worker['replies']} "
        f"replies; {worker['interactions']} interactions and replies left), "
        f"{worker['partitions']} partitions, batches of up to {worker['batch']}"
    )
    if 1 not in runs or len(runs) < 2:
        return None
    one = runs[1]
    most = runs[max(runs)]
    for count, run in sorted(runs.items()):
        if count == 1:
            continue
        ratio = run["rate"] / one["rate"]
        print(
            f"  {count} processes vs 1: {run['rate']:.0f} vs {one['rate']:.0f} "
            f"activities/s, ratio {ratio:.2f} (goal >= {WORKER_GOAL}) "
            f"{'PASS' if ratio >= WORKER_GOAL else 'FAIL'}"
        )
    return most, one, most["rate"] / one["rate"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="200 actors, 3,000 requests, 20,000 worker-side activities",
    )
    parser.add_argument(
        "--workers",
        type=int,
        nargs="+",
        default=[1, 2],
        metavar="P",
        help="worker processes for the worker side, one run each (default: 1 2; "
        "each is compared with the run of 1, when there is one)",
    )
    parser.add_argument(
        "--only", choices=("requests", "workers"), help="measure one side only"
    )
    parser.add_argument(
        "--worker-during-requests",
        action="store_true",
        help="run the inbox worker while the request path is measured",
    )
    args = parser.parse_args()
    if any(count < 1 for count in args.workers):
        parser.error("--workers takes counts of 1 or more")
    actors, requests, worker_total = (
        (200, 3000, 20_000) if args.quick else (500, 15_000, 100_000)
    )
    var_dir = Path(tempfile.mkdtemp(prefix="bench-inbox-"))
    configure_environment(var_dir)
    recreate_database(os.environ["DATABASE_URL"])
    flush_redis(os.environ["REDIS_URL"])
    try:
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        _, posts, people = make_world(actors=actors, posts=20)
        cores = os.cpu_count() or 1
        print(
            f"inbox bench: PostgreSQL and Redis on this machine, {cores} cores; "
            f"gunicorn {GUNICORN_WORKERS} sync workers, {LOAD_PROCESSES} load "
            f"processes, celery worker --concurrency 1 on `inbox` "
            f"({'during' if args.worker_during_requests else 'after'} the "
            f"measured requests); {actors} actors",
            flush=True,
        )
        summary = None
        if args.only != "workers":
            result = run_requests(
                people,
                posts,
                total=requests,
                var_dir=var_dir,
                worker_during=args.worker_during_requests,
            )
            ratio, _ = report_requests(result, requests)
            summary = (
                f"inbox: {result['inbox']['rate']:.0f} requests/s, floor "
                f"{result['floor']['rate']:.0f} requests/s, ratio {ratio:.2f}"
            )
        if args.only != "requests":
            flush_redis(os.environ["REDIS_URL"])
            worker = run_worker_side(
                people, posts, total=worker_total, workers=args.workers
            )
            compared = report_workers(worker)
            if summary is None:
                if compared is None:
                    run = worker["runs"][-1]
                    summary = (
                        f"inbox: {run['rate']:.0f} activities/s with "
                        f"{run['workers']} worker processes"
                    )
                else:
                    most, one, ratio = compared
                    summary = (
                        f"inbox: {most['rate']:.0f} activities/s with "
                        f"{most['workers']} worker processes, floor "
                        f"{one['rate']:.0f} activities/s with 1, ratio {ratio:.2f}"
                    )
        print(summary)
    except BaseException:
        print(f"logs kept: {var_dir}", file=sys.stderr)
        raise
    else:
        shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
