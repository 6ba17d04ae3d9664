"""The URLs that name our actors and objects. Once published, never changed."""

from urllib.parse import quote

from django.conf import settings

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


def absolute(path: str) -> str:
    return f"{settings.CREATORHUB_SCHEME}://{settings.CREATORHUB_DOMAIN}{path}"


def actor_id(handle: str) -> str:
    return absolute(f"/users/{handle}")


def key_id(handle: str) -> str:
    return actor_id(handle) + "#main-key"


def instance_actor_id() -> str:
    return absolute("/actor")


def instance_key_id() -> str:
    return instance_actor_id() + "#main-key"


def shared_inbox() -> str:
    return absolute("/inbox")


def note_id(post) -> str:
    """A post's Note: `https://DOMAIN/users/<handle>/statuses/<pk>`."""
    return f"{actor_id(post.creator.handle)}/statuses/{post.pk}"


def tag_url(name: str) -> str:
    """The page listing public posts with the hashtag `name` (no '#')."""
    return absolute(f"/tags/{quote(name)}")
