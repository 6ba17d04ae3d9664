"""Follower attribution, best times to post and reach estimates, as an
analyst reads them."""

import zoneinfo
from datetime import date

import pytest

from analytics import insights
from analytics.reports import Period
from federation.models import (
    Delivery,
    OutboundActivity,
    RemoteActor,
    RemoteInstance,
)
from followers.models import Follow
from tests.analytics.conftest import at, make_post, record

pytestmark = pytest.mark.django_db

UTC = zoneinfo.ZoneInfo("UTC")
MARCH = Period(first=date(2025, 3, 1), last=date(2025, 3, 31), tz=UTC)


# Follower attribution ----------------------------------------------------------


def test_a_new_follower_is_attributed_to_the_post_they_last_interacted_with(
    creator,
):
    mural = make_post(creator, published="2025-03-01 09:00")
    sketch = make_post(creator, published="2025-03-03 09:00")
    record(creator, "like", "bob", post=mural, when="2025-03-02 10:00")
    record(creator, "boost", "bob", post=sketch, when="2025-03-04 10:00")
    record(creator, "follow", "bob", when="2025-03-05 10:00")
    record(creator, "reply", "zoe", post=mural, when="2025-03-06 10:00")
    record(creator, "follow", "zoe", when="2025-03-06 11:00")

    earned = insights.posts_that_earned_followers(creator=creator, period=MARCH)

    # Bob's latest interaction before following was the boost of the sketch.
    assert [(row.post, row.followers) for row in earned] == [(sketch, 1), (mural, 1)]
    by_post = {row.post: row for row in earned}
    assert by_post[sketch].servers == [("mastodon.social", 1)]
    assert by_post[mural].servers == [("threads.net", 1)]


def test_an_interaction_older_than_the_window_earns_nothing(creator, settings):
    settings.ANALYTICS_ATTRIBUTION_DAYS = 7
    mural = make_post(creator, published="2025-02-20 09:00")
    record(creator, "like", "bob", post=mural, when="2025-02-25 10:00")
    record(creator, "follow", "bob", when="2025-03-05 10:00")  # 8 days later
    record(creator, "like", "zoe", post=mural, when="2025-02-27 10:00")
    record(creator, "follow", "zoe", when="2025-03-05 10:00")  # 6 days later

    earned = insights.posts_that_earned_followers(creator=creator, period=MARCH)

    assert [(row.post, row.followers) for row in earned] == [(mural, 1)]
    assert earned[0].servers == [("threads.net", 1)]


def test_the_window_is_a_setting(creator, settings):
    mural = make_post(creator, published="2025-02-20 09:00")
    record(creator, "like", "bob", post=mural, when="2025-02-25 10:00")
    record(creator, "follow", "bob", when="2025-03-05 10:00")

    settings.ANALYTICS_ATTRIBUTION_DAYS = 7
    assert insights.posts_that_earned_followers(creator=creator, period=MARCH) == []
    settings.ANALYTICS_ATTRIBUTION_DAYS = 10
    [row] = insights.posts_that_earned_followers(creator=creator, period=MARCH)
    assert row.post == mural


def test_a_follow_without_an_interaction_and_others_interactions_earn_nothing(
    creator, other_creator
):
    theirs = make_post(other_creator, published="2025-03-01 09:00")
    record(other_creator, "like", "bob", post=theirs, when="2025-03-02 10:00")
    record(creator, "follow", "bob", when="2025-03-03 10:00")
    record(creator, "follow", "kai", when="2025-03-03 10:00")

    assert insights.posts_that_earned_followers(creator=creator, period=MARCH) == []


def test_a_person_following_twice_counts_once(creator):
    mural = make_post(creator, published="2025-03-01 09:00")
    record(creator, "like", "bob", post=mural, when="2025-03-02 10:00")
    record(creator, "follow", "bob", when="2025-03-02 11:00")
    record(creator, "unfollow", "bob", when="2025-03-03 11:00")
    record(creator, "follow", "bob", when="2025-03-04 11:00")

    [row] = insights.posts_that_earned_followers(creator=creator, period=MARCH)
    assert (row.post, row.followers) == (mural, 1)


def test_attribution_takes_two_queries_however_many_follows(
    creator, django_assert_num_queries
):
    posts = [make_post(creator, published="2025-03-01 09:00") for _ in range(4)]
    for n, who in enumerate(("bob", "zoe", "kai", "ana", "max")):
        record(creator, "like", who, post=posts[n % 4], when="2025-03-02 10:00")
        record(creator, "follow", who, when="2025-03-03 10:00")

    with django_assert_num_queries(2):
        earned = insights.posts_that_earned_followers(creator=creator, period=MARCH)

    assert sum(row.followers for row in earned) == 5
    assert earned[0].followers == 2


# Best time to post -------------------------------------------------------------


def test_best_times_are_the_busiest_weekday_hours_on_the_creators_clock(creator):
    creator.time_zone = "Europe/Berlin"  # UTC+1 in winter
    creator.save()
    post = make_post(creator, published="2025-01-01 09:00")
    people = ("bob", "zoe", "kai", "ana", "max")
    # Tuesdays 17:00 UTC = 18:00 in Berlin: 5 a week for 3 weeks.
    for day in ("2025-02-04", "2025-02-11", "2025-02-18"):
        for who in people:
            record(creator, "reply", who, post=post, when=f"{day} 17:10")
    # Saturday 09:00 UTC = 10:00: 4 likes once.
    for who in people[:4]:
        record(creator, "like", who, post=post, when="2025-02-15 09:30")
    # Thursday 20:00 UTC = 21:00: 2 boosts.
    for who in people[:2]:
        record(creator, "boost", who, post=post, when="2025-02-20 20:05")

    best = insights.best_times_to_post(
        creator=creator, today=date(2025, 2, 28), now=at("2025-02-28 12:00")
    )

    assert [(slot.label, slot.interactions) for slot in best.slots] == [
        ("Tue 18:00", 15),
        ("Sat 10:00", 4),
        ("Thu 21:00", 2),
    ]
    assert best.interactions == 21
    assert best.weeks == 8
    assert best.confidence == "low"  # 21 of the 200 it takes
    # The next Tuesday after Friday 28 Feb, at 18:00 Berlin time.
    assert best.slots[0].local_value == "2025-03-04T18:00"


def test_best_times_confidence_grows_with_interactions(creator):
    best = insights.BestTimes(slots=[object()], interactions=250, weeks=8, tz=UTC)
    assert (best.confident, best.confidence) == (True, "medium")
    best = insights.BestTimes(slots=[object()], interactions=1500, weeks=8, tz=UTC)
    assert best.confidence == "high"


def test_no_engagement_means_no_suggestion(creator):
    best = insights.best_times_to_post(creator=creator)
    assert best.slots == []
    assert best.confidence == "none"


# Reach estimate ----------------------------------------------------------------


def _follower(creator, name: str, domain: str, *, accepted=True) -> RemoteActor:
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
        state=Follow.State.ACCEPTED if accepted else Follow.State.PENDING,
    )
    return actor


def _delivered(post, *hosts: str, failed: tuple[str, ...] = ()) -> None:
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
    for host in failed:
        Delivery.objects.create(
            activity=activity,
            inbox_url=f"https://{host}/inbox",
            host=host,
            state=Delivery.State.GAVE_UP,
        )


@pytest.fixture
def audience(creator):
    """Three followers on mastodon.social, two on threads.net, one on
    misskey.io (still pending), one on pixelfed.social."""
    for n in range(3):
        _follower(creator, f"m{n}", "mastodon.social")
    for n in range(2):
        _follower(creator, f"t{n}", "threads.net")
    _follower(creator, "k", "misskey.io", accepted=False)
    _follower(creator, "p", "pixelfed.social")


def test_reach_is_the_followers_on_the_servers_the_post_reached(creator, audience):
    post = make_post(creator)
    _delivered(
        post,
        "mastodon.social",
        "threads.net",
        "misskey.io",
        failed=("pixelfed.social",),
    )
    record(creator, "boost", "bob", post=post, when="2025-03-02 10:00")
    record(creator, "boost", "zoe", post=post, when="2025-03-02 10:00")

    reach = insights.post_reach(post=post)

    # 3 + 2 accepted followers; misskey's is pending, pixelfed never got it.
    assert (reach.servers, reach.followers, reach.boosters) == (3, 5, 2)
    # Neither booster's server has said how many follow them
    # (tests/federation/test_booster_followers.py has counts).
    assert (reach.booster_followers, reach.boosters_known, reach.total) == (0, 0, 5)
    assert reach.explanation == (
        "An estimate: the 5 followers of yours on the 3 servers it was "
        "delivered to. The 2 people who boosted it carried it further, but "
        "their own followers are not counted: their servers have not said how "
        "many follow them."
    )


def test_reach_of_several_posts_counts_each_follower_once(creator, audience):
    first, second = make_post(creator), make_post(creator)
    _delivered(first, "mastodon.social")
    _delivered(second, "mastodon.social", "pixelfed.social")

    reach = insights.reach_of_posts(post_ids=[first.pk, second.pk])

    assert (reach[first.pk].servers, reach[first.pk].followers) == (1, 3)
    assert (reach[second.pk].servers, reach[second.pk].followers) == (2, 4)
    assert (reach[None].servers, reach[None].followers) == (2, 4)


def test_reach_without_deliveries_is_nothing_and_without_federation_unknown(
    creator, audience
):
    post = make_post(creator)
    assert insights.post_reach(post=post).followers == 0
    source = insights._reach_source[0]
    insights.reach_source_set(None)
    try:
        reach = insights.post_reach(post=post)
    finally:
        insights.reach_source_set(source)
    assert reach.known is False
    assert "not known" in reach.explanation
