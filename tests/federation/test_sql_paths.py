"""PostgreSQL's own SQL and the portable path give the same counts.

Where PostgreSQL-only SQL is worth it (the inbox's batch lookups and
inserts, the rollup upserts, the partitions' advisory locks), the code
keeps a portable path that SQLite takes: plain filters, row-by-row inserts,
no locks. Both must count the same. This test runs one mixed day of
activity (likes, boosts, reactions, undos before and after what they undo,
re-sent duplicates, replies and a re-sent reply) through each path on the
same PostgreSQL database, for two creators alike in everything but names,
and compares what a creator would see: interactions, replies, rollups and
the markers kept for undos that came early.

The portable path is chosen as SQLite chooses it, by the connection's
`vendor`; nothing else is changed, and the SQLite pass runs the rest of the
suite on SQLite itself.
"""

from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from analytics.models import (
    CreatorDailyRollup,
    CreatorTotalRollup,
    Interaction,
    PlatformDailyRollup,
    PostDailyRollup,
    Reply,
)
from federation.models import EarlyCancellation, InboundActivity
from federation.protocol import ids
from posts.models import Post
from tests import factories
from tests.federation.inbox_support import Remote, process_queued

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="compares PostgreSQL's SQL with the portable path on one "
        "PostgreSQL database; the PostgreSQL pass runs it",
    ),
]

AS = "https://www.w3.org/ns/activitystreams"
PEOPLE = 24


def _published(creator, body: str) -> Post:
    return Post.objects.create(
        creator=creator,
        body=body,
        content_html=f"<p>{body}</p>",
        state=Post.State.PUBLISHED,
        published_at=timezone.now() - timedelta(hours=1),
    )


def _activity(person: Remote, kind: str, number: int, target) -> dict:
    return {
        "@context": AS,
        "id": f"{person.actor_id}#{kind.lower()}s/{number}",
        "type": kind,
        "actor": person.actor_id,
        "object": target,
    }


def _reply(person: Remote, number: int, post: Post) -> dict:
    note = f"{person.actor_id}/statuses/{number}"
    return {
        "@context": AS,
        "id": f"{note}/activity",
        "type": "Create",
        "actor": person.actor_id,
        "to": [f"{AS}#Public"],
        "object": {
            "id": note,
            "type": "Note",
            "attributedTo": person.actor_id,
            "inReplyTo": ids.note_id(post),
            "to": [f"{AS}#Public"],
            "content": f"<p>Reply number {number}</p>",
            "published": timezone.now().isoformat(),
        },
    }


def one_day(client, creator, server: str) -> list[dict]:
    """Store a mixed day of activity for `creator`, from people on `server`
    (and its neighbours), in the order the inbox received it."""
    first, second = _published(creator, "First"), _published(creator, "Second")
    people = [
        Remote(f"https://{server}{n % 3}.example/users/u{n}") for n in range(PEOPLE)
    ]
    day = []
    for n, person in enumerate(people):
        like = _activity(person, "Like", 1, ids.note_id(first))
        if n % 6 == 0:  # the Undo overtakes its Like
            day.append(_activity(person, "Undo", 1, like))
        day.append(like)
        if n % 4 == 0:  # re-sent: counted once
            day.append(like)
        if n % 5 == 0 and n % 6:  # changed their mind afterwards
            day.append(_activity(person, "Undo", 2, like))
        if n % 2:
            day.append(_activity(person, "Announce", 1, ids.note_id(second)))
        if n % 7 == 0:
            reaction = _activity(person, "EmojiReact", 1, ids.note_id(first))
            reaction["content"] = "🎉"
            day.append(reaction)
        if n % 3 == 0:
            reply = _reply(person, n, first if n % 2 else second)
            day.append(reply)
            if n % 9 == 0:
                day.append(reply)  # re-sent reply
    for activity in day:
        person = next(p for p in people if p.actor_id == activity["actor"])
        assert person.post(client, activity).status_code == 202
    return day


def what_the_creator_sees(creator) -> dict:
    posts = {post.pk: post.body for post in creator.posts.all()}

    def per_post(model):
        return sorted(
            (posts[row["post_id"]], *(row[f] for f in ("likes", "boosts", "replies")))
            for row in model.objects.filter(post__creator=creator).values()
        )

    totals = CreatorTotalRollup.objects.filter(creator=creator).values(
        "likes", "boosts", "reactions", "replies"
    )
    return {
        "interactions": Counter(
            (posts.get(post_id), kind)
            for post_id, kind in Interaction.objects.filter(
                creator=creator
            ).values_list("post_id", "kind")
        ),
        "replies": Counter(
            (posts[post_id], status)
            for post_id, status in Reply.objects.filter(
                post__creator=creator
            ).values_list("post_id", "status")
        ),
        "per post and day": per_post(PostDailyRollup),
        "per day": sorted(
            CreatorDailyRollup.objects.filter(creator=creator).values_list(
                "likes", "boosts", "reactions", "replies"
            )
        ),
        "per platform": sorted(
            PlatformDailyRollup.objects.filter(creator=creator).values_list(
                "software", "likes", "boosts", "reactions", "replies"
            )
        ),
        "totals": list(totals),
    }


def test_postgresql_sql_and_the_portable_path_count_alike(client, monkeypatch):
    sql = factories.CreatorFactory(handle="ana", user__username="ana")
    portable = factories.CreatorFactory(handle="bea", user__username="bea")

    one_day(client, sql, "pg")
    assert process_queued()
    with monkeypatch.context() as patch:
        patch.setattr(connection, "vendor", "sqlite")  # the path SQLite takes
        one_day(client, portable, "portable")
        assert process_queued()

    assert not InboundActivity.objects.filter(state=InboundActivity.State.QUEUED)
    seen = what_the_creator_sees(sql)
    assert seen == what_the_creator_sees(portable)
    # And what that is, so that two paths wrong alike cannot pass.
    likes = PEOPLE - PEOPLE // 6 - 4  # less early undos (4), later undos (4)
    assert seen["interactions"][("First", Interaction.Kind.LIKE)] == likes
    assert seen["interactions"][("Second", Interaction.Kind.BOOST)] == PEOPLE // 2
    assert seen["interactions"][("First", Interaction.Kind.REACTION)] == 4
    assert sum(seen["replies"].values()) == PEOPLE // 3
    assert seen["totals"] == [
        {"likes": likes, "boosts": PEOPLE // 2, "reactions": 4, "replies": 8}
    ]
    markers = Counter(
        EarlyCancellation.objects.values_list("actor_uri", flat=True)
    ).values()
    assert sorted(markers) == [1] * 8  # four early undos per creator
