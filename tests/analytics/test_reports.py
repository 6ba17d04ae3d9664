"""Reports read from the rollups: a creator's period, its trend, series,
heatmap, breakdowns and posts, and an agency's creators side by side."""

import random
import zoneinfo
from datetime import date, timedelta

import pytest
from django.utils import timezone

from accounts.models import AgencyRole
from analytics import reports
from analytics.models import Interaction
from analytics.reports import Period
from tests import factories
from tests.analytics.conftest import make_post, record

pytestmark = pytest.mark.django_db

Kind = Interaction.Kind
UTC = zoneinfo.ZoneInfo("UTC")
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")  # UTC+1 in early March
TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")  # UTC+9
# Monday 10 to Sunday 16 March 2025.
WEEK = Period(first=date(2025, 3, 10), last=date(2025, 3, 16), tz=UTC)


@pytest.fixture
def week(creator):
    """A week of a creator's life, with a week before and after it."""
    first = make_post(creator, published="2025-03-10 09:00")
    second = make_post(creator, published="2025-03-12 09:00")
    make_post(creator, published="2025-03-03 09:00")  # the week before
    # An answer to a reply is a conversation, not a post.
    make_post(
        creator, published="2025-03-11 09:00", in_reply_to_uri="https://x.example/n"
    )
    record(creator, Kind.FOLLOW, "bob", when="2025-03-05 10:00")
    record(creator, Kind.FOLLOW, "zoe", when="2025-03-10 10:00")
    record(creator, Kind.FOLLOW, "kai", when="2025-03-11 10:00")
    record(creator, Kind.UNFOLLOW, "kai", when="2025-03-12 10:00")
    record(creator, Kind.FOLLOW, "ana", when="2025-03-20 10:00")  # after
    record(creator, Kind.LIKE, "bob", post=first, when="2025-03-10 23:30")
    record(creator, Kind.LIKE, "zoe", post=second, when="2025-03-12 10:00")
    record(creator, Kind.LIKE, "max", post=second, when="2025-03-12 11:00")
    record(creator, Kind.BOOST, "zoe", post=second, when="2025-03-13 10:00")
    record(creator, Kind.REACTION, "kai", post=second, when="2025-03-13 10:00")
    record(creator, Kind.REPLY, "bob", post=second, when="2025-03-14 10:00")
    record(creator, Kind.QUOTE, "max", post=first, when="2025-03-16 23:59")
    record(creator, Kind.LIKE, "kai", post=first, when="2025-03-04 10:00")  # before
    return first, second


def test_a_creators_week_in_numbers(creator, week):
    summary = reports.creator_summary(creator=creator, period=WEEK)

    assert (summary.likes, summary.boosts, summary.reactions) == (3, 1, 1)
    assert (summary.replies, summary.quotes, summary.interactions) == (1, 1, 7)
    assert (summary.follows, summary.unfollows, summary.net_followers) == (2, 1, 1)
    # bob before, zoe and kai during, kai gone; ana only followed later.
    assert (summary.followers_at_start, summary.followers) == (1, 2)
    assert summary.posts_published == 2
    # 7 interactions / 2 posts = 3.5 a post, with 2 followers: 175%.
    assert summary.engagement_rate == pytest.approx(175)


def test_the_follower_count_can_come_from_the_caller(creator, week):
    summary = reports.creator_summary(creator=creator, period=WEEK, followers_now=50)

    # 50 now, one of them (ana) gained after the week.
    assert summary.followers == 49
    assert summary.engagement_rate == pytest.approx(7 / 2 / 49 * 100)


def test_engagement_rate_is_unknown_without_posts_or_followers(creator):
    record(creator, Kind.LIKE, "bob", post=make_post(creator), when="2025-03-11 10:00")

    summary = reports.creator_summary(creator=creator, period=WEEK)

    assert summary.likes == 1 and summary.posts_published == 0
    assert summary.engagement_rate is None


def test_the_week_before_gives_the_trend(creator, week):
    dashboard = reports.creator_dashboard(creator=creator, period=WEEK)

    assert dashboard.previous.period == Period(
        first=date(2025, 3, 3), last=date(2025, 3, 9), tz=UTC
    )
    assert (dashboard.previous.likes, dashboard.previous.follows) == (1, 1)
    assert dashboard.previous.posts_published == 1
    assert dashboard.changes["likes"] == pytest.approx(200.0)  # 1 -> 3
    assert dashboard.changes["boosts"] is None  # nothing to compare with
    assert dashboard.changes["followers"] == pytest.approx(100.0)  # 1 -> 2


def test_days_are_the_creators_own(creator, week):
    in_utc = reports.creator_daily_series(creator=creator, period=WEEK)
    berlin_week = Period(first=WEEK.first, last=WEEK.last, tz=BERLIN)
    in_berlin = reports.creator_daily_series(creator=creator, period=berlin_week)

    assert [day.day for day in in_utc] == WEEK.dates()
    assert [day.counts.likes for day in in_utc] == [1, 0, 2, 0, 0, 0, 0]
    # 23:30 UTC on Monday is Tuesday in Berlin; the quote at 23:59 UTC on
    # Sunday falls after Berlin's week.
    assert [day.counts.likes for day in in_berlin] == [0, 1, 2, 0, 0, 0, 0]
    assert sum(day.counts.quotes for day in in_utc) == 1
    assert sum(day.counts.quotes for day in in_berlin) == 0


def test_follower_growth_day_by_day(creator, week):
    series = reports.creator_follower_series(creator=creator, period=WEEK)

    assert [day.followers for day in series] == [2, 3, 2, 2, 2, 2, 2]
    assert [day.counts.follows for day in series] == [1, 1, 0, 0, 0, 0, 0]
    assert [day.counts.unfollows for day in series] == [0, 0, 1, 0, 0, 0, 0]


def test_the_heatmap_shows_when_engagement_arrives_in_local_time(creator, week):
    utc = reports.creator_heatmap(creator=creator, period=WEEK)
    tokyo = reports.creator_heatmap(
        creator=creator, period=Period(first=WEEK.first, last=WEEK.last, tz=TOKYO)
    )

    assert utc.cells[0][23] == 1  # Monday 23:30 UTC
    assert utc.cells[3][10] == 2  # Thursday's boost and reaction
    assert utc.total == 7  # follows are not engagement
    assert tokyo.cells[1][8] == 1  # Tuesday 08:30 in Tokyo
    assert tokyo.cells[0][23] == 0
    assert utc.peak == 2


def test_platforms_and_servers(creator, week):
    platforms = reports.creator_platforms(creator=creator, period=WEEK)
    servers = reports.creator_instances(creator=creator, period=WEEK, limit=2)

    # bob (mastodon.social) and max (mastodon.online) are both Mastodon.
    by_platform = {p.name: p.counts for p in platforms}
    assert platforms[0].name == "mastodon"
    assert by_platform["mastodon"].interactions == 4
    assert by_platform["threads"].interactions == 2
    assert by_platform["threads"].follows == 1
    assert by_platform["misskey"].interactions == 1
    assert (by_platform["misskey"].follows, by_platform["misskey"].unfollows) == (1, 1)
    assert platforms[0].software_label == "Mastodon"
    # Ties go to the server that also brought followers, then by name.
    assert [(s.name, s.counts.interactions) for s in servers] == [
        ("threads.net", 2),
        ("mastodon.online", 2),
    ]


def test_top_posts_for_the_period(creator, week):
    first, second = week

    top = reports.creator_top_posts(creator=creator, period=WEEK)
    by_likes = reports.creator_top_posts(
        creator=creator, period=WEEK, order="likes", limit=1
    )

    assert [(row.post, row.counts.interactions) for row in top] == [
        (second, 5),
        (first, 2),  # its like from the week before is not counted
    ]
    assert [row.post for row in by_likes] == [second]
    with pytest.raises(ValueError, match="unknown order"):
        reports.creator_top_posts(creator=creator, period=WEEK, order="follows")


def test_one_posts_drilldown(creator, week):
    first, _ = week

    drill = reports.post_drilldown(post=first, tz=BERLIN)

    assert [(day.day, day.counts.likes, day.counts.quotes) for day in drill.days] == [
        (date(2025, 3, 4), 1, 0),
        *[(date(2025, 3, n), 0, 0) for n in range(5, 11)],
        (date(2025, 3, 11), 1, 0),  # 23:30 UTC on the 10th
        *[(date(2025, 3, n), 0, 0) for n in range(12, 17)],
        (date(2025, 3, 17), 0, 1),  # 23:59 UTC on the 16th
    ]
    assert (drill.counts.likes, drill.counts.quotes) == (2, 1)
    assert [(s.name, s.counts.interactions) for s in drill.servers] == [
        ("mastodon.online", 1),
        ("mastodon.social", 1),
        ("misskey.io", 1),
    ]


def test_the_dashboard_takes_a_fixed_number_of_queries(
    creator, week, django_assert_num_queries
):
    with django_assert_num_queries(9):
        dashboard = reports.creator_dashboard(creator=creator, period=WEEK)

    assert dashboard.summary.interactions == 7
    assert [day.followers for day in dashboard.days] == [2, 3, 2, 2, 2, 2, 2]
    assert dashboard.heatmap.total == 7
    assert len(dashboard.top_posts) == 2
    assert dashboard.platforms[0].name == "mastodon"


def test_periods():
    period = Period.ending(days=7, tz=BERLIN, today=date(2025, 3, 16))
    assert (period.first, period.last, period.days) == (
        date(2025, 3, 10),
        date(2025, 3, 16),
        7,
    )
    assert period.previous().last == date(2025, 3, 9)
    assert period.start.isoformat() == "2025-03-10T00:00:00+01:00"
    # Daily rollups are UTC days: those whose noon falls in the period.
    assert period.utc_days() == (date(2025, 3, 10), date(2025, 3, 16))
    assert WEEK.utc_days() == (date(2025, 3, 10), date(2025, 3, 16))
    kiritimati = Period(
        first=WEEK.first, last=WEEK.last, tz=zoneinfo.ZoneInfo("Pacific/Kiritimati")
    )  # UTC+14: local days end at 10:00 UTC
    assert kiritimati.utc_days() == (date(2025, 3, 9), date(2025, 3, 15))
    with pytest.raises(ValueError):
        Period(first=date(2025, 3, 2), last=date(2025, 3, 1), tz=UTC)
    creator_period = reports.creator_period(
        factories.CreatorFactory.build(time_zone="Asia/Tokyo"), days=30
    )
    assert creator_period.tz == TOKYO
    assert creator_period.last == timezone.now().astimezone(TOKYO).date()


# Agency reports ----------------------------------------------------------------


@pytest.fixture
def agency_creators(creator, agency_with_analyst):
    """alice (granted, busy), carol (granted, quiet), dave (revoked) and bob
    (never granted)."""
    agency, analyst = agency_with_analyst
    carol = factories.CreatorFactory(handle="carol")
    factories.AgencyAccessFactory(creator=carol, agency=agency)
    dave = factories.CreatorFactory(handle="dave")
    factories.AgencyAccessFactory(
        creator=dave, agency=agency, revoked_at=timezone.now()
    )
    bob = factories.CreatorFactory(handle="bob")
    for who in (creator, carol, dave, bob):
        post = make_post(who, published="2025-03-11 09:00")
        record(who, Kind.LIKE, "bob", post=post, when="2025-03-11 10:00")
        record(who, Kind.FOLLOW, "bob", when="2025-03-11 10:00")
    busy_post = make_post(creator, published="2025-03-12 09:00")
    record(creator, Kind.LIKE, "zoe", post=busy_post, when="2025-03-12 10:00")
    record(creator, Kind.BOOST, "zoe", post=busy_post, when="2025-03-12 10:00")
    return agency, analyst


def test_an_agency_sees_its_creators_side_by_side(
    creator, agency_creators, django_assert_num_queries
):
    agency, analyst = agency_creators

    with django_assert_num_queries(6):  # membership, creators, four for all
        rows = reports.agency_report(user=analyst, agency=agency, period=WEEK)

    assert [row.creator.handle for row in rows] == ["alice", "carol"]
    alice, carol = (row.summary for row in rows)
    assert (alice.likes, alice.boosts, alice.interactions) == (2, 1, 3)
    assert (alice.followers, alice.posts_published) == (1, 2)
    assert alice.engagement_rate == pytest.approx(150)  # 1.5 a post, 1 follower
    assert (carol.likes, carol.interactions, carol.followers) == (1, 1, 1)
    assert rows[0].previous.period == WEEK.previous()


def test_agency_report_sorting(creator, agency_creators):
    agency, analyst = agency_creators

    def order(**sort):
        rows = reports.agency_report(user=analyst, agency=agency, period=WEEK, **sort)
        return [row.creator.handle for row in rows]

    assert order(sort="likes", descending=False) == ["carol", "alice"]
    assert order(sort="handle", descending=True) == ["carol", "alice"]
    assert order(sort="handle", descending=False) == ["alice", "carol"]
    with pytest.raises(ValueError, match="unknown sort"):
        order(sort="password")


def test_only_agency_members_get_a_report(creator, agency_creators):
    agency, _ = agency_creators
    outsider = factories.UserFactory()
    member_elsewhere = factories.MembershipFactory(role=AgencyRole.OWNER).user

    assert reports.agency_report(user=outsider, agency=agency, period=WEEK) == []
    assert (
        reports.agency_report(user=member_elsewhere, agency=agency, period=WEEK) == []
    )


@pytest.mark.parametrize(
    "zone", ["UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo"]
)
def test_totals_are_exact_in_the_creators_zone_however_long_the_period(creator, zone):
    """Whole UTC days are read from the daily rollups and the hours around
    them from the hourly ones: the sum is what the raw rows say."""
    rng = random.Random(zone)
    post = make_post(creator)
    base = timezone.datetime(2025, 3, 1, tzinfo=UTC)
    people = ["bob", "zoe", "kai", "ana", "max"]
    for n in range(160):
        moment = base + timedelta(minutes=rng.randrange(14 * 24 * 60))
        kind = rng.choice([Kind.LIKE, Kind.REPLY, Kind.FOLLOW, Kind.UNFOLLOW])
        record(
            creator,
            kind,
            f"{rng.choice(people)}{n}",
            post=None if kind in (Kind.FOLLOW, Kind.UNFOLLOW) else post,
            when=moment.isoformat(sep=" ")[:16],
        )
    tz = zoneinfo.ZoneInfo(zone)
    for first, days in ((date(2025, 3, 2), 1), (date(2025, 3, 3), 3), (WEEK.first, 5)):
        period = Period(first=first, last=first + timedelta(days=days - 1), tz=tz)
        summary = reports.creator_summary(creator=creator, period=period)
        raw = Interaction.objects.filter(
            occurred_at__gte=period.start, occurred_at__lt=period.end
        )
        later = Interaction.objects.filter(occurred_at__gte=period.end)
        assert summary.likes == raw.filter(kind=Kind.LIKE).count()
        assert summary.replies == raw.filter(kind=Kind.REPLY).count()
        assert summary.follows == raw.filter(kind=Kind.FOLLOW).count()
        assert summary.followers == (
            Interaction.objects.filter(kind=Kind.FOLLOW).count()
            - Interaction.objects.filter(kind=Kind.UNFOLLOW).count()
            - later.filter(kind=Kind.FOLLOW).count()
            + later.filter(kind=Kind.UNFOLLOW).count()
        )
