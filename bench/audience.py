"""One post to a million followers: the fan-out's time and memory.

Seeds PostgreSQL with SQL (generate_series) with a creator's accepted
followers on many servers (a fifth of the followers have no shared inbox
and are delivered to their personal inbox; 1 in 1,000 of the actors is
gone, three servers are blocked by the admins; every tenth follower also
follows another creator, so the creator's follows are interleaved with
others' in the table), then publishes one post through the real path, as
a worker would run it, with no Celery worker:

- posts.services.post_publish of a draft by the creator (its transaction
  records the outbox job and, on commit, hands it to the broker);
- federation.outbound.outbox.run(job) (publishing.federate_post: the Create is built
  and stored by services.queue_activity with its audience, no rows yet);
- federation.outbound.fanout.fan_out(activity) called again and again until done,
  as the `fan_out` task does (each call pages for its 20 s budget); each
  page's new rows are handed to `deliver_batch` messages on the embedded
  file broker in a temporary directory (nothing consumes them).

This runs in a fresh child process per size, after a warm-up in that
process (a post by another creator to 10 followers: imports, database and
broker connections), so what is measured is the work. Printed per size:

- time from the publish until every Delivery row exists, split into the
  publish, the outbox job and the fan-out; microseconds per follower;
- every page (one transaction: the activity locked, a page of follows read,
  its Delivery rows inserted, the cursor saved, then the hand-over): median
  and longest, and where the time went (the page query, the INSERT, the
  hand-over); the longest fan_out call beside the task's budget (20 s) and
  soft time limit (60 s); the median page of the first and the last tenth
  of the walk (does a page get slower as the table grows?);
- peak memory: the headline is the growth of the child's peak RSS over its
  RSS just before the publish (VmHWM after resetting it through
  /proc/self/clear_refs; ru_maxrss cannot be reset, and a child started by
  fork/exec inherits its parent's peak). That is what the worker is
  charged by the kernel, C allocations included (libpq's result buffers,
  malloc's arenas). Beside it, from a second fresh child publishing a
  second post at the same size with tracemalloc on: the peak of Python
  allocations during the work (what Python code holds, without the
  interpreter's own footprint), and what both leave behind.
- the Delivery rows checked: exactly one per distinct inbox the SQL finds
  (accepted follows of live actors, shared inbox where the actor has one,
  blocked servers left out), none missing.

At each size the fan-out's own page query (captured as it runs) is
EXPLAINed (ANALYZE, BUFFERS) at the start, middle and end of the walk, and
the full plan printed for the middle at the largest size; also for the
other creator (a tenth of the table). Then half as many follows again, of
a newcomer, are added after all of the bench creator's (the table goes on
growing after a creator's last follower), and the bench creator's last
page and the newcomer's first are EXPLAINed again, each beside the plan
the same query gets along follow_accepted_idx (the primary key dropped in
a transaction rolled back). Last, one page's INSERT as fan_out sends it
(for a new activity, rolled back): its time from Python beside the
server's EXPLAIN ANALYZE.

Ratio: peak memory (RSS growth) at the largest size over the smallest;
goal <= 1.5 (memory per page is meant to depend on the page size alone).

BENCH_DATABASE_URL (default
postgres://postgres@127.0.0.1:5432/bench_creatorhub_audience; its name must
contain "bench": it is dropped and created again). Foreign-key triggers and
secondary indexes are off while seeding (the rows are consistent by
construction). FEDERATION_FANOUT_PAGE is read by the settings as usual.

Run: .venv/bin/python bench/audience.py [--quick]
(default: 100,000 then 1,000,000 followers on 50,000 servers; --quick:
10,000 then 100,000 on 5,000 servers.)
"""

import argparse
import json
import os
import shutil
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

from bench.analytics import without_indexes  # noqa: E402 (after the path)
from bench.postgres import recreate_database  # noqa: E402

MEMORY_GOAL = 1.5
FOLLOWERS_PER_SERVER = 20  # on average: 1,000,000 followers on 50,000 servers
WARMUP_FOLLOWERS = 10
BLOCKED_SERVERS = (7, 77, 777)
BUDGET_SECONDS = 20  # fanout.BUDGET_SECONDS, one fan_out task's paging
SOFT_LIMIT_SECONDS = 60  # the fan_out task's soft time limit
MiB = 1024 * 1024


def configure_environment(var_dir: Path) -> None:
    database = os.environ.get(
        "BENCH_DATABASE_URL",
        "postgres://postgres@127.0.0.1:5432/bench_creatorhub_audience",
    )
    if "bench" not in urlsplit(database).path:
        raise SystemExit("BENCH_DATABASE_URL must name a database with 'bench' in it")
    for folder in ("queue", "control", "processed"):
        (var_dir / "broker" / folder).mkdir(parents=True, exist_ok=True)
    os.environ.pop("REDIS_URL", None)
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "creatorhub.settings",
            "SECRET_KEY": "bench-audience-not-secret-bench-audience",
            "DEBUG": "false",
            "LOG_LEVEL": "WARNING",
            "CREATORHUB_DOMAIN": "hub.bench.example",
            "CREATORHUB_VAR_DIR": str(var_dir),
            "DATABASE_URL": database,
            # The embedded file broker under the temporary directory: the
            # hand-overs are real publishes, and nothing consumes them.
            "CELERY_BROKER_URL": "filesystem://",
        }
    )


# Seeding ------------------------------------------------------------------------


def make_people():
    """The creator whose post fans out, another creator some of the same
    actors follow, the warm-up creator, and a newcomer followed only at the
    end; returns them by name."""
    from accounts.models import CreatorProfile, User

    people = {}
    for handle in ("bench", "other", "warmup", "newcomer"):
        user = User.objects.create(username=handle, email=f"{handle}@bench.example")
        people[handle] = CreatorProfile.objects.create(
            user=user, handle=handle, share_to_fediverse=True
        )
    return people


def seed_servers(cursor, *, servers: int) -> None:
    from moderation.models import DomainPolicy

    cursor.execute(
        """
        INSERT INTO federation_remoteinstance (
            domain, software, software_name, software_version,
            nodeinfo_fetched_at, first_seen_at, last_heard_from_at,
            unavailable_since, delivery_failure_days, inbox_limited_times,
            signature_standard)
        SELECT 's' || g.n || '.example',
            CASE WHEN g.n %% 10 < 7 THEN 'mastodon' WHEN g.n %% 10 = 7 THEN 'misskey'
                ELSE 'pleroma' END, '', '', now(), now(), NULL, NULL, '[]'::jsonb,
            0, 'unknown'
        FROM generate_series(0, %s - 1) AS g(n)
        ORDER BY g.n
        """,
        [servers],
    )
    # Numbered, for placing actors on servers by number.
    cursor.execute(
        "CREATE UNLOGGED TABLE bench_server AS SELECT row_number() OVER "
        "(ORDER BY id) - 1 AS n, id, domain FROM federation_remoteinstance"
    )
    cursor.execute("CREATE UNIQUE INDEX ON bench_server (n)")
    DomainPolicy.objects.bulk_create(
        [
            DomainPolicy(domain=f"s{n}.example", severity=DomainPolicy.Severity.BLOCK)
            for n in BLOCKED_SERVERS
            if n < servers
        ]
    )


def seed_followers(
    cursor, *, first: int, last: int, servers: int, people: dict
) -> None:
    """Actors numbered `first`..`last` (id = number), each following the
    bench creator. The first `servers` actors are one per server; the rest
    on servers picked with a strong skew (the biggest holds a few percent
    of everyone). Actors whose number is a multiple of 5 have no shared
    inbox; 1 in 1,000 is gone. Their rows are stored in random order (as
    follows arrive over years, the actors a page reads are scattered)."""
    cursor.execute("SELECT setseed(%s)", [first / (last + 1)])
    cursor.execute(
        """
        INSERT INTO federation_remoteactor (
            id, ap_id, instance_id, actor_type, username, display_name,
            inbox_url, shared_inbox_url, profile_url, avatar_url,
            followers_url, public_key_id, public_key_pem, last_fetched_at,
            gone_at)
        SELECT a.i, 'https://' || s.domain || '/users/u' || a.i, s.id, 'Person',
            'u' || a.i, '',
            'https://' || s.domain || '/users/u' || a.i || '/inbox',
            CASE WHEN a.i %% 5 = 0 THEN '' ELSE 'https://' || s.domain || '/inbox'
                END,
            'https://' || s.domain || '/@u' || a.i, '',
            'https://' || s.domain || '/users/u' || a.i || '/followers',
            'https://' || s.domain || '/users/u' || a.i || '#main-key',
            'PEM of u' || a.i, now(),
            CASE WHEN a.i %% 1000 = 500 THEN now() END
        FROM (
            SELECT i, CASE WHEN i <= %s THEN i - 1
                ELSE floor(power(random(), 3) * %s)::int END AS server
            FROM generate_series(%s, %s) AS i
        ) AS a
        JOIN bench_server AS s ON s.n = a.server
        ORDER BY random()
        """,
        [servers, servers, first, last],
    )
    cursor.execute(
        "SELECT setval(pg_get_serial_sequence('federation_remoteactor', 'id'), %s)",
        [last],
    )
    # Follows in the order they came: the bench creator's, with every
    # tenth actor also following the other creator just after.
    cursor.execute(
        """
        INSERT INTO followers_follow (
            creator_id, actor_id, follow_activity_id, state, created_at,
            accepted_at)
        SELECT c.creator_id, g.i,
            'https://remote.example/follows/' || c.creator_id || '/' || g.i,
            'accepted', now(), now()
        FROM generate_series(%s, %s) AS g(i)
        CROSS JOIN LATERAL (
            SELECT %s AS creator_id, 0 AS k
            UNION ALL SELECT %s, 1 WHERE g.i %% 10 = 0
        ) AS c
        ORDER BY g.i, c.k
        """,
        [first, last, people["bench"].pk, people["other"].pk],
    )
    if first == 1:
        # The warm-up creator's few followers (live actors).
        cursor.execute(
            """
            INSERT INTO followers_follow (
                creator_id, actor_id, follow_activity_id, state, created_at,
                accepted_at)
            SELECT %s, g.i, 'https://remote.example/follows/warmup/' || g.i,
                'accepted', now(), now()
            FROM generate_series(1, %s) AS g(i)
            """,
            [people["warmup"].pk, WARMUP_FOLLOWERS],
        )


def seed(*, first: int, last: int, servers: int, people: dict) -> float:
    from django.db import connection, transaction

    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("SET LOCAL synchronous_commit = off")
        cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        cursor.execute("SET LOCAL work_mem = '256MB'")
        if first == 1:
            seed_servers(cursor, servers=servers)
        restore = [
            *without_indexes(cursor, "federation_remoteactor"),
            *without_indexes(cursor, "followers_follow"),
        ]
        seed_followers(cursor, first=first, last=last, servers=servers, people=people)
        for statement in restore:
            cursor.execute(statement)
    with connection.cursor() as cursor:
        for table in (
            "federation_remoteinstance",
            "federation_remoteactor",
            "followers_follow",
        ):
            cursor.execute(f"VACUUM ANALYZE {table}")
    return time.perf_counter() - started


def expected_inboxes(creator_id: int) -> int:
    """Distinct inboxes of the creator's live accepted followers, shared
    where offered, on servers not blocked: what the fan-out must write."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FROM ({EXPECTED_SQL}) AS e",  # noqa: S608 (our SQL)
            [creator_id],
        )
        return cursor.fetchone()[0]


EXPECTED_SQL = """
    SELECT DISTINCT coalesce(nullif(a.shared_inbox_url, ''), a.inbox_url) AS inbox
    FROM followers_follow AS f
    JOIN federation_remoteactor AS a ON a.id = f.actor_id
    JOIN federation_remoteinstance AS s ON s.id = a.instance_id
    WHERE f.creator_id = %s AND f.state = 'accepted' AND a.gone_at IS NULL
        AND s.domain NOT IN (
            SELECT domain FROM moderation_domainpolicy WHERE severity = 'suspend')
"""


def check_rows(post_id: int, creator_id: int, expected: int) -> int:
    """The post's Create has exactly one Delivery row per expected inbox."""
    from django.db import connection

    from federation.models import Delivery, OutboundActivity

    activity = OutboundActivity.objects.get(post_id=post_id, activity_type="Create")
    if activity.fanned_out_at is None:
        raise SystemExit(f"activity {activity.pk} is not fanned out")
    rows = Delivery.objects.filter(activity=activity).count()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FROM ({EXPECTED_SQL}) AS e WHERE NOT EXISTS ("  # noqa: S608 (our SQL)
            "SELECT 1 FROM federation_delivery AS d WHERE d.activity_id = %s "
            "AND d.inbox_url = e.inbox)",
            [creator_id, activity.pk],
        )
        missing = cursor.fetchone()[0]
    if rows != expected or missing:
        raise SystemExit(
            f"post {post_id}: {rows:,} Delivery rows for {expected:,} distinct "
            f"inboxes, {missing:,} missing"
        )
    return rows


def make_drafts(people: dict, n: int) -> list[tuple[int, int]]:
    """`n` pairs of drafts: (warm-up creator's, bench creator's)."""
    from posts.services import PostInput, post_save_draft

    drafts = []
    for k in range(n):
        pair = []
        for handle in ("warmup", "bench"):
            creator = people[handle]
            post = post_save_draft(
                creator=creator,
                by=creator.user,
                data=PostInput(body=f"Hello, followers! Post {k} by @{handle}."),
            )
            pair.append(post.pk)
        drafts.append(tuple(pair))
    return drafts


# The child: publish, job, fan-out -------------------------------------------------


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def _publish_and_fan_out(post_id: int, *, probe=None) -> dict:
    """What the web request and the workers do for one post, in order.
    `probe` (if given) gets the fan_out calls' start times and the pages."""
    from federation.models import OutboundActivity, OutboxJob
    from federation.outbound import fanout, outbox
    from posts.models import Post
    from posts.services import post_publish

    post = Post.objects.select_related("creator__user").get(pk=post_id)
    started = time.perf_counter()
    post_publish(post=post, by=post.creator.user)
    published = time.perf_counter()
    job = OutboxJob.objects.get(post_id=post_id, action="post.create")
    if not outbox.run(job.pk):
        raise SystemExit(f"outbox job {job.pk} did not run")
    job_done = time.perf_counter()
    activity_id = OutboundActivity.objects.get(
        post_id=post_id, activity_type="Create"
    ).pk
    calls = []
    while True:
        call_started = time.perf_counter()
        if probe is not None:
            probe.call_started(call_started)
        result = fanout.fan_out(activity_id)
        calls.append(
            {
                "seconds": time.perf_counter() - call_started,
                "pages": result.pages,
                "added": result.added,
            }
        )
        if result.done:
            break
    finished = time.perf_counter()
    return {
        "publish": published - started,
        "job": job_done - published,
        "fan_out": finished - job_done,
        "total": finished - started,
        "calls": calls,
    }


class Probe:
    """Times each page of fan_out: the page query, the INSERT and the
    hand-over, and the whole page (from the previous page's hand-over, or
    the call's start, to the end of this one's: lock, query, insert,
    cursor saved, commit, hand-over)."""

    def __init__(self):
        from federation.outbound import fanout

        self.fanout = fanout
        self.pages = []  # per page: [total, query, insert, send, new, read]
        self.current = None
        self.mark = None
        self.on = False
        self.original = {
            name: getattr(fanout, name) for name in ("_page", "add_deliveries", "send")
        }
        for name, slot in (("_page", 1), ("add_deliveries", 2), ("send", 3)):
            setattr(fanout, name, self._timed(self.original[name], slot))

    def call_started(self, moment: float) -> None:
        self.on = True
        self.mark = moment

    def _timed(self, function, slot: int):
        def timed(*args, **kwargs):
            if not self.on:
                return function(*args, **kwargs)
            if self.current is None:
                self.current = [0.0, 0.0, 0.0, 0.0, 0, 0]
            begun = time.perf_counter()
            outcome = function(*args, **kwargs)
            ended = time.perf_counter()
            self.current[slot] += ended - begun
            if slot == 1:
                self.current[5] += len(outcome.inboxes)
            if slot == 2:
                self.current[4] += len(outcome)
            if slot == 3:  # the hand-over ends a page
                self.current[0] = ended - self.mark
                self.mark = ended
                self.pages.append(self.current)
                self.current = None
            return outcome

        return timed


def child_main(arguments: dict) -> None:
    """In a fresh process: warm up, then publish one post and fan it out,
    measuring time and peak RSS (or, with `trace`, Python allocations)."""
    import logging
    import tracemalloc

    import django

    django.setup()
    # The file broker's URL names no host, and kombu says so once.
    logging.getLogger("kombu.connection").setLevel(logging.ERROR)
    from django.db import connection

    from creatorhub.celery import app  # noqa: F401 (the app the tasks go to)

    # Warm-up: the same path for a post to a few followers (imports,
    # database and broker connections, query compilation).
    _publish_and_fan_out(arguments["warmup_post"])
    probe = None if arguments["trace"] else Probe()
    rss_before = _status_kib("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")  # VmHWM := VmRSS
    if arguments["trace"]:
        tracemalloc.start()
    timing = _publish_and_fan_out(arguments["post"], probe=probe)
    result = {**timing, "rss_before_kib": rss_before}
    result["rss_peak_kib"] = _status_kib("VmHWM")
    result["rss_after_kib"] = _status_kib("VmRSS")
    if arguments["trace"]:
        current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        result["traced_peak"] = peak
        result["traced_after"] = current
    else:
        result["pages"] = probe.pages
    connection.close()
    Path(arguments["out"]).write_text(json.dumps(result))


def run_child(*, post: int, warmup_post: int, trace: bool, var_dir: Path) -> dict:
    out = var_dir / f"child-{post}.json"
    arguments = {
        "post": post,
        "warmup_post": warmup_post,
        "trace": trace,
        "out": str(out),
    }
    completed = subprocess.run(  # noqa: S603 (our interpreter, our arguments)
        [sys.executable, __file__, "--child", json.dumps(arguments)],
        cwd=ROOT,
        check=False,
    )
    if completed.returncode != 0 or not out.exists():
        raise SystemExit(f"the fan-out process failed (exit {completed.returncode})")
    return json.loads(out.read_text())


# EXPLAIN ----------------------------------------------------------------------------


def _captured(call) -> list[tuple[str, list]]:
    """The statements `call()` sends, with their parameters."""
    from django.db import connection

    captured = []

    def capture(execute, sql, params, many, context):
        captured.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(capture):
        call()
    return captured


def _explain(sql: str, params) -> list[str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        return [row[0] for row in cursor.fetchall()]


def explain_page_query(creator_id: int, *, where: tuple[str, ...]) -> list[dict]:
    """The fan-out's own page query (captured as it runs), EXPLAINed with
    ANALYZE and BUFFERS at the start, middle or end of the walk."""
    from django.conf import settings

    from federation.outbound import fanout
    from followers.models import Follow

    size = settings.FEDERATION_FANOUT_PAGE
    ids = list(
        Follow.objects.filter(creator_id=creator_id, state=Follow.State.ACCEPTED)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    cursors = {
        "start": None,
        "middle": ids[len(ids) // 2],
        "last page": ids[max(len(ids) - size // 2, 0)],
    }
    plans = []
    for label in where:
        audience = fanout.audience_of(followers_of=creator_id)
        audience["after"] = cursors[label]
        audience["until"] = ids[-1]  # as noted on the first page
        [(sql, params)] = _captured(lambda a=audience: fanout._followers_page(a, size))
        plans.append({"label": label, "sql": sql, "plan": _explain(sql, params)})
    return plans


def explain_insert(creator_id: int) -> dict:
    """One page's INSERT as the fan-out sends it (the inboxes of the middle
    page of the walk, for a new activity), timed from Python and EXPLAINed
    with ANALYZE on the server, in a transaction rolled back."""
    from django.conf import settings
    from django.db import transaction

    from federation.models import OutboundActivity
    from federation.outbound import fanout
    from followers.models import Follow

    size = settings.FEDERATION_FANOUT_PAGE
    ids = Follow.objects.filter(creator_id=creator_id, state=Follow.State.ACCEPTED)
    middle = ids.order_by("pk").values_list("pk", flat=True)[ids.count() // 2]
    audience = {**fanout.audience_of(followers_of=creator_id), "after": middle}
    inboxes = fanout._followers_page(audience, size).inboxes
    with transaction.atomic():
        activities = [
            OutboundActivity.objects.create(
                ap_id=f"https://hub.bench.example/explained/{n}",
                activity_type="Create",
                payload={},
            )
            for n in range(2)
        ]
        started = time.perf_counter()
        statements = _captured(lambda: fanout.add_deliveries(activities[0].pk, inboxes))
        wall = time.perf_counter() - started
        sql, params = statements[-1]
        params = [activities[1].pk if p == activities[0].pk else p for p in params]
        plan = _explain(sql, params)
        transaction.set_rollback(True)
    return {
        "inboxes": len(set(inboxes)),
        "wall": wall,
        "sql_chars": len(sql),
        "params": len(params),
        "plan": plan,
    }


def grow_follows(people: dict, *, count: int) -> float:
    """The instance goes on: `count` follows of the newcomer arrive after
    all of the bench creator's (the indexes kept up to date, as in use)."""
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO followers_follow (
                creator_id, actor_id, follow_activity_id, state, created_at,
                accepted_at)
            SELECT %s, g.i, 'https://remote.example/follows/new/' || g.i,
                'accepted', now(), now()
            FROM generate_series(1, %s) AS g(i)
            """,
            [people["newcomer"].pk, count],
        )
        cursor.execute("VACUUM ANALYZE followers_follow")
    return time.perf_counter() - started


def with_partial_index_only(call):
    """`call()` with the Follow primary key out of the planner's reach (in
    a transaction rolled back): the plan follow_accepted_idx gives."""
    from django.db import connection, transaction

    with transaction.atomic():
        with connection.cursor() as cursor:
            # The key keeps the name it had before the table moved to
            # the followers app (a rename leaves constraint names alone).
            cursor.execute(
                "ALTER TABLE followers_follow DROP CONSTRAINT "
                "federation_follow_pkey CASCADE"
            )
        outcome = call()
        transaction.set_rollback(True)
    return outcome


def explain_grown(people: dict, *, count: int) -> None:
    seconds = grow_follows(people, count=count)
    print(
        f"then {count:,} follows of @newcomer added after them ({seconds:.1f} s); "
        "the page query:"
    )
    for handle, label in (("bench", "last page"), ("newcomer", "start")):
        creator_id = people[handle].pk
        [plan] = explain_page_query(creator_id, where=(label,))
        [forced] = with_partial_index_only(
            lambda c=creator_id, w=label: explain_page_query(c, where=(w,))
        )
        print(f"  @{handle}, {label}: {plan_summary(plan['plan'])}")
        print(f"    {removed(plan['plan'])}")
        print(f"    the same along follow_accepted_idx: {plan_summary(forced['plan'])}")


def removed(plan: list[str]) -> str:
    return "; ".join(
        line.strip()
        for line in plan
        if "Rows Removed by Filter" in line or "Index Cond" in line
    )


def plan_summary(plan: list[str]) -> str:
    nodes = [
        line.strip().lstrip("-> ").split("  (")[0] for line in plan if "(cost=" in line
    ]
    took = next(line for line in plan if line.startswith("Execution Time"))
    return "; ".join(nodes) + f" [{took.split(': ')[1]}]"


# Report ---------------------------------------------------------------------------


def median_of(pages: list, slot: int) -> float:
    return statistics.median(page[slot] for page in pages) if pages else 0.0


def report(size: int, seeded: float, expected: int, timed: dict, traced: dict) -> dict:
    pages = timed["pages"]
    longest_page = max(pages, key=lambda page: page[0])
    longest_call = max(call["seconds"] for call in timed["calls"])
    reading = [page for page in pages if page[5]]  # not the final empty step
    tenth = max(len(reading) // 10, 1)
    growth = (timed["rss_peak_kib"] - timed["rss_before_kib"]) / 1024
    retained = (timed["rss_after_kib"] - timed["rss_before_kib"]) / 1024
    per_follower = timed["total"] / size * 1e6
    print(
        f"{size:,} followers (seeded in {seeded:.1f} s): {expected:,} distinct "
        f"inboxes, {expected:,} Delivery rows, none missing"
    )
    print(
        f"  publish -> every Delivery row: {timed['total']:.2f} s "
        f"({per_follower:.1f} us per follower): publish "
        f"{timed['publish'] * 1000:.0f} ms, outbox job {timed['job'] * 1000:.0f} ms, "
        f"fan-out {timed['fan_out']:.2f} s in {len(timed['calls'])} fan_out "
        f"call(s), {len(pages)} pages"
    )
    print(
        f"  pages: median {median_of(pages, 0) * 1000:.1f} ms (query "
        f"{median_of(pages, 1) * 1000:.1f}, INSERT {median_of(pages, 2) * 1000:.1f}, "
        f"hand-over {median_of(pages, 3) * 1000:.1f}; {median_of(pages, 4):.0f} new "
        f"rows of {median_of(pages, 5):.0f} inboxes read); longest "
        f"{longest_page[0] * 1000:.1f} ms (query "
        f"{longest_page[1] * 1000:.1f}, INSERT {longest_page[2] * 1000:.1f}, "
        f"hand-over {longest_page[3] * 1000:.1f}); median page of the first "
        f"tenth of the walk {median_of(reading[:tenth], 0) * 1000:.1f} ms, of "
        f"the last tenth {median_of(reading[-tenth:], 0) * 1000:.1f} ms"
    )
    print(
        f"  longest fan_out call {longest_call:.2f} s (budget {BUDGET_SECONDS} s, "
        f"task soft limit {SOFT_LIMIT_SECONDS} s): "
        f"{'NEAR the limit' if longest_call > SOFT_LIMIT_SECONDS * 0.75 else 'clear'}"
    )
    print(
        f"  memory (fresh process): peak RSS +{growth:.1f} MiB over "
        f"{timed['rss_before_kib'] / 1024:.1f} MiB before the publish (retained "
        f"after: {retained:+.1f} MiB); Python allocations (tracemalloc, second "
        f"post): peak {traced['traced_peak'] / MiB:.1f} MiB, retained "
        f"{traced['traced_after'] / MiB:.2f} MiB (that run's RSS peak "
        f"+{(traced['rss_peak_kib'] - traced['rss_before_kib']) / 1024:.1f} MiB)"
    )
    return {
        "peak": growth,
        "traced": traced["traced_peak"] / MiB,
        "per_follower": per_follower,
    }


# Main ---------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="10,000 then 100,000 followers on 5,000 servers",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_main(json.loads(args.child))
        return
    sizes = (10_000, 100_000) if args.quick else (100_000, 1_000_000)
    servers = sizes[-1] // FOLLOWERS_PER_SERVER
    var_dir = Path(tempfile.mkdtemp(prefix="bench-audience-"))
    configure_environment(var_dir)
    recreate_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    people = make_people()
    print(
        f"audience bench: PostgreSQL, {os.cpu_count()} cores; one post by @bench "
        f"to {sizes[0]:,} then {sizes[-1]:,} followers on {servers:,} servers (a "
        f"fifth without a shared inbox, 1 in 1,000 gone, "
        f"{len(BLOCKED_SERVERS)} servers blocked); pages of "
        f"{settings.FEDERATION_FANOUT_PAGE}; the embedded file broker in {var_dir}"
    )
    results = {}
    first = 1
    for size in sizes:
        seeded = seed(first=first, last=size, servers=servers, people=people)
        first = size + 1
        expected = expected_inboxes(people["bench"].pk)
        (warm_a, post_a), (warm_b, post_b) = make_drafts(people, 2)
        from django.db import connections

        connections.close_all()
        timed = run_child(post=post_a, warmup_post=warm_a, trace=False, var_dir=var_dir)
        check_rows(post_a, people["bench"].pk, expected)
        traced = run_child(post=post_b, warmup_post=warm_b, trace=True, var_dir=var_dir)
        check_rows(post_b, people["bench"].pk, expected)
        results[size] = report(size, seeded, expected, timed, traced)
        plans = explain_page_query(
            people["bench"].pk, where=("start", "middle", "last page")
        )
        print(
            "  page query plans: "
            + " | ".join(f"{p['label']}: {plan_summary(p['plan'])}" for p in plans)
        )
    print(f"the page query at {sizes[-1]:,} followers, middle of the walk:")
    print("  " + plans[1]["sql"])
    for line in plans[1]["plan"]:
        print("  " + line)
    [other] = explain_page_query(people["other"].pk, where=("middle",))
    print(
        f"the same query for @other ({sizes[-1] // 10:,} followers, every tenth "
        f"follow in the table), middle: {plan_summary(other['plan'])}"
    )
    explain_grown(people, count=sizes[-1] // 2)
    insert = explain_insert(people["bench"].pk)
    print(
        f"one page's INSERT ({insert['inboxes']} distinct inboxes of the middle "
        f"page, all new; {insert['params']:,} parameters, {insert['sql_chars']:,} "
        f"characters of SQL): {insert['wall'] * 1000:.1f} ms from Python; on the "
        "server:"
    )
    for line in insert["plan"]:
        print("  " + line)
    small, large = results[sizes[0]], results[sizes[-1]]
    ratio = large["peak"] / small["peak"] if small["peak"] else float("inf")
    print(
        f"time per follower: {large['per_follower']:.1f} us at {sizes[-1]:,}, "
        f"{small['per_follower']:.1f} us at {sizes[0]:,} "
        f"({large['per_follower'] / small['per_follower']:.2f}x); Python "
        f"allocations peak {large['traced']:.1f} MiB vs {small['traced']:.1f} MiB"
    )
    print(
        f"peak memory {large['peak']:.1f} MiB at {sizes[-1]:,} followers, "
        f"{small['peak']:.1f} MiB at {sizes[0]:,}: {ratio:.2f}x (goal <= "
        f"{MEMORY_GOAL}x) {'PASS' if ratio <= MEMORY_GOAL else 'FAIL'}"
    )
    shutil.rmtree(var_dir, ignore_errors=True)  # the broker's unread messages
    print(
        f"audience: {large['peak']:.1f} MiB, floor {small['peak']:.1f} MiB, "
        f"ratio {ratio:.2f}"
    )


if __name__ == "__main__":
    main()
