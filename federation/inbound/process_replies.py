"""Remote Notes in creators' threads: replies and quotes, edits, deletions.

A `Create(Note)` is kept when it replies to a creator's post, to a reply
we hold (anywhere down the thread), or to one of the creator's own answers;
or when it quotes a creator's post (`quote` (FEP-044f), `quoteUrl`,
`quoteUri`, `_misskey_quote`, or a FEP-e232 `Link` tag); or, outside
every thread of ours, when it mentions a creator (a `Mention` tag naming
their actor): kept as a mention of the first such creator, never counted
as engagement (analytics.models.Reply). Its HTML is
cleaned by analytics (nh3) before it is stored; attachments are listed,
never downloaded; visibility comes from the addressing as Mastodon reads it
(docs/federation.md).

Ownership: the Note must live on its author's server, be attributed to the
actor who sent it, and not be tombstoned; only its author edits or
deletes it. Replies from a blocked server are dropped even when relayed by
another; then moderation.screening decides what shows (replies from a
silenced server, from an account the creator blocked, or caught by the
screening rules are held or dropped).

Consent: a reply from someone the post's reply policy leaves out (not a
follower, not mentioned) is held for the creator, with that reason; a
quote claiming a permission (`quoteAuthorization`) the creator never gave,
or withdrew, is held too and not counted (posts.quotes).
"""

from collections.abc import Sequence
from dataclasses import replace

from accounts.models import CreatorProfile, ReplyPolicy
from analytics import services as analytics
from analytics.models import Reply
from federation.inbound.activities import (
    DONE,
    Actors,
    Inbound,
    Outcome,
    among,
    as_list,
    host_of,
    id_of,
    ignored,
    local_handle,
    local_posts,
    parse_time,
    post_is_live,
    same_host,
)
from federation.models import RemoteTombstone
from followers.models import Follow
from moderation import screening as moderation_screening
from moderation import services as moderation
from moderation.models import DomainPolicy
from posts.models import Post, QuoteRequest

NOTE_TYPES = {"Note", "Question", "Article", "Page"}
PUBLIC = {"https://www.w3.org/ns/activitystreams#Public", "as:Public", "Public"}
AS2_LINK_TYPES = ("application/activity+json", "https://www.w3.org/ns/activitystreams")
MAX_ATTACHMENTS = 20
MAX_MENTIONS = 50


# Reading a Note -------------------------------------------------------------------


def _http_url(value) -> str:
    """A URL from a string, a Link, or a list of either; http(s) only."""
    for candidate in as_list(value):
        if isinstance(candidate, dict):
            candidate = candidate.get("href") or candidate.get("url")
            if isinstance(candidate, list | dict):
                candidate = _http_url(candidate)
        if isinstance(candidate, str) and candidate.startswith(("https://", "http://")):
            return candidate[:500]
    return ""


def _text(value) -> str:
    return value if isinstance(value, str) else ""


def _content(note: dict) -> tuple[str, str]:
    """(HTML, language) of a Note: `content`, else the first of `contentMap`."""
    content_map = note.get("contentMap")
    language = ""
    if isinstance(content_map, dict) and content_map:
        language, mapped = next(iter(content_map.items()))
        if not isinstance(language, str):
            language = ""
        if not isinstance(note.get("content"), str):
            return _text(mapped), language[:16]
    return _text(note.get("content")), language[:16]


def _attachments(note: dict) -> list[dict]:
    listed = []
    for attachment in as_list(note.get("attachment"))[:MAX_ATTACHMENTS]:
        if not isinstance(attachment, dict):
            continue
        url = _http_url(attachment.get("url")) or _http_url(attachment.get("href"))
        if not url:
            continue
        listed.append(
            {
                "url": url,
                "media_type": _text(attachment.get("mediaType"))[:100],
                # Alt text: `name` for Mastodon, `summary` for newer GoToSocial.
                "name": (
                    _text(attachment.get("name")) or _text(attachment.get("summary"))
                )[:1500],
            }
        )
    return listed


def _mentions(note: dict) -> list[dict]:
    mentions = []
    for tag in as_list(note.get("tag")):
        if isinstance(tag, dict) and tag.get("type") == "Mention":
            href = _http_url(tag.get("href"))
            if href:
                mentions.append({"href": href, "name": _text(tag.get("name"))[:320]})
        if len(mentions) >= MAX_MENTIONS:
            break
    return mentions


def visibility(note: dict, *, followers_url: str) -> str:
    """public, unlisted, followers or direct, as Mastodon reads addressing."""
    to = {id_of(value) for value in as_list(note.get("to"))}
    cc = {id_of(value) for value in as_list(note.get("cc"))}
    if to & PUBLIC:
        return "public"
    if cc & PUBLIC:
        return "unlisted"
    if followers_url and followers_url in to | cc:
        return "followers"
    return "direct"


def quoted_uris(note: dict) -> list[str]:
    """What a Note quotes, by every property servers use for it."""
    uris = [
        id_of(note.get(name))
        for name in ("quote", "quoteUrl", "quoteUri", "_misskey_quote")
    ]
    for tag in as_list(note.get("tag")):
        if (
            isinstance(tag, dict)
            and tag.get("type") == "Link"
            and any(kind in _text(tag.get("mediaType")) for kind in AS2_LINK_TYPES)
        ):
            uris.append(_text(tag.get("href")))
    return [uri for uri in dict.fromkeys(uris) if uri]


def read_note(note: dict, *, actor: str, actors: Actors) -> "analytics.NoteInput | str":
    """The Note as analytics stores it, or why it is not acceptable."""
    if note.get("type") not in NOTE_TYPES:
        return f"a {note.get('type')!r} is not a post"
    ap_id = id_of(note)
    if not ap_id.startswith(("https://", "http://")) or len(ap_id) > 500:
        return "the Note has no usable id"
    if not same_host(ap_id, actor):
        return "the Note is not on the actor's server"
    authors = {id_of(value) for value in as_list(note.get("attributedTo"))}
    if authors and actor not in authors:
        return "the Note is attributed to someone else"
    content, language = _content(note)
    followers = actors.followers_url(actor)
    return analytics.NoteInput(
        ap_id=ap_id,
        in_reply_to_uri=id_of(note.get("inReplyTo"))[:500],
        content=content,
        url=_http_url(note.get("url")),
        summary=_text(note.get("summary")),
        sensitive=note.get("sensitive") is True,
        language=language,
        visibility=visibility(note, followers_url=followers or f"{actor}/followers"),
        attachments=_attachments(note),
        mentions=_mentions(note),
        published_at=parse_time(note.get("published")),
    )


# Create -----------------------------------------------------------------------------


def process_creates(items: Sequence[Inbound], actors: Actors) -> dict[str, Outcome]:
    """Store the replies, quotes and mentions among a batch of Creates."""
    outcomes: dict[str, Outcome] = {}
    notes: list[tuple[Inbound, analytics.NoteInput, list[str], set[str]]] = []
    for item in items:
        obj = item.payload.get("object")
        if not isinstance(obj, dict):
            outcomes[item.ap_id] = ignored("Create without an embedded object")
            continue
        note = read_note(obj, actor=item.actor, actors=actors)
        if isinstance(note, str):
            outcomes[item.ap_id] = ignored(note)
            continue
        authors = {item.actor, *(id_of(a) for a in as_list(obj.get("attributedTo")))}
        notes.append((item, note, quoted_uris(obj), authors))
    if notes:
        outcomes.update(_store(notes, actors))
    return outcomes


def _store(notes: list, actors: Actors) -> dict[str, Outcome]:
    outcomes: dict[str, Outcome] = {}
    note_ids = [note.ap_id for _, note, _, _ in notes]
    tombstoned = set(
        among(RemoteTombstone.objects, "ap_id", note_ids).values_list(
            "ap_id", flat=True
        )
    )
    stored = set(
        among(Reply.objects, "ap_id", note_ids).values_list("ap_id", flat=True)
    )
    hosts = {host_of(uri) for _, _, _, authors in notes for uri in authors}
    severities = moderation.domain_severities(hosts)

    targets = {note.in_reply_to_uri for _, note, _, _ in notes if note.in_reply_to_uri}
    targets.update(uri for _, _, quotes, _ in notes for uri in quotes)
    posts = local_posts(targets)
    # Replies to a creator's answer belong to the thread the answer is in.
    answered = {post.in_reply_to_uri for post in posts.values() if post.in_reply_to_uri}
    held = {
        reply.ap_id: reply
        for reply in among(Reply.objects, "ap_id", targets | answered).select_related(
            "post"
        )
    }
    creators = _mentioned_creators(note for _, note, _, _ in notes)
    # Replies stored earlier in this batch: ap_id -> (creator, post) pks.
    in_batch: dict[str, tuple[int, int | None]] = {}
    placed: list[tuple[Inbound, analytics.NoteInput, tuple, list[str]]] = []
    for item, note, quotes, authors in notes:
        # The sender's server first: screening names it in its reasons.
        author_hosts = [host_of(item.actor)]
        author_hosts += sorted({host_of(uri) for uri in authors} - {author_hosts[0]})
        if DomainPolicy.Severity.BLOCK in {severities.get(h) for h in author_hosts}:
            outcomes[item.ap_id] = ignored("from a blocked domain")
            continue
        if actors.is_gone(item.actor):
            outcomes[item.ap_id] = ignored("the account was deleted")
            continue
        if note.ap_id in tombstoned:
            outcomes[item.ap_id] = ignored("the Note was deleted before it arrived")
            continue
        if note.ap_id in stored:
            outcomes[item.ap_id] = DONE
            continue
        place = _place(
            note,
            quotes,
            posts=posts,
            held=held,
            in_batch=in_batch,
            creators=creators,
        )
        if isinstance(place, str):
            outcomes[item.ap_id] = ignored(place)
            continue
        placed.append((item, note, place, author_hosts))
        in_batch[note.ap_id] = place[:2]
        stored.add(note.ap_id)

    # Moderation decides what shows: blocks, domain policies, the rules.
    verdicts = moderation_screening.screen_replies(
        [
            moderation_screening.Candidate(
                key=note.ap_id,
                creator_id=place[0],
                actor_uri=item.actor,
                domains=tuple(domains),
                content_html=note.content,
                summary=note.summary,
                mentions=note.mentions,
                server_first_seen=actors.server_first_seen(item.actor),
            )
            for item, note, place, domains in placed
        ]
    )
    consent = _consent_holds(placed)
    to_store: list[analytics.ReplyInput] = []
    for item, note, place, _ in placed:
        verdict = verdicts[note.ap_id]
        if verdict.drop:
            outcomes[item.ap_id] = ignored(verdict.reason)
            continue
        held_for = consent.get(note.ap_id)
        if held_for:
            reason = "; ".join(filter(None, [held_for, verdict.reason]))
            verdict = replace(verdict, status=Reply.Status.HELD, reason=reason)
        creator_id, post_id, parent_ap_id, is_quote = place
        note = _with_quote(note, is_quote)
        if verdict.strip_media:
            note = replace(note, attachments=[])
        to_store.append(
            analytics.ReplyInput(
                note=note,
                creator_id=creator_id,
                post_id=post_id,
                author=actors.author(item.actor),
                parent_ap_id=parent_ap_id,
                status=verdict.status,
                hold_reason=verdict.reason,
            )
        )
        outcomes[item.ap_id] = DONE
    analytics.replies_store_many(items=to_store)
    return outcomes


REPLY_POLICY_REASONS = {
    ReplyPolicy.FOLLOWERS: "this post only takes replies from followers",
    ReplyPolicy.MENTIONED: "this post only takes replies from people it mentions",
}
UNGIVEN_QUOTE = "it claims your permission to quote, which you never gave"
WITHDRAWN_QUOTE = "it claims your permission to quote, which you withdrew"


def _consent_holds(placed: list) -> dict[str, str]:
    """Note ap_id -> why the creator's consent holds it, for the placed
    replies and quotes that lack it: a reply from outside the root post's
    reply policy, a quote claiming a stamp that is not in force."""
    post_ids = {place[1] for _, _, place, _ in placed}
    posts = {
        post.pk: post
        for post in Post.objects.filter(pk__in=post_ids)
        .exclude(reply_policy=ReplyPolicy.ANYONE)
        .select_related("creator")
        .prefetch_related("mentions")
    }
    follows = set()
    if posts:
        follows = set(
            Follow.objects.filter(
                creator_id__in={post.creator_id for post in posts.values()},
                actor__ap_id__in={item.actor for item, *_ in placed},
                state=Follow.State.ACCEPTED,
            ).values_list("creator_id", "actor__ap_id")
        )
    holds: dict[str, str] = {}
    for item, note, place, _ in placed:
        post_id, is_quote = place[1], place[3]
        if is_quote:
            obj = item.payload.get("object") or {}
            claim = id_of(obj.get("quoteAuthorization"))
            if claim:
                reason = _quote_claim_problem(claim, note=note, actor=item.actor)
                if reason:
                    holds[note.ap_id] = reason
            continue
        post = posts.get(post_id)
        if post is None:
            continue
        mentioned = {m.actor_uri for m in post.mentions.all() if m.actor_uri}
        if item.actor in mentioned:
            continue
        if post.reply_policy == ReplyPolicy.FOLLOWERS and (
            (post.creator_id, item.actor) in follows
        ):
            continue
        holds[note.ap_id] = REPLY_POLICY_REASONS.get(
            post.reply_policy, REPLY_POLICY_REASONS[ReplyPolicy.MENTIONED]
        )
    return holds


def _quote_claim_problem(claim: str, *, note, actor: str) -> str:
    """Why a quote's claimed stamp proves nothing, or "" if it is in force:
    one of ours, accepted, for this very quote post by this actor."""
    handle, sep, pk = claim.rpartition("/quote_authorizations/")
    if not sep or not pk.isdigit() or len(pk) > 18 or local_handle(handle) is None:
        return UNGIVEN_QUOTE
    request = QuoteRequest.objects.filter(
        pk=int(pk),
        post__creator__handle=local_handle(handle),
        quote_uri=note.ap_id,
        actor_uri=actor,
    ).first()
    if request is None or request.state in (
        QuoteRequest.State.PENDING,
        QuoteRequest.State.REFUSED,
    ):
        return UNGIVEN_QUOTE
    if request.state == QuoteRequest.State.REVOKED:
        return WITHDRAWN_QUOTE
    return ""


def _with_quote(note: analytics.NoteInput, is_quote: bool) -> analytics.NoteInput:
    return replace(note, is_quote=True) if is_quote else note


def _mentioned_creators(notes) -> dict[str, int]:
    """Handle -> creator pk for the active creators the notes mention."""
    handles = {
        handle
        for note in notes
        for mention in note.mentions
        if (handle := local_handle(mention["href"]))
    }
    if not handles:
        return {}
    return dict(
        CreatorProfile.objects.filter(
            handle__in=handles, user__is_active=True
        ).values_list("handle", "pk")
    )


def _place(note, quotes, *, posts, held, in_batch, creators):
    """(creator, root post, parent reply ap_id, is_quote), or why it has none.

    The root post is None for a mention outside the creator's threads.
    """
    target = note.in_reply_to_uri
    if target:
        post = posts.get(target)
        if post is not None:
            if not post_is_live(post):
                return "replies to a deleted post"
            answered = held.get(post.in_reply_to_uri) if post.in_reply_to_uri else None
            # An answer of the creator's in a thread; an answer to a mention
            # has no thread of ours above it, so it is the root itself.
            if answered is not None and answered.post_id is not None:
                return _in_thread(answered.post, parent=None)
            return post.creator_id, post.pk, None, False
        reply = held.get(target)
        if reply is not None and reply.post_id is not None:
            return _in_thread(reply.post, parent=reply.ap_id)
        if target in in_batch and in_batch[target][1] is not None:
            creator_id, post_id = in_batch[target]
            return creator_id, post_id, target, False
    for uri in quotes:
        post = posts.get(uri)
        if post is not None:
            if not post_is_live(post):
                return "quotes a deleted post"
            return post.creator_id, post.pk, None, True
    # A Note naming several creators is kept once (one row per Note id),
    # for the first one it names.
    for mention in note.mentions:
        creator_id = creators.get(local_handle(mention["href"]) or "")
        if creator_id is not None:
            return creator_id, None, None, False
    if any(local_handle(m["href"]) for m in note.mentions):
        return "mentions no creator of ours that is active"
    return "not a reply to, quote of or mention of anything of ours"


def _in_thread(root, *, parent):
    if not post_is_live(root):
        return "replies in the thread of a deleted post"
    return root.creator_id, root.pk, parent, False


# Update and Delete --------------------------------------------------------------------


def process_update(item: Inbound, note: dict, actors: Actors) -> Outcome:
    """An edit of a reply, applied only by its author and only if newer."""
    read = read_note(note, actor=item.actor, actors=actors)
    if isinstance(read, str):
        return ignored(read)
    edited_at = parse_time(note.get("updated"))
    if edited_at is None:
        return ignored("Update without `updated` (Mastodon ignores those too)")
    reply = Reply.objects.filter(ap_id=read.ap_id).first()
    if reply is None:
        return ignored("not a reply we hold")
    if reply.actor_uri != item.actor:
        return ignored("only the author edits a reply")
    if not analytics.reply_update(
        reply=reply, note=_with_quote(read, reply.is_quote), edited_at=edited_at
    ):
        return Outcome(DONE.state, "older than the version held")
    return DONE


def process_delete_object(item: Inbound, target: str) -> Outcome:
    """A Delete of a Note (or a Tombstone of one), by its author."""
    if not same_host(target, item.actor):
        return ignored("the object is not on the actor's server")
    RemoteTombstone.objects.bulk_create(
        [RemoteTombstone(ap_id=target[:500], actor_uri=item.actor)],
        ignore_conflicts=True,
    )
    removed = int(analytics.reply_remove(ap_id=target, actor_uri=item.actor))
    # Some servers retract a boost by deleting the Announce.
    removed += analytics.interaction_remove(actor_uri=item.actor, activity_id=target)
    if removed:
        return DONE
    return Outcome(DONE.state, "nothing of theirs held; a late Create is dropped")
