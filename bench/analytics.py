"""Analytics reports over millions of interactions, beside a plain GROUP BY.

Seeds PostgreSQL with 50 creators (in assorted time zones, all granted to
one agency), 20,000 posts published over the past year and 5,000,000
interactions (likes, boosts, reactions, replies, quotes, follows and
unfollows from 2,000 servers on every platform, bunched on a few big ones;
each arriving in the days after its post, a few popular posts taking many).
Seeding is SQL (generate_series), in two halves of the same distribution,
so the data doubles between them; after each, the rollups are built by the
rebuild (`rollups_rebuild`, as `manage.py rebuild_rollups` does) and the
reports are timed:

- creator dashboard: `reports.creator_dashboard` for the busiest creator,
  30 days in their time zone (totals and trend, daily and follower series,
  heatmap, platforms, top servers, top posts): the median of many runs;
- agency report: `reports.agency_report`, the 50 creators side by side
  over 30 days, with the 30 days before for trends: the median;
- floor (same run): a plain `SELECT creator_id, kind, count(*) FROM
  interactions GROUP BY creator_id, kind` over the raw table: the median of
  a few runs. Printed for reference too: the agency report's numbers
  straight from the raw rows (30 days, GROUP BY creator and kind), and one
  post's drill-down (which reads that post's raw rows);
- follower attribution: `insights.posts_that_earned_followers` for the
  busiest creator over 30 days (each follow's latest earlier like, boost or
  reply by the same person), and a campaign report
  (`campaigns.campaign_report`) of that creator's 20 busiest posts over
  those 30 days (interactions by post and platform, attribution, best
  replies, reach): the median of many runs. Seeded actors act once each, so
  attribution finds few matches; the timing is of the lookups;
- the pages themselves, served over HTTP by the WSGI application to a
  signed-in creator and analyst (analytics page, drill-down, agency report):
  a page that answers anything but 200 stops the bench.

Goals: each report under 5 % of the floor at full size, and report time
nearly flat when the data doubles (at most 1.25x for 2x the rows).

BENCH_DATABASE_URL (default
postgres://postgres@127.0.0.1:5432/bench_creatorhub_analytics; its name must
contain "bench": it is dropped and created again). Foreign-key triggers are
off while seeding (the rows are consistent by construction).

Run: .venv/bin/python bench/analytics.py [--quick]
(--quick: 5 creators, 2,000 posts, 200,000 interactions; a smoke run.)
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.postgres import recreate_database  # noqa: E402 (after the path)

REPORT_GOAL = 0.05
GROWTH_GOAL = 1.25
PERIOD_DAYS = 30
DOMAINS = 2000
ROLLUP_TABLES = (
    "analytics_postdailyrollup",
    "analytics_creatorhourlyrollup",
    "analytics_instancedailyrollup",
    "analytics_creatortotalrollup",
)
TIME_ZONES = (
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "America/Los_Angeles",
    "Asia/Tokyo",
    "Asia/Kolkata",
    "Australia/Sydney",
    "America/Sao_Paulo",
)


def configure_environment() -> None:
    database = os.environ.get(
        "BENCH_DATABASE_URL",
        "postgres://postgres@127.0.0.1:5432/bench_creatorhub_analytics",
    )
    if "bench" not in urlsplit(database).path:
        raise SystemExit("BENCH_DATABASE_URL must name a database with 'bench' in it")
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "creatorhub.settings",
            "SECRET_KEY": "bench-analytics-not-secret-bench-analytics",
            "DEBUG": "false",
            "LOG_LEVEL": "WARNING",
            "CREATORHUB_DOMAIN": "hub.bench.example",
            "DATABASE_URL": database,
            # The pages are served as in production (hashed static files):
            # collected afresh into a scratch directory for each run.
            "STATIC_ROOT": tempfile.mkdtemp(prefix="bench-static-"),
        }
    )


# Seeding ------------------------------------------------------------------------


def make_people(*, creators: int):
    """Creators in assorted time zones, an agency they all granted, and its
    analyst; returns (agency, analyst)."""
    from accounts.models import (
        Agency,
        AgencyAccess,
        AgencyMembership,
        AgencyRole,
        CreatorProfile,
        User,
    )

    users = User.objects.bulk_create(
        [
            User(username=f"creator{n}", email=f"creator{n}@bench.example")
            for n in range(creators)
        ]
    )
    profiles = CreatorProfile.objects.bulk_create(
        [
            CreatorProfile(
                user=user,
                handle=f"creator{n}",
                time_zone=TIME_ZONES[n % len(TIME_ZONES)],
                share_to_fediverse=True,
            )
            for n, user in enumerate(users)
        ]
    )
    agency = Agency.objects.create(name="Bench Agency", slug="bench")
    analyst = User.objects.create(username="analyst", email="analyst@bench.example")
    AgencyMembership.objects.create(
        agency=agency, user=analyst, role=AgencyRole.ANALYST
    )
    AgencyAccess.objects.bulk_create(
        [AgencyAccess(creator=profile, agency=agency) for profile in profiles]
    )
    return agency, analyst


def seed_posts(cursor, *, posts: int) -> None:
    """`posts` published over the past year, dealt round the creators."""
    from posts.models import Post

    listed = {
        "id", "creator_id", "body", "content_html", "summary", "sensitive",
        "language", "visibility", "state", "published_at", "in_reply_to_uri",
        "created_at", "updated_at",
    }  # fmt: skip
    # Columns added to posts since this was written take their defaults.
    extra = [
        (field.column, field.get_default())
        for field in Post._meta.concrete_fields
        if field.column not in listed and not field.null
    ]
    columns = "".join(f", {column}" for column, _ in extra)
    values = ", %s" * len(extra)
    cursor.execute("SELECT setseed(0.17)")
    cursor.execute(
        f"""
        INSERT INTO posts_post (
            creator_id, body, content_html, summary, sensitive, language,
            visibility, state, published_at, in_reply_to_uri, created_at,
            updated_at{columns})
        SELECT c.id, 'post ' || g.n, '<p>post ' || g.n || '</p>', '', false, 'en',
            'public', 'published', t.at, '', t.at, t.at{values}
        FROM generate_series(0, %s - 1) AS g(n)
        JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n
              FROM accounts_creatorprofile) AS c
            ON c.n = g.n %% (SELECT count(*) FROM accounts_creatorprofile)
        CROSS JOIN LATERAL (
            SELECT now() - interval '365 days' * random() + interval '0' * g.n AS at
        ) AS t
        """,  # noqa: S608 - column names from the model, values as parameters
        [*(value for _, value in extra), posts],
    )
    # Numbered, for picking posts by number while seeding interactions.
    cursor.execute(
        "CREATE UNLOGGED TABLE bench_post AS SELECT row_number() OVER (ORDER BY id)"
        " - 1 AS n, id, creator_id, published_at FROM posts_post"
    )
    cursor.execute("CREATE UNIQUE INDEX ON bench_post (n)")
    cursor.execute(
        """
        CREATE UNLOGGED TABLE bench_domain AS
        SELECT g.n,
            CASE g.n WHEN 0 THEN 'mastodon.social' WHEN 1 THEN 'threads.net'
                WHEN 2 THEN 'misskey.io' WHEN 3 THEN 'pixelfed.social'
                ELSE 's' || g.n || '.example' END AS domain,
            CASE WHEN g.n = 1 OR g.n %% 20 = 1 THEN 'threads'
                WHEN g.n = 2 OR g.n %% 20 = 2 THEN 'misskey'
                WHEN g.n = 3 OR g.n %% 20 = 3 THEN 'pixelfed'
                WHEN g.n %% 20 = 4 THEN 'pleroma'
                WHEN g.n %% 20 = 5 THEN 'gotosocial'
                WHEN g.n %% 20 = 6 THEN 'other'
                ELSE 'mastodon' END AS software
        FROM generate_series(0, %s - 1) AS g(n)
        """,
        [DOMAINS],
    )
    cursor.execute("CREATE UNIQUE INDEX ON bench_domain (n)")


def seed_interactions(cursor, *, first: int, last: int, posts: int) -> None:
    """Interactions numbered `first`..`last`: each on a post (popular ones
    more often), from a server (big ones more often), arriving an
    exponentially distributed while (mean two days) after the post."""
    cursor.execute("SELECT setseed(%s)", [first / (last + 1)])
    cursor.execute(
        """
        INSERT INTO analytics_interaction (
            activity_id, kind, creator_id, post_id, emoji, occurred_at,
            received_at, actor_uri, actor_handle, actor_name, actor_avatar_url,
            actor_profile_url, instance_domain, software)
        SELECT 'https://' || d.domain || '/activities/' || r.i, k.kind,
            p.creator_id,
            CASE WHEN k.kind IN ('follow', 'unfollow') THEN NULL ELSE p.id END,
            CASE WHEN k.kind = 'reaction' THEN '🎉' ELSE '' END, t.at, t.at,
            'https://' || d.domain || '/users/u' || r.i, '', '', '', '',
            d.domain, d.software
        FROM (
            SELECT i, random() AS r_post, random() AS r_domain, random() AS r_kind,
                random() AS r_delay
            FROM generate_series(%s, %s) AS i
        ) AS r
        JOIN bench_post AS p ON p.n = floor(power(r.r_post, 2) * %s)::int
        JOIN bench_domain AS d ON d.n = floor(power(r.r_domain, 4) * %s)::int
        CROSS JOIN LATERAL (
            SELECT CASE
                WHEN r.r_kind < 0.55 THEN 'like' WHEN r.r_kind < 0.73 THEN 'boost'
                WHEN r.r_kind < 0.80 THEN 'reaction' WHEN r.r_kind < 0.90 THEN 'reply'
                WHEN r.r_kind < 0.92 THEN 'quote' WHEN r.r_kind < 0.98 THEN 'follow'
                ELSE 'unfollow' END AS kind
        ) AS k
        CROSS JOIN LATERAL (
            SELECT least(now(), p.published_at
                + interval '1 second' * (-ln(1 - r.r_delay) * 172800)) AS at
        ) AS t
        """,
        [first, last, posts, DOMAINS],
    )


def without_indexes(cursor, table: str):
    """Drop `table`'s unique constraints and secondary indexes; returns the
    statements that put them back (loading millions of rows and indexing
    them after is several times quicker than keeping ten indexes up to
    date row by row)."""
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = %s::regclass AND contype = 'u'",
        [table],
    )
    constraints = cursor.fetchall()
    cursor.execute(
        "SELECT i.indexname, i.indexdef FROM pg_indexes AS i WHERE i.tablename = %s "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint AS c "
        "WHERE c.conname = i.indexname)",
        [table],
    )
    indexes = cursor.fetchall()
    for name, _ in constraints:
        cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for name, _ in indexes:
        cursor.execute(f'DROP INDEX "{name}"')
    return [
        *(
            f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {body}'
            for name, body in constraints
        ),
        *(body for _, body in indexes),
    ]


def seed(*, first: int, last: int, posts: int) -> float:
    from django.db import connection, transaction

    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("SET LOCAL synchronous_commit = off")
        cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        if first == 1:
            seed_posts(cursor, posts=posts)
        restore = without_indexes(cursor, "analytics_interaction")
        seed_interactions(cursor, first=first, last=last, posts=posts)
        for statement in restore:
            cursor.execute(statement)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE analytics_interaction")
        cursor.execute("VACUUM ANALYZE posts_post")
    return time.perf_counter() - started


def rebuild() -> tuple[float, dict]:
    from django.db import connection

    from analytics import services

    started = time.perf_counter()
    written = services.rollups_rebuild()
    seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        for table in ROLLUP_TABLES:
            cursor.execute(f"VACUUM ANALYZE {table}")
    return seconds, written


# Timing -------------------------------------------------------------------------


def median_seconds(run, *, times: int) -> float:
    run()  # warm: plans and caches, as on a page served a second time
    samples = []
    for _ in range(times):
        started = time.perf_counter()
        run()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def measure(agency, analyst, *, repeat: int) -> dict:
    from django.db import connection

    from accounts.models import CreatorProfile
    from analytics import campaigns, insights, reports
    from analytics.models import Campaign, CreatorTotalRollup, PostDailyRollup
    from posts.models import Post

    busiest = (
        CreatorTotalRollup.objects.annotate(
            n=sum_of("likes", "boosts", "reactions", "replies", "quotes")
        )
        .order_by("-n")
        .values_list("creator_id", flat=True)
        .first()
    )
    creator = CreatorProfile.objects.get(pk=busiest)
    period = reports.creator_period(creator, days=PERIOD_DAYS)
    agency_period = reports.Period.ending(
        days=PERIOD_DAYS, tz=reports.creator_time_zone(creator)
    )
    top_post = Post.objects.get(
        pk=PostDailyRollup.objects.filter(creator=creator)
        .values("post_id")
        .annotate(n=sum_of("likes", "boosts", "reactions", "replies", "quotes"))
        .order_by("-n")
        .values_list("post_id", flat=True)
        .first()
    )

    def dashboard():
        return reports.creator_dashboard(creator=creator, period=period)

    def agency_report():
        return reports.agency_report(user=analyst, agency=agency, period=agency_period)

    def drilldown():
        return reports.post_drilldown(post=top_post, tz=period.tz)

    def attribution():
        return insights.posts_that_earned_followers(creator=creator, period=period)

    Campaign.objects.filter(name="bench").delete()
    campaign = Campaign.objects.create(
        name="bench",
        creator=creator,
        starts_on=period.first,
        ends_on=period.last,
    )
    campaign.posts.set(
        PostDailyRollup.objects.filter(creator=creator, day__gte=period.first)
        .values("post_id")
        .annotate(n=sum_of("likes", "boosts", "reactions", "replies", "quotes"))
        .order_by("-n")
        .values_list("post_id", flat=True)[:20]
    )

    def campaign_report():
        return campaigns.campaign_report(campaign=campaign)

    def raw(sql, params=()):
        def run():
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                return cursor.fetchall()

        return run

    rows = agency_report()
    shown = dashboard()
    pages = time_pages(creator=creator, post=top_post, agency=agency, analyst=analyst)
    results = {
        "dashboard": median_seconds(dashboard, times=repeat),
        "agency": median_seconds(agency_report, times=repeat),
        "drilldown": median_seconds(drilldown, times=max(repeat // 3, 3)),
        "attribution": median_seconds(attribution, times=repeat),
        "campaign": median_seconds(campaign_report, times=repeat),
        "campaign_interactions": campaign_report().counts.interactions,
        "floor": median_seconds(
            raw(
                "SELECT creator_id, kind, count(*) FROM analytics_interaction "
                "GROUP BY creator_id, kind"
            ),
            times=5,
        ),
        "raw_agency": median_seconds(
            raw(
                "SELECT creator_id, kind, count(*) FROM analytics_interaction "
                "WHERE occurred_at >= %s AND occurred_at < %s "
                "GROUP BY creator_id, kind",
                [agency_period.previous().start, agency_period.end],
            ),
            times=5,
        ),
        "creators": len(rows),
        "dashboard_interactions": shown.summary.interactions,
        "agency_interactions": sum(row.summary.interactions for row in rows),
        "handle": creator.handle,
        "tz": creator.time_zone,
        "pages": pages,
    }
    check(agency, analyst, rows, agency_period)
    return results


def time_pages(*, creator, post, agency, analyst) -> dict:
    """Median seconds to serve each report page over HTTP to a signed-in
    person: the creator their analytics and a post's drill-down, the analyst
    the agency report. Anything but a 200 stops the bench: a report that
    computes but does not render is a broken page."""
    import requests
    from django.test import Client
    from django.urls import reverse

    from bench.wsgi_server import serve_wsgi

    def session_for(user) -> requests.Session:
        client = Client()
        client.force_login(user)
        session = requests.Session()
        session.cookies.set("sessionid", client.cookies["sessionid"].value)
        return session

    handle = creator.handle
    visits = {
        "creator analytics page": (
            creator.user,
            reverse("analytics:creator", kwargs={"handle": handle}),
        ),
        "post drill-down page": (
            creator.user,
            reverse("analytics:post", kwargs={"handle": handle, "pk": post.pk}),
        ),
        "agency report page": (
            analyst,
            reverse("analytics:agency", kwargs={"slug": agency.slug}),
        ),
    }
    timings = {}
    with serve_wsgi() as base_url:
        for name, (user, path) in visits.items():
            session = session_for(user)

            def load(session=session, path=path, name=name):
                response = session.get(base_url + path, timeout=120)
                if response.status_code != 200:
                    raise SystemExit(f"{name} {path} answered {response.status_code}")

            timings[name] = median_seconds(load, times=5)
    return timings


def sum_of(*names):
    from django.db.models import F

    total = F(names[0])
    for name in names[1:]:
        total = total + F(name)
    return total


def check(agency, analyst, rows, period) -> None:
    """The agency report says what the raw rows say (so the timing is of a
    right answer)."""
    from analytics.models import Interaction

    engagement = ["like", "boost", "reaction", "reply", "quote"]
    raw = Interaction.objects.filter(
        occurred_at__gte=period.start,
        occurred_at__lt=period.end,
        kind__in=engagement,
    ).count()
    reported = sum(row.summary.interactions for row in rows)
    # Hours are counted where they start: only a creator zone with a
    # fractional offset could differ, and the agency period is in the
    # busiest creator's zone; allow nothing else.
    if period.tz.key in ("Asia/Kolkata",):
        return
    if raw != reported:
        raise SystemExit(f"agency report counts {reported}, raw rows {raw}")


# Main ---------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="5 creators, 2,000 posts, 200,000 interactions",
    )
    args = parser.parse_args()
    creators, posts, total, repeat = (
        (5, 2000, 200_000, 9) if args.quick else (50, 20_000, 5_000_000, 21)
    )
    configure_environment()
    recreate_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    agency, analyst = make_people(creators=creators)
    print(
        f"analytics bench: PostgreSQL, {os.cpu_count()} cores; {creators} creators, "
        f"{posts} posts over a year, {DOMAINS} servers; reports over "
        f"{PERIOD_DAYS} days, median of {repeat}"
    )
    sizes = {}
    half = total // 2
    for first, last in ((1, half), (half + 1, total)):
        seeded = seed(first=first, last=last, posts=posts)
        rebuilt, written = rebuild()
        result = measure(agency, analyst, repeat=repeat)
        sizes[last] = result
        rollup_rows = ", ".join(f"{name} {rows:,}" for name, rows in written.items())
        print(
            f"{last:,} interactions (seeded in {seeded:.1f} s); rollups rebuilt in "
            f"{rebuilt:.1f} s ({rollup_rows} rows)"
        )
        print(
            f"  creator dashboard (@{result['handle']}, {result['tz']}, "
            f"{result['dashboard_interactions']:,} interactions in the period): "
            f"{result['dashboard'] * 1000:.1f} ms; agency report "
            f"({result['creators']} creators, {result['agency_interactions']:,}): "
            f"{result['agency'] * 1000:.1f} ms; top post drill-down (raw rows): "
            f"{result['drilldown'] * 1000:.1f} ms"
        )
        print(
            f"  follower attribution (30 days): {result['attribution'] * 1000:.1f} ms; "
            f"campaign report (20 posts, "
            f"{result['campaign_interactions']:,} interactions): "
            f"{result['campaign'] * 1000:.1f} ms"
        )
        print(
            "  over HTTP, signed in: "
            + "; ".join(
                f"{name} {seconds * 1000:.0f} ms"
                for name, seconds in result["pages"].items()
            )
        )
        print(
            f"  floor, plain GROUP BY creator, kind over the raw table: "
            f"{result['floor'] * 1000:.0f} ms; the agency report's numbers from "
            f"raw rows (60 days, GROUP BY creator, kind): "
            f"{result['raw_agency'] * 1000:.0f} ms"
        )
    small, full = sizes[half], sizes[total]
    worst = 0.0
    for name, label in (
        ("dashboard", "creator dashboard"),
        ("agency", "agency report"),
        ("attribution", "follower attribution"),
        ("campaign", "campaign report"),
    ):
        ratio = full[name] / full["floor"]
        growth = full[name] / small[name]
        worst = max(worst, full[name])
        ok = ratio < REPORT_GOAL and growth <= GROWTH_GOAL
        print(
            f"{label}: {ratio * 100:.2f} % of the floor (goal < "
            f"{REPORT_GOAL * 100:.0f} %); {growth:.2f}x when the data doubles "
            f"(floor {full['floor'] / small['floor']:.2f}x; goal <= {GROWTH_GOAL}x) "
            f"{'PASS' if ok else 'FAIL'}"
        )
    print(
        f"analytics: {worst * 1000:.1f} ms, floor {full['floor'] * 1000:.1f} ms, "
        f"ratio {worst / full['floor']:.4f}"
    )


if __name__ == "__main__":
    main()
