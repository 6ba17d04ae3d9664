"""The live inbox end to end: signed POSTs → PostgreSQL → a real worker.

Remote actors (keys the test holds) POST likes, boosts, replies, an undo
and re-deliveries to the live server's inboxes over real HTTP, as servers
do; each is stored before its 202, and the real `celery worker`, woken
through the broker, processes what was stored.
Every activity must end processed exactly once: one row per id, each
counted once, the undone like gone. (Follows, which send an Accept, are
left to the unit tests: their deliveries would keep the worker busy past
the test.)
"""

import pytest
from django.utils import timezone

from analytics.models import Interaction, Reply
from creatorhub.celery import app as celery_app
from federation.models import InboundActivity
from federation.protocol import ids
from posts.models import Post
from tests.federation.inbox_support import Remote, fixture, our_values
from tests.worker import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

Kind = Interaction.Kind


def test_activities_posted_to_the_live_inbox_are_processed_exactly_once(
    live_server, celery_worker_process
):
    # Ids stay https://hub.test/...: the worker process reads the same
    # settings. The live server answers on localhost, which it allows.
    from tests import factories

    creator = factories.CreatorFactory(handle="alice", user__username="alice")
    posts = [
        Post.objects.create(
            creator=creator,
            body=f"post {n}",
            state=Post.State.PUBLISHED,
            published_at=timezone.now(),
        )
        for n in range(3)
    ]
    people = [Remote(f"https://s{n}.example/users/u{n}") for n in range(6)]
    values = our_values(creator)
    sent = []
    for index, person in enumerate(people):
        actor = person.actor_id
        for number, post in enumerate(posts):
            note = ids.note_id(post)
            sent.append(
                (person, {**_like(actor, note), "id": f"{actor}#likes/{number}"})
            )
            sent.append((person, _boost(actor, note, number)))
        reply = fixture("mastodon/create_reply", **values, POST=ids.note_id(posts[0]))
        note_id = f"{actor}/statuses/reply"
        reply["id"] = f"{note_id}/activity"
        reply["actor"] = actor
        reply["object"] |= {"id": note_id, "attributedTo": actor}
        sent.append((person, reply))
        if index == 0:  # changes their mind about one like
            undone = sent[0][1]
            sent.append(
                (
                    person,
                    {
                        "id": f"{actor}#likes/0/undo",
                        "type": "Undo",
                        "actor": actor,
                        "object": undone,
                    },
                )
            )
    shared = f"{live_server.url}/inbox"
    personal = f"{live_server.url}/users/alice/inbox"
    for number, (person, activity) in enumerate(sent):
        url = personal if number % 2 else shared
        assert person.post_over_http(url, activity).status_code == 202
    for person, activity in sent[:10]:  # servers retry
        assert person.post_over_http(shared, activity).status_code == 202

    distinct = {activity["id"] for _, activity in sent}

    def all_processed():
        """every activity stored and processed by the worker"""
        return InboundActivity.objects.filter(
            state=InboundActivity.State.PROCESSED
        ).count() == len(distinct)

    wait_for(all_processed, timeout=60)

    assert InboundActivity.objects.count() == len(distinct)
    assert Interaction.objects.filter(kind=Kind.LIKE).count() == 6 * 3 - 1
    assert Interaction.objects.filter(kind=Kind.BOOST).count() == 6 * 3
    assert Reply.objects.count() == 6
    assert Interaction.objects.filter(kind=Kind.REPLY).count() == 6
    assert celery_worker_process.poll() is None

    def worker_idle():
        """the worker done with every task (tests after this one flush the
        database it writes to)"""
        active = celery_app.control.inspect(timeout=1).active() or {}
        return all(not tasks for tasks in active.values())

    wait_for(worker_idle, timeout=30)


def _like(actor: str, note: str) -> dict:
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "type": "Like",
        "actor": actor,
        "object": note,
    }


def _boost(actor: str, note: str, number: int) -> dict:
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{actor}/statuses/{number}/activity",
        "type": "Announce",
        "actor": actor,
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "object": note,
    }
