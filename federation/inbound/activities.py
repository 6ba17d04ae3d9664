"""Reading stored activities: the shapes processing works with, the ids
and hosts in them, our own objects they name, and the actors behind them,
read once per batch. No state changes here but the actor cache's."""

import functools
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import BooleanField, ExpressionWrapper, Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from analytics.services import Author
from federation import queue
from federation.models import InboundActivity, RemoteActor, RemoteInstance
from federation.protocol import ids
from moderation import services as moderation
from posts.models import Post

State = InboundActivity.State
INTERACTION_TYPES = {"Like", "Announce", "EmojiReact"}
FETCH_INSTANCE_TASK = "federation.tasks.fetch_instance_info"


@dataclass
class Inbound:
    """One stored activity, as processing sees it."""

    pk: int
    ap_id: str
    type: str
    actor: str
    payload: dict
    attempts: int = 0


@dataclass(frozen=True)
class Outcome:
    state: str
    note: str = ""


DONE = Outcome(State.PROCESSED)


def ignored(note: str) -> Outcome:
    return Outcome(State.IGNORED, note)


# Reading activities ------------------------------------------------------------


def id_of(value) -> str:
    """The id of a reference: a string, or an object with an `id`."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and isinstance(value.get("id"), str):
        return value["id"]
    if isinstance(value, list) and len(value) == 1:
        return id_of(value[0])
    return ""


_PLAIN_HOST = re.compile(r"[A-Za-z0-9.\-]+(?::[0-9]+)?")


@functools.lru_cache(maxsize=65536)
def host_of(uri: str) -> str:
    """The host (and port) of a URL, lower case; "" if there is none.

    Asked for every activity, mostly about the same few actors: cached, and
    the usual `https://host/...` read directly (anything else goes through
    the standard parser).
    """
    scheme, sep, rest = uri.partition("://")
    if sep and scheme in ("https", "http"):
        netloc = rest.split("/", 1)[0]
        if _PLAIN_HOST.fullmatch(netloc):
            return netloc.lower()
    try:
        return urlsplit(uri).netloc.lower()
    except ValueError:
        return ""


def same_host(a: str, b: str) -> bool:
    return bool(a) and host_of(a) == host_of(b)


def as_list(value) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def parse_time(value, *, not_before: datetime | None = None) -> datetime | None:
    """A time a remote server claims, kept within what can be true: never
    in the future (it would sit on top of every list, and block later
    edits), never before `not_before` (a like older than its post)."""
    if not isinstance(value, str):
        return None
    try:
        moment = parse_datetime(value)
    except ValueError:
        return None
    if moment is None or timezone.is_naive(moment):
        return None
    moment = min(moment, timezone.now())
    if not_before is not None:
        moment = max(moment, not_before)
    return moment


# Our own objects ----------------------------------------------------------------

_HANDLE = re.compile(r"[A-Za-z0-9_]{1,30}")


def local_handle(uri: str) -> str | None:
    """The creator handle an actor URI of ours names, or None."""
    prefix = ids.absolute("/users/")
    if not uri.startswith(prefix):
        return None
    rest = uri[len(prefix) :]
    return rest.lower() if _HANDLE.fullmatch(rest) else None


def local_post_ref(uri: str) -> tuple[str, int] | None:
    """(handle, post pk) for one of our Note ids, or None."""
    prefix = ids.absolute("/users/")
    if not uri.startswith(prefix):
        return None
    handle, sep, pk = uri[len(prefix) :].partition("/statuses/")
    if not sep or not _HANDLE.fullmatch(handle) or not pk.isdigit() or len(pk) > 18:
        return None
    return handle.lower(), int(pk)


def local_posts(uris: Iterable[str]) -> dict[str, Post]:
    """Our posts (any state) by Note id; ids that name none are left out."""
    refs = {uri: ref for uri in set(uris) if (ref := local_post_ref(uri))}
    if not refs:
        return {}
    posts = Post.objects.filter(pk__in={pk for _, pk in refs.values()}).select_related(
        "creator"
    )
    by_pk = {post.pk: post for post in posts}
    found = {}
    for uri, (handle, pk) in refs.items():
        post = by_pk.get(pk)
        if post is not None and post.creator.handle == handle:
            found[uri] = post
    return found


def post_is_live(post: Post) -> bool:
    return post.state == Post.State.PUBLISHED


def among(queryset, field: str, values: Iterable[str]):
    """`queryset` filtered to rows whose text `field` is one of `values`.

    On PostgreSQL the values go as one JSON array that the server unpacks:
    one parameter however many values, where `__in` sends (and the server
    plans) one per value, and encoded by json.dumps in C where psycopg
    adapts a list element by element in Python. Batches look up thousands
    of ids this way.
    """
    values = list(values)
    if connection.vendor != "postgresql":
        return queryset.filter(**{f"{field}__in": values})
    column = queryset.model._meta.get_field(field).column
    table = queryset.model._meta.db_table
    return queryset.extra(  # noqa: S610 (names from the model; values bound)
        where=[
            f'"{table}"."{column}" = '
            "ANY(ARRAY(SELECT jsonb_array_elements_text(%s::jsonb)))"
        ],
        params=[json.dumps(values)],
    )


# Who did it -----------------------------------------------------------------------


class Actors:
    """The remote actors of a batch, read once, and what analytics keeps of
    them. Rows are read as values (a batch names hundreds); the model
    instances the one-by-one handlers need are loaded when asked for."""

    _FIELDS = (
        "ap_id", "username", "display_name", "avatar_url", "profile_url",
        "followers_url", "instance__domain", "instance__software",
        "instance__first_seen_at", "gone", "software_unknown",
    )  # fmt: skip

    def __init__(self, uris: Iterable[str]):
        rows = (
            among(RemoteActor.objects, "ap_id", set(uris))
            # Read as booleans, not times: loading a time costs more in
            # Python than the rest of a row.
            .annotate(
                gone=ExpressionWrapper(
                    Q(gone_at__isnull=False), output_field=BooleanField()
                ),
                software_unknown=ExpressionWrapper(
                    Q(instance__nodeinfo_fetched_at__isnull=True),
                    output_field=BooleanField(),
                ),
            )
            .values_list(*self._FIELDS, named=True)
        )
        self._rows = {row.ap_id: row for row in rows}
        self._authors: dict[str, Author] = {}
        self._ask_for_software()

    def get(self, uri: str) -> RemoteActor | None:
        if uri not in self._rows:
            return None
        return RemoteActor.objects.select_related("instance").filter(ap_id=uri).first()

    def is_gone(self, uri: str) -> bool:
        row = self._rows.get(uri)
        return row is not None and row.gone

    def followers_url(self, uri: str) -> str:
        row = self._rows.get(uri)
        return row.followers_url if row else ""

    def server_first_seen(self, uri: str) -> datetime | None:
        """When the actor's server was first heard of (screening holds
        replies from new servers); None if the actor is not known."""
        row = self._rows.get(uri)
        return row.instance__first_seen_at if row else None

    def author(self, uri: str) -> Author:
        author = self._authors.get(uri)
        if author is not None:
            return author
        row = self._rows.get(uri)
        if row is None:
            author = Author(actor_uri=uri, domain=host_of(uri))
        else:
            domain = row.instance__domain
            author = Author(
                actor_uri=uri,
                handle=f"@{row.username}@{domain}",
                name=row.display_name,
                avatar_url=row.avatar_url,
                profile_url=row.profile_url,
                domain=domain,
                software=row.instance__software or RemoteInstance.Software.OTHER,
            )
        self._authors[uri] = author
        return author

    def _ask_for_software(self) -> None:
        """Servers whose software is still unknown get a NodeInfo fetch, at
        most once an hour each (analytics groups by platform)."""
        domains = {
            row.instance__domain for row in self._rows.values() if row.software_unknown
        }
        for domain in domains:
            if cache.add(f"inbox:nodeinfo-asked:{domain}", 1, timeout=3600):
                transaction.on_commit(
                    functools.partial(queue.wake, FETCH_INSTANCE_TASK, domain)
                )


def blocked_hosts(uris: Iterable[str]) -> set[str]:
    """Hosts among `uris` that admins blocked."""
    return moderation.blocked_domains_among(host_of(uri) for uri in uris if uri)
