"""Finding and caching actors and servers elsewhere on the Fediverse.

Every document fetched here is checked before anything is stored: media
type, size (the client caps it), JSON shape, and that it describes itself
under the URL it was fetched from, so one server cannot plant actors or
keys for another.
"""

import functools
import json
import logging
import re
from datetime import timedelta
from urllib.parse import quote, urlsplit

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from analytics import services as analytics
from federation import queue
from federation.models import RemoteActor, RemoteInstance
from federation.protocol import client, ids, keys

logger = logging.getLogger(__name__)

ACTOR_TYPES = {"Person", "Service", "Group", "Organization", "Application"}
AS_CONTEXT = "https://www.w3.org/ns/activitystreams"
ACTOR_MAX_AGE = timedelta(days=1)
NODEINFO_MAX_AGE = timedelta(days=1)
_HANDLE = re.compile(r"^@?([A-Za-z0-9_.\-~]+)@([A-Za-z0-9.\-]+(?::\d{1,5})?)$")

# NodeInfo software names, mapped to the platforms analytics tells apart.
SOFTWARE_FAMILIES = {
    "mastodon": RemoteInstance.Software.MASTODON,
    "hometown": RemoteInstance.Software.MASTODON,
    "glitchsoc": RemoteInstance.Software.MASTODON,
    "threads": RemoteInstance.Software.THREADS,
    "misskey": RemoteInstance.Software.MISSKEY,
    "sharkey": RemoteInstance.Software.MISSKEY,
    "firefish": RemoteInstance.Software.MISSKEY,
    "iceshrimp": RemoteInstance.Software.MISSKEY,
    "cherrypick": RemoteInstance.Software.MISSKEY,
    "catodon": RemoteInstance.Software.MISSKEY,
    "pleroma": RemoteInstance.Software.PLEROMA,
    "akkoma": RemoteInstance.Software.PLEROMA,
    "pixelfed": RemoteInstance.Software.PIXELFED,
    "gotosocial": RemoteInstance.Software.GOTOSOCIAL,
}


class ResolveError(Exception):
    """A remote actor or document could not be found or is not acceptable."""


class ActorGone(ResolveError):
    """The remote server says the actor was deleted (410)."""


# Fetching JSON ------------------------------------------------------------------


def fetch_document(url: str, *, accept: str = client.AS2_ACCEPT, as2: bool = True):
    """(the JSON object at `url`, the URL it was finally read from), fetched
    through the outbound client signed by the instance actor; ActorGone on
    410, ResolveError on any other refusal or on what is not AS2 JSON."""
    response = client.get(url, accept=accept, signer=keys.instance_signer())
    if response.status == 410:
        raise ActorGone(f"{url} is gone")
    if not response.ok:
        raise ResolveError(f"{url} answered {response.status}")
    if as2 and not _is_as2(response):
        raise ResolveError(
            f"{url} is not ActivityPub JSON ({response.content_type or 'no type'})"
        )
    try:
        document = json.loads(response.body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ResolveError(f"{url} did not return valid JSON") from exc
    if not isinstance(document, dict):
        raise ResolveError(f"{url} did not return a JSON object")
    return document, response.url


def _is_as2(response: client.Response) -> bool:
    if response.content_type == "application/activity+json":
        return True
    full = response.headers.get("Content-Type", "")
    return response.content_type == "application/ld+json" and AS_CONTEXT in full


def host_of(url: str) -> str:
    return urlsplit(url).netloc.lower()


# Actors -------------------------------------------------------------------------


def fetch_actor(url: str, *, refresh: bool = False) -> RemoteActor:
    """The actor at `url`, from the cache when fresh, else fetched and checked."""
    url = url.split("#", 1)[0]
    cached = RemoteActor.objects.filter(ap_id=url).select_related("instance").first()
    if (
        cached is not None
        and not refresh
        and cached.gone_at is None
        and timezone.now() - cached.last_fetched_at < ACTOR_MAX_AGE
    ):
        return cached
    try:
        document, final_url = fetch_document(url)
    except ActorGone:
        if cached is not None:
            RemoteActor.objects.filter(pk=cached.pk).update(gone_at=timezone.now())
        raise
    document_id = document.get("id")
    if (
        isinstance(document_id, str)
        and document_id != url
        and host_of(document_id) == host_of(final_url)
    ):
        # A redirect to, or a fetch by, an alias: fetch the canonical id once.
        url = document_id
        document, final_url = fetch_document(url)
    return store_actor(document, fetched_from=final_url)


def fetch_actor_document(url: str) -> tuple[dict, RemoteActor]:
    """The actor document at `url`, fetched now (never from the cache: the
    fields a move is decided on, `alsoKnownAs` and `movedTo`, are not
    cached), checked and stored; with the stored actor."""
    url = url.split("#", 1)[0]
    document, final_url = fetch_document(url)
    document_id = document.get("id")
    if (
        isinstance(document_id, str)
        and document_id != url
        and host_of(document_id) == host_of(final_url)
    ):
        document, final_url = fetch_document(document_id)
    return document, store_actor(document, fetched_from=final_url)


def resolve_account(text: str) -> tuple[dict, RemoteActor]:
    """`@user@server` (WebFinger) or an actor or profile URL, fetched now."""
    text = text.strip()
    if text.startswith(("https://", "http://")):
        client.check_url(text)
        return fetch_actor_document(text)
    match = _HANDLE.match(text)
    if not match:
        raise ResolveError(
            f"{text!r} is neither an address like @user@server nor a link"
        )
    actor = resolve_handle(text)
    return fetch_actor_document(actor.ap_id)


def store_actor(document: dict, *, fetched_from: str) -> RemoteActor:
    """Validate an actor document fetched from `fetched_from` and cache it."""
    fields = parse_actor(document, fetched_from=fetched_from)
    domain = host_of(fields["ap_id"])
    # Some servers inline the followers collection, count and all: learnt
    # at no cost. Mastodon does not (refresh_followers_count asks).
    count = inline_followers_count(document)
    if count is not None:
        fields["followers_count"] = count
        fields["followers_count_at"] = timezone.now()
    with transaction.atomic():
        instance, created = RemoteInstance.objects.get_or_create(domain=domain)
        actor, _ = RemoteActor.objects.update_or_create(
            ap_id=fields.pop("ap_id"),
            defaults={
                **fields,
                "instance": instance,
                "last_fetched_at": timezone.now(),
                "gone_at": None,
            },
        )
    if created or _nodeinfo_is_stale(instance):
        transaction.on_commit(
            functools.partial(
                queue.wake, "federation.tasks.fetch_instance_info", domain
            )
        )
    return actor


def parse_actor(document: dict, *, fetched_from: str) -> dict:
    """The RemoteActor fields in an actor document, or ResolveError."""
    context = document.get("@context")
    contexts = context if isinstance(context, list) else [context]
    if AS_CONTEXT not in contexts:
        raise ResolveError("the document does not use the ActivityStreams context")
    ap_id = document.get("id")
    if not isinstance(ap_id, str) or host_of(ap_id) != host_of(fetched_from):
        raise ResolveError("the actor's id is not on the host it was fetched from")
    if not _is_actor(document):
        raise ResolveError(f"{document.get('type')!r} is not an actor type")
    username = document.get("preferredUsername")
    inbox = document.get("inbox")
    if not isinstance(username, str) or not username:
        raise ResolveError("the actor has no preferredUsername")
    if not isinstance(inbox, str):
        raise ResolveError("the actor has no inbox")
    key = document.get("publicKey")
    if isinstance(key, list):
        key = next((k for k in key if isinstance(k, dict)), None)
    if not isinstance(key, dict):
        raise ResolveError("the actor has no publicKey")
    if key.get("owner") != ap_id or not isinstance(key.get("id"), str):
        raise ResolveError("the actor's key is not owned by the actor")
    # Keys are looked up by id (actor_for_key): an actor may only publish
    # keys on its own host, or it could shadow another server's key.
    if host_of(key["id"]) != host_of(ap_id):
        raise ResolveError("the actor's key is not on the actor's host")
    if not isinstance(key.get("publicKeyPem"), str):
        raise ResolveError("the actor's key has no publicKeyPem")
    try:
        serialization.load_pem_public_key(key["publicKeyPem"].encode())
    except (ValueError, TypeError, UnsupportedAlgorithm):
        # Kept, it would fail every signature check the actor ever makes.
        raise ResolveError("the actor's publicKeyPem is not a public key") from None
    endpoints = document.get("endpoints")
    shared_inbox = endpoints.get("sharedInbox") if isinstance(endpoints, dict) else ""
    if not isinstance(shared_inbox, str):
        shared_inbox = ""
    for url in (inbox, shared_inbox):
        if url:
            client.check_url(url)
    return {
        "ap_id": ap_id,
        "actor_type": document["type"],
        "username": username[:255],
        "display_name": _text(document.get("name"))[:255],
        "inbox_url": inbox,
        "shared_inbox_url": shared_inbox,
        "profile_url": url_of(document.get("url")),
        "avatar_url": url_of(document.get("icon")),
        "followers_url": _followers_url(document.get("followers"))[:500],
        "public_key_id": key["id"],
        "public_key_pem": key["publicKeyPem"],
    }


def _followers_url(value) -> str:
    """The followers collection's URL: a string, or an inlined collection's id."""
    if isinstance(value, dict):
        value = value.get("id")
    return _text(value)


def _is_actor(document: dict) -> bool:
    kind = document.get("type")
    return isinstance(kind, str) and kind in ACTOR_TYPES


def _text(value) -> str:
    return value if isinstance(value, str) else ""


def url_of(value) -> str:
    """A URL from a string, a Link/Image object, or a list of them."""
    if isinstance(value, list):
        value = value[0] if value else ""
    if isinstance(value, dict):
        value = value.get("href") or value.get("url") or ""
        if isinstance(value, list | dict):
            return url_of(value)
    return value[:500] if isinstance(value, str) and value.startswith("http") else ""


# Follower counts ----------------------------------------------------------------

# The reach estimate adds the followers of those who boosted a post: how many
# follow a remote actor, as their server says. Asked at most once a day per
# actor (followers_count_at), on the fetch queue, never on a request.
FOLLOWERS_COUNT_MAX_AGE = timedelta(days=1)
# More than any account anywhere has: a larger number is made up.
FOLLOWERS_COUNT_MAX = 10**9
# A collection's first page, inlined, is a few kilobytes; the count needs
# none of it.
FOLLOWERS_COLLECTION_MAX_BYTES = 64 * 1024
FOLLOWERS_FETCH_SECONDS = 15
COLLECTION_TYPES = {"Collection", "OrderedCollection"}
# Answers meaning "not telling": the network is hidden, or authorized fetch
# refuses us. Recorded as unknown, asked again a day later.
REFUSALS = {401, 403, 404, 410}


def followers_count_of(collection, *, host: str) -> int | None:
    """A followers collection's totalItems, if it is a plausible count of a
    collection on `host`; None otherwise (absent, wrong type, negative,
    absurd, or the collection is another host's)."""
    if not isinstance(collection, dict):
        return None
    kind = collection.get("type")
    if not (isinstance(kind, str) and kind in COLLECTION_TYPES):
        return None
    collection_id = collection.get("id")
    if not isinstance(collection_id, str) or host_of(collection_id) != host.lower():
        return None
    total = collection.get("totalItems")
    # bool is an int to Python, not to JSON.
    if isinstance(total, bool) or not isinstance(total, int):
        return None
    if not 0 <= total <= FOLLOWERS_COUNT_MAX:
        return None
    return total


def inline_followers_count(document: dict) -> int | None:
    """The count in an actor document that inlines its followers
    collection (`"followers": {"id": ..., "totalItems": n}`), or None."""
    ap_id = document.get("id")
    if not isinstance(ap_id, str):
        return None
    return followers_count_of(document.get("followers"), host=host_of(ap_id))


def followers_count_is_fresh(actor: RemoteActor) -> bool:
    asked = actor.followers_count_at
    return asked is not None and timezone.now() - asked < FOLLOWERS_COUNT_MAX_AGE


class Untrusted(ResolveError):
    """An answer that cannot be believed: nothing is stored."""


def fetch_followers_count(actor: RemoteActor) -> int | None:
    """How many follow `actor`, read from its followers collection's
    totalItems: a number, or None when the server would not say (a hidden
    network: no totalItems, or 401/403). Untrusted for an answer that cannot
    be believed (not JSON, a made-up number, another host's collection);
    client errors (unreachable, too large) pass through.

    Signed by the instance actor: servers with authorized fetch refuse
    unsigned requests. One request, a few redirects at most, within
    FOLLOWERS_FETCH_SECONDS and FOLLOWERS_COLLECTION_MAX_BYTES.
    """
    host = host_of(actor.ap_id)
    url = actor.followers_url
    if not url:
        return None  # the actor publishes no followers collection
    if host_of(url) != host:
        raise Untrusted(f"{actor.ap_id}'s followers collection is on another host")
    try:
        with client.deadline(FOLLOWERS_FETCH_SECONDS):
            response = client.get(
                url,
                signer=keys.instance_signer(),
                max_bytes=FOLLOWERS_COLLECTION_MAX_BYTES,
            )
    except client.TooManyRedirects as exc:
        raise Untrusted(str(exc)) from exc
    if response.status in REFUSALS:
        return None
    if not response.ok:
        raise client.RemoteUnavailable(f"{url} answered {response.status}")
    if host_of(response.url) != host:
        raise Untrusted(f"{url} redirected to another host")
    if not _is_as2(response):
        raise Untrusted(f"{url} is not ActivityPub JSON")
    try:
        collection = json.loads(response.body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise Untrusted(f"{url} did not return valid JSON") from exc
    if not isinstance(collection, dict):
        raise Untrusted(f"{url} did not return a JSON object")
    if "totalItems" not in collection:
        return None  # Mastodon, for an account that hides its network
    count = followers_count_of(collection, host=host)
    if count is None:
        raise Untrusted(f"{url} is not a believable followers collection")
    return count


def refresh_followers_count(actor_uri: str) -> RemoteActor | None:
    """Learn how many follow the actor, unless known since less than a day
    (FOLLOWERS_COUNT_MAX_AGE) or the actor is unknown or gone. A number or a
    refusal is recorded with the time; an untrusted answer records nothing.
    """
    actor = RemoteActor.objects.filter(ap_id=actor_uri, gone_at__isnull=True).first()
    if actor is None or followers_count_is_fresh(actor):
        return actor
    count = fetch_followers_count(actor)
    RemoteActor.objects.filter(pk=actor.pk).update(
        followers_count=count, followers_count_at=timezone.now()
    )
    actor.refresh_from_db(fields=["followers_count", "followers_count_at"])
    logger.info(
        "%s has %s followers",
        actor_uri,
        "an unknown number of" if count is None else f"{count:,}",
    )
    return actor


# Handles ------------------------------------------------------------------------


def resolve_handle(handle: str) -> RemoteActor:
    """Find `@user@domain` by WebFinger, then fetch and cache its actor."""
    match = _HANDLE.match(handle.strip())
    if not match:
        raise ResolveError(f"{handle!r} is not a fediverse address like @user@server")
    username, domain = match.groups()
    if domain.lower() == settings.CREATORHUB_DOMAIN.lower():
        # One of ours: no WebFinger to ourselves, which would ask over https
        # when the hub is served over plain http (`make run`).
        actor_url = ids.actor_id(username.lower())
    else:
        actor_url = webfinger_actor_url(username, domain)
    actor = fetch_actor(actor_url)
    # An account on another host than its address names must be vouched for
    # by that host, as Mastodon checks.
    moved_elsewhere = host_of(actor.ap_id) != domain.lower()
    if moved_elsewhere and (
        webfinger_actor_url(actor.username, host_of(actor.ap_id)) != actor.ap_id
    ):
        raise ResolveError(f"{actor.ap_id} does not confirm the address {handle}")
    return actor


def webfinger_actor_url(username: str, domain: str) -> str:
    scheme = settings.FEDERATION_WEBFINGER_SCHEME
    resource = quote(f"acct:{username}@{domain}", safe=":@")
    url = f"{scheme}://{domain}/.well-known/webfinger?resource={resource}"
    document, _ = fetch_document(
        url, accept="application/jrd+json, application/json", as2=False
    )
    for link in document.get("links") or []:
        if (
            isinstance(link, dict)
            and link.get("rel") == "self"
            and isinstance(link.get("href"), str)
            and (
                link.get("type") == "application/activity+json"
                or AS_CONTEXT in str(link.get("type", ""))
            )
        ):
            return link["href"]
    raise ResolveError(f"{domain} has no ActivityPub actor for {username}")


# Keys ---------------------------------------------------------------------------


def actor_for_key(key_id: str, *, refresh: bool = False) -> RemoteActor:
    """The actor whose public key has this id, fetched when unknown.

    With `refresh`, the key is fetched again: the sender may have rotated it.
    """
    if not refresh:
        actor = (
            RemoteActor.objects.filter(public_key_id=key_id, gone_at__isnull=True)
            .select_related("instance")
            .first()
        )
        if actor is not None:
            return actor
    document, final_url = fetch_document(key_id.split("#", 1)[0])
    if _is_actor(document):
        actor = store_actor(document, fetched_from=final_url)
    else:
        # A key document (GoToSocial's /main-key): its owner is the actor.
        owner = document.get("owner")
        if not isinstance(owner, str) or host_of(owner) != host_of(key_id):
            raise ResolveError("the key has no owner on its own host")
        actor = fetch_actor(owner, refresh=True)
    if actor.public_key_id != key_id:
        raise ResolveError("the actor does not publish that key")
    return actor


# Instances ----------------------------------------------------------------------


def _nodeinfo_is_stale(instance: RemoteInstance) -> bool:
    fetched = instance.nodeinfo_fetched_at
    return fetched is None or timezone.now() - fetched > NODEINFO_MAX_AGE


def software_family(name: str) -> str:
    return SOFTWARE_FAMILIES.get(name.lower(), RemoteInstance.Software.OTHER)


def refresh_instance_info(domain: str) -> RemoteInstance:
    """Read the server's NodeInfo to learn its software and version."""
    instance, _ = RemoteInstance.objects.get_or_create(domain=domain)
    scheme = settings.FEDERATION_WEBFINGER_SCHEME
    index, _ = fetch_document(
        f"{scheme}://{domain}/.well-known/nodeinfo",
        accept="application/json",
        as2=False,
    )
    links = [
        link
        for link in index.get("links") or []
        if isinstance(link, dict) and isinstance(link.get("href"), str)
        and "nodeinfo.diaspora.software/ns/schema/2" in str(link.get("rel", ""))
    ]  # fmt: skip
    if not links:
        raise ResolveError(f"{domain} publishes no NodeInfo 2.x")
    href = sorted(links, key=lambda link: link["rel"])[-1]["href"]
    if host_of(href) != domain.lower():
        raise ResolveError("NodeInfo points at another host")
    document, _ = fetch_document(href, accept="application/json", as2=False)
    software = document.get("software") if isinstance(document, dict) else None
    name = software.get("name", "") if isinstance(software, dict) else ""
    version = software.get("version", "") if isinstance(software, dict) else ""
    instance.software_name = str(name)[:100]
    instance.software_version = str(version)[:100]
    instance.software = software_family(str(name))
    instance.nodeinfo_fetched_at = timezone.now()
    with transaction.atomic():
        instance.save(
            update_fields=[
                "software_name",
                "software_version",
                "software",
                "nodeinfo_fetched_at",
            ]
        )
        # What arrived before we knew moves from "other" to its platform.
        analytics.instance_software_learned(domain=domain, software=instance.software)
    logger.info(
        "%s runs %s %s", domain, instance.software_name, instance.software_version
    )
    return instance
