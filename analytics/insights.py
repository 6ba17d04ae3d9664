"""The numbers sponsors ask for: which posts earned followers, when to post,
and how many people a post may have reached.

- Follower attribution: a new follower who liked, boosted or replied to one
  of the creator's posts in the ATTRIBUTION_DAYS days before following is
  counted for that post (the most recent such interaction). Read from the
  interactions analytics records: a follow carries its actor, so one query
  finds each follow's latest interaction before it.
- Best time to post: the weekday and hour slots, on the creator's clock,
  when the creator's engagement arrived over the last weeks (the hourly
  rollups that draw the heatmap).
- Reach estimate: followers of the creator on the servers a post was
  delivered to, plus the followers of those who boosted it where their
  servers said how many. Deliveries belong to federation, which analytics never
  imports: federation hands its counting function to `reach_source_set`
  when it starts (FederationConfig.ready), as it connects to the domain
  events. Without it (analytics alone) the estimate is unknown, not zero.
"""

import zoneinfo
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from accounts.models import CreatorProfile
from posts.models import Post

from .models import Interaction
from .reports import WEEKDAYS, Period, creator_heatmap, creator_time_zone

# Interactions that can earn a follower: the ones that show a post reached
# someone's timeline and they acted on it.
ATTRIBUTING_KINDS = (
    Interaction.Kind.LIKE,
    Interaction.Kind.BOOST,
    Interaction.Kind.REPLY,
)


def attribution_days() -> int:
    return getattr(settings, "ANALYTICS_ATTRIBUTION_DAYS", 7)


# Follower attribution --------------------------------------------------------


@dataclass(frozen=True)
class EarnedFollowers:
    """A post and the followers attributed to it."""

    post: Post
    followers: int
    servers: list[tuple[str, int]]  # (domain, followers), most first


def attributed_follows(
    *,
    creator: CreatorProfile,
    start: datetime,
    end: datetime,
    days: int,
) -> list[tuple[int, str]]:
    """(post id, follower's server) of each person who followed between
    `start` and `end` after interacting with a post in the `days` before.

    One query: each follow row gets its latest earlier interaction by the
    same actor with the creator's posts as a subquery, which the index on
    (actor_uri, post) answers from a handful of rows per actor. A person
    who followed more than once in the period counts once (the last
    follow)."""
    earlier = Interaction.objects.filter(
        creator=creator,
        actor_uri=OuterRef("actor_uri"),
        kind__in=ATTRIBUTING_KINDS,
        post__isnull=False,
        occurred_at__lte=OuterRef("occurred_at"),
        occurred_at__gte=OuterRef("occurred_at") - timedelta(days=days),
    )
    rows = (
        Interaction.objects.filter(
            creator=creator,
            kind=Interaction.Kind.FOLLOW,
            occurred_at__gte=start,
            occurred_at__lt=end,
        )
        .annotate(
            earned_by=Subquery(
                earlier.order_by("-occurred_at", "-pk").values("post_id")[:1]
            )
        )
        .order_by("occurred_at", "pk")
        .values_list("actor_uri", "instance_domain", "earned_by")
    )
    latest: dict[str, tuple[int, str]] = {}
    for actor_uri, domain, post_id in rows:
        if post_id is None:
            latest.pop(actor_uri, None)
        else:
            latest[actor_uri] = (post_id, domain)
    return list(latest.values())


def earned_followers(found: list[tuple[int, str]], *, limit: int | None, servers: int):
    by_post: dict[int, Counter] = {}
    for post_id, domain in found:
        by_post.setdefault(post_id, Counter())[domain] += 1
    ranked = sorted(by_post.items(), key=lambda item: (-item[1].total(), -item[0]))
    if limit is not None:
        ranked = ranked[:limit]
    posts = Post.objects.in_bulk([post_id for post_id, _ in ranked])
    return [
        EarnedFollowers(
            post=posts[post_id],
            followers=domains.total(),
            servers=sorted(domains.items(), key=lambda kv: (-kv[1], kv[0]))[:servers],
        )
        for post_id, domains in ranked
        if post_id in posts
    ]


def posts_that_earned_followers(
    *,
    creator: CreatorProfile,
    period: Period,
    days: int | None = None,
    limit: int | None = 10,
    servers: int = 3,
) -> list[EarnedFollowers]:
    """The posts new followers of the period had just liked, boosted or
    replied to, most followers first, each with its top servers. Two
    queries (the follows with their post, then the posts)."""
    found = attributed_follows(
        creator=creator,
        start=period.start,
        end=period.end,
        days=days or attribution_days(),
    )
    return earned_followers(found, limit=limit, servers=servers)


# Best time to post ------------------------------------------------------------

BEST_TIME_WEEKS = 8
# Below this many interactions the slots are a guess: say so.
BEST_TIME_CONFIDENT = 200
BEST_TIME_SLOTS = 3


@dataclass(frozen=True)
class Slot:
    weekday: int  # 0 = Monday
    hour: int  # local
    interactions: int
    next_at: datetime  # its next occurrence on the creator's clock

    @property
    def label(self) -> str:
        return f"{WEEKDAYS[self.weekday]} {self.hour:02d}:00"

    @property
    def local_value(self) -> str:
        """For an <input type="datetime-local">."""
        return self.next_at.strftime("%Y-%m-%dT%H:%M")


@dataclass(frozen=True)
class BestTimes:
    slots: list[Slot]
    interactions: int
    weeks: int
    tz: zoneinfo.ZoneInfo
    confident_from: int = BEST_TIME_CONFIDENT

    @property
    def confident(self) -> bool:
        return self.interactions >= self.confident_from

    @property
    def confidence(self) -> str:
        if not self.slots:
            return "none"
        if self.interactions >= 5 * self.confident_from:
            return "high"
        return "medium" if self.confident else "low"


def _next_occurrence(weekday: int, hour: int, now: datetime) -> datetime:
    """The next local `weekday` at `hour`:00 after `now` (in its zone)."""
    ahead = (weekday - now.weekday()) % 7
    day = now.date() + timedelta(days=ahead)
    moment = datetime.combine(day, time(hour), tzinfo=now.tzinfo)
    if moment <= now:
        moment = datetime.combine(
            day + timedelta(days=7), time(hour), tzinfo=now.tzinfo
        )
    return moment


def best_times_to_post(
    *,
    creator: CreatorProfile,
    weeks: int = BEST_TIME_WEEKS,
    slots: int = BEST_TIME_SLOTS,
    today: date | None = None,
    now: datetime | None = None,
) -> BestTimes:
    """The `slots` weekday+hour slots that drew the most of the creator's
    engagement over the last `weeks` weeks, in their time zone, busiest
    first (ties: earlier in the week). Slots with none are never offered."""
    tz = creator_time_zone(creator)
    period = Period.ending(days=weeks * 7, tz=tz, today=today)
    heatmap = creator_heatmap(creator=creator, period=period)
    now = (now or timezone.now()).astimezone(tz)
    ranked = sorted(
        (
            (count, weekday, hour)
            for weekday, row in enumerate(heatmap.cells)
            for hour, count in enumerate(row)
            if count > 0
        ),
        key=lambda cell: (-cell[0], cell[1], cell[2]),
    )[:slots]
    return BestTimes(
        slots=[
            Slot(
                weekday=weekday,
                hour=hour,
                interactions=count,
                next_at=_next_occurrence(weekday, hour, now),
            )
            for count, weekday, hour in ranked
        ],
        interactions=heatmap.total,
        weeks=weeks,
        tz=tz,
    )


# Reach estimate ---------------------------------------------------------------


@dataclass(frozen=True)
class Reach:
    """How many people a post (or a set of posts) may have reached.

    `followers` are the creator's followers today on the `servers` servers
    the post was delivered to (one delivery to a server's shared inbox puts
    it in every local follower's home timeline). Boosts carry a post
    further: `booster_followers` sums the follower counts of the
    `boosters_known` people, of the `boosters` who boosted it, whose servers
    said how many follow them (federation asks each booster's server once a
    day at most). The others' audiences are left out rather than guessed.
    `total` is the estimate; someone who follows both the creator and a
    booster, or two boosters, is counted more than once.
    """

    servers: int = 0
    followers: int = 0
    boosters: int = 0
    booster_followers: int = 0
    boosters_known: int = 0
    known: bool = True
    domains: list[str] = field(default_factory=list)
    posts: int = 1  # of how many posts together

    @property
    def total(self) -> int:
        return self.followers + self.booster_followers

    @property
    def explanation(self) -> str:
        if not self.known:
            return "Reach is not known here: deliveries are not recorded."
        it = "it was" if self.posts == 1 else f"its {self.posts:,} posts were"
        text = (
            f"An estimate: the {self.followers:,} followers of yours on the "
            f"{self.servers:,} server{'s' if self.servers != 1 else ''} {it} "
            "delivered to"
        )
        if not self.boosters:
            return text + "."
        people = "person" if self.boosters == 1 else "people"
        them = "it" if self.posts == 1 else "them"
        if not self.boosters_known:
            return text + (
                f". The {self.boosters:,} {people} who boosted {them} carried "
                f"{them} further, but their own followers are not counted: "
                "their servers have not said how many follow them."
            )
        text += (
            f", plus about {self.booster_followers:,} "
            f"follower{'s' if self.booster_followers != 1 else ''} of the "
            f"{self.boosters:,} {people} who boosted {them}"
        )
        if self.boosters_known < self.boosters:
            text += (
                f" ({self.boosters_known:,} of them; the others' counts are not known)"
            )
        return text + (
            ". A booster's followers are counted as their server last said; "
            "someone who follows both you and a booster is counted twice."
        )


# Set by federation when it starts: post ids -> for each post, and for all of
# them together (None), (servers, followers, domains, boosters,
# booster_followers, boosters_known): federation.selectors.PostsReach.
ReachSource = Callable[[list[int]], dict]
_reach_source: list[ReachSource] = []


def reach_source_set(source: ReachSource | None) -> None:
    """Install (or, with None, remove) the function that counts deliveries."""
    _reach_source.clear()
    if source is not None:
        _reach_source.append(source)


def _boosters(post_ids: list[int]) -> dict[int | None, int]:
    """Distinct boosters per post, and of all the posts together (None)."""
    rows = list(
        Interaction.objects.filter(post_id__in=post_ids, kind=Interaction.Kind.BOOST)
        .values_list("post_id", "actor_uri")
        .order_by()
    )
    result: dict[int | None, int] = Counter(post_id for post_id, _ in rows)
    result[None] = len({actor for _, actor in rows})
    return result


def reach_of_posts(*, post_ids: list[int]) -> dict[int | None, Reach]:
    """Each post's reach estimate, and (under None) that of all of them
    together: followers on any server one of them reached, and boosters,
    each counted once."""
    post_ids = list(post_ids)
    if not _reach_source:
        boosters = _boosters(post_ids) if post_ids else {None: 0}
        return {
            key: Reach(
                known=False,
                boosters=boosters.get(key, 0),
                posts=len(post_ids) if key is None else 1,
            )
            for key in [*post_ids, None]
        }
    counted = _reach_source[0](post_ids)
    result = {}
    for key in [*post_ids, None]:
        servers, followers, domains, boosters, booster_followers, boosters_known = (
            counted.get(key, (0, 0, [], 0, 0, 0))
        )
        result[key] = Reach(
            servers=servers,
            followers=followers,
            boosters=boosters,
            booster_followers=booster_followers,
            boosters_known=boosters_known,
            domains=domains,
            posts=len(post_ids) if key is None else 1,
        )
    return result


def post_reach(*, post: Post) -> Reach:
    return reach_of_posts(post_ids=[post.pk])[post.pk]
