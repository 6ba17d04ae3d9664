"""The posts list's delivery badges and engagement counts, a page at a time."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from analytics.models import Interaction, Reply
from federation import selectors
from federation.models import Delivery, OutboxJob, RemoteInstance
from federation.protocol import notes
from tests import factories
from tests.federation.test_delivery_status import queue

pytestmark = pytest.mark.django_db


def servers(count: int, *, name: str = "s") -> list[str]:
    return [f"https://{name}{n}.example/inbox" for n in range(count)]


def published(creator, body="Hello"):
    return factories.PostFactory(creator=creator, published=True, body=body)


def sent(post, *, count=4, **state):
    """The post's Create queued to `count` servers, every row in `state`."""
    activity = queue(post, servers(count, name=f"p{post.pk}s"), number=post.pk)
    if state:
        Delivery.objects.filter(activity=activity).update(**state)
    return activity


def words(post_ids):
    overview = selectors.posts_overview(post_ids)
    return {pk: item.delivery.words for pk, item in overview.items()}


def test_each_post_gets_its_delivery_in_words(alice):
    later = timezone.now() + timedelta(hours=1)
    done = published(alice)
    sent(done, state="delivered", delivered_at=timezone.now(), attempts=1)
    failed = published(alice)
    sent(failed, state="gave_up", attempts=12, last_status_code=500)
    retrying = published(alice)
    activity = sent(retrying, state="delivered", delivered_at=timezone.now())
    Delivery.objects.filter(activity=activity, host__endswith="s0.example").update(
        state="failed", attempts=2, next_attempt_at=later
    )
    Delivery.objects.filter(activity=activity, host__endswith="s1.example").update(
        state="failed", attempts=2, next_attempt_at=later
    )
    sending = published(alice)
    sent(sending)  # pending, due now
    waiting = published(alice)
    OutboxJob.objects.create(action="post.create", post=waiting)

    assert words([done.pk, failed.pk, retrying.pk, sending.pk, waiting.pk]) == {
        done.pk: "Delivered to 4 of 4",
        failed.pk: "Not everywhere",
        retrying.pk: "2 retrying",
        sending.pk: "Sending…",
        waiting.pk: "Waiting for the queue",
    }


def test_a_server_counts_once_by_its_worst_row_and_only_the_latest_activity(alice):
    post = published(alice)
    create = queue(
        post, [f"https://big.example/users/u{n}/inbox" for n in range(3)], number=1
    )
    Delivery.objects.filter(activity=create).update(state="gave_up", attempts=12)
    update = queue(
        post,
        [f"https://big.example/users/u{n}/inbox" for n in range(3)],
        kind="Update",
        number=2,
    )
    Delivery.objects.filter(activity=update).update(state="delivered")

    assert words([post.pk]) == {post.pk: "Delivered to 1 of 1"}

    Delivery.objects.filter(activity=update, inbox_url__endswith="u2/inbox").update(
        state="gave_up"
    )
    assert words([post.pk]) == {post.pk: "Not everywhere"}


def test_servers_unreachable_for_days_are_not_everywhere(alice):
    post = published(alice)
    sent(post, count=2)
    RemoteInstance.objects.create(
        domain=f"p{post.pk}s0.example", unavailable_since=timezone.now()
    )
    Delivery.objects.filter(host=f"p{post.pk}s1.example").update(state="delivered")

    assert words([post.pk]) == {post.pk: "Not everywhere"}


def test_posts_not_shared_or_never_picked_up(alice):
    stuck = published(alice)
    stuck.published_at = timezone.now() - timedelta(hours=1)
    stuck.save()
    starting = published(alice)
    draft = factories.PostFactory(creator=alice)
    quiet = factories.CreatorFactory(handle="quiet", share_to_fediverse=False)
    private = published(quiet)

    overview = selectors.posts_overview([stuck.pk, starting.pk, draft.pk, private.pk])

    assert overview[stuck.pk].delivery.words == "Not sent yet"
    assert overview[starting.pk].delivery.words == "Sending…"
    assert overview[draft.pk].delivery is None
    assert overview[private.pk].delivery.words == "Not shared"


def test_engagement_counts_likes_boosts_and_visible_replies(alice):
    post = published(alice)
    for number, kind in enumerate(["like", "like", "boost"]):
        Interaction.objects.create(
            activity_id=f"https://social.example/{kind}/{number}",
            kind=kind,
            creator=alice,
            post=post,
            actor_uri=f"https://social.example/users/fan{number}",
            instance_domain="social.example",
        )
    for number, status in enumerate([Reply.Status.VISIBLE, Reply.Status.HELD]):
        Reply.objects.create(
            ap_id=f"https://social.example/statuses/{number}",
            creator=alice,
            post=post,
            in_reply_to_uri=notes.note_url(post),
            actor_uri=f"https://social.example/users/fan{number}",
            instance_domain="social.example",
            status=status,
        )

    counts = selectors.posts_overview([post.pk])[post.pk].counts

    assert (counts.likes, counts.shares, counts.replies) == (2, 1, 1)


def test_a_page_takes_the_same_queries_whatever_its_size(
    alice, django_assert_num_queries
):
    def page(size):
        posts = [published(alice) for _ in range(size)]
        for post in posts:
            sent(post, count=3, state="failed", attempts=1)
        return [post.pk for post in posts]

    small, large = page(2), page(20)
    # posts, activities, delivery rows per server, unavailable servers,
    # reasons, outbox jobs, likes and boosts, replies (and one for followers
    # whose accounts are gone, only when a server answered 410)
    with django_assert_num_queries(8):
        selectors.posts_overview(small)
    with django_assert_num_queries(8):
        overview = selectors.posts_overview(large)
    assert {item.delivery.words for item in overview.values()} == {"Sending…"}


# The fragment the posts list loads ------------------------------------------------


def fragment(client, post_ids):
    url = reverse("posts-overview") + "?ids=" + ",".join(map(str, post_ids))
    return client.get(url, headers={"HX-Request": "true"})


def test_the_fragment_swaps_each_visible_post_out_of_band(alice, client):
    post = published(alice)
    sent(post, state="gave_up", attempts=12, last_status_code=500)
    other = published(factories.CreatorFactory(handle="mallory"), body="Secret")
    client.force_login(alice.user)

    page = fragment(client, [post.pk, other.pk]).text

    assert f'id="post-{post.pk}-overview" hx-swap-oob="true"' in page
    assert "Not everywhere" in page
    assert "0 likes" in page and "0 boosts" in page and "0 replies" in page
    assert f"post-{other.pk}-overview" not in page


def test_an_agency_analyst_sees_the_badges_of_creators_who_granted_access(
    alice, client
):
    post = published(alice)
    sent(post, state="delivered", delivered_at=timezone.now())
    agency = factories.AgencyFactory()
    analyst = factories.MembershipFactory(agency=agency, role="analyst").user
    factories.AgencyAccessFactory(agency=agency, creator=alice)
    client.force_login(analyst)

    assert "Delivered to 4 of 4" in fragment(client, [post.pk]).text
