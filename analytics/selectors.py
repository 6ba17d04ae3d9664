"""Read-only queries behind the creator's inbox: notifications and threads.

Interactions and replies are two tables; the notifications feed merges them
newest first with a keyset cursor, so "load more" never skips or repeats an
item however many arrive in between.
"""

import heapq
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import (
    Count,
    Exists,
    F,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Window,
)
from django.db.models.functions import RowNumber, TruncDate
from django.utils.dateparse import parse_datetime

from accounts.models import CreatorProfile
from analytics.models import Interaction, Reply, Software
from posts.models import Post

NOTIFICATIONS_PAGE_SIZE = 30
# Likes and boosts of one post on one (UTC) day are one notification, as
# Mastodon groups them: "Max, Sam and 12 others liked your post". It lists
# this many of the people, newest first.
GROUP_PEOPLE_SHOWN = 40


class NotificationKind:
    FOLLOW = "follow"
    LIKE = "like"
    BOOST = "boost"
    REACTION = "reaction"
    REPLY = "reply"
    # A reply further down a creator's thread, answering someone else:
    # Mastodon and the rest mention every participant in such replies.
    MENTION = "mention"
    QUOTE = "quote"

    CHOICES = (
        (FOLLOW, "Follows"),
        (LIKE, "Likes"),
        (BOOST, "Boosts"),
        (REACTION, "Reactions"),
        (REPLY, "Replies"),
        (MENTION, "Mentions"),
        (QUOTE, "Quotes"),
    )
    ALL = tuple(value for value, _ in CHOICES)


# Interaction kinds the feed reads from the interactions table. Replies and
# quotes come from the replies table, which holds their text, unless only
# the interaction was recorded.
_INTERACTION_KINDS = {
    NotificationKind.FOLLOW: Interaction.Kind.FOLLOW,
    NotificationKind.LIKE: Interaction.Kind.LIKE,
    NotificationKind.BOOST: Interaction.Kind.BOOST,
    NotificationKind.REACTION: Interaction.Kind.REACTION,
    NotificationKind.REPLY: Interaction.Kind.REPLY,
    NotificationKind.QUOTE: Interaction.Kind.QUOTE,
}
# Replies the creator is shown in threads; hidden and removed ones are
# moderation's.
SHOWN_REPLY_STATUSES = (Reply.Status.VISIBLE, Reply.Status.HELD)
# Replies that are notifications: shown ones only. A held reply waits in the
# moderation queue (it may be spam) and becomes a notification when approved;
# the same statuses count in analytics (services.COUNTED_REPLY_STATUSES).
NOTIFIED_REPLY_STATUSES = (Reply.Status.VISIBLE,)

# The order of the two sources among items received at the same instant,
# part of the cursor so ties never split across pages wrongly.
_INTERACTION, _REPLY = 1, 2


@dataclass(frozen=True)
class Person:
    """Someone in a grouped notification."""

    name: str
    handle: str
    profile_url: str
    domain: str

    @property
    def display_name(self) -> str:
        return self.name or self.handle.lstrip("@").split("@")[0] or self.domain


@dataclass(frozen=True)
class Notification:
    """One line of the feed: who did what to which post, and when.

    Likes and boosts are grouped per post and day: `count` people did it,
    the newest of them in the actor fields, and `people` lists up to
    GROUP_PEOPLE_SHOWN of them, newest first.
    """

    kind: str
    when: datetime
    actor_uri: str
    handle: str  # "@user@domain", or "" when the remote sent none
    name: str
    avatar_url: str
    profile_url: str
    domain: str
    software: str
    post: Post | None
    emoji: str = ""
    # The remote Note, for replies, mentions and quotes held in Reply.
    reply: Reply | None = None
    source: int = _INTERACTION
    pk: int = 0
    count: int = 1
    people: tuple[Person, ...] = ()

    @property
    def is_group(self) -> bool:
        return self.count > 1

    @property
    def others(self) -> int:
        """How many beyond the two named in the line."""
        return max(0, self.count - 2)

    @property
    def people_not_listed(self) -> int:
        return self.count - len(self.people)

    @property
    def cursor(self) -> str:
        return f"{self.when.isoformat()}~{self.source}~{self.pk}"

    @property
    def software_label(self) -> str:
        return Software(self.software).label if self.software else ""

    @property
    def display_name(self) -> str:
        return self.name or self.handle.lstrip("@").split("@")[0] or self.domain

    @property
    def is_held(self) -> bool:
        return self.reply is not None and self.reply.status == Reply.Status.HELD


@dataclass(frozen=True)
class NotificationPage:
    items: list[Notification]
    # Pass as `before` for the next page; None on the last one.
    next_cursor: str | None


def parse_cursor(value: str) -> tuple[datetime, int, int]:
    """(when, source, pk) from a cursor; ValueError if it is not one."""
    when_text, source_text, pk_text = value.split("~")
    when = parse_datetime(when_text)
    if when is None or when.tzinfo is None:
        raise ValueError("bad cursor time")
    source, pk = int(source_text), int(pk_text)
    if source not in (_INTERACTION, _REPLY):
        raise ValueError("bad cursor source")
    return when, source, pk


def _before(field_name: str, source: int, cursor, pk_name: str = "pk") -> Q:
    """Rows of `source` strictly after `cursor` in newest-first order."""
    when, cursor_source, pk = cursor
    earlier = Q(**{f"{field_name}__lt": when})
    if source < cursor_source:
        return earlier | Q(**{field_name: when})
    if source == cursor_source:
        return earlier | Q(**{field_name: when, f"{pk_name}__lt": pk})
    return earlier


def _live_post() -> Q:
    """Rows about a post still up (follows have none)."""
    return Q(post__isnull=True) | ~Q(post__state=Post.State.DELETED)


_GROUPED_KINDS = (Interaction.Kind.LIKE, Interaction.Kind.BOOST)


def _grouped(*, creator, kinds: set[str], cursor, limit: int):
    """Likes and boosts, one notification per (kind, post, UTC day), placed
    at the newest of them; the cursor key is (newest time, highest pk)."""
    wanted = [kind for kind in _GROUPED_KINDS if kind in kinds]
    if not wanted:
        return []
    groups = (
        Interaction.objects.filter(creator=creator, kind__in=wanted)
        .filter(_live_post())
        .annotate(bucket=TruncDate("occurred_at"))
        .values("kind", "post_id", "bucket")
        .annotate(latest=Max("occurred_at"), top=Max("pk"), n=Count("pk"))
    )
    if cursor:
        groups = groups.filter(_before("latest", _INTERACTION, cursor, "top"))
    groups = list(groups.order_by("-latest", "-top")[:limit])
    if not groups:
        return []
    # The newest people of each group, in one query.
    ranked = (
        Interaction.objects.filter(
            creator=creator,
            kind__in=wanted,
            post_id__in={group["post_id"] for group in groups},
        )
        .annotate(bucket=TruncDate("occurred_at"))
        .filter(bucket__in={group["bucket"] for group in groups})
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("kind"), F("post_id"), F("bucket")],
                order_by=[F("occurred_at").desc(), F("pk").desc()],
            )
        )
        .filter(rank__lte=GROUP_PEOPLE_SHOWN)
        .select_related("post")
        .order_by("rank")
    )
    members: dict[tuple, list[Interaction]] = {}
    for row in ranked:
        members.setdefault((row.kind, row.post_id, row.bucket), []).append(row)
    items = []
    for group in groups:
        rows = members.get((group["kind"], group["post_id"], group["bucket"]))
        if not rows:  # undone between the two queries
            continue
        newest = rows[0]
        items.append(
            Notification(
                kind=newest.kind,
                when=group["latest"],
                actor_uri=newest.actor_uri,
                handle=newest.actor_handle,
                name=newest.actor_name,
                avatar_url=newest.actor_avatar_url,
                profile_url=newest.actor_profile_url or newest.actor_uri,
                domain=newest.instance_domain,
                software=newest.software,
                post=newest.post,
                source=_INTERACTION,
                pk=group["top"],
                count=group["n"],
                people=tuple(
                    Person(
                        name=row.actor_name,
                        handle=row.actor_handle,
                        profile_url=row.actor_profile_url or row.actor_uri,
                        domain=row.instance_domain,
                    )
                    for row in rows
                ),
            )
        )
    return items


def _interactions(*, creator, kinds: set[str], cursor, limit: int):
    wanted = [
        _INTERACTION_KINDS[k]
        for k in kinds
        if k in _INTERACTION_KINDS and _INTERACTION_KINDS[k] not in _GROUPED_KINDS
    ]
    if not wanted:
        return []
    rows = Interaction.objects.filter(creator=creator, kind__in=wanted).filter(
        _live_post()
    )
    # A reply or quote whose Note is stored is listed from the replies table.
    rows = rows.exclude(
        Q(kind__in=[Interaction.Kind.REPLY, Interaction.Kind.QUOTE])
        & Exists(Reply.objects.filter(ap_id=OuterRef("activity_id")))
    )
    if cursor:
        rows = rows.filter(_before("occurred_at", _INTERACTION, cursor))
    rows = rows.select_related("post").order_by("-occurred_at", "-pk")[:limit]
    return [
        Notification(
            kind=row.kind,
            when=row.occurred_at,
            actor_uri=row.actor_uri,
            handle=row.actor_handle,
            name=row.actor_name,
            avatar_url=row.actor_avatar_url,
            profile_url=row.actor_profile_url or row.actor_uri,
            domain=row.instance_domain,
            software=row.software,
            post=row.post,
            emoji=row.emoji,
            source=_INTERACTION,
            pk=row.pk,
        )
        for row in rows
    ]


def _reply_kind(reply: Reply) -> str:
    if reply.is_mention:
        return NotificationKind.MENTION
    if reply.is_quote:
        return NotificationKind.QUOTE
    if reply.parent_id is not None:
        return NotificationKind.MENTION
    return NotificationKind.REPLY


def _replies(*, creator, kinds: set[str], cursor, limit: int):
    wanted = Q()
    if NotificationKind.QUOTE in kinds:
        wanted |= Q(is_quote=True)
    if NotificationKind.REPLY in kinds:
        wanted |= Q(is_quote=False, parent__isnull=True, post__isnull=False)
    if NotificationKind.MENTION in kinds:
        # Under a reply of someone else's, or outside the creator's threads.
        wanted |= Q(is_quote=False, parent__isnull=False) | Q(post__isnull=True)
    if not wanted:
        return []
    rows = Reply.objects.filter(
        creator=creator, status__in=NOTIFIED_REPLY_STATUSES
    ).filter(wanted, _live_post())
    if cursor:
        rows = rows.filter(_before("received_at", _REPLY, cursor))
    rows = rows.select_related("post", "parent").order_by("-received_at", "-pk")
    return [
        Notification(
            kind=_reply_kind(row),
            when=row.received_at,
            actor_uri=row.actor_uri,
            handle=row.actor_handle,
            name=row.actor_name,
            avatar_url=row.actor_avatar_url,
            profile_url=row.actor_profile_url or row.actor_uri,
            domain=row.instance_domain,
            software=row.software,
            post=row.post,
            reply=row,
            source=_REPLY,
            pk=row.pk,
        )
        for row in rows[:limit]
    ]


def notifications_for(
    *,
    creator: CreatorProfile,
    kinds: Iterable[str] | None = None,
    before: str | None = None,
    limit: int = NOTIFICATIONS_PAGE_SIZE,
) -> NotificationPage:
    """The creator's follows, likes, boosts, reactions, replies, mentions and
    quotes, newest first, one page at a time; likes and boosts grouped per
    post and day (Notification.count, .people).

    `kinds` narrows the feed (NotificationKind values; None: all of them).
    `before` is a cursor from a previous page; ValueError if malformed.
    Unfollows are not notifications; replies held, hidden or removed by
    moderation and anything about a deleted post are left out.
    """
    wanted = set(NotificationKind.ALL if kinds is None else kinds)
    unknown = wanted - set(NotificationKind.ALL)
    if unknown:
        raise ValueError(f"unknown notification kinds: {sorted(unknown)}")
    cursor = parse_cursor(before) if before else None
    # One more than a page from each source tells whether another page exists.
    sources = [
        _grouped(creator=creator, kinds=wanted, cursor=cursor, limit=limit + 1),
        _interactions(creator=creator, kinds=wanted, cursor=cursor, limit=limit + 1),
        _replies(creator=creator, kinds=wanted, cursor=cursor, limit=limit + 1),
    ]
    merged = list(
        heapq.merge(*sources, key=lambda n: (n.when, n.source, n.pk), reverse=True)
    )
    items = merged[:limit]
    next_cursor = items[-1].cursor if len(merged) > limit else None
    return NotificationPage(items=items, next_cursor=next_cursor)


def notifications_since(*, creator: CreatorProfile, since: datetime | None) -> int:
    """How many notifications arrived after `since` (all of them if None),
    counting at most 100: the badge shows "99+" beyond that."""
    interactions = Interaction.objects.filter(
        creator=creator, kind__in=list(_INTERACTION_KINDS.values())
    ).exclude(
        Q(kind__in=[Interaction.Kind.REPLY, Interaction.Kind.QUOTE])
        & Exists(Reply.objects.filter(ap_id=OuterRef("activity_id")))
    )
    replies = Reply.objects.filter(creator=creator, status__in=NOTIFIED_REPLY_STATUSES)
    interactions, replies = (
        interactions.filter(_live_post()),
        replies.filter(_live_post()),
    )
    if since is not None:
        interactions = interactions.filter(occurred_at__gt=since)
        replies = replies.filter(received_at__gt=since)
    return min(100, interactions[:100].count() + replies[:100].count())


def replies_awaiting_answer(
    *, creator: CreatorProfile, limit: int
) -> tuple[int, list[Reply]]:
    """Replies to the creator's posts nobody answered yet: how many, and the
    `limit` newest.

    Direct replies the inbox shows as notifications (visible, not quotes,
    on a post still up) with no published answer of the creator's under
    them, newest first.
    """
    answered = Post.objects.filter(
        creator=creator,
        state=Post.State.PUBLISHED,
        in_reply_to_uri=OuterRef("ap_id"),
    )
    rows = (
        Reply.objects.filter(
            creator=creator,
            status__in=NOTIFIED_REPLY_STATUSES,
            is_quote=False,
            parent__isnull=True,
            post__isnull=False,  # mentions wait in the reply inbox
        )
        .filter(_live_post())
        .exclude(Exists(answered))
    )
    total = rows.count()
    if not total:
        return 0, []
    newest = rows.select_related("post").order_by("-received_at", "-pk")[:limit]
    return total, list(newest)


# Threads -------------------------------------------------------------------


@dataclass(eq=False)
class ThreadNode:
    """A remote reply, or one of the creator's answers, with what answers it."""

    reply: Reply | None = None
    answer: Post | None = None
    children: list["ThreadNode"] = field(default_factory=list)
    depth: int = 0

    @property
    def is_answer(self) -> bool:
        return self.answer is not None

    @property
    def when(self) -> datetime:
        if self.answer is not None:
            return self.answer.published_at or self.answer.created_at
        return self.reply.published_at


def thread_in_order(roots: list[ThreadNode]) -> Iterator[ThreadNode]:
    """Every node, each followed by its answers (depth-first, no recursion:
    a hostile server may send a chain of replies thousands deep)."""
    stack = list(reversed(roots))
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(node.children))


def answers_to_thread(*, post: Post) -> QuerySet[Post]:
    """The creator's answers to replies in the thread under `post`."""
    return Post.objects.filter(
        creator_id=post.creator_id,
        in_reply_to_uri__in=Subquery(Reply.objects.filter(post=post).values("ap_id")),
    ).exclude(state=Post.State.DELETED)


def replies_thread(
    *,
    post: Post,
    answer_uri: Callable[[Post], str] | None = None,
    statuses: Iterable[str] = SHOWN_REPLY_STATUSES,
) -> list[ThreadNode]:
    """The replies under `post` as a tree, oldest first at each level, with
    the creator's own answers placed under the replies they answer.

    Quotes are not part of the thread. A reply whose parent is not shown
    (hidden, removed, never received) starts a branch of its own, and an
    answer to a reply not shown is left out. `answer_uri` gives an answer's
    ActivityPub id, so remote replies to the creator's answers nest under
    them; federation knows it, analytics does not, so without it such
    replies sit at the top level.
    """
    replies = Reply.objects.filter(
        post=post, is_quote=False, status__in=list(statuses)
    ).order_by("published_at", "pk")
    reply_nodes = {reply.pk: ThreadNode(reply=reply) for reply in replies}
    by_ap_id = {node.reply.ap_id: node for node in reply_nodes.values()}
    answer_nodes = [
        ThreadNode(answer=answer)
        for answer in answers_to_thread(post=post)
        .select_related("creator")
        .order_by("published_at", "pk")
        if answer.in_reply_to_uri in by_ap_id
    ]
    by_answer_uri = (
        {answer_uri(node.answer): node for node in answer_nodes} if answer_uri else {}
    )

    parent_of: dict[ThreadNode, ThreadNode | None] = {}
    for node in reply_nodes.values():
        reply = node.reply
        parent_of[node] = (
            reply_nodes.get(reply.parent_id)
            or by_ap_id.get(reply.in_reply_to_uri)
            or by_answer_uri.get(reply.in_reply_to_uri)
        )
    for node in answer_nodes:
        parent_of[node] = by_ap_id[node.answer.in_reply_to_uri]

    # Edited or spoofed replies could make a loop (A answers B answers A);
    # cut it where it closes, so every node hangs from a root.
    for node in parent_of:
        seen = set()
        current = node
        while current is not None and current not in seen:
            seen.add(current)
            parent = parent_of[current]
            if parent in seen:
                parent_of[current] = None
                break
            current = parent

    roots = []
    for node, parent in parent_of.items():
        (parent.children if parent is not None else roots).append(node)
    for children in [roots, *(node.children for node in parent_of)]:
        children.sort(key=_thread_order)
    for node in thread_in_order(roots):
        for child in node.children:
            child.depth = node.depth + 1
    return roots


def _thread_order(node: ThreadNode):
    # Oldest first; an answer sent the same second as a reply comes after.
    return (node.when, node.is_answer)


def post_interaction_counts(*, post: Post) -> dict[str, int]:
    """{"like": 3, "boost": 1, "reaction": 2, "quote": 0} for one post."""
    counts = dict.fromkeys(
        (Interaction.Kind.LIKE, Interaction.Kind.BOOST, Interaction.Kind.REACTION), 0
    )
    rows = (
        Interaction.objects.filter(post=post, kind__in=list(counts))
        .values_list("kind")
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts.update(dict(rows))
    return counts
