"""Fixtures for moderation: replies as the inbox stores them, the people who
may (or may not) moderate them, and remote accounts."""

import itertools
from datetime import timedelta

import pytest
from django.utils import timezone

from analytics import services as analytics
from analytics.models import Reply
from federation.models import RemoteActor, RemoteInstance
from followers.models import Follow
from posts.models import Post
from tests import factories

_ids = itertools.count(1)


def published(creator, body="A post") -> Post:
    return Post.objects.create(
        creator=creator,
        body=body,
        content_html=f"<p>{body}</p>",
        state=Post.State.PUBLISHED,
        published_at=timezone.now() - timedelta(hours=1),
    )


def author(who="eve", domain="spam.example") -> analytics.Author:
    return analytics.Author(
        actor_uri=f"https://{domain}/users/{who}",
        handle=f"@{who}@{domain}",
        name=who.capitalize(),
        domain=domain,
    )


def make_reply(
    post,
    text="Nice!",
    *,
    who="eve",
    domain="spam.example",
    status=Reply.Status.VISIBLE,
    hold_reason="",
    attachments=(),
) -> Reply:
    """A reply stored (and counted) as the inbox stores it."""
    ap_id = f"https://{domain}/users/{who}/statuses/{next(_ids)}"
    note = analytics.NoteInput(
        ap_id=ap_id,
        url=ap_id,
        in_reply_to_uri=f"https://hub.test/users/{post.creator.handle}/statuses/{post.pk}",
        content=f"<p>{text}</p>",
        attachments=list(attachments),
    )
    return analytics.reply_store(
        creator=post.creator,
        post=post,
        note=note,
        author=author(who, domain),
        status=status,
        hold_reason=hold_reason,
    )


def remote_actor(who="eve", domain="spam.example", *, first_seen=None) -> RemoteActor:
    instance, _ = RemoteInstance.objects.get_or_create(
        domain=domain, defaults={"first_seen_at": first_seen or timezone.now()}
    )
    actor, _ = RemoteActor.objects.get_or_create(
        ap_id=f"https://{domain}/users/{who}",
        defaults={
            "instance": instance,
            "username": who,
            "inbox_url": f"https://{domain}/users/{who}/inbox",
            "shared_inbox_url": f"https://{domain}/inbox",
            "public_key_id": f"https://{domain}/users/{who}#main-key",
            "public_key_pem": "-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----\n",
        },
    )
    return actor


def make_follower(creator, who="eve", domain="spam.example") -> Follow:
    return Follow.objects.create(
        creator=creator,
        actor=remote_actor(who, domain),
        follow_activity_id=f"https://{domain}/{who}#follows/{next(_ids)}",
        state=Follow.State.ACCEPTED,
    )


@pytest.fixture
def post(creator):
    return published(creator, "Harbour at dusk")


@pytest.fixture
def analyst(creator):
    """An agency analyst with read access to `creator`."""
    return factories.agency_member_with_access(
        creator, role="analyst", may_manage_posts=False, username="analyst"
    )
