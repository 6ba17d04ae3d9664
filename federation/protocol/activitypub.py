"""ActivityPub documents we serve, built from plain values: no HTTP, no writes.

Field by field, these follow what Mastodon reads of an actor and a Note.
"""

from django.conf import settings
from django.utils.html import escape, linebreaks, urlize
from django.utils.safestring import mark_safe

from accounts.models import CreatorProfile
from federation.protocol import ids

AS_CONTEXT = "https://www.w3.org/ns/activitystreams"
SECURITY_CONTEXT = "https://w3id.org/security/v1"
# The extension terms Mastodon's own actors declare; peers resolve these
# names through this map, not through a remote context document.
ACTOR_CONTEXT = [
    AS_CONTEXT,
    SECURITY_CONTEXT,
    {
        "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
        "toot": "http://joinmastodon.org/ns#",
        "featured": {"@id": "toot:featured", "@type": "@id"},
        "featuredTags": {"@id": "toot:featuredTags", "@type": "@id"},
        "alsoKnownAs": {"@id": "as:alsoKnownAs", "@type": "@id"},
        "movedTo": {"@id": "as:movedTo", "@type": "@id"},
        "discoverable": "toot:discoverable",
        "indexable": "toot:indexable",
        "schema": "http://schema.org#",
        "PropertyValue": "schema:PropertyValue",
        "value": "schema:value",
        # FEP-2c59, as https://purl.archive.org/socialweb/webfinger defines
        # it, written out so that no peer has to fetch that context.
        "wf": "https://purl.archive.org/socialweb/webfinger#",
        "webfinger": {
            "@id": "wf:webfinger",
            "@type": "http://www.w3.org/2001/XMLSchema#string",
        },
    },
]

IMAGE_MEDIA_TYPES = {
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "gif": "image/gif",
    "webp": "image/webp",
}


def _iso(moment) -> str:
    return moment.replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _image(field) -> dict | None:
    if not field:
        return None
    extension = field.name.rsplit(".", 1)[-1].lower()
    return {
        "type": "Image",
        "mediaType": IMAGE_MEDIA_TYPES.get(extension, "image/jpeg"),
        "url": ids.absolute(field.url),
    }


def bio_html(creator: CreatorProfile) -> str:
    """The bio as safe HTML: escaped, links made clickable, paragraphs kept."""
    if not creator.bio:
        return ""
    # Safe: every character of the bio is escaped before markup is added.
    return mark_safe(linebreaks(urlize(escape(creator.bio), nofollow=True)))  # noqa: S308


def profile_link_value(url: str) -> str:
    """A profile link as Mastodon renders one: a rel="me" anchor."""
    shown = url.split("://", 1)[-1].rstrip("/")
    return (
        f'<a href="{escape(url)}" target="_blank" rel="nofollow noopener me">'
        f"{escape(shown)}</a>"
    )


def webfinger_address(creator: CreatorProfile) -> str:
    """`acct:<handle>@<domain>`, the subject WebFinger answers with."""
    return f"acct:{creator.handle}@{settings.CREATORHUB_DOMAIN}"


def profile_url(creator: CreatorProfile) -> str:
    return ids.absolute(f"/@{creator.handle}")


def actor_document(
    creator: CreatorProfile, *, public_key_pem: str, links: list | None = None
) -> dict:
    """The creator's `Person`, as every peer expects to find it."""
    actor = ids.actor_id(creator.handle)
    links = links if links is not None else list(creator.links.all())
    document = {
        "@context": ACTOR_CONTEXT,
        "id": actor,
        "type": "Person",
        "preferredUsername": creator.handle,
        # FEP-2c59: the address WebFinger answers for (its `self` link is
        # this actor's id); Mastodon 4.6 takes it over preferredUsername@host.
        "webfinger": webfinger_address(creator),
        "name": creator.display_name or creator.handle,
        "summary": bio_html(creator),
        "url": profile_url(creator),
        "inbox": f"{actor}/inbox",
        "outbox": f"{actor}/outbox",
        "followers": f"{actor}/followers",
        "following": f"{actor}/following",
        "featured": f"{actor}/collections/featured",
        "endpoints": {"sharedInbox": ids.shared_inbox()},
        "manuallyApprovesFollowers": creator.approve_followers_manually,
        "discoverable": True,
        "indexable": True,
        "published": _iso(creator.created_at),
        "publicKey": {
            "id": ids.key_id(creator.handle),
            "owner": actor,
            "publicKeyPem": public_key_pem,
        },
        "attachment": [
            {
                "type": "PropertyValue",
                "name": link.label,
                "value": profile_link_value(link.url),
            }
            for link in links
        ],
        # Accounts the creator had before (accounts.moves): their servers'
        # `Move` to this actor is accepted only if it names them.
        "alsoKnownAs": [alias.uri for alias in creator.aliases.all()],
        "tag": [],
    }
    if creator.moved_to_uri:
        document["movedTo"] = creator.moved_to_uri
    for name, field in (("icon", creator.avatar), ("image", creator.header)):
        image = _image(field)
        if image:
            document[name] = image
    return document


def instance_actor_document(*, public_key_pem: str) -> dict:
    """The instance's own actor: it signs fetches no creator is behind."""
    actor = ids.instance_actor_id()
    domain = settings.CREATORHUB_DOMAIN
    return {
        "@context": ACTOR_CONTEXT,
        "id": actor,
        "type": "Application",
        "preferredUsername": domain.split(":")[0],
        "name": settings.CREATORHUB_NAME,
        "summary": "The server itself. It follows no one and posts nothing.",
        "url": ids.absolute("/"),
        # What is sent to the instance actor (a report's answer) arrives at
        # the shared inbox; it posts nothing, so its outbox is empty.
        "inbox": ids.shared_inbox(),
        "outbox": f"{actor}/outbox",
        "endpoints": {"sharedInbox": ids.shared_inbox()},
        "manuallyApprovesFollowers": True,
        "discoverable": False,
        "indexable": False,
        "publicKey": {
            "id": ids.instance_key_id(),
            "owner": actor,
            "publicKeyPem": public_key_pem,
        },
    }


def tombstone(object_id: str, *, former_type: str = "Person") -> dict:
    return {
        "@context": AS_CONTEXT,
        "id": object_id,
        "type": "Tombstone",
        "formerType": former_type,
    }


def delete_actor_activity(creator: CreatorProfile, *, activity_id: str) -> dict:
    """`Delete` of the creator's actor, so remote servers drop their copies."""
    actor = ids.actor_id(creator.handle)
    return {
        "@context": AS_CONTEXT,
        "id": activity_id,
        "type": "Delete",
        "actor": actor,
        "object": actor,
        "to": [ids.PUBLIC],
    }


def update_actor_activity(actor_document_: dict, *, activity_id: str) -> dict:
    """`Update` of an actor, sent after a profile change or a key rotation."""
    return {
        "@context": ACTOR_CONTEXT,
        "id": activity_id,
        "type": "Update",
        "actor": actor_document_["id"],
        "object": actor_document_,
        "to": [ids.PUBLIC],
    }


def ordered_collection(
    collection_id: str, *, total: int, first: str | None, last: str | None = None
) -> dict:
    document = {
        "@context": AS_CONTEXT,
        "id": collection_id,
        "type": "OrderedCollection",
        "totalItems": total,
    }
    if first is not None:
        document["first"] = first
    if last is not None:
        document["last"] = last
    return document


def ordered_collection_page(
    page_id: str,
    *,
    part_of: str,
    items: list,
    next_page: str | None = None,
    prev_page: str | None = None,
) -> dict:
    document = {
        "@context": AS_CONTEXT,
        "id": page_id,
        "type": "OrderedCollectionPage",
        "partOf": part_of,
        "orderedItems": items,
    }
    if next_page:
        document["next"] = next_page
    if prev_page:
        document["prev"] = prev_page
    return document
