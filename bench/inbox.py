"""Inbox ingestion: signed likes, boosts and replies from 500 remote actors.

Two measurements, each beside a floor measured in the same run:

1. Request path. gunicorn serves the project (4 sync workers); a loopback
   load generator (8 processes, a connection per request as Mastodon's
   delivery workers open) POSTs signed Like, Announce and Create(Note) reply
   activities from 500 remote actors whose keys the inbox already knows, to
   the shared inbox, while a real `celery worker` on the `inbox` queue
   stores and processes them. Printed: accepted activities per second, p50
   and p99 of the 202, the time until every one is processed, and a check
   that each was processed exactly once. Floor: the same requests against a
   Django view that only answers 202, in the same gunicorn, before and
   after (the higher kept). Goal: >= 50 % of the floor.

2. Worker side. 100,000 activities (30 % re-deliveries of an id already
   sent, 5 % aimed at one hot post, one in ten an undo, some undos before
   what they undo) go through the processing code the worker runs (Redis
   hand-over, batch store, processing), in this one process; the resulting
   counts are checked against a model of what they should be, exactly.
   Floor: single-row `INSERT ... ON CONFLICT DO NOTHING` of the same
   activities into PostgreSQL, one statement and commit each, in this one
   process. Goal: >= 3x the floor.

Needs PostgreSQL and Redis: BENCH_DATABASE_URL (default
postgres://postgres@127.0.0.1:5432/bench_creatorhub_inbox; its name must
contain "bench": it is dropped and created again) and BENCH_REDIS_URL
(default redis://127.0.0.1:6379/14; flushed).

Signing 500 distinct RSA keys' worth of requests is done before the clock
starts; the actors' keys come from a pool of 25 key pairs (generating 500
RSA-2048 keys takes about a minute, and verifying costs the same whichever
key signed).

Run: .venv/bin/python bench/inbox.py [--quick]
"""

import argparse
import gc
import http.client
import json
import multiprocessing
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.postgres import recreate_database  # noqa: E402 (after the path)

DOMAIN = "hub.bench.example"
AS2 = "application/activity+json"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
REQUEST_GOAL = 0.5
WORKER_GOAL = 3.0
KEY_POOL = 25
LOAD_PROCESSES = 8
GUNICORN_WORKERS = 4
FLOOR_PATH = "/bench/floor"


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
            "FEDERATION_INBOX_BUFFER": "redis",
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
    from federation import ids, signatures
    from federation.models import RemoteActor, RemoteInstance
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
    from federation import signatures

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
    conn.send((started, time.perf_counter(), latencies, statuses))


def blast(port: int, path: str, people, activities) -> dict:
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
    results = [pipe.recv() for pipe in pipes]
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
    """Seconds from the first request until every activity is processed."""
    from federation import inbox_buffer
    from federation.models import InboundActivity

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = InboundActivity.objects.exclude(
            state=InboundActivity.State.QUEUED
        ).count()
        if done >= expected and inbox_buffer.pending_count() == 0:
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


def run_requests(people, posts, *, total: int, var_dir: Path) -> dict:
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
    worker = start_worker(var_dir / "worker.log")
    try:
        warm_up = blast(port, "/inbox", people, warm)
        blast(port, FLOOR_PATH, people, warm[: len(people)])
        # The clock starts with the worker idle, as it is for the floor.
        wait_processed(len(warm), warm_up["started"], timeout=600)
        floor_before = blast(port, FLOOR_PATH, people, activities)
        inbox = blast(port, "/inbox", people, activities)
        floor_after = blast(port, FLOOR_PATH, people, activities)
        processed_in = wait_processed(
            len(activities) + len(warm), inbox["started"], timeout=600
        )
        checked = check_request_results(activities, warm)
    finally:
        stop(server)
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


# 2. The worker side -------------------------------------------------------------


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


def worker_activities(people, posts, total: int, seed: int = 7) -> list[dict]:
    """`total` activities: 30 % re-deliveries, 5 % on one hot post, one in
    ten an undo (a few of them sent before what they undo)."""
    rng = random.Random(seed)
    hot, others = posts[0], posts[1:]
    sent: list[dict] = []
    undoable: list[dict] = []
    early: list[dict] = []
    number = 20_000_000
    while len(sent) < total:
        roll = rng.random()
        if sent and roll < 0.30:
            sent.append(rng.choice(sent))
            continue
        if undoable and roll < 0.40:
            original = undoable.pop(rng.randrange(len(undoable)))
            sent.append(undo(original["actor"], original))
            continue
        number += 1
        actor = people[rng.randrange(len(people))][0]
        post = hot if rng.random() < 0.05 / 0.6 else rng.choice(others)
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


def run_worker_side(people, posts, *, total: int) -> dict:
    import psycopg
    from django.conf import settings
    from django.db import connection

    from analytics.models import Interaction, Reply
    from federation import ids, inbox_buffer, processing
    from federation.models import InboundActivity
    from posts.models import Post

    activities = worker_activities(people, posts, total)
    model = Model()
    for activity in activities:
        model.apply(activity)
    expected = model.counts()
    stats = {
        "total": len(activities),
        "distinct": len({a["id"] for a in activities}),
        "hot": sum(1 for a in activities if a.get("object") == posts[0]),
        "undos": sum(1 for a in activities if a["type"] == "Undo"),
    }
    rows = [(a["id"], json.dumps(a)) for a in activities]
    del activities, model
    # The data of the run lives in this process: keep the garbage collector
    # from walking it again and again during either measurement (a worker
    # holds only the batch at hand).
    gc.collect()
    gc.freeze()

    # Floor: one INSERT ... ON CONFLICT DO NOTHING and commit per activity.
    dsn = os.environ["DATABASE_URL"]
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE bench_floor (id bigserial PRIMARY KEY, ap_id varchar(500) "
            "UNIQUE NOT NULL, payload jsonb NOT NULL)"
        )
        started = time.perf_counter()
        for ap_id, body in rows:
            conn.execute(
                "INSERT INTO bench_floor (ap_id, payload) VALUES (%s, %s) "
                "ON CONFLICT DO NOTHING",
                (ap_id, body),
            )
        floor_seconds = time.perf_counter() - started
        conn.execute("DROP TABLE bench_floor")

    # Ours: the Redis hand-over as the request path leaves it (re-deliveries
    # included: the database is the guard they test), then the drain task's
    # code, in this process.
    InboundActivity.objects.all().delete()
    Interaction.objects.all().delete()
    Reply.objects.all().delete()
    client = inbox_buffer._redis()[0]
    now = time.time()
    for start in range(0, len(rows), 5000):
        client.rpush(
            inbox_buffer.PENDING,
            *[
                processing.record_line(
                    activity=json.loads(body),
                    body=body.encode(),
                    key_id="https://bench.example/key",
                    inbox_handle="",
                    received_at=now,
                )
                for _, body in rows[start : start + 5000]
            ],
        )
    del rows
    gc.unfreeze()
    gc.collect()
    gc.freeze()
    connection.close()
    started = time.perf_counter()
    drained = processing.drain_buffer(seconds=3600)
    ours_seconds = time.perf_counter() - started
    gc.unfreeze()

    by_uri = {post.pk: ids.note_id(post) for post in Post.objects.all()}
    actual = {}
    for post_id, kind in Interaction.objects.values_list("post_id", "kind"):
        key = (by_uri[post_id], kind)
        actual[key] = actual.get(key, 0) + 1
    distinct = stats["distinct"]
    stored = InboundActivity.objects.count()
    left = InboundActivity.objects.filter(state=InboundActivity.State.QUEUED).count()
    problems = []
    if actual != expected:
        wrong = {
            k: (actual.get(k), v) for k, v in expected.items() if actual.get(k) != v
        }
        extra = {k: v for k, v in actual.items() if k not in expected}
        problems.append(f"counts differ (actual, expected): {wrong} extra {extra}")
    if stored != distinct or left:
        problems.append(f"{stored} stored of {distinct} distinct, {left} left queued")
    if problems:
        raise SystemExit("worker side: " + "; ".join(problems))
    return {
        **stats,
        "rate": stats["total"] / ours_seconds,
        "seconds": ours_seconds,
        "floor": stats["total"] / floor_seconds,
        "floor_seconds": floor_seconds,
        "counts": drained.counts,
        "batch": settings.FEDERATION_INBOX_BATCH_SIZE,
        "interactions": sum(expected.values()),
    }


# Main -----------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="200 actors, 3,000 requests, 20,000 worker-side activities",
    )
    args = parser.parse_args()
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
        creator, posts, people = make_world(actors=actors, posts=20)
        cores = os.cpu_count() or 1
        print(
            f"inbox bench: PostgreSQL and Redis, {cores} cores; gunicorn "
            f"{GUNICORN_WORKERS} sync workers, celery worker --concurrency 1 on "
            f"`inbox`, {LOAD_PROCESSES} load processes; {actors} actors"
        )

        result = run_requests(people, posts, total=requests, var_dir=var_dir)
        inbox, floor = result["inbox"], result["floor"]
        ratio = inbox["rate"] / floor["rate"]
        before, after = result["floor_rates"]
        print(
            f"floor (a view that only answers 202): {floor['rate']:.0f} requests/s, "
            f"p50 {floor['p50'] * 1000:.1f} ms, p99 {floor['p99'] * 1000:.1f} ms "
            f"({before:.0f} before, {after:.0f} after)"
        )
        print(
            f"inbox: {inbox['rate']:.0f} activities/s accepted ({requests} in "
            f"{inbox['seconds']:.1f} s), p50 {inbox['p50'] * 1000:.1f} ms, p99 "
            f"{inbox['p99'] * 1000:.1f} ms; all processed {result['processed_in']:.1f}"
            f" s after the first request; {result['checked']}"
        )
        print(
            f"  vs floor: {ratio:.2f} (goal >= {REQUEST_GOAL}) "
            f"{'PASS' if ratio >= REQUEST_GOAL else 'FAIL'}"
        )

        worker = run_worker_side(people, posts, total=worker_total)
        worker_ratio = worker["rate"] / worker["floor"]
        print(
            f"worker side: {worker['total']} activities ({worker['distinct']} "
            f"distinct ids, {worker['hot']} on the hot post, {worker['undos']} undos) "
            f"in {worker['seconds']:.1f} s = {worker['rate']:.0f} activities/s "
            f"(batches of {worker['batch']}; {worker['counts']}); counts exact "
            f"({worker['interactions']} interactions and replies)"
        )
        print(
            f"  floor, single-row INSERT ... ON CONFLICT DO NOTHING: "
            f"{worker['floor']:.0f} rows/s ({worker['floor_seconds']:.1f} s); ratio "
            f"{worker_ratio:.2f} (goal >= {WORKER_GOAL}) "
            f"{'PASS' if worker_ratio >= WORKER_GOAL else 'FAIL'}"
        )
        print(
            f"inbox: {inbox['rate']:.0f} activities/s, floor {floor['rate']:.0f} "
            f"activities/s, ratio {ratio:.2f}"
        )
    except BaseException:
        print(f"logs kept: {var_dir}", file=sys.stderr)
        raise
    else:
        shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
