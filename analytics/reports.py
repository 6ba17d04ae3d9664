"""Read-only engagement reports, from the rollups: what worked, where, when.

A report covers a Period: whole days in a time zone (the creator's, on a
creator's dashboard; the reader's, on an agency report, so every creator is
measured over the same instants).

- Totals come from the daily rollups for the whole UTC days inside the
  period and from the hourly rollups for the hours at its edges; the daily
  series, follower growth and the weekday x hour heatmap from the hourly
  rollups. So they are exact in any zone whose offset is whole hours. In
  zones offset by a fraction of an hour (India, Nepal, parts of Australia)
  an hour is counted where it starts: up to 45 minutes of engagement can
  fall on the neighbouring local day or hour.
- The platform and instance breakdowns and top posts come from the daily
  rollups, which are UTC days: a period covers the UTC days whose noon falls
  inside it, so at its edges these can differ from the totals by up to the
  zone's offset (not at all for a creator in UTC).
- The per-post drill-down reads the post's own interactions, exact in the
  zone.

Interactions count when they happened (`occurred_at`, what the remote server
says, else when it arrived).

Followers: analytics knows followers from the follows and unfollows it
recorded, so the count at a moment is (all follows - all unfollows) minus
the net gained since then. A caller that knows the current count better
(federation counts accepted follows) passes it as `followers_now`; the
series is then anchored on it instead.
"""

import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from django.db.models import Case, Count, F, Q, Sum, Value, When
from django.db.models.functions import Coalesce, ExtractHour, TruncDate
from django.utils import timezone

from accounts.models import Agency, CreatorProfile, User
from accounts.permissions import creators_of_agency_with_analytics
from posts.models import Post

from .models import (
    CreatorDailyRollup,
    CreatorHourlyRollup,
    CreatorTotalRollup,
    InstanceDailyRollup,
    Interaction,
    PlatformDailyRollup,
    PostDailyRollup,
    Software,
)
from .rollups import ALL_FIELDS, ENGAGEMENT_FIELDS, ENGAGEMENT_KINDS, KIND_FIELDS

PERIOD_CHOICES = (7, 30, 90)  # days, besides a custom range
TOP_POSTS = 10
TOP_INSTANCES = 10


# Periods -------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """Days `first` to `last`, both included, in time zone `tz`."""

    first: date
    last: date
    tz: zoneinfo.ZoneInfo

    def __post_init__(self) -> None:
        if self.first > self.last:
            raise ValueError("a period ends on or after the day it starts")

    @classmethod
    def ending(
        cls, *, days: int, tz: zoneinfo.ZoneInfo, today: date | None = None
    ) -> "Period":
        """The `days` days up to and including today (in `tz`)."""
        if days < 1:
            raise ValueError("a period has at least one day")
        today = today or timezone.now().astimezone(tz).date()
        return cls(first=today - timedelta(days=days - 1), last=today, tz=tz)

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def start(self) -> datetime:
        """Midnight at the start of the first day, in `tz`."""
        return datetime.combine(self.first, time(), tzinfo=self.tz)

    @property
    def end(self) -> datetime:
        """Midnight after the last day (excluded)."""
        return datetime.combine(self.last + timedelta(days=1), time(), tzinfo=self.tz)

    @property
    def bounds(self) -> tuple[datetime, datetime]:
        return self.start, self.end

    def previous(self) -> "Period":
        """The period of the same length just before, for trends."""
        return Period(
            first=self.first - timedelta(days=self.days),
            last=self.first - timedelta(days=1),
            tz=self.tz,
        )

    def dates(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range(self.days)]

    def utc_days(self) -> tuple[date, date]:
        """The UTC days (first, last) daily rollups are read for: those whose
        noon falls in the period."""
        return (
            _ceil_day(self.start - timedelta(hours=12)),
            _ceil_day(self.end - timedelta(hours=12)) - timedelta(days=1),
        )


def creator_time_zone(creator: CreatorProfile) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(creator.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def creator_period(
    creator: CreatorProfile, *, days: int = 30, today: date | None = None
) -> Period:
    """The last `days` days in the creator's time zone, today included."""
    return Period.ending(days=days, tz=creator_time_zone(creator), today=today)


# Counts --------------------------------------------------------------------


@dataclass(frozen=True)
class Counts:
    """Interactions by kind; `interactions` is the engagement (no follows)."""

    likes: int = 0
    boosts: int = 0
    reactions: int = 0
    replies: int = 0
    quotes: int = 0
    follows: int = 0
    unfollows: int = 0

    @property
    def interactions(self) -> int:
        return self.likes + self.boosts + self.reactions + self.replies + self.quotes

    @property
    def net_followers(self) -> int:
        return self.follows - self.unfollows

    def __add__(self, other: "Counts") -> "Counts":
        return Counts(
            **{name: getattr(self, name) + getattr(other, name) for name in ALL_FIELDS}
        )

    @classmethod
    def of(cls, row: dict, prefix: str = "") -> "Counts":
        return cls(**{name: row.get(prefix + name) or 0 for name in ALL_FIELDS})


def _sums(names: Sequence[str] = ALL_FIELDS, *, when: Q | None = None, prefix=""):
    return {prefix + name: Coalesce(Sum(name, filter=when), 0) for name in names}


def _engagement() -> F:
    # Annotate with it before the sums named like the fields, or F() would
    # name the sums.
    total = F(ENGAGEMENT_FIELDS[0])
    for name in ENGAGEMENT_FIELDS[1:]:
        total = total + F(name)
    return total


# Creator summary -----------------------------------------------------------


@dataclass(frozen=True)
class Summary:
    """One creator's period: followers, engagement and posts.

    `followers` is the count at the end of the period (see the module
    docstring for where it comes from); `follows` and `unfollows` are the
    followers gained and lost during it.

    Engagement rate, the interactions a post gets as a percentage of the
    followers: the interactions received during the period (likes + boosts
    + reactions + replies + quotes, on any post, old ones included) divided
    by the posts published during it (top-level posts, deleted ones
    included; not the creator's answers to replies) and by the followers at
    the end of the period, times 100:

        engagement_rate = interactions / posts_published / followers * 100

    50 interactions on one post with 1,000 followers is 5 (%).

    None when no post was published in the period or there are no followers.
    """

    period: Period
    counts: Counts
    followers: int
    posts_published: int

    @property
    def followers_at_start(self) -> int:
        return self.followers - self.counts.net_followers

    @property
    def engagement_rate(self) -> float | None:
        if not self.posts_published or self.followers <= 0:
            return None
        return self.counts.interactions / self.posts_published / self.followers * 100

    def __getattr__(self, name: str):
        # likes, boosts, ..., interactions, net_followers read through.
        if name.startswith("_") or name == "counts":
            raise AttributeError(name)
        return getattr(self.counts, name)


def change(current: float | None, previous: float | None) -> float | None:
    """Percent change from `previous` to `current`; None when there is no
    base to compare with (previous zero or unknown)."""
    if current is None or not previous:
        return None
    return (current - previous) / abs(previous) * 100


def _ceil_day(moment: datetime) -> date:
    """The first UTC day starting at or after `moment`."""
    moment = moment.astimezone(UTC)
    return moment.date() + timedelta(days=moment.time() != time())


def _utc_midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def _split(start: datetime, end: datetime | None) -> tuple[Q, Q]:
    """[start, end) (to now when `end` is None) as a filter on the daily
    rollups, for the whole UTC days inside it, and one on the hourly
    rollups, for the hours before the first whole day and after the last:
    exact, and at most 46 hourly rows whatever the length."""
    first = _ceil_day(start)
    before = Q(hour__gte=start, hour__lt=_utc_midnight(first))
    if end is None:
        return Q(day__gte=first), before
    stop = end.astimezone(UTC).date()  # whole days end by its midnight
    if stop <= first:
        return Q(day__gte=first, day__lt=first), Q(hour__gte=start, hour__lt=end)
    after = Q(hour__gte=_utc_midnight(stop), hour__lt=end)
    return Q(day__gte=first, day__lt=stop), before | after


def _summaries(
    creator_ids: Sequence[int],
    periods: Sequence[Period],
    followers_now: dict[int, int] | None = None,
) -> list[dict[int, Summary]]:
    """Summaries of each creator for each period, in four queries: whole
    days from the daily rollups, the hours at the edges from the hourly
    ones, follower totals, posts."""
    ids = list(creator_ids)
    # Time from the earliest start on, cut at every period's bounds: each
    # rollup row falls in one segment. A period adds up the segments inside
    # it; the segments after it hold the followers gained since.
    bounds = sorted({moment for period in periods for moment in period.bounds})
    segments = list(zip(bounds, [*bounds[1:], None], strict=True))
    day_cases, hour_cases, hours_read = [], [], Q()
    for n, (start, end) in enumerate(segments):
        days, hours = _split(start, end)
        day_cases.append(When(days, then=Value(n)))
        hour_cases.append(When(hours, then=Value(n)))
        hours_read |= hours
    counted: dict[tuple[int, int], Counts] = {}
    for rows, cases in (
        (CreatorDailyRollup.objects.filter(day__gte=_ceil_day(bounds[0])), day_cases),
        (CreatorHourlyRollup.objects.filter(hours_read), hour_cases),
    ):
        for row in (
            rows.filter(creator_id__in=ids)
            .annotate(segment=Case(*cases))
            .values("creator_id", "segment")
            .annotate(**_sums())
            .order_by()
        ):
            key = (row["creator_id"], row["segment"])
            counted[key] = counted.get(key, Counts()) + Counts.of(row)
    if followers_now is None:
        followers_now = {
            row.creator_id: row.follows - row.unfollows
            for row in CreatorTotalRollup.objects.filter(creator_id__in=ids)
        }
    posts = {
        row["creator_id"]: row
        for row in Post.objects.filter(
            creator_id__in=ids,
            published_at__gte=min(period.start for period in periods),
            published_at__lt=max(period.end for period in periods),
            in_reply_to_uri="",
        )
        .values("creator_id")
        .annotate(
            **{
                f"p{n}": Count(
                    "pk",
                    filter=Q(
                        published_at__gte=period.start, published_at__lt=period.end
                    ),
                )
                for n, period in enumerate(periods)
            }
        )
        .order_by()
    }
    result = []
    for n, period in enumerate(periods):
        inside = [
            i
            for i, (start, end) in enumerate(segments)
            if start >= period.start and end is not None and end <= period.end
        ]
        later = [i for i, (start, _) in enumerate(segments) if start >= period.end]
        by_creator = {}
        for creator_id in ids:
            counts = sum(
                (counted.get((creator_id, i), Counts()) for i in inside), Counts()
            )
            gained = sum(
                counted.get((creator_id, i), Counts()).net_followers for i in later
            )
            by_creator[creator_id] = Summary(
                period=period,
                counts=counts,
                followers=followers_now.get(creator_id, 0) - gained,
                posts_published=posts.get(creator_id, {}).get(f"p{n}", 0),
            )
        result.append(by_creator)
    return result


def creator_summary(
    *, creator: CreatorProfile, period: Period, followers_now: int | None = None
) -> Summary:
    """The creator's followers, engagement and posts over `period`."""
    anchor = None if followers_now is None else {creator.pk: followers_now}
    [summaries] = _summaries([creator.pk], [period], anchor)
    return summaries[creator.pk]


# Series --------------------------------------------------------------------


@dataclass(frozen=True)
class Day:
    day: date
    counts: Counts
    followers: int = 0  # at the end of the day (follower series only)


def _hours(creator: CreatorProfile, period: Period) -> list[tuple]:
    """The creator's hourly rollups in the period as (local day, local hour,
    *counts in ALL_FIELDS order). Days and the heatmap are summed from them
    here (a month is some 720 rows). The database turns hours into local
    days and hours: reading timestamps back costs more than the query."""
    return list(
        CreatorHourlyRollup.objects.filter(
            creator=creator, hour__gte=period.start, hour__lt=period.end
        )
        .annotate(
            local_day=TruncDate("hour", tzinfo=period.tz),
            local_hour=ExtractHour("hour", tzinfo=period.tz),
        )
        .values_list("local_day", "local_hour", *ALL_FIELDS)
    )


def _days(hours: list[tuple], period: Period) -> list[Day]:
    sums: dict[date, list[int]] = {}
    for local_day, _, *counts in hours:
        day = sums.setdefault(local_day, [0] * len(ALL_FIELDS))
        for index, value in enumerate(counts):
            day[index] += value
    return [Day(day=day, counts=Counts(*sums.get(day, ()))) for day in period.dates()]


def creator_daily_series(*, creator: CreatorProfile, period: Period) -> list[Day]:
    """Each day of the period (in its time zone) with what arrived that day;
    days without any are there with zeros."""
    return _days(_hours(creator, period), period)


def follower_series(days: list[Day], *, followers_at_end: int) -> list[Day]:
    """`days` with the follower count at the end of each, counted back from
    the count at the end of the last one."""
    result = []
    followers = followers_at_end
    for day in reversed(days):
        result.append(Day(day=day.day, counts=day.counts, followers=followers))
        followers -= day.counts.net_followers
    return result[::-1]


def creator_follower_series(
    *, creator: CreatorProfile, period: Period, followers_now: int | None = None
) -> list[Day]:
    """Followers at the end of each day of the period, with those gained
    (`counts.follows`) and lost (`counts.unfollows`) that day."""
    summary = creator_summary(
        creator=creator, period=period, followers_now=followers_now
    )
    return follower_series(
        creator_daily_series(creator=creator, period=period),
        followers_at_end=summary.followers,
    )


# Heatmap -------------------------------------------------------------------

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class Heatmap:
    """Engagement by weekday (0 = Monday) and hour of day, in `tz`."""

    cells: list[list[int]]  # cells[weekday][hour]
    tz: zoneinfo.ZoneInfo

    @property
    def peak(self) -> int:
        return max(max(row) for row in self.cells)

    @property
    def total(self) -> int:
        return sum(sum(row) for row in self.cells)


def _heatmap(hours: list[tuple], period: Period) -> Heatmap:
    cells = [[0] * 24 for _ in WEEKDAYS]
    engagement = len(ENGAGEMENT_FIELDS)  # the first counts
    for local_day, local_hour, *counts in hours:
        cells[local_day.weekday()][local_hour] += sum(counts[:engagement])
    return Heatmap(cells=cells, tz=period.tz)


def creator_heatmap(*, creator: CreatorProfile, period: Period) -> Heatmap:
    """When engagement arrived over the period, by local weekday and hour."""
    return _heatmap(_hours(creator, period), period)


# Breakdowns ----------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    """Where interactions came from: a platform or one server."""

    name: str  # the software, or the server's domain
    software: str
    counts: Counts

    @property
    def software_label(self) -> str:
        try:
            return Software(self.software).label
        except ValueError:
            return Software.OTHER.label


def _daily_rows(model, creator: CreatorProfile, period: Period):
    first, last = period.utc_days()
    return model.objects.filter(creator=creator, day__gte=first, day__lte=last)


def _by_source(rows, *names: str):
    return (
        rows.values(*names)
        .annotate(total=Sum(_engagement()))
        .annotate(**_sums())
        .order_by("-total", "-follows", *names)
    )


def creator_platforms(*, creator: CreatorProfile, period: Period) -> list[Source]:
    """Interactions and follows by platform (software), busiest first."""
    return [
        Source(name=row["software"], software=row["software"], counts=Counts.of(row))
        for row in _by_source(
            _daily_rows(PlatformDailyRollup, creator, period), "software"
        )
    ]


def creator_instances(
    *, creator: CreatorProfile, period: Period, limit: int | None = TOP_INSTANCES
) -> list[Source]:
    """The `limit` servers (None: all) that sent the most engagement, then
    follows."""
    rows = _by_source(
        _daily_rows(InstanceDailyRollup, creator, period), "instance_domain", "software"
    )
    return [
        Source(
            name=row["instance_domain"], software=row["software"], counts=Counts.of(row)
        )
        for row in (rows if limit is None else rows[:limit])
    ]


# Posts ---------------------------------------------------------------------


@dataclass(frozen=True)
class PostEngagement:
    post: Post
    counts: Counts


POST_ORDERS = ("interactions", *ENGAGEMENT_FIELDS)


def creator_top_posts(
    *,
    creator: CreatorProfile,
    period: Period,
    limit: int = TOP_POSTS,
    order: str = "interactions",
) -> list[PostEngagement]:
    """The posts that received the most engagement during the period (by
    `order`: all of it, or one kind), any time they were published."""
    if order not in POST_ORDERS:
        raise ValueError(f"unknown order {order!r}")
    first, last = period.utc_days()
    rows = list(
        PostDailyRollup.objects.filter(creator=creator, day__gte=first, day__lte=last)
        .values("post_id")
        .annotate(interactions=Sum(_engagement()))
        .annotate(**_sums(ENGAGEMENT_FIELDS))
        .order_by(f"-{order}", "-post_id")[:limit]
    )
    posts = Post.objects.in_bulk([row["post_id"] for row in rows])
    return [
        PostEngagement(post=posts[row["post_id"]], counts=Counts.of(row))
        for row in rows
        if row["post_id"] in posts
    ]


@dataclass(frozen=True)
class PostDrilldown:
    post: Post
    counts: Counts
    days: list[Day]  # from the first day with engagement to the last
    servers: list[Source]  # busiest first


def post_drilldown(
    *, post: Post, tz: zoneinfo.ZoneInfo, servers: int = 20
) -> PostDrilldown:
    """One post's engagement by local day and kind, and the servers it came
    from. Reads the post's own interactions (one post's worth)."""
    rows = Interaction.objects.filter(post=post, kind__in=ENGAGEMENT_KINDS).order_by()
    counts = {
        name: Count("pk", filter=Q(kind=kind))
        for kind, name in KIND_FIELDS.items()
        if kind in ENGAGEMENT_KINDS
    }
    daily = {
        row["day"]: Counts.of(row)
        for row in rows.annotate(day=TruncDate("occurred_at", tzinfo=tz))
        .values("day")
        .annotate(**counts)
    }
    days = []
    if daily:
        day, last = min(daily), max(daily)
        while day <= last:
            days.append(Day(day=day, counts=daily.get(day, Counts())))
            day += timedelta(days=1)
    by_server = (
        rows.values("instance_domain", "software")
        .annotate(**counts, total=Count("pk"))
        .order_by("-total", "instance_domain")[:servers]
    )
    return PostDrilldown(
        post=post,
        counts=Counts(
            **{
                name: sum(getattr(d.counts, name) for d in days)
                for name in ENGAGEMENT_FIELDS
            }
        ),
        days=days,
        servers=[
            Source(
                name=row["instance_domain"],
                software=row["software"],
                counts=Counts.of(row),
            )
            for row in by_server
        ],
    )


# The creator's dashboard ---------------------------------------------------


@dataclass(frozen=True)
class CreatorDashboard:
    creator: CreatorProfile
    summary: Summary
    previous: Summary  # the period just before, for trends
    days: list[Day]  # per day, with followers at the end of each
    heatmap: Heatmap
    platforms: list[Source]
    instances: list[Source]
    top_posts: list[PostEngagement]
    changes: dict[str, float | None] = field(default_factory=dict)


TREND_FIELDS = (
    "followers",
    "net_followers",
    "interactions",
    "likes",
    "boosts",
    "reactions",
    "replies",
    "quotes",
    "posts_published",
    "engagement_rate",
)


def creator_dashboard(
    *,
    creator: CreatorProfile,
    period: Period,
    followers_now: int | None = None,
    top_posts: int = TOP_POSTS,
    top_instances: int = TOP_INSTANCES,
) -> CreatorDashboard:
    """Everything the creator's dashboard shows for `period`, in nine
    queries whatever the amount of data."""
    anchor = None if followers_now is None else {creator.pk: followers_now}
    current, previous = (
        by_creator[creator.pk]
        for by_creator in _summaries([creator.pk], [period, period.previous()], anchor)
    )
    hours = _hours(creator, period)
    return CreatorDashboard(
        creator=creator,
        summary=current,
        previous=previous,
        days=follower_series(_days(hours, period), followers_at_end=current.followers),
        heatmap=_heatmap(hours, period),
        platforms=creator_platforms(creator=creator, period=period),
        instances=creator_instances(
            creator=creator, period=period, limit=top_instances
        ),
        top_posts=creator_top_posts(creator=creator, period=period, limit=top_posts),
        changes={
            name: change(getattr(current, name), getattr(previous, name))
            for name in TREND_FIELDS
        },
    )


# Agency reports ------------------------------------------------------------


@dataclass(frozen=True)
class AgencyRow:
    creator: CreatorProfile
    summary: Summary
    previous: Summary


AGENCY_SORTS = ("handle", *TREND_FIELDS, "follows", "unfollows")


def agency_report(
    *,
    user: User,
    agency: Agency,
    period: Period,
    sort: str = "interactions",
    descending: bool = True,
) -> list[AgencyRow]:
    """Every creator who granted `agency` access (as `user` may see them),
    side by side for `period` and the period before, sorted by `sort` (a
    Summary attribute in AGENCY_SORTS, or "handle"), biggest (or last in
    the alphabet) first when `descending`; an unknown engagement rate last.
    Four queries, plus two to find the creators."""
    if sort not in AGENCY_SORTS:
        raise ValueError(f"unknown sort {sort!r}")
    creators = list(creators_of_agency_with_analytics(user, agency).order_by("handle"))
    if not creators:
        return []
    current, previous = _summaries(
        [creator.pk for creator in creators], [period, period.previous()]
    )
    rows = [
        AgencyRow(
            creator=creator, summary=current[creator.pk], previous=previous[creator.pk]
        )
        for creator in creators
    ]
    if sort == "handle":
        return sorted(rows, key=lambda row: row.creator.handle, reverse=descending)
    # Ties in handle order; unknown engagement rates after every known one.
    known = sorted(
        (row for row in rows if getattr(row.summary, sort) is not None),
        key=lambda row: getattr(row.summary, sort),
        reverse=descending,
    )
    return known + [row for row in rows if getattr(row.summary, sort) is None]
