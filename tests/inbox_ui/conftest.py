"""Rows as the inbox stores them: remote people, their interactions and
replies (through analytics.services, as federation calls it), and follows."""

import itertools
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from analytics import services as analytics
from analytics.models import Interaction, Reply
from analytics.services import Author, NoteInput
from federation.models import RemoteActor, RemoteInstance
from followers.models import Follow
from posts.models import Post

_ids = itertools.count(1)

# Who is on which server and platform, as the inbox copies it.
PEOPLE = {
    "bob": ("mastodon.social", "mastodon", "Bob Builder"),
    "zoe": ("threads.net", "threads", "Zoë"),
    "kai": ("misskey.io", "misskey", "Kai 🌱"),
    "ana": ("pixelfed.social", "pixelfed", "Ana"),
    "max": ("gts.example", "gotosocial", "Max Mustermann"),
    "lou": ("akkoma.example", "pleroma", "Lou"),
}

NOW = timezone.now().replace(microsecond=0)


def person(username: str) -> dict:
    domain, software, name = PEOPLE.get(
        username, ("example.social", "other", username.title())
    )
    return {
        "actor_uri": f"https://{domain}/users/{username}",
        "actor_handle": f"@{username}@{domain}",
        "actor_name": name,
        "actor_profile_url": f"https://{domain}/@{username}",
        "instance_domain": domain,
        "software": software,
    }


def make_post(creator, body="Hello fediverse", *, ago=timedelta(days=1), **fields):
    published = NOW - ago
    fields.setdefault("state", Post.State.PUBLISHED)
    return Post.objects.create(
        creator=creator,
        body=body,
        content_html=f"<p>{body}</p>",
        published_at=published,
        created_at=published,
        **fields,
    )


def author(who: str) -> Author:
    details = person(who)
    return Author(
        actor_uri=details["actor_uri"],
        handle=details["actor_handle"],
        name=details["actor_name"],
        profile_url=details["actor_profile_url"],
        domain=details["instance_domain"],
        software=details["software"],
    )


def make_interaction(creator, kind, who="bob", *, post=None, at: datetime = NOW, **f):
    """An interaction recorded as the inbox records it, at time `at`."""
    domain = person(who)["instance_domain"]
    row = analytics.interaction_record(
        creator=creator,
        kind=kind,
        activity_id=f"https://{domain}/activities/{kind}/{next(_ids)}",
        author=author(who),
        post=post,
        occurred_at=at,
        **f,
    )
    Interaction.objects.filter(pk=row.pk).update(received_at=at)
    return row


_NOTE_FIELDS = {"summary", "sensitive", "visibility", "mentions", "attachments"}


def make_reply(creator, post, who="bob", text="Nice!", *, at=NOW, parent=None, **f):
    """A reply stored as the inbox stores it, received at `at`.

    `status` and `hold_reason` are moderation's verdict; `in_reply_to_uri`,
    `is_quote` and the Note fields say what the remote sent.
    """
    domain = person(who)["instance_domain"]
    ap_id = f"https://{domain}/users/{who}/statuses/{next(_ids)}"
    in_reply_to = parent.ap_id if parent else f"https://hub.test/statuses/{post.pk}"
    note = NoteInput(
        ap_id=ap_id,
        url=ap_id,
        in_reply_to_uri=f.pop("in_reply_to_uri", in_reply_to),
        content=f"<p>{text}</p>",
        published_at=at,
        is_quote=f.pop("is_quote", False),
        **{k: f.pop(k) for k in list(f) if k in _NOTE_FIELDS},
    )
    reply = analytics.reply_store(
        creator=creator, post=post, note=note, author=author(who), parent=parent, **f
    )
    Reply.objects.filter(pk=reply.pk).update(received_at=at)
    reply.refresh_from_db()
    return reply


def make_follow(creator, who="bob", *, state=Follow.State.ACCEPTED, at=NOW):
    details = person(who)
    domain = details["instance_domain"]
    instance, _ = RemoteInstance.objects.get_or_create(
        domain=domain, defaults={"software": details["software"]}
    )
    actor, _ = RemoteActor.objects.get_or_create(
        ap_id=details["actor_uri"],
        defaults={
            "instance": instance,
            "username": who,
            "display_name": details["actor_name"],
            "inbox_url": f"https://{domain}/users/{who}/inbox",
            "shared_inbox_url": f"https://{domain}/inbox",
            "profile_url": details["actor_profile_url"],
            "public_key_id": f"https://{domain}/users/{who}#main-key",
            "public_key_pem": "-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----\n",
        },
    )
    return Follow.objects.create(
        creator=creator,
        actor=actor,
        follow_activity_id=f"https://{domain}/{who}#follows/{next(_ids)}",
        state=state,
        created_at=at,
        accepted_at=at if state == Follow.State.ACCEPTED else None,
    )


@pytest.fixture
def post(creator):
    return make_post(creator, "My new mural is up")
