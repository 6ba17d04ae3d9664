"""How many follow the people who boost a creator's post: learnt from their
servers, once a day at most, and believed only when plausible; the reach
estimate adds them.

The counts come from a one-off server on loopback (pytest-httpserver)
through our own client, signed by the instance actor, as from Mastodon.
"""

import functools
import json
import uuid
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from analytics import insights
from federation.inbound import process_interactions
from federation.models import Delivery, OutboundActivity, RemoteActor, RemoteInstance
from federation.protocol import remote
from federation.tasks import fetch_followers_count
from followers.models import Follow
from posts.models import Post
from tests.federation.inbox_support import (
    Remote,
    fixture,
    our_values,
    process_queued,
    reset_request_caches,
)
from tests.federation.peer import mastodon_actor_document, new_key_pair

AS2 = "application/activity+json"
AS_CONTEXT = "https://www.w3.org/ns/activitystreams"


@pytest.fixture
def server(db, loopback, httpserver):
    """A one-off server whose /users/bob/followers is what the test makes it."""
    return httpserver


def bob(server, **fields) -> RemoteActor:
    base = server.url_for("").rstrip("/")
    instance, _ = RemoteInstance.objects.get_or_create(
        domain=f"localhost:{server.port}"
    )
    fields.setdefault("followers_url", f"{base}/users/bob/followers")
    return RemoteActor.objects.create(
        ap_id=f"{base}/users/bob",
        instance=instance,
        username="bob",
        inbox_url=f"{base}/users/bob/inbox",
        public_key_id=f"{base}/users/bob#main-key",
        public_key_pem="-",
        **fields,
    )


def mastodon_followers(server, total=1234, **changes) -> dict:
    """Bob's followers collection as Mastodon 4.3 serves it."""
    url = server.url_for("/users/bob/followers")
    collection = {
        "@context": AS_CONTEXT,
        "id": url,
        "type": "OrderedCollection",
        "totalItems": total,
        "first": f"{url}?page=1",
    }
    return collection | changes


def serve(server, body, *, status=200, content_type=AS2):
    if not isinstance(body, bytes):
        body = json.dumps(body).encode()
    server.clear_all_handlers()
    server.expect_request("/users/bob/followers").respond_with_data(
        body, status=status, content_type=content_type
    )


def learnt(actor) -> tuple:
    actor.refresh_from_db()
    return actor.followers_count, actor.followers_count_at is not None


# Learning the count -------------------------------------------------------------


def test_the_count_is_the_followers_collections_total_signed_for(server):
    actor = bob(server)
    serve(server, mastodon_followers(server, 1234))

    fetch_followers_count(actor.ap_id)

    assert learnt(actor) == (1234, True)
    [(request, _)] = server.log
    # Signed by the instance actor: authorized fetch refuses unsigned GETs.
    assert "keyId=" in request.headers["Signature"]
    assert "application/activity+json" in request.headers["Accept"]


def test_asked_once_a_day_at_most(server):
    actor = bob(server)
    serve(server, mastodon_followers(server, 10))
    fetch_followers_count(actor.ap_id)
    serve(server, mastodon_followers(server, 11))

    fetch_followers_count(actor.ap_id)  # the same day: not asked
    assert learnt(actor) == (10, True)
    assert len(server.log) == 1

    RemoteActor.objects.filter(pk=actor.pk).update(
        followers_count_at=timezone.now() - timedelta(hours=25)
    )
    fetch_followers_count(actor.ap_id)
    assert learnt(actor) == (11, True)
    assert len(server.log) == 2


@pytest.mark.parametrize(
    "answer",
    [
        # Mastodon, for an account that hides its network: no totalItems.
        pytest.param({"status": 200, "drop_total": True}, id="no-totalItems"),
        pytest.param({"status": 403}, id="forbidden"),
        pytest.param({"status": 401}, id="unauthorized"),
        pytest.param({"status": 404}, id="not-found"),
    ],
)
def test_a_hidden_network_is_recorded_unknown_and_not_asked_again_that_day(
    server, answer
):
    actor = bob(server, followers_count=50)
    collection = mastodon_followers(server)
    if answer.get("drop_total"):
        collection.pop("totalItems")
    serve(server, collection, status=answer["status"])

    fetch_followers_count(actor.ap_id)
    fetch_followers_count(actor.ap_id)

    assert learnt(actor) == (None, True)  # the old count is not kept
    assert len(server.log) == 1


def test_an_actor_without_a_followers_collection_is_recorded_unknown(server):
    actor = bob(server, followers_url="")
    fetch_followers_count(actor.ap_id)
    assert learnt(actor) == (None, True)
    assert server.log == []


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        pytest.param(b"<html>1234</html>", AS2, id="not-json"),
        pytest.param(b"[1234]", AS2, id="json-array"),
        pytest.param(None, "text/html", id="text-html"),
        pytest.param(None, "application/json", id="plain-json"),
        pytest.param({"totalItems": -5}, AS2, id="negative"),
        pytest.param({"totalItems": 10**9 + 1}, AS2, id="absurd"),
        pytest.param({"totalItems": "1234"}, AS2, id="a-string"),
        pytest.param({"totalItems": True}, AS2, id="a-boolean"),
        pytest.param({"totalItems": 12.5}, AS2, id="a-fraction"),
        pytest.param({"totalItems": None}, AS2, id="null"),
        pytest.param({"type": "Person"}, AS2, id="not-a-collection"),
        pytest.param({"id": "https://elsewhere.example/users/bob/followers"}, AS2,
                     id="id-on-another-host"),
        pytest.param({"id": None}, AS2, id="no-id"),
    ],
)  # fmt: skip
def test_an_answer_that_cannot_be_believed_stores_nothing(server, body, content_type):
    actor = bob(server)
    if body is None or isinstance(body, dict):
        body = mastodon_followers(server, **(body or {}))
    serve(server, body, content_type=content_type)

    fetch_followers_count(actor.ap_id)  # logged, not raised

    assert learnt(actor) == (None, False)
    assert len(server.log) == 1


def test_a_huge_answer_is_cut_off_and_stores_nothing(server):
    actor = bob(server)
    collection = mastodon_followers(server, orderedItems=["x" * 1000] * 100)
    serve(server, collection)
    fetch_followers_count(actor.ap_id)
    assert learnt(actor) == (None, False)


def test_a_redirect_to_another_host_stores_nothing(server):
    actor = bob(server)
    elsewhere = f"http://127.0.0.1:{server.port}/followers"
    server.expect_request("/users/bob/followers").respond_with_data(
        "", status=302, headers={"Location": elsewhere}
    )
    server.expect_request("/followers").respond_with_json(
        mastodon_followers(server, 5), content_type=AS2
    )
    fetch_followers_count(actor.ap_id)
    assert learnt(actor) == (None, False)


def test_a_followers_collection_on_another_host_is_not_fetched(server):
    actor = bob(server, followers_url="http://127.0.0.1:9/users/bob/followers")
    fetch_followers_count(actor.ap_id)
    assert learnt(actor) == (None, False)
    assert server.log == []


def test_a_gone_or_unknown_actor_is_not_asked(server):
    actor = bob(server, gone_at=timezone.now())
    fetch_followers_count(actor.ap_id)
    fetch_followers_count("http://localhost:1/users/nobody")
    assert learnt(actor) == (None, False)
    assert server.log == []


def test_an_actor_document_inlining_its_count_is_read_at_no_cost(server):
    base = server.url_for("").rstrip("/")
    document = mastodon_actor_document(base, "bob", new_key_pair()[1])
    document["followers"] = {
        "id": f"{base}/users/bob/followers",
        "type": "OrderedCollection",
        "totalItems": 321,
    }

    actor = remote.store_actor(document, fetched_from=document["id"])

    assert (actor.followers_count, actor.followers_url) == (
        321,
        f"{base}/users/bob/followers",
    )
    fetch_followers_count(actor.ap_id)  # known since a moment: not asked
    assert server.log == []

    # Mastodon's shape (a link, no count) keeps what was learnt.
    document["followers"] = f"{base}/users/bob/followers"
    assert (
        remote.store_actor(document, fetched_from=document["id"]).followers_count == 321
    )


@pytest.mark.parametrize(
    "followers",
    [
        {"id": "https://elsewhere.example/f", "type": "Collection", "totalItems": 9},
        {"type": "Collection", "totalItems": -1},
        {"type": "Collection", "totalItems": "9"},
    ],
    ids=["another-host", "negative", "a-string"],
)
def test_an_inlined_count_that_cannot_be_believed_is_ignored(server, followers):
    base = server.url_for("").rstrip("/")
    document = mastodon_actor_document(base, "bob", new_key_pair()[1])
    followers.setdefault("id", f"{base}/users/bob/followers")
    document["followers"] = followers
    actor = remote.store_actor(document, fetched_from=document["id"])
    assert (actor.followers_count, actor.followers_count_at) == (None, None)


# Queued when a boost is processed ----------------------------------------------


BOOSTER = "https://mastodon.example/users/bob"


@pytest.fixture
def booster(db):
    reset_request_caches()
    cache.delete(f"inbox:followers-count-asked:{BOOSTER}")
    yield Remote(BOOSTER)
    cache.delete(f"inbox:followers-count-asked:{BOOSTER}")
    reset_request_caches()


def published(creator, body="A post") -> Post:
    return Post.objects.create(
        creator=creator,
        body=body,
        content_html=f"<p>{body}</p>",
        state=Post.State.PUBLISHED,
        published_at=timezone.now() - timedelta(hours=1),
    )


def asked(callbacks) -> list[str]:
    """The actors whose follower count the committed batch asked for."""
    return [
        callback.args[1]
        for callback in callbacks
        if isinstance(callback, functools.partial)
        and callback.args[:1] == (process_interactions.FETCH_FOLLOWERS_COUNT_TASK,)
    ]


def send(client, booster, name, creator, post, n):
    activity = fixture(name, **our_values(creator, post, post)) | {
        "id": f"{BOOSTER}/statuses/{n}/activity"
    }
    assert booster.post(client, activity).status_code == 202


def test_a_boost_asks_for_the_boosters_count_once_a_day(
    client, creator, booster, django_capture_on_commit_callbacks
):
    first, second, third = (published(creator, f"Post {n}") for n in range(3))
    # Two boosts by the same person in one batch: asked once.
    send(client, booster, "mastodon/announce", creator, first, 1)
    send(client, booster, "mastodon/announce", creator, second, 2)
    with django_capture_on_commit_callbacks() as callbacks:
        process_queued()
    assert asked(callbacks) == [BOOSTER]

    # Another boost the same day, the fetch not done yet: not asked again.
    send(client, booster, "mastodon/announce", creator, third, 3)
    with django_capture_on_commit_callbacks() as again:
        process_queued()
    assert asked(again) == []


def test_a_booster_whose_count_is_fresh_is_not_asked(
    client, creator, booster, django_capture_on_commit_callbacks
):
    RemoteActor.objects.filter(ap_id=BOOSTER).update(
        followers_count=7, followers_count_at=timezone.now() - timedelta(hours=2)
    )
    send(client, booster, "mastodon/announce", creator, published(creator), 1)
    with django_capture_on_commit_callbacks() as callbacks:
        process_queued()
    assert asked(callbacks) == []


def test_a_like_does_not_ask(
    client, creator, booster, django_capture_on_commit_callbacks
):
    send(client, booster, "mastodon/like", creator, published(creator), 1)
    with django_capture_on_commit_callbacks() as callbacks:
        process_queued()
    assert asked(callbacks) == []


def test_a_servers_boosters_are_asked_about_a_few_an_hour(
    client, creator, monkeypatch, django_capture_on_commit_callbacks
):
    """A viral post's boosters are mostly on a few big servers: beyond the
    hour's budget a server's boosters wait (they are asked on a later
    boost); another server's are asked as usual."""
    monkeypatch.setattr(process_interactions, "FOLLOWERS_COUNT_ASKS_PER_SERVER_HOUR", 2)
    busy = f"s{uuid.uuid4().hex[:10]}.example"
    quiet = f"q{uuid.uuid4().hex[:10]}.example"
    people = [Remote(f"https://{busy}/users/u{n}") for n in range(4)]
    people.append(Remote(f"https://{quiet}/users/carol"))
    post = published(creator)
    for number, person in enumerate(people):
        activity = fixture("mastodon/announce", **our_values(creator, post, post))
        activity |= {
            "id": f"{person.actor_id}/statuses/{number}/activity",
            "actor": person.actor_id,
        }
        assert person.post(client, activity).status_code == 202

    with django_capture_on_commit_callbacks() as callbacks:
        process_queued()

    asked_now = asked(callbacks)
    assert len([uri for uri in asked_now if busy in uri]) == 2
    assert f"https://{quiet}/users/carol" in asked_now
    # Those left out were not marked as asked: a later boost may ask.
    left_out = [p.actor_id for p in people[:4] if p.actor_id not in asked_now]
    assert all(
        cache.get(f"inbox:followers-count-asked:{uri}") is None for uri in left_out
    )


def test_the_fetch_runs_on_the_fetch_queue():
    from creatorhub.celery import app

    route = app.amqp.router.route({}, process_interactions.FETCH_FOLLOWERS_COUNT_TASK)
    assert route["queue"].name == "fetch"


# The reach estimate adds them ---------------------------------------------------


def _follower(creator, name, domain) -> None:
    instance, _ = RemoteInstance.objects.get_or_create(domain=domain)
    actor = RemoteActor.objects.create(
        ap_id=f"https://{domain}/users/{name}",
        instance=instance,
        username=name,
        inbox_url=f"https://{domain}/users/{name}/inbox",
        public_key_id=f"https://{domain}/users/{name}#main-key",
        public_key_pem="-",
    )
    Follow.objects.create(
        creator=creator,
        actor=actor,
        follow_activity_id=f"https://{domain}/follows/{name}",
        state=Follow.State.ACCEPTED,
    )


def _boosted(post, who: str, *, followers: int | None, asked=True) -> None:
    from analytics import services

    domain = "boost.example"
    uri = f"https://{domain}/users/{who}"
    instance, _ = RemoteInstance.objects.get_or_create(domain=domain)
    RemoteActor.objects.get_or_create(
        ap_id=uri,
        defaults={
            "instance": instance,
            "username": who,
            "inbox_url": f"{uri}/inbox",
            "public_key_id": f"{uri}#main-key",
            "public_key_pem": "-",
            "followers_count": followers,
            "followers_count_at": timezone.now() if asked else None,
        },
    )
    services.interaction_record(
        creator=post.creator,
        kind="boost",
        activity_id=f"{uri}/boosts/{post.pk}",
        author=services.Author(actor_uri=uri, domain=domain, software="mastodon"),
        post=post,
        occurred_at=timezone.now(),
    )


def _delivered(post, *hosts) -> None:
    activity = OutboundActivity.objects.create(
        ap_id=f"https://hub.example/posts/{post.pk}/activity",
        creator=post.creator,
        post=post,
        activity_type="Create",
        payload={},
    )
    for host in hosts:
        Delivery.objects.create(
            activity=activity,
            inbox_url=f"https://{host}/inbox",
            host=host,
            state=Delivery.State.DELIVERED,
        )


def test_reach_adds_the_known_followers_of_those_who_boosted(creator):
    for n in range(3):
        _follower(creator, f"m{n}", "mastodon.social")
    post = published(creator)
    _delivered(post, "mastodon.social")
    _boosted(post, "ana", followers=1200)
    _boosted(post, "kai", followers=None)  # a hidden network

    reach = insights.post_reach(post=post)

    assert (reach.followers, reach.boosters, reach.boosters_known) == (3, 2, 1)
    assert (reach.booster_followers, reach.total) == (1200, 1203)
    assert reach.explanation == (
        "An estimate: the 3 followers of yours on the 1 server it was delivered "
        "to, plus about 1,200 followers of the 2 people who boosted it (1 of "
        "them; the others' counts are not known). A booster's followers are "
        "counted as their server last said; someone who follows both you and a "
        "booster is counted twice."
    )


def test_reach_of_several_posts_counts_each_booster_once(
    creator, django_assert_max_num_queries
):
    first, second = published(creator), published(creator)
    _delivered(first, "mastodon.social")
    _boosted(first, "ana", followers=100)
    _boosted(second, "ana", followers=100)
    _boosted(second, "max", followers=20)
    _boosted(second, "ivy", followers=None, asked=False)  # not asked yet

    with django_assert_max_num_queries(4):
        reach = insights.reach_of_posts(post_ids=[first.pk, second.pk])

    assert (reach[first.pk].booster_followers, reach[first.pk].boosters_known) == (
        100,
        1,
    )
    assert (reach[second.pk].booster_followers, reach[second.pk].boosters) == (120, 3)
    together = reach[None]
    assert (together.boosters, together.boosters_known) == (3, 2)
    assert together.booster_followers == 120  # ana once
    assert "plus about 120 followers of the 3 people who boosted them" in (
        together.explanation
    )
    assert "(2 of them; the others' counts are not known)" in together.explanation


def test_reach_when_no_boosters_count_is_known_leaves_them_out(creator):
    post = published(creator)
    _boosted(post, "kai", followers=None)
    reach = insights.post_reach(post=post)
    assert (reach.total, reach.boosters, reach.boosters_known) == (0, 1, 0)
    assert reach.explanation.endswith(
        "The 1 person who boosted it carried it further, but their own "
        "followers are not counted: their servers have not said how many "
        "follow them."
    )
