"""Recording what remote people did with creators' posts, once each.

federation's inbox translates activities into these calls; nothing else
writes interactions or replies. Every function is safe to call twice with
the same input: unique constraints decide, and an IntegrityError means the
row is already there. Remote people are plain data here (Author), since
analytics does not depend on federation.

Every insert and delete of interactions also adjusts the rollups
(analytics/rollups.py) in the same transaction, by the rows the statement
really inserted or deleted, so reports never drift from the rows.
"""

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import nh3
from django.db import IntegrityError, connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import CreatorProfile
from posts.models import Post

from . import rollups
from .models import Interaction, Reply, Software

# Remote HTML is shown on our own pages: only plain text formatting and
# links survive, plus the classes Mastodon uses to mark mentions, hashtags
# and shortened links. Scripts and styles go with their content; images go
# (tracking pixels, remote emoji), and links get rel="nofollow ugc".
_CLEANER = nh3.Cleaner(
    tags={
        "p", "br", "a", "span", "strong", "b", "em", "i", "u", "s", "del",
        "code", "pre", "blockquote", "ul", "ol", "li",
    },
    clean_content_tags={"script", "style", "template", "noscript"},
    attributes={"a": {"href"}},
    allowed_classes={
        "a": {"mention", "u-url", "hashtag", "status-link"},
        "span": {"h-card", "invisible", "ellipsis", "quote-inline"},
    },
    url_schemes={"http", "https"},
    link_rel="nofollow noopener noreferrer ugc",
)  # fmt: skip
CONTENT_MAX_CHARS = 50_000
SUMMARY_MAX_CHARS = 500


def clean_remote_html(html: str) -> str:
    """Remote HTML reduced to what is safe to show on our pages."""
    return _CLEANER.clean(html[:CONTENT_MAX_CHARS]) if html else ""


def plain_text(html: str, *, limit: int) -> str:
    """Text without any markup (content warnings, names)."""
    if not html:
        return ""
    text = nh3.clean(html[: limit * 4], tags=set(), clean_content_tags={"script"})
    # nh3 escapes what it keeps; these fields are shown escaped again.
    text = (
        text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", '"')
        .replace("&#39;", "'")
        .replace("&amp;", "&")
    )
    return " ".join(text.split())[:limit]


@dataclass(frozen=True)
class Author:
    """Who did it, as known when it arrived."""

    actor_uri: str
    handle: str = ""  # @user@domain
    name: str = ""
    avatar_url: str = ""
    profile_url: str = ""
    domain: str = ""
    software: str = Software.OTHER

    def row_fields(self) -> dict:
        return {
            "actor_uri": self.actor_uri,
            "actor_handle": self.handle[:320],
            "actor_name": self.name[:255],
            "actor_avatar_url": self.avatar_url[:500],
            "actor_profile_url": self.profile_url[:500],
            "instance_domain": self.domain[:255],
            "software": self.software,
        }


@dataclass(frozen=True)
class InteractionInput:
    kind: str
    activity_id: str
    creator_id: int
    author: Author
    post_id: int | None = None
    emoji: str = ""
    occurred_at: datetime | None = None


# Interactions --------------------------------------------------------------


def _interaction(item: InteractionInput, *, now: datetime) -> Interaction:
    return Interaction(
        **item.author.row_fields(),
        activity_id=item.activity_id,
        kind=item.kind,
        creator_id=item.creator_id,
        post_id=item.post_id,
        emoji=item.emoji[:100],
        occurred_at=item.occurred_at or now,
        received_at=now,
    )


def interaction_record(
    *,
    creator: CreatorProfile,
    kind: str,
    activity_id: str,
    author: Author,
    post: Post | None = None,
    emoji: str = "",
    occurred_at: datetime | None = None,
) -> Interaction | None:
    """Record one interaction; None if it is already recorded.

    Already recorded: the same activity id, or (likes and boosts) the same
    person already liked or boosted the post under another id.
    """
    item = InteractionInput(
        kind=kind,
        activity_id=activity_id,
        creator_id=creator.pk,
        author=author,
        post_id=post.pk if post else None,
        emoji=emoji,
        occurred_at=occurred_at,
    )
    with transaction.atomic():
        row = _insert_interaction(_interaction(item, now=timezone.now()))
        if row is not None:
            rollups.rollups_add([_counted(row)])
        return row


def _insert_interaction(row: Interaction) -> Interaction | None:
    try:
        with transaction.atomic():
            row.save(force_insert=True)
            return row
    except IntegrityError:
        return None


def _counted(row: Interaction) -> tuple:
    return tuple(getattr(row, name) for name in rollups.COUNTED)


@transaction.atomic
def interactions_record_many(*, items: Sequence[InteractionInput]) -> None:
    """Record many interactions at once; those already recorded are skipped."""
    if not items:
        return
    now = timezone.now()
    if connection.vendor == "postgresql":
        inserted = _insert_interactions_postgresql(items, now=now)
    else:
        # Row by row, to know which went in (SQLite, in tests and on laptops).
        inserted = [
            _counted(row)
            for item in items
            if (row := _insert_interaction(_interaction(item, now=now))) is not None
        ]
    rollups.rollups_add(inserted)


# Column -> PostgreSQL array type, for the batch insert below.
_INTERACTION_COLUMNS = {
    "activity_id": "text", "kind": "text", "creator_id": "bigint",
    "post_id": "bigint", "emoji": "text", "occurred_at": "timestamptz",
    "received_at": "timestamptz", "actor_uri": "text", "actor_handle": "text",
    "actor_name": "text", "actor_avatar_url": "text", "actor_profile_url": "text",
    "instance_domain": "text", "software": "text",
}  # fmt: skip


def _insert_interactions_postgresql(items, *, now: datetime) -> list[tuple]:
    """One INSERT ... ON CONFLICT DO NOTHING for the batch, parameters bound
    server-side: the inbox records thousands a second this way, where the
    ORM spends more time quoting values than the database inserting them.
    Returns what rollups count of the rows inserted (not the skipped ones).
    """
    import psycopg

    rows: dict[str, dict] = {}  # by activity id, the first of each
    for item in items:
        rows.setdefault(
            item.activity_id,
            {
                "activity_id": item.activity_id,
                "kind": item.kind,
                "creator_id": item.creator_id,
                "post_id": item.post_id,
                "emoji": item.emoji[:100],
                "occurred_at": item.occurred_at or now,
                "received_at": now,
                **item.author.row_fields(),
            },
        )
    meta = Interaction._meta
    columns = ", ".join(meta.get_field(name).column for name in _INTERACTION_COLUMNS)
    arrays = ", ".join(f"%b::{kind}[]" for kind in _INTERACTION_COLUMNS.values())
    # Table, column and type names come from the model and the dict above.
    sql = (
        f"INSERT INTO {meta.db_table} ({columns}) "  # noqa: S608
        f"SELECT * FROM unnest({arrays}) ON CONFLICT DO NOTHING RETURNING "
        f"{meta.get_field('activity_id').column}"
    )
    connection.ensure_connection()
    with psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(
            sql,
            [[row[name] for row in rows.values()] for name in _INTERACTION_COLUMNS],
        )
        inserted = cursor.fetchall()
    # Counted from what was sent (activity ids are unique), rather than read
    # back: loading times from the database costs more than the insert.
    return [
        tuple(rows[activity_id][name] for name in rollups.COUNTED)
        for (activity_id,) in inserted
    ]


def _delete_interactions(rows: QuerySet) -> int:
    """Delete the interactions `rows` selects, and their counts; how many.

    One DELETE ... RETURNING: rows a concurrent transaction deleted first
    are not returned, so they are not subtracted twice.
    """
    meta = Interaction._meta
    qn = connection.ops.quote_name
    select, params = rows.order_by().values("pk").query.sql_with_params()
    counted = ", ".join(qn(meta.get_field(name).column) for name in rollups.COUNTED)
    with transaction.atomic(), connection.cursor() as cursor:
        # Names come from the model; the SELECT is the ORM's.
        cursor.execute(
            f"DELETE FROM {qn(meta.db_table)} WHERE {qn(meta.pk.column)} "  # noqa: S608
            f"IN ({select}) RETURNING {counted}",
            params,
        )
        deleted = cursor.fetchall()
        rollups.rollups_add(deleted, sign=-1)
    return len(deleted)


def interaction_remove(
    *,
    actor_uri: str,
    activity_id: str = "",
    kind: str = "",
    post: Post | None = None,
    emoji: str | None = None,
) -> int:
    """Remove what `actor_uri` did: by activity id first, else by what it was.

    Only the person who did it can undo it, so the actor always has to
    match. Returns how many rows went (0 when there was nothing to undo).
    """
    rows = Interaction.objects.filter(actor_uri=actor_uri)
    if activity_id:
        removed = _delete_interactions(rows.filter(activity_id=activity_id))
        if removed or not kind:
            return removed
    if not kind or post is None:
        return 0
    rows = rows.filter(kind=kind, post=post)
    if emoji is not None:
        rows = rows.filter(emoji=emoji)
    return _delete_interactions(rows)


def interactions_remove_many(*, pks: Iterable[int]) -> int:
    """Remove interactions by primary key (the inbox decided which)."""
    pks = list(pks)
    if not pks:
        return 0
    return _delete_interactions(Interaction.objects.filter(pk__in=pks))


def interactions_remove_for_post(*, post_id: int) -> int:
    """Remove a post's interactions and their counts, before the post itself
    is deleted (a cascade would leave the creator's rollups counting them).
    """
    return _delete_interactions(Interaction.objects.filter(post_id=post_id))


def rollups_rebuild(*, creator: CreatorProfile | None = None) -> dict[str, int]:
    """Recount every rollup (or one creator's) from the interactions; rows
    written per table. Writers of interactions wait until it commits."""
    return rollups.rollups_rebuild(creator_id=creator.pk if creator else None)


# Replies -------------------------------------------------------------------

# A reply counts in engagement (its REPLY or QUOTE interaction exists, and so
# its rollup counts) exactly while it is shown. Held replies wait for review
# and may be spam; hidden and removed ones were taken out by the creator or
# the admins. Moderation calls `replies_status_changed` in the transaction
# that changes a status, so counts follow the verdict, both ways.
COUNTED_REPLY_STATUSES = frozenset({Reply.Status.VISIBLE})


@dataclass(frozen=True)
class NoteInput:
    """A remote Note as the inbox read it; `content` is raw remote HTML."""

    ap_id: str
    in_reply_to_uri: str
    content: str = ""
    url: str = ""
    summary: str = ""
    sensitive: bool = False
    language: str = ""
    visibility: str = "public"
    attachments: list = field(default_factory=list)
    mentions: list = field(default_factory=list)
    published_at: datetime | None = None
    is_quote: bool = False


@dataclass(frozen=True)
class ReplyInput:
    """A reply to store: where it goes in whose thread, and what it says."""

    note: NoteInput
    creator_id: int
    post_id: int | None  # None: a mention outside the creator's threads
    author: Author
    # The ap_id of the reply it answers, when that reply is (or is about to
    # be) stored too; None for a reply to the post itself.
    parent_ap_id: str | None = None
    status: str = Reply.Status.VISIBLE
    hold_reason: str = ""


def _note_fields(note: NoteInput) -> dict:
    return {
        "url": note.url[:500],
        "content_html": clean_remote_html(note.content),
        "summary": plain_text(note.summary, limit=SUMMARY_MAX_CHARS),
        "sensitive": note.sensitive or bool(note.summary),
        "language": note.language[:16],
        "visibility": note.visibility[:16],
        "attachments": note.attachments,
        "mentions": note.mentions,
    }


def _reply_row(item: ReplyInput, *, parent_id: int | None, now: datetime) -> dict:
    note = item.note
    return {
        **item.author.row_fields(),
        **_note_fields(note),
        "ap_id": note.ap_id,
        "creator_id": item.creator_id,
        "post_id": item.post_id,
        "in_reply_to_uri": note.in_reply_to_uri[:500],
        "parent_id": parent_id,
        "is_quote": note.is_quote,
        "status": item.status,
        "hold_reason": item.hold_reason[:255],
        "published_at": note.published_at or now,
        "received_at": now,
    }


def _reply(item: ReplyInput, *, parent: Reply | None, now: datetime) -> Reply:
    return Reply(**_reply_row(item, parent_id=parent.pk if parent else None, now=now))


def _reply_interaction(reply: Reply, *, author: Author) -> InteractionInput:
    return InteractionInput(
        kind=Interaction.Kind.QUOTE if reply.is_quote else Interaction.Kind.REPLY,
        activity_id=reply.ap_id,
        creator_id=reply.creator_id,
        post_id=reply.post_id,
        author=author,
        occurred_at=reply.published_at,
    )


def reply_store(
    *,
    creator: CreatorProfile,
    post: Post | None,
    note: NoteInput,
    author: Author,
    parent: Reply | None = None,
    status: str = Reply.Status.VISIBLE,
    hold_reason: str = "",
) -> Reply | None:
    """Store a reply (or quote) in `post`'s thread and count it if it is
    shown (COUNTED_REPLY_STATUSES), or with no post a mention (never
    counted); None if it is stored already."""
    item = ReplyInput(
        note=note,
        creator_id=creator.pk,
        post_id=post.pk if post is not None else None,
        author=author,
        status=status,
        hold_reason=hold_reason,
    )
    try:
        with transaction.atomic():
            reply = _reply(item, parent=parent, now=timezone.now())
            reply.save(force_insert=True)
            if reply.status in COUNTED_REPLY_STATUSES and reply.post_id is not None:
                interactions_record_many(
                    items=[_reply_interaction(reply, author=author)]
                )
            return reply
    except IntegrityError:
        return None


@transaction.atomic
def replies_store_many(*, items: Sequence[ReplyInput]) -> list[str]:
    """Store many replies at once, answers after what they answer, and count
    the shown ones (COUNTED_REPLY_STATUSES); returns the ap_ids stored now
    (replies stored before are skipped).
    """
    now = timezone.now()
    pending = {item.note.ap_id: item for item in items}
    parent_ids = {item.parent_ap_id for item in items if item.parent_ap_id}
    parents = dict(
        Reply.objects.filter(ap_id__in=parent_ids).values_list("ap_id", "pk")
    )
    created: dict[str, int] = {}
    # Parents first: a reply to a reply in the same batch waits a round.
    while pending:
        ready = [
            item
            for item in pending.values()
            if not item.parent_ap_id or item.parent_ap_id not in pending
        ]
        new = _insert_replies(
            [
                _reply_row(item, parent_id=parents.get(item.parent_ap_id), now=now)
                for item in ready
            ]
        )
        created.update(new)
        parents.update(new)
        for item in ready:
            del pending[item.note.ap_id]
    by_id = {item.note.ap_id: item for item in items}
    interactions_record_many(
        items=[
            InteractionInput(
                kind=Interaction.Kind.QUOTE
                if by_id[ap_id].note.is_quote
                else Interaction.Kind.REPLY,
                activity_id=ap_id,
                creator_id=by_id[ap_id].creator_id,
                post_id=by_id[ap_id].post_id,
                author=by_id[ap_id].author,
                occurred_at=by_id[ap_id].note.published_at or now,
            )
            for ap_id in created
            if by_id[ap_id].status in COUNTED_REPLY_STATUSES
            and by_id[ap_id].post_id is not None  # a mention is no interaction
        ]
    )
    return list(created)


# Column -> PostgreSQL array type, for the batch insert below.
_REPLY_COLUMNS = {
    "ap_id": "text", "url": "text", "creator_id": "bigint", "post_id": "bigint",
    "in_reply_to_uri": "text", "parent_id": "bigint", "is_quote": "boolean",
    "content_html": "text", "summary": "text", "sensitive": "boolean",
    "language": "text", "visibility": "text", "attachments": "jsonb",
    "mentions": "jsonb", "status": "text", "hold_reason": "text",
    "published_at": "timestamptz", "received_at": "timestamptz",
    "actor_uri": "text", "actor_handle": "text", "actor_name": "text",
    "actor_avatar_url": "text", "actor_profile_url": "text",
    "instance_domain": "text", "software": "text",
}  # fmt: skip


def _insert_replies(rows: list[dict]) -> dict[str, int]:
    """Insert reply rows, skipping any stored already; ap_id -> pk of new ones."""
    if not rows:
        return {}
    if connection.vendor != "postgresql":
        stored = set(
            Reply.objects.filter(ap_id__in=[row["ap_id"] for row in rows]).values_list(
                "ap_id", flat=True
            )
        )
        created = Reply.objects.bulk_create(
            [Reply(**row) for row in rows if row["ap_id"] not in stored]
        )
        return {reply.ap_id: reply.pk for reply in created}
    import psycopg

    meta = Reply._meta
    columns = ", ".join(meta.get_field(name).column for name in _REPLY_COLUMNS)
    arrays = ", ".join(
        "%b::text[]::jsonb[]" if kind == "jsonb" else f"%b::{kind}[]"
        for kind in _REPLY_COLUMNS.values()
    )
    # Table, column and type names come from the model and the dict above.
    sql = (
        f"INSERT INTO {meta.db_table} ({columns}) "  # noqa: S608
        f"SELECT * FROM unnest({arrays}) ON CONFLICT (ap_id) DO NOTHING "
        "RETURNING ap_id, id"
    )
    params = [
        [json.dumps(row[name]) if kind == "jsonb" else row[name] for row in rows]
        for name, kind in _REPLY_COLUMNS.items()
    ]
    connection.ensure_connection()
    with psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(sql, params)
        return dict(cursor.fetchall())


def reply_update(*, reply: Reply, note: NoteInput, edited_at: datetime) -> bool:
    """Apply an edit by the reply's author if it is newer than what we hold.

    Edits can arrive out of order; an older one never overwrites a newer.
    """
    known = reply.edited_at or reply.published_at
    if known is not None and edited_at <= known:
        return False
    fields = _note_fields(note)
    updated = Reply.objects.filter(pk=reply.pk).filter(
        Q(edited_at__isnull=True, published_at__lt=edited_at)
        | Q(edited_at__lt=edited_at)
    )
    if not updated.update(**fields, edited_at=edited_at):
        return False
    for name, value in fields.items():
        setattr(reply, name, value)
    reply.edited_at = edited_at
    return True


@transaction.atomic
def replies_status_changed(*, replies: Iterable[Reply], status: str) -> None:
    """Keep engagement counts in step when `replies`, as they were before,
    change to `status`: a reply leaving the shown ones stops counting, one
    approved starts counting (at the time it was written)."""
    counted = status in COUNTED_REPLY_STATUSES
    changing = [
        reply
        for reply in replies
        if (reply.status in COUNTED_REPLY_STATUSES) != counted
        and reply.post_id is not None  # a mention is never counted
    ]
    if not changing:
        return
    if not counted:
        _delete_interactions(
            Interaction.objects.filter(
                activity_id__in=[reply.ap_id for reply in changing],
                kind__in=[Interaction.Kind.REPLY, Interaction.Kind.QUOTE],
            )
        )
        return
    interactions_record_many(
        items=[
            _reply_interaction(
                reply,
                author=Author(
                    actor_uri=reply.actor_uri,
                    handle=reply.actor_handle,
                    name=reply.actor_name,
                    avatar_url=reply.actor_avatar_url,
                    profile_url=reply.actor_profile_url,
                    domain=reply.instance_domain,
                    software=reply.software,
                ),
            )
            for reply in changing
        ]
    )


@transaction.atomic
def reply_remove(*, ap_id: str, actor_uri: str) -> bool:
    """Remove a reply its author deleted, and its count; False if none."""
    removed, _ = Reply.objects.filter(ap_id=ap_id, actor_uri=actor_uri).delete()
    _delete_interactions(
        Interaction.objects.filter(
            activity_id=ap_id,
            actor_uri=actor_uri,
            kind__in=[Interaction.Kind.REPLY, Interaction.Kind.QUOTE],
        )
    )
    return bool(removed)


@transaction.atomic
def remote_actor_forget(*, actor_uri: str) -> tuple[int, int]:
    """Remove everything a deleted remote account did: (interactions, replies).

    Follows and unfollows stay: they are the creator's follower history.
    """
    interactions = _delete_interactions(
        Interaction.objects.filter(actor_uri=actor_uri).exclude(
            kind__in=[Interaction.Kind.FOLLOW, Interaction.Kind.UNFOLLOW]
        )
    )
    replies, _ = Reply.objects.filter(actor_uri=actor_uri).delete()
    return interactions, replies


@transaction.atomic
def instance_software_learned(*, domain: str, software: str) -> int:
    """A server's software became known (its NodeInfo was read after its
    first interactions arrived): what was counted as "other" from it moves
    to its platform, in the raw rows and the rollups alike. Returns how
    many interactions moved."""
    if software == Software.OTHER:
        return 0
    rows = Interaction.objects.select_for_update().filter(
        instance_domain=domain, software=Software.OTHER
    )
    before = [tuple(row) for row in rows.values_list(*rollups.COUNTED)]
    Reply.objects.filter(instance_domain=domain, software=Software.OTHER).update(
        software=software
    )
    if not before:
        return 0
    rollups.rollups_add(before, sign=-1)
    moved = rows.update(software=software)
    at = rollups.COUNTED.index("software")
    rollups.rollups_add([(*row[:at], software, *row[at + 1 :]) for row in before])
    return moved
