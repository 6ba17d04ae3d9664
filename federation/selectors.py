"""Read-only queries the ActivityPub views share."""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import NamedTuple
from urllib.parse import urlsplit

from django.db.models import Count, Min, OuterRef, Subquery
from django.urls import reverse
from django.utils import timezone

from accounts.models import CreatorProfile, User
from analytics import reports
from analytics import selectors as inbox
from analytics.models import Interaction, Reply
from federation.models import (
    Delivery,
    InboundActivity,
    OutboxJob,
    RemoteActor,
    RemoteInstance,
)
from federation.outbound.delivery_status import (
    OUTSTANDING,
    DeliveryBadge,
    delivery_badges,
)
from federation.protocol import ids
from followers.models import Follow
from moderation import policies as moderation
from moderation import selectors as moderation_selectors
from posts import selectors as posts_selectors
from posts.models import Post


def creator_by_handle(handle: str) -> CreatorProfile | None:
    """The creator with this handle (any case) and an active account, or None."""
    return (
        CreatorProfile.objects.select_related("user")
        .filter(handle=handle.lower(), user__is_active=True)
        .first()
    )


def federated_creators():
    return CreatorProfile.objects.filter(share_to_fediverse=True, user__is_active=True)


class MovedTo(NamedTuple):
    """Where an account moved, as people read it: @name@server and the page
    to open (the actor's address where the account is not known here)."""

    handle: str
    url: str


def moved_to(creator: CreatorProfile) -> MovedTo | None:
    uri = creator.moved_to_uri
    if not uri:
        return None
    prefix = ids.absolute("/users/")
    if uri.startswith(prefix):
        local = creator_by_handle(uri[len(prefix) :])
        if local is not None:
            return MovedTo(
                local.fediverse_address,
                ids.absolute(reverse("profile", kwargs={"handle": local.handle})),
            )
    actor = RemoteActor.objects.filter(ap_id=uri).select_related("instance").first()
    if actor is not None:
        return MovedTo(actor.handle, actor.profile_url or uri)
    return MovedTo(uri, uri)


def follower_count(creator: CreatorProfile) -> int:
    return Follow.objects.filter(creator=creator, state=Follow.State.ACCEPTED).count()


def accepted_followers(creator: CreatorProfile):
    return (
        Follow.objects.filter(creator=creator, state=Follow.State.ACCEPTED)
        .select_related("actor")
        .order_by("-accepted_at", "-pk")
    )


def local_post_count() -> int:
    """Posts our creators have out on the fediverse (NodeInfo's localPosts)."""
    return Post.objects.filter(
        state=Post.State.PUBLISHED, creator__share_to_fediverse=True
    ).count()


# Posts as notes -----------------------------------------------------------------


def _for_notes(posts):
    """Posts with what a Note is built from, fetched in a few queries."""
    return posts.select_related("creator").prefetch_related(
        "media", "hashtags", "mentions"
    )


def post_for_note(post_id: int) -> Post | None:
    """A post by id, ready to be turned into a Note (any state)."""
    return _for_notes(Post.objects.filter(pk=post_id)).first()


def public_outbox(creator: CreatorProfile):
    """The creator's public published posts, newest first: the outbox.

    Only PUBLIC posts: unlisted ones are left out of every listing, and
    followers-only ones must never be served to whoever asks.
    """
    return _for_notes(
        Post.objects.filter(
            creator=creator,
            state=Post.State.PUBLISHED,
            visibility=Post.Visibility.PUBLIC,
        )
    ).order_by("-published_at", "-pk")


def featured_posts(creator: CreatorProfile):
    """Pinned posts anyone may read, most recently pinned first."""
    return _for_notes(
        Post.objects.filter(
            creator=creator,
            state=Post.State.PUBLISHED,
            pinned_at__isnull=False,
            visibility__in=[Post.Visibility.PUBLIC, Post.Visibility.UNLISTED],
        )
    ).order_by("-pinned_at", "-pk")


def profile_posts(creator: CreatorProfile, *, limit: int) -> list[Post]:
    """The creator's latest posts on their public profile page, newest first.

    Public and unlisted posts, as Mastodon lists them on a profile: unlisted
    only keeps a post out of listings servers and tag pages read (the
    outbox, public_outbox), not off the page of its author. Followers-only
    posts are never shown to whoever asks.
    """
    return list(
        _for_notes(
            Post.objects.filter(
                creator=creator,
                state=Post.State.PUBLISHED,
                visibility__in=[Post.Visibility.PUBLIC, Post.Visibility.UNLISTED],
            )
        ).order_by("-published_at", "-pk")[:limit]
    )


def status_post(*, creator: CreatorProfile, post_id: int) -> Post | None:
    """The creator's post behind a status URL: published or deleted, else None.

    Drafts and scheduled posts do not exist for anyone outside.
    """
    return _for_notes(
        Post.objects.filter(
            pk=post_id,
            creator=creator,
            state__in=[Post.State.PUBLISHED, Post.State.DELETED],
        )
    ).first()


def may_read_followers_only(*, post: Post, actor: RemoteActor) -> bool:
    """Whether a signed fetch by `actor` may read this followers-only post.

    Servers fetch on behalf of their users, often signed by their instance
    actor, so the test is by server, as delivery is: it hosts one of the
    creator's accepted followers or an account the post mentions.
    """
    domain = actor.instance.domain.lower()
    if Follow.objects.filter(
        creator=post.creator,
        state=Follow.State.ACCEPTED,
        actor__instance__domain=domain,
    ).exists():
        return True
    return any(
        urlsplit(mention.actor_uri).netloc.lower() == domain
        for mention in post.mentions.all()
        if mention.actor_uri
    )


def posts_tagged(name: str):
    """Public published posts with the hashtag `name`, newest first."""
    return _for_notes(
        Post.objects.filter(
            hashtags__name=name.lower(),
            state=Post.State.PUBLISHED,
            visibility=Post.Visibility.PUBLIC,
            creator__share_to_fediverse=True,
            creator__user__is_active=True,
        )
    ).order_by("-published_at", "-pk")


# What came back: counts and replies ------------------------------------------------


@dataclass(frozen=True)
class NoteCounts:
    likes: int = 0
    shares: int = 0
    # Replies anywhere in the thread, shown to people; the AS2 replies
    # collection lists direct replies only (direct_reply_ids).
    replies: int = 0


def note_counts(posts: list[Post]) -> dict[int, NoteCounts]:
    """Likes, boosts and visible replies of each post, in two queries."""
    pks = [post.pk for post in posts]
    if not pks:
        return {}
    kinds = {Interaction.Kind.LIKE: "likes", Interaction.Kind.BOOST: "shares"}
    found: dict[int, dict[str, int]] = {pk: {} for pk in pks}
    for row in (
        Interaction.objects.filter(post__in=pks, kind__in=list(kinds))
        .values("post_id", "kind")
        .annotate(n=Count("pk"))
    ):
        found[row["post_id"]][kinds[row["kind"]]] = row["n"]
    for row in (
        Reply.objects.filter(post__in=pks, status=Reply.Status.VISIBLE, is_quote=False)
        .values("post_id")
        .annotate(n=Count("pk"))
    ):
        found[row["post_id"]]["replies"] = row["n"]
    return {pk: NoteCounts(**values) for pk, values in found.items()}


@dataclass(frozen=True)
class PostOverview:
    """A post in the posts list: how its delivery went and what came back."""

    post: Post
    delivery: DeliveryBadge | None
    counts: NoteCounts


def posts_overview(post_ids: list[int]) -> dict[int, PostOverview]:
    """Delivery badge and engagement counts of each of these posts.

    For a page of the posts list in at most nine queries whatever its size:
    the posts, their Delivery rows aggregated per post and server by
    delivery_status's rules (its delivery_badges), and likes, boosts and
    replies (note_counts). Callers decide who may see which posts.
    """
    posts = list(Post.objects.select_related("creator").filter(pk__in=post_ids))
    badges = delivery_badges(posts)
    counts = note_counts(posts)
    return {
        post.pk: PostOverview(
            post=post, delivery=badges.get(post.pk), counts=counts[post.pk]
        )
        for post in posts
    }


def direct_replies(post: Post, *, offset: int, limit: int) -> tuple[int, list[str]]:
    """How many direct replies `post` has, and the ids of `limit` of them.

    Visible remote replies and the creator's own public or unlisted answers,
    oldest first, for the replies collection: only what anyone may read.
    """
    note = ids.note_id(post)
    remote = Reply.objects.filter(
        post=post,
        in_reply_to_uri=note,
        status=Reply.Status.VISIBLE,
        is_quote=False,
    ).order_by("published_at", "ap_id")
    own = Post.objects.filter(
        creator=post.creator,
        in_reply_to_uri=note,
        state=Post.State.PUBLISHED,
        visibility__in=[Post.Visibility.PUBLIC, Post.Visibility.UNLISTED],
    ).order_by("published_at", "pk")
    total = remote.count() + own.count()
    if total == 0:
        return 0, []
    # Merging two sorted lists: the first offset + limit of each suffice.
    wanted = offset + limit
    merged = sorted(
        [
            *remote.values_list("published_at", "ap_id")[:wanted],
            *(
                (answer.published_at, ids.note_id(answer))
                for answer in own.select_related("creator")[:wanted]
            ),
        ]
    )
    return total, [reply_id for _, reply_id in merged[offset:wanted]]


@dataclass
class ThreadEntry:
    """One message in a post's public thread: a remote reply or an answer."""

    url: str
    author_name: str
    author_handle: str
    author_url: str
    server: str
    published: object
    content_html: str
    summary: str = ""
    sensitive: bool = False
    attachments: list = field(default_factory=list)
    avatar_url: str = ""
    is_answer: bool = False
    post: Post | None = None
    children: list = field(default_factory=list)


# Deeper replies are shown at this depth: a phone has no room for more.
THREAD_MAX_DEPTH = 4
THREAD_MAX_REPLIES = 500


def _reply_entry(reply: Reply, *, media: bool = True) -> ThreadEntry:
    attachments = reply.attachments if isinstance(reply.attachments, list) else []
    if not media:  # the server's media is rejected (moderation)
        attachments = []
    return ThreadEntry(
        url=reply.url or reply.ap_id,
        author_name=reply.actor_name or reply.actor_handle or reply.actor_uri,
        author_handle=reply.actor_handle,
        author_url=reply.actor_profile_url or reply.actor_uri,
        server=reply.instance_domain,
        published=reply.published_at,
        content_html=reply.content_html,
        summary=reply.summary,
        sensitive=reply.sensitive,
        attachments=[a for a in attachments if isinstance(a, dict)],
        avatar_url=reply.actor_avatar_url,
    )


def _answer_entry(answer: Post) -> ThreadEntry:
    creator = answer.creator
    return ThreadEntry(
        url=ids.note_id(answer),
        author_name=creator.name,
        author_handle=creator.fediverse_address,
        author_url=ids.absolute(f"/@{creator.handle}"),
        server=creator.fediverse_address.rsplit("@", 1)[-1],
        published=answer.published_at,
        content_html=answer.content_html,
        summary=answer.summary,
        sensitive=answer.sensitive,
        is_answer=True,
        post=answer,
    )


def public_thread(post: Post) -> list[ThreadEntry]:
    """The visible replies to `post`, nested, with the creator's answers in place.

    A reply under a held, hidden or removed reply is left out with it.
    Answers are the creator's published public or unlisted posts replying
    to the post or to a shown message of its thread.
    """
    root = ids.note_id(post)
    replies = list(
        Reply.objects.filter(
            post=post, status=Reply.Status.VISIBLE, is_quote=False
        ).order_by("published_at", "pk")[:THREAD_MAX_REPLIES]
    )
    by_pk = {reply.pk: reply for reply in replies}
    # Replies stored before their server's media was rejected keep their
    # attachments in the row; they are not shown.
    no_media = {
        domain
        for domain, policy in moderation.domain_policies_among(
            {reply.instance_domain for reply in replies}
        ).items()
        if policy.reject_media
    }
    entries: dict[str, ThreadEntry] = {}
    parent_of: dict[str, str] = {}  # message id -> id it answers (root too)

    def wanted_parent(reply: Reply) -> str | None:
        if reply.parent_id is None:
            return reply.in_reply_to_uri
        parent = by_pk.get(reply.parent_id)
        return parent.ap_id if parent is not None else None  # parent not shown

    waiting = list(replies)
    placed_any = True
    while placed_any:
        placed_any = False
        for reply in list(waiting):
            parent = wanted_parent(reply)
            if parent == root or parent in entries:
                entries[reply.ap_id] = _reply_entry(
                    reply, media=reply.instance_domain not in no_media
                )
                parent_of[reply.ap_id] = parent
                waiting.remove(reply)
                placed_any = True
        answers = _for_notes(
            Post.objects.filter(
                creator=post.creator,
                state=Post.State.PUBLISHED,
                visibility__in=[Post.Visibility.PUBLIC, Post.Visibility.UNLISTED],
                in_reply_to_uri__in=[root, *entries],
            ).exclude(pk=post.pk)
        ).order_by("published_at", "pk")
        for answer in answers:
            answer_id = ids.note_id(answer)
            if answer_id not in entries:
                entries[answer_id] = _answer_entry(answer)
                parent_of[answer_id] = answer.in_reply_to_uri
                placed_any = True
    # Left: replies to something this page does not know. Shown at the top,
    # unless what they answer is a reply held back from the thread.
    unknown = {wanted_parent(reply) for reply in waiting} - {None}
    withheld = set(
        Reply.objects.filter(ap_id__in=unknown).values_list("ap_id", flat=True)
    )
    for reply in waiting:
        parent = wanted_parent(reply)
        if parent is not None and parent not in withheld:
            entries[reply.ap_id] = _reply_entry(
                reply, media=reply.instance_domain not in no_media
            )
            parent_of[reply.ap_id] = root

    def depth(message_id: str) -> int:
        steps = 0
        while parent_of.get(message_id, root) != root:
            message_id = parent_of[message_id]
            steps += 1
        return steps

    top: list[ThreadEntry] = []
    for message_id in sorted(entries, key=lambda m: entries[m].published):
        parent = parent_of[message_id]
        while parent != root and depth(parent) >= THREAD_MAX_DEPTH - 1:
            parent = parent_of[parent]
        siblings = top if parent == root else entries[parent].children
        siblings.append(entries[message_id])
    return top


# Home pages of the dashboard ---------------------------------------------------------

# What the creator's home lists of each kind.
HOME_SCHEDULED = 3
HOME_REPLIES = 5
# Delivery problems: among the creator's posts published in these last days,
# the newest this many.
HOME_RECENT_DAYS = 14
HOME_RECENT_POSTS = 20
# Badge states of a delivery that is not complete.
UNFINISHED_DELIVERY = ("queue", "sending", "retrying", "incomplete", "stuck")


@dataclass(frozen=True)
class CreatorHome:
    """A creator's week, what is coming, and what asks for them."""

    week: reports.Summary
    scheduled: list[Post]
    replies_waiting: int
    replies: list[Reply]
    # (post, badge) of recent posts whose delivery is not complete
    delivery_problems: list[tuple[Post, DeliveryBadge]]


def creator_home(creator: CreatorProfile) -> CreatorHome:
    """What the creator's dashboard home shows, from the reports, queue and
    inbox selectors: the last seven days on the creator's clock (interactions,
    new followers), the next scheduled posts, replies nobody answered, and
    recent posts not delivered everywhere yet."""
    week = reports.creator_summary(
        creator=creator, period=reports.creator_period(creator, days=7)
    )
    scheduled = list(
        posts_selectors.posts_of_creator(
            creator=creator, states=[Post.State.SCHEDULED]
        ).order_by("scheduled_at", "pk")[:HOME_SCHEDULED]
    )
    waiting, replies = inbox.replies_awaiting_answer(
        creator=creator, limit=HOME_REPLIES
    )
    recent = list(
        Post.objects.select_related("creator")
        .filter(
            creator=creator,
            state=Post.State.PUBLISHED,
            published_at__gte=timezone.now() - timedelta(days=HOME_RECENT_DAYS),
        )
        .order_by("-published_at", "-pk")[:HOME_RECENT_POSTS]
    )
    badges = delivery_badges(recent)
    problems = [
        (post, badges[post.pk])
        for post in recent
        if badges[post.pk].state in UNFINISHED_DELIVERY
    ]
    return CreatorHome(
        week=week,
        scheduled=scheduled,
        replies_waiting=waiting,
        replies=replies,
        delivery_problems=problems,
    )


# How far back a failed delivery counts as the server failing now.
FAILING_WINDOW = timedelta(hours=24)
HOME_SERVERS = 10
HOME_SIGNUPS = 5


@dataclass(frozen=True)
class AdminHome:
    """What an instance admin looks after: moderation and the queues."""

    held_replies: int
    open_reports: int
    # (domain, since) of servers marked unavailable, longest first
    unavailable: list[tuple[str, datetime]]
    unavailable_total: int
    # (host, failed rows) of servers with deliveries failing lately, worst first
    failing: list[tuple[str, int]]
    # (domain, last time, minutes limited) of servers held back by the
    # inbox's rate limit today (UTC), latest first
    inbox_limited: list[tuple[str, datetime, int]]
    deliveries_due: int
    # How long the oldest due delivery has waited past its time; None if none.
    delivery_lag: timedelta | None
    outbox_waiting: int
    inbox_waiting: int
    # How long the oldest activity waiting in the inbox has waited.
    inbox_oldest: timedelta | None
    signups: list[User]


def admin_home(*, user: User, now: datetime | None = None) -> AdminHome:
    """The numbers an admin's dashboard home shows, in eleven queries.

    Held replies and open reports as the moderation pages count them;
    servers marked unavailable and servers whose deliveries failed in the
    last day; servers the inbox's rate limit held back today; deliveries
    due and the lag of the oldest; outbox jobs that
    never reached the task queue; inbox activities waiting, and the oldest's
    age; the latest sign-ups. Ages are taken at `now` (the present by
    default).
    """
    now = now or timezone.now()
    unavailable = RemoteInstance.objects.filter(unavailable_since__isnull=False)
    failing = (
        Delivery.objects.filter(
            state__in=[Delivery.State.FAILED, Delivery.State.GAVE_UP],
            created_at__gte=now - FAILING_WINDOW,
        )
        .exclude(attempts=0)
        .values("host")
        .annotate(n=Count("pk"))
        .order_by("-n", "host")[:HOME_SERVERS]
    )
    due = Delivery.objects.filter(
        state__in=OUTSTANDING, next_attempt_at__lte=now
    ).aggregate(n=Count("pk"), oldest=Min("next_attempt_at"))
    day_start = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    limited = (
        RemoteInstance.objects.filter(inbox_limited_at__gte=day_start)
        .order_by("-inbox_limited_at", "domain")
        .values_list("domain", "inbox_limited_at", "inbox_limited_times")
    )
    inbound = InboundActivity.objects.filter(
        state=InboundActivity.State.QUEUED
    ).aggregate(n=Count("pk"), oldest=Min("received_at"))
    return AdminHome(
        held_replies=sum(moderation_selectors.held_counts(user=user).values()),
        open_reports=moderation_selectors.open_reports().count(),
        unavailable=list(
            unavailable.order_by("unavailable_since", "domain").values_list(
                "domain", "unavailable_since"
            )[:HOME_SERVERS]
        ),
        unavailable_total=unavailable.count(),
        failing=[(row["host"], row["n"]) for row in failing],
        inbox_limited=list(limited[:HOME_SERVERS]),
        deliveries_due=due["n"],
        delivery_lag=now - due["oldest"] if due["oldest"] else None,
        outbox_waiting=OutboxJob.objects.filter(
            state=OutboxJob.State.PENDING, enqueued_at__isnull=True
        ).count(),
        inbox_waiting=inbound["n"],
        inbox_oldest=now - inbound["oldest"] if inbound["oldest"] else None,
        signups=list(
            User.objects.select_related("creator").order_by("-date_joined", "-pk")[
                :HOME_SIGNUPS
            ]
        ),
    )


# Reach estimates ----------------------------------------------------------------


class PostsReach(NamedTuple):
    """What posts_reach counts for a post, or for several together."""

    servers: int  # its Create was delivered to
    followers: int  # the author's accepted followers on them today
    domains: list[str]  # those servers
    boosters: int  # distinct people who boosted it
    booster_followers: int  # their follower counts summed, where known
    boosters_known: int  # of the boosters, those whose count is known


def posts_reach(post_ids: list[int]) -> dict[int | None, PostsReach]:
    """For each post, the servers its Create was delivered to, the author's
    accepted followers on those servers today, and the people who boosted
    it with the summed follower counts of those whose count their server
    gave (RemoteActor.followers_count); under None the same for all the
    posts together, each follower and each booster counted once. Four
    queries whatever the number of posts: the delivered servers, the posts'
    authors, the followers per author and server, the boosters with their
    counts.

    analytics.insights reads it through reach_source_set (FederationConfig
    .ready): analytics never imports federation.
    """
    post_ids = list(post_ids)
    if not post_ids:
        return {None: PostsReach(0, 0, [], 0, 0, 0)}
    reached: dict[int, set[str]] = {pk: set() for pk in post_ids}
    for post_id, host in (
        Delivery.objects.filter(
            activity__post_id__in=post_ids,
            activity__activity_type="Create",
            state=Delivery.State.DELIVERED,
        )
        .values_list("activity__post_id", "host")
        .distinct()
        .order_by()
    ):
        reached[post_id].add(host)
    authors = dict(Post.objects.filter(pk__in=post_ids).values_list("pk", "creator_id"))
    hosts = set().union(*reached.values())
    followers: dict[tuple[int, str], int] = {}
    if hosts:
        for creator_id, domain, n in (
            Follow.objects.filter(
                creator_id__in=set(authors.values()),
                state=Follow.State.ACCEPTED,
                actor__instance__domain__in=hosts,
            )
            .values_list("creator_id", "actor__instance__domain")
            .annotate(n=Count("pk"))
            .order_by()
        ):
            followers[creator_id, domain] = n
    boosters: dict[int, set[str]] = {pk: set() for pk in post_ids}
    counts: dict[str, int | None] = {}
    for post_id, actor_uri, count in (
        Interaction.objects.filter(post_id__in=post_ids, kind=Interaction.Kind.BOOST)
        .annotate(
            followers_count=Subquery(
                RemoteActor.objects.filter(ap_id=OuterRef("actor_uri")).values(
                    "followers_count"
                )[:1]
            )
        )
        .values_list("post_id", "actor_uri", "followers_count")
        .order_by()
    ):
        boosters[post_id].add(actor_uri)
        counts[actor_uri] = count

    def boosted(people: set[str]) -> tuple[int, int, int]:
        known = [counts[uri] for uri in people if counts.get(uri) is not None]
        return len(people), sum(known), len(known)

    result: dict[int | None, PostsReach] = {}
    together: set[tuple[int, str]] = set()
    for pk in post_ids:
        creator_id = authors.get(pk)
        pairs = {(creator_id, host) for host in reached[pk]}
        together |= pairs
        result[pk] = PostsReach(
            len(reached[pk]),
            sum(followers.get(pair, 0) for pair in pairs),
            sorted(reached[pk]),
            *boosted(boosters[pk]),
        )
    domains = sorted({host for _, host in together})
    result[None] = PostsReach(
        len(domains),
        sum(followers.get(pair, 0) for pair in together),
        domains,
        *boosted(set().union(*boosters.values())),
    )
    return result
