"""Interactions as the inbox records them, through analytics.services."""

import itertools
from datetime import UTC, datetime

import pytest

from analytics import services
from analytics.services import Author
from posts.models import Post

_ids = itertools.count(1)

# name -> (server, software)
PEOPLE = {
    "bob": ("mastodon.social", "mastodon"),
    "zoe": ("threads.net", "threads"),
    "kai": ("misskey.io", "misskey"),
    "ana": ("pixelfed.social", "pixelfed"),
    "max": ("mastodon.online", "mastodon"),
}


def author(name: str) -> Author:
    domain, software = PEOPLE.get(name, ("example.social", "other"))
    return Author(
        actor_uri=f"https://{domain}/users/{name}",
        handle=f"@{name}@{domain}",
        domain=domain,
        software=software,
    )


def at(text: str) -> datetime:
    """A UTC moment from "2025-03-10 23:30"."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def make_post(creator, *, published: str = "2025-03-01 12:00", **fields) -> Post:
    fields.setdefault("state", Post.State.PUBLISHED)
    return Post.objects.create(
        creator=creator, body="hello", published_at=at(published), **fields
    )


def record(creator, kind: str, who: str, *, post=None, when: str, emoji: str = ""):
    """One interaction by `who`, with a fresh activity id; the row or None."""
    return services.interaction_record(
        creator=creator,
        kind=kind,
        activity_id=f"https://{author(who).domain}/activities/{next(_ids)}",
        author=author(who),
        post=post,
        emoji=emoji,
        occurred_at=at(when),
    )


@pytest.fixture
def post(creator):
    return make_post(creator)
