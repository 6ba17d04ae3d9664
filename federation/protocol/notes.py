"""Posts as ActivityPub sees them: the Note and the activities that carry it.

Built from rows (reads only): no HTTP, no writes.

Field by field this is what Mastodon 4 sends for a status
(ActivityPub::NoteSerializer and friends), so that its users see what the
creator wrote, addressed as they meant it: docs/federation.md, "Posts".
"""

import re
from datetime import UTC, datetime, timedelta

from django.utils.html import escape

from accounts.models import QuotePolicy, ReplyPolicy
from federation import selectors
from federation.protocol import ids
from federation.protocol.activitypub import AS_CONTEXT
from posts.models import Post, QuoteState
from posts.rendering import hashtag_spellings

# The terms Mastodon declares for statuses; peers read `sensitive`,
# `blurhash` and `focalPoint` through this map, not a remote document.
NOTE_CONTEXT = [
    AS_CONTEXT,
    {
        "sensitive": "as:sensitive",
        "Hashtag": "as:Hashtag",
        "toot": "http://joinmastodon.org/ns#",
        "blurhash": "toot:blurhash",
        "focalPoint": {"@container": "@list", "@id": "toot:focalPoint"},
        # Quotes (FEP-044f) and interaction policies (GoToSocial's terms),
        # spelled as Mastodon 4.5 declares them (ContextHelper).
        "quote": {"@id": "https://w3id.org/fep/044f#quote", "@type": "@id"},
        "quoteAuthorization": {
            "@id": "https://w3id.org/fep/044f#quoteAuthorization",
            "@type": "@id",
        },
        # The older quote properties Mastodon sends too, for servers that
        # read only those (Misskey and its forks, Fedibird).
        "quoteUri": "http://fedibird.com/ns#quoteUri",
        "_misskey_quote": "https://misskey-hub.net/ns#_misskey_quote",
        "gts": "https://gotosocial.org/ns#",
        "interactionPolicy": {"@id": "gts:interactionPolicy", "@type": "@id"},
        "canQuote": {"@id": "gts:canQuote", "@type": "@id"},
        "canReply": {"@id": "gts:canReply", "@type": "@id"},
        "automaticApproval": {"@id": "gts:automaticApproval", "@type": "@id"},
        "manualApproval": {"@id": "gts:manualApproval", "@type": "@id"},
    },
]

REPLIES_PAGE_SIZE = 20


def _iso(moment: datetime) -> str:
    return moment.replace(microsecond=0).isoformat().replace("+00:00", "Z")


def note_url(post: Post) -> str:
    """Where people and servers open the post: one URL, HTML or AS2 by Accept."""
    return ids.note_id(post)


def create_id(post: Post) -> str:
    # Mastodon's own: `<status uri>/activity`.
    return f"{ids.note_id(post)}/activity"


def update_id(post: Post) -> str:
    """A fresh id per edit; peers drop an Update whose id they have seen.

    Mastodon counts seconds; microseconds here, so that two quick edits never
    share an id (the second would be taken for the first and never sent).
    """
    since_epoch = post.edited_at - datetime(1970, 1, 1, tzinfo=UTC)
    return f"{ids.note_id(post)}#updates/{since_epoch // timedelta(microseconds=1)}"


def delete_id(post: Post) -> str:
    return f"{ids.note_id(post)}#delete"


def followers_url(post: Post) -> str:
    return f"{ids.actor_id(post.creator.handle)}/followers"


def mentioned_actors(post: Post) -> list[str]:
    """Actor ids of the resolved mentions; an unresolved one stays plain text."""
    return [m.actor_uri for m in _mentions(post) if m.actor_uri]


def _mentions(post: Post) -> list:
    return sorted(post.mentions.all(), key=lambda mention: mention.pk)


def _mention_anchor(mention) -> re.Pattern:
    """The h-card posts.rendering wrote for this mention, whatever it linked to."""
    user, domain = mention.handle.split("@", 1)
    hrefs = [f"https?://{re.escape(escape(domain))}/@{re.escape(escape(user))}"]
    if mention.profile_url:
        hrefs.append(re.escape(escape(mention.profile_url)))
    return re.compile(
        r'<span class="h-card"><a href="(?:' + "|".join(hrefs) + r')" '
        r'class="u-url mention">@<span>(?P<user>'
        + re.escape(escape(user))
        + r")</span></a></span>",
        re.IGNORECASE,
    )


def note_content(post: Post) -> str:
    """The post's HTML as peers get it, its mentions settled.

    A resolved mention links to the profile its server gave. One that could
    not be resolved reads as plain `@user@domain`: a link to a guessed page
    would claim an account that may not exist.
    """
    html = post.content_html
    for mention in _mentions(post):
        domain = mention.handle.split("@", 1)[1]
        if mention.actor_uri:
            href = escape(mention.profile_url or mention.actor_uri)

            def linked(match, href=href):
                return (
                    f'<span class="h-card"><a href="{href}" class="u-url mention">'
                    f"@<span>{match['user']}</span></a></span>"
                )

            html = _mention_anchor(mention).sub(linked, html)
        else:
            html = _mention_anchor(mention).sub(
                lambda match, domain=domain: f"@{match['user']}@{escape(domain)}",
                html,
            )
    return html


def addressing(post: Post) -> tuple[list[str], list[str]]:
    """`to` and `cc` exactly as Mastodon addresses each visibility.

    Public: Public in `to` (in `cc` it would read as unlisted). Unlisted:
    followers in `to`, Public in `cc`. Followers only: the followers
    collection alone, which peers compare with the actor's `followers`.
    Mentioned actors are in `cc` every time (ActivityPub::TagManager).
    """
    followers = followers_url(post)
    mentioned = mentioned_actors(post)
    if post.visibility == Post.Visibility.PUBLIC:
        return [ids.PUBLIC], [followers, *mentioned]
    if post.visibility == Post.Visibility.UNLISTED:
        return [followers], [ids.PUBLIC, *mentioned]
    return [followers], mentioned


def _tags(post: Post) -> list[dict]:
    tags = [
        {"type": "Mention", "href": mention.actor_uri, "name": f"@{mention.handle}"}
        for mention in _mentions(post)
        if mention.actor_uri
    ]
    # The author's spelling in the name (#CatsOfMastodon), as Mastodon
    # sends it; the link is the lower-case tag every spelling shares.
    spellings = hashtag_spellings(post.content_html)
    tags += [
        {
            "type": "Hashtag",
            "href": ids.tag_url(tag.name),
            "name": f"#{spellings.get(tag.name, tag.name)}",
        }
        for tag in sorted(post.hashtags.all(), key=lambda tag: tag.name)
    ]
    return tags


def _attachments(post: Post) -> list[dict]:
    documents = []
    for media in sorted(post.media.all(), key=lambda m: (m.position, m.pk)):
        document = {
            "type": "Document",
            "mediaType": media.mime_type,
            "url": ids.absolute(media.file.url),
            "name": media.alt_text or None,
            "width": media.width,
            "height": media.height,
        }
        if media.blurhash:
            document["blurhash"] = media.blurhash
        if media.focal_x is not None and media.focal_y is not None:
            document["focalPoint"] = [media.focal_x, media.focal_y]
        documents.append(document)
    return documents


def replies_collection(post: Post, *, page: int | None = None) -> dict:
    """The replies Collection, or one CollectionPage of it.

    Lists visible remote replies and the creator's own public answers, by id;
    held, hidden and removed replies are never listed. Mastodon embeds the
    first page in the Note, so a peer sees the thread without another fetch.
    """
    collection_id = f"{ids.note_id(post)}/replies"
    number = page or 1
    start = (number - 1) * REPLIES_PAGE_SIZE
    total, chunk = selectors.direct_replies(post, offset=start, limit=REPLIES_PAGE_SIZE)
    page_document = {
        "id": f"{collection_id}?page={number}",
        "type": "CollectionPage",
        "partOf": collection_id,
        "items": chunk,
    }
    if start + REPLIES_PAGE_SIZE < total:
        page_document["next"] = f"{collection_id}?page={number + 1}"
    if number > 1:
        page_document["prev"] = f"{collection_id}?page={number - 1}"
    if page is not None:
        return {"@context": AS_CONTEXT, **page_document}
    return {
        "id": collection_id,
        "type": "Collection",
        "totalItems": total,
        "first": page_document,
    }


def counted_collection(post: Post, name: str, total: int) -> dict:
    """`likes` or `shares`: the number only, as Mastodon publishes them."""
    return {
        "id": f"{ids.note_id(post)}/{name}",
        "type": "Collection",
        "totalItems": total,
    }


def note_document(
    post: Post,
    *,
    counts: selectors.NoteCounts | None = None,
    with_context: bool = True,
) -> dict:
    """The post as a `Note`, with its addressing, tags, media and collections."""
    if counts is None:
        counts = selectors.note_counts([post]).get(post.pk, selectors.NoteCounts())
    to, cc = addressing(post)
    content = note_content(post) + quote_fallback(post)
    note = {
        "id": ids.note_id(post),
        "type": "Note",
        "attributedTo": ids.actor_id(post.creator.handle),
        "summary": post.summary or None,
        "sensitive": bool(post.sensitive or post.summary),
        "inReplyTo": post.in_reply_to_uri or None,
        "published": _iso(post.published_at),
        "url": note_url(post),
        "to": to,
        "cc": cc,
        "content": content,
    }
    if post.language:
        note["contentMap"] = {post.language: content}
    if post.edited_at:
        note["updated"] = _iso(post.edited_at)
    note["attachment"] = _attachments(post)
    note["tag"] = _tags(post)
    note["replies"] = replies_collection(post)
    note["likes"] = counted_collection(post, "likes", counts.likes)
    note["shares"] = counted_collection(post, "shares", counts.shares)
    note["interactionPolicy"] = interaction_policy(post)
    note.update(quote_properties(post))
    if with_context:
        return {"@context": NOTE_CONTEXT, **note}
    return note


def quote_properties(post: Post) -> dict:
    """`quote` while the quote stands (pending or accepted), as Mastodon
    4.5 sends it; the older `quoteUri` and `_misskey_quote`, which servers
    show without asking anyone, and `quoteAuthorization` once the author
    accepted. A refused quote, or one of a server that does not ask, has
    none: the post carries a link instead (quote_fallback)."""
    if post.quote_state == QuoteState.PENDING:
        return {"quote": post.quote_of}
    if post.quote_state == QuoteState.ACCEPTED:
        properties = {
            "quote": post.quote_of,
            "quoteUri": post.quote_of,
            "_misskey_quote": post.quote_of,
        }
        if post.quote_authorization:
            properties["quoteAuthorization"] = post.quote_authorization
        return properties
    return {}


def quote_fallback(post: Post) -> str:
    """The link to the quoted post at the end of the content.

    For a quote, in a `quote-inline` paragraph, which Mastodon hides where
    it shows the quote itself and servers without quotes show as a link
    (Mastodon adds the same "RE:" line). Refused or link-only: a plain
    paragraph everyone sees.
    """
    if not post.quote_of or not post.quote_state:
        return ""
    href = escape(post.quote_url or post.quote_of)
    link = f'RE: <a href="{href}">{href}</a>'
    if post.quote_state in (QuoteState.PENDING, QuoteState.ACCEPTED):
        return f'<p class="quote-inline">{link}</p>'
    return f"<p>{link}</p>"


def interaction_policy(post: Post) -> dict:
    """`interactionPolicy` with `canQuote` and `canReply`, in URIs.

    Mastodon 4.5 reads `canQuote` only: Public means anyone, the followers
    collection the author's followers, the author alone nobody else (an
    empty list would vanish in JSON-LD). Quotes held for the creator are
    `manualApproval`. `canReply` names who may reply without review; the
    author and mentioned accounts always may (GoToSocial's rule), and
    replies from anyone else are held for the creator.
    """
    author = ids.actor_id(post.creator.handle)
    followers = followers_url(post)
    quote = post.effective_quote_policy
    can_quote: dict = {
        QuotePolicy.ANYONE: {"automaticApproval": [ids.PUBLIC]},
        QuotePolicy.APPROVAL: {
            "automaticApproval": [author],
            "manualApproval": [ids.PUBLIC],
        },
        QuotePolicy.FOLLOWERS: {"automaticApproval": [followers]},
    }.get(quote, {"automaticApproval": [author]})
    can_reply = {
        ReplyPolicy.ANYONE: [ids.PUBLIC],
        ReplyPolicy.FOLLOWERS: [followers, *mentioned_actors(post)],
    }.get(post.reply_policy, [author, *mentioned_actors(post)])
    return {
        "canQuote": can_quote,
        "canReply": {"automaticApproval": can_reply},
    }


def _wrap(post: Post, *, kind: str, activity_id: str, published, obj) -> dict:
    to, cc = addressing(post)
    return {
        "@context": NOTE_CONTEXT,
        "id": activity_id,
        "type": kind,
        "actor": ids.actor_id(post.creator.handle),
        "published": _iso(published),
        "to": to,
        "cc": cc,
        "object": obj,
    }


def create_activity(
    post: Post,
    *,
    counts: selectors.NoteCounts | None = None,
    with_context: bool = True,
) -> dict:
    """`Create(Note)`: what followers' servers receive when the post goes out."""
    activity = _wrap(
        post,
        kind="Create",
        activity_id=create_id(post),
        published=post.published_at,
        obj=note_document(post, counts=counts, with_context=False),
    )
    if not with_context:
        del activity["@context"]
    return activity


def update_activity(post: Post) -> dict:
    """`Update(Note)` after an edit.

    The Note carries `updated`: Mastodon ignores an Update without it.
    """
    return _wrap(
        post,
        kind="Update",
        activity_id=update_id(post),
        published=post.edited_at,
        obj=note_document(post, with_context=False),
    )


def policy_update_activity(post: Post, *, stamp: int) -> dict:
    """`Update(Note)` after the quote or reply policy changed; `stamp` is
    the change's time in microseconds since the epoch, which names it."""
    moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=stamp)
    note = note_document(post, with_context=False)
    note["updated"] = _iso(moment)
    return _wrap(
        post,
        kind="Update",
        activity_id=f"{ids.note_id(post)}#policies/{stamp}",
        published=moment,
        obj=note,
    )


def quote_update_activity(post: Post, *, activity_id: str, moment) -> dict:
    """`Update(Note)` after the quoted author answered: the Note with or
    without its quote. Not an edit, so `updated` is when the answer came
    (peers ignore an Update without one)."""
    note = note_document(post, with_context=False)
    note["updated"] = _iso(moment)
    return _wrap(
        post, kind="Update", activity_id=activity_id, published=moment, obj=note
    )


def tombstone(post: Post) -> dict:
    return {"id": ids.note_id(post), "type": "Tombstone", "formerType": "Note"}


def delete_activity(post: Post) -> dict:
    """`Delete` of the Note, carrying a Tombstone, addressed as the Note was."""
    return _wrap(
        post,
        kind="Delete",
        activity_id=delete_id(post),
        published=post.deleted_at or post.updated_at,
        obj=tombstone(post),
    )


def featured_activity(post: Post, *, kind: str, stamp: int) -> dict:
    """`Add` or `Remove` of the Note in the featured collection (pin, unpin).

    Mastodon sends these to followers when someone pins; its followers' servers
    then show the pin without refetching the collection.
    """
    actor = ids.actor_id(post.creator.handle)
    fragment = "pins" if kind == "Add" else "unpins"
    return {
        "@context": AS_CONTEXT,
        "id": f"{ids.note_id(post)}#{fragment}/{stamp}",
        "type": kind,
        "actor": actor,
        "object": ids.note_id(post),
        "target": f"{actor}/collections/featured",
        "to": [ids.PUBLIC],
        "cc": [f"{actor}/followers"],
    }
