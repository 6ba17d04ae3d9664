"""Likes, boosts and emoji reactions on creators' posts, and their undos.

A batch is applied in one transaction: the current rows for everything it
touches are read once, the batch is replayed in arrival order in memory,
and only the difference is written. So a like and its undo in the same
batch leave nothing, a like twice counts once, and an undo that arrives
before its like leaves an EarlyCancellation so the like is dropped when it
comes (Mastodon's `delete_later!`).

Shapes handled (tests/fixtures/): Mastodon `Like` and `Announce`; Misskey
`Like` with `_misskey_reaction` and `content` (a reaction, not a like);
Pleroma/Akkoma `EmojiReact` with `content` (custom emoji as `:name:`
with an `Emoji` tag); `Undo` embedding any of them. Undo is matched by the
original's id, then by who reacted to which post (Mastodon matches
Undo(Like) by account and status only).
"""

import functools
import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from analytics import services as analytics
from analytics.models import Interaction
from federation import queue
from federation.inbound.activities import (
    DONE,
    Actors,
    Inbound,
    Outcome,
    among,
    blocked_hosts,
    host_of,
    id_of,
    ignored,
    local_posts,
    parse_time,
    post_is_live,
)
from federation.models import EarlyCancellation, RemoteActor
from federation.protocol.remote import FOLLOWERS_COUNT_MAX_AGE
from moderation import selectors as moderation

Kind = Interaction.Kind
EMOJI_MAX = 100
FETCH_FOLLOWERS_COUNT_TASK = "federation.tasks.fetch_followers_count"


@dataclass(frozen=True)
class Reaction:
    """What one Like/Announce/EmojiReact says, whether done or undone."""

    kind: str
    post_uri: str
    emoji: str = ""

    @staticmethod
    def read(activity: dict) -> "Reaction | None":
        post_uri = id_of(activity.get("object"))
        if not post_uri:
            return None
        kind = activity.get("type")
        if kind == "Announce":
            return Reaction(Kind.BOOST, post_uri)
        if kind == "EmojiReact":
            emoji = _emoji(activity.get("content")) or _emoji(activity.get("name"))
            return Reaction(Kind.REACTION, post_uri, emoji) if emoji else None
        if kind == "Like":
            # Misskey and its forks send every reaction as a Like naming the
            # emoji; a plain Like is a like.
            emoji = _emoji(activity.get("_misskey_reaction")) or _emoji(
                activity.get("content")
            )
            if emoji:
                return Reaction(Kind.REACTION, post_uri, emoji)
            return Reaction(Kind.LIKE, post_uri)
        return None


def _emoji(value) -> str:
    return value.strip()[:EMOJI_MAX] if isinstance(value, str) else ""


@dataclass
class _Op:
    item: Inbound
    reaction: Reaction
    undo: bool
    target_id: str  # the Like/Announce/EmojiReact id (done or undone)


def _read(item: Inbound) -> "_Op | Outcome":
    activity = item.payload
    if item.type != "Undo":
        reaction = Reaction.read(activity)
        if reaction is None:
            return ignored(f"{item.type} without a usable object or emoji")
        return _Op(item, reaction, undo=False, target_id=item.ap_id)
    original = activity["object"]
    original_actor = id_of(original.get("actor"))
    if original_actor and original_actor != item.actor:
        return ignored("Undo of someone else's activity")
    reaction = Reaction.read(original)
    if reaction is None:
        return ignored(f"Undo of a {original.get('type')} without a usable object")
    return _Op(item, reaction, undo=True, target_id=id_of(original))


def process(items: Sequence[Inbound], actors: Actors) -> dict[str, Outcome]:
    """Apply a batch of likes, boosts, reactions and undos; outcome per row."""
    outcomes: dict[str, Outcome] = {}
    ops: list[_Op] = []
    for item in items:
        read = _read(item)
        if isinstance(read, Outcome):
            outcomes[item.ap_id] = read
        else:
            ops.append(read)
    blocked = blocked_hosts(op.item.actor for op in ops)
    # Creators who blocked the actor: likes and boosts from them are
    # dropped (their undos still go through).
    blocked_by = moderation.actor_blocks_among(op.item.actor for op in ops)
    posts = local_posts(op.reaction.post_uri for op in ops)
    kept = []
    for op in ops:
        post = posts.get(op.reaction.post_uri)
        if host_of(op.item.actor) in blocked:
            outcomes[op.item.ap_id] = ignored("from a blocked domain")
        elif (
            not op.undo
            and post is not None
            and post.creator_id in blocked_by.get(op.item.actor, ())
        ):
            outcomes[op.item.ap_id] = ignored("blocked by the creator")
        elif actors.is_gone(op.item.actor):
            outcomes[op.item.ap_id] = ignored("the account was deleted")
        elif post is None:
            outcomes[op.item.ap_id] = ignored("not about a post of ours")
        elif not op.undo and not post_is_live(post):
            outcomes[op.item.ap_id] = ignored("the post is deleted or not published")
        else:
            kept.append((op, post))
    if kept:
        outcomes.update(_apply(kept, actors))
    return outcomes


def _key(actor: str, post_id: int, reaction: Reaction) -> tuple:
    # One like and one boost per person per post; reactions per emoji.
    return (reaction.kind, actor, post_id, reaction.emoji)


_CURRENT = """
SELECT id, activity_id, kind, actor_uri, post_id, emoji FROM {table}
WHERE activity_id = ANY(%s)
UNION
SELECT i.id, i.activity_id, i.kind, i.actor_uri, i.post_id, i.emoji
FROM {table} i JOIN unnest(%s::text[], %s::bigint[]) AS pair(actor, post)
    ON i.actor_uri = pair.actor AND i.post_id = pair.post
WHERE i.kind IN ('like', 'boost', 'reaction')
"""


def _current_rows(ids: set[str], pairs: set[tuple[str, int]]) -> list[tuple]:
    """The interactions a batch may touch: by activity id, and every like,
    boost and reaction of each (person, post) pair in it."""
    if connection.vendor == "postgresql":
        actors, posts = zip(*pairs, strict=True) if pairs else ((), ())
        with connection.cursor() as cursor:
            cursor.execute(
                _CURRENT.format(table=Interaction._meta.db_table),
                [list(ids), list(actors), list(posts)],
            )
            return cursor.fetchall()
    # Elsewhere (SQLite, in tests) a wider net, sorted out by the caller.
    return list(
        Interaction.objects.filter(
            Q(activity_id__in=ids)
            | Q(
                kind__in=[Kind.LIKE, Kind.BOOST, Kind.REACTION],
                post_id__in={post for _, post in pairs},
                actor_uri__in={actor for actor, _ in pairs},
            )
        ).values_list("pk", "activity_id", "kind", "actor_uri", "post_id", "emoji")
    )


_CANCELLED = """
SELECT c.actor_uri, c.target_id FROM {table} c
JOIN jsonb_array_elements(%s::jsonb) AS pair
    ON c.actor_uri = pair->>0 AND c.target_id = pair->>1
"""


def _cancelled_before(pairs: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """The (actor, activity id) pairs an Undo cancelled before they arrived.

    Looked up by pair, along the table's unique index: the markers of a
    week of floods can number hundreds of thousands, and a lookup by
    activity id alone would read them all for every batch.
    """
    if not pairs:
        return set()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                _CANCELLED.format(table=EarlyCancellation._meta.db_table),
                [json.dumps(list(pairs))],
            )
            return set(cursor.fetchall())
    # Elsewhere (SQLite, in tests) a wider net, narrowed here.
    rows = EarlyCancellation.objects.filter(
        target_id__in={target for _, target in pairs}
    ).values_list("actor_uri", "target_id")
    return pairs & set(rows)


def _apply(kept: list, actors: Actors) -> dict[str, Outcome]:
    # The caller holds the partitions of these actors (processing.hold):
    # no other batch replays their likes and undos until this one commits.
    # Likes of the same post by other actors may be written alongside; the
    # unique constraints and the rollups' upserts keep those exact.
    outcomes: dict[str, Outcome] = {}
    undone_ids = {op.target_id for op, _ in kept if op.undo and op.target_id}

    cancelled = _cancelled_before(
        {(op.item.actor, op.target_id) for op, _ in kept if not op.undo}
    )
    # The rows each (person, post) already has matter for reactions (one
    # per emoji, with no constraint to enforce it) and wherever the batch
    # undoes something. A like or boost otherwise goes in as new: the
    # database skips it if that person liked or boosted the post already.
    undo_keys = {
        _key(op.item.actor, post.pk, op.reaction) for op, post in kept if op.undo
    }
    pairs = {
        (op.item.actor, post.pk)
        for op, post in kept
        if op.reaction.kind == Kind.REACTION
        or _key(op.item.actor, post.pk, op.reaction) in undo_keys
    }
    existing = _current_rows(undone_ids, pairs)

    # key -> activity id of the row present now (None: absent); the rows
    # present before the batch, by key.
    present: dict[tuple, str | None] = {}
    before: dict[tuple, tuple[int, str]] = {}
    key_of_id: dict[str, tuple] = {}
    for pk, activity_id, kind, actor, post_id, emoji in existing:
        if kind not in (Kind.LIKE, Kind.BOOST, Kind.REACTION):
            continue
        key = (kind, actor, post_id, emoji)
        before[key] = (pk, activity_id)
        present[key] = activity_id
        key_of_id[activity_id] = key

    new: dict[tuple, _Op] = {}
    new_cancellations = []
    for op, post in kept:
        item = op.item
        key = _key(item.actor, post.pk, op.reaction)
        if not op.undo:
            if (item.actor, op.target_id) in cancelled:
                outcomes[item.ap_id] = ignored("undone before it arrived")
            elif present.get(key) is not None:
                outcomes[item.ap_id] = DONE  # liked or boosted already
            else:
                present[key] = op.target_id
                key_of_id[op.target_id] = key
                new[key] = op
                outcomes[item.ap_id] = DONE
            continue
        undone = key_of_id.get(op.target_id) if op.target_id else None
        if undone is None or undone[1] != item.actor or present.get(undone) is None:
            undone = key if present.get(key) is not None else None
        if undone is not None:
            present[undone] = None
            new.pop(undone, None)
            outcomes[item.ap_id] = DONE
        else:
            if op.target_id:
                cancelled.add((item.actor, op.target_id))
                new_cancellations.append(
                    # An id past 500 characters names nothing we could store.
                    EarlyCancellation(
                        actor_uri=item.actor, target_id=op.target_id[:500]
                    )
                )
            outcomes[item.ap_id] = Outcome(
                DONE.state, "nothing to undo yet: the original will be dropped"
            )

    removed = [
        pk
        for key, (pk, activity_id) in before.items()
        if present.get(key) != activity_id
    ]
    analytics.interactions_remove_many(pks=removed)
    posts = {post.pk: post for _, post in kept}
    recorded = [
        (key, op) for key, op in new.items() if present.get(key) == op.target_id
    ]
    analytics.interactions_record_many(
        items=[
            analytics.InteractionInput(
                kind=key[0],
                activity_id=op.target_id,
                creator_id=posts[key[2]].creator_id,
                post_id=key[2],
                author=actors.author(op.item.actor),
                emoji=key[3],
                occurred_at=parse_time(
                    op.item.payload.get("published"),
                    not_before=posts[key[2]].published_at,
                ),
            )
            for key, op in recorded
        ]
    )
    ask_followers_counts(key[1] for key, _ in recorded if key[0] == Kind.BOOST)
    if new_cancellations:
        EarlyCancellation.objects.bulk_create(new_cancellations, ignore_conflicts=True)
    return outcomes


def ask_followers_counts(boosters: Iterable[str]) -> None:
    """Queue a fetch of the follower count of each booster not asked for a
    day (the reach estimate adds their audience), once the batch commits.
    Each actor at most once a day: those asked since are skipped, a batch's
    boosters are counted once, and a queued fetch is remembered for a day
    (an answer that cannot be believed records nothing on the actor)."""
    boosters = set(boosters)
    if not boosters:
        return
    due = among(
        RemoteActor.objects.filter(
            Q(followers_count_at__isnull=True)
            | Q(followers_count_at__lt=timezone.now() - FOLLOWERS_COUNT_MAX_AGE),
            gone_at__isnull=True,
        ),
        "ap_id",
        boosters,
    ).values_list("ap_id", flat=True)
    timeout = int(FOLLOWERS_COUNT_MAX_AGE.total_seconds())
    for ap_id in sorted(due):
        asked_key = f"inbox:followers-count-asked:{ap_id}"
        if not cache.add(asked_key, 1, timeout=timeout):
            continue
        if not _server_may_be_asked(host_of(ap_id)):
            cache.delete(asked_key)  # a later boost may ask, in another hour
            continue
        transaction.on_commit(
            functools.partial(queue.wake, FETCH_FOLLOWERS_COUNT_TASK, ap_id)
        )


# A viral post's boosters are mostly on a few big servers: asking one of them
# about thousands of its accounts at once would be rude (and rate limited).
# Beyond this many asks an hour, a server's boosters wait for a later boost.
FOLLOWERS_COUNT_ASKS_PER_SERVER_HOUR = 120


def _server_may_be_asked(host: str) -> bool:
    key = f"inbox:followers-count-asks:{host}:{int(time.time() // 3600)}"
    cache.add(key, 0, timeout=3700)
    try:
        return cache.incr(key) <= FOLLOWERS_COUNT_ASKS_PER_SERVER_HOUR
    except ValueError:  # expired in between: this hour's first
        return True
