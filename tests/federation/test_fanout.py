"""A creator's followers written as Delivery rows page by page: one row per
distinct inbox, however the pages fall, resumed where a run stopped."""

import threading

import pytest
from django.db import connection
from django.utils import timezone

from federation.models import Delivery, OutboundActivity
from federation.outbound import delivery, fanout, services
from federation.protocol import ids, keys
from followers.models import Follow
from moderation.models import DomainPolicy
from tests.federation.conftest import make_follower
from tests.federation.delivery_sink import DeliverySink, create_payload, follower

pytestmark = pytest.mark.django_db


@pytest.fixture
def crowd(alice):
    """25 followers: 15 on three servers with a shared inbox each, 10 with
    personal inboxes on two servers: 13 distinct inboxes."""
    for server in range(3):
        for person in range(5):
            make_follower(alice, domain=f"big{server}.example", username=f"p{person}")
    for server in range(2):
        for person in range(5):
            make_follower(
                alice,
                domain=f"solo{server}.example",
                username=f"p{person}",
                shared=False,
            )
    return {
        *(f"https://big{n}.example/inbox" for n in range(3)),
        *(
            f"https://solo{n}.example/users/p{person}/inbox"
            for n in range(2)
            for person in range(5)
        ),
    }


def queue_for_followers(creator, number=1) -> OutboundActivity:
    return services.queue_activity(
        creator=creator, payload=create_payload(creator, number), followers_of=creator
    )


def inboxes(activity) -> list[str]:
    return sorted(activity.deliveries.values_list("inbox_url", flat=True))


def test_every_distinct_inbox_gets_one_row_whatever_the_page_size(
    alice, crowd, settings
):
    settings.FEDERATION_FANOUT_PAGE = 4
    activity = queue_for_followers(alice)
    assert activity.fanned_out_at is None
    assert not activity.deliveries.exists()  # nothing listed up front

    result = fanout.fan_out(activity.pk)

    assert result.done
    assert result.pages == 8  # 25 followers by 4, and the last, short one
    assert result.added == len(crowd)
    assert inboxes(activity) == sorted(crowd)
    activity.refresh_from_db()
    assert activity.fanned_out_at is not None
    assert fanout.fan_out(activity.pk).added == 0  # done: nothing more


def test_a_fan_out_cut_short_carries_on_from_where_it_stopped(alice, crowd, settings):
    settings.FEDERATION_FANOUT_PAGE = 3
    activity = queue_for_followers(alice)

    runs = []
    while not (run := fanout.fan_out(activity.pk, seconds=0)).done:
        runs.append(run)  # each run: one page, then its time is up
        assert run.pages == 1

    assert len(runs) >= 8
    assert inboxes(activity) == sorted(crowd)
    assert Delivery.objects.count() == len(crowd)


def test_the_audience_is_the_followers_when_it_began_less_blocked_and_gone(
    alice, crowd, settings
):
    settings.FEDERATION_FANOUT_PAGE = 5
    DomainPolicy.objects.create(domain="big1.example")
    gone = Follow.objects.filter(actor__instance__domain="solo0.example").first()
    gone.actor.gone_at = timezone.now()
    gone.actor.save()
    activity = queue_for_followers(alice)
    fanout.fan_out(activity.pk, seconds=0)  # the first page
    make_follower(alice, domain="late.example", username="new")  # after it began

    fanout.fan_out(activity.pk)

    expected = crowd - {"https://big1.example/inbox", f"{gone.actor.ap_id}/inbox"}
    assert set(inboxes(activity)) == expected


def test_an_edit_reaches_every_inbox_the_post_reached_before(alice, crowd, settings):
    settings.FEDERATION_FANOUT_PAGE = 4
    create = queue_for_followers(alice, 1)
    fanout.fan_out(create.pk)
    Follow.objects.filter(actor__instance__domain="big2.example").delete()

    update = services.queue_activity(
        creator=alice,
        payload={**create_payload(alice, 2), "type": "Update"},
        followers_of=alice,
        reached=[create.pk],
    )
    fanout.fan_out(update.pk)

    assert inboxes(update) == sorted(crowd)  # big2 unfollowed but had it


def test_the_senders_get_the_rows_in_batches_and_deliver_each_once(
    alice, settings, loopback
):
    settings.FEDERATION_FANOUT_PAGE = 7
    settings.FEDERATION_DELIVERY_BATCH = 5
    key = keys.key_for_creator(alice)
    with DeliverySink(keys={ids.key_id("alice"): key.public_key_pem}) as sink:
        for n in range(12):
            follower(alice, host=sink.host, username=f"f{n}")
        activity = queue_for_followers(alice)
        added = []
        while True:
            result = fanout.fan_out(activity.pk, seconds=0)
            added.append(result.added)
            if result.done:
                break
        batches = [
            list(
                Delivery.objects.filter(activity=activity)
                .order_by("pk")
                .values_list("pk", flat=True)
            )[start : start + 5]
            for start in range(0, 12, 5)
        ]
        for batch in batches:
            delivery.deliver_due(delivery_ids=batch)
        for batch in batches:  # a batch's message delivered twice
            delivery.deliver_due(delivery_ids=batch)

    assert added == [7, 5, 0]
    assert len(sink.arrivals) == 12
    assert len({arrival.path for arrival in sink.arrivals}) == 12
    assert all(arrival.verified for arrival in sink.arrivals)
    assert set(Delivery.objects.values_list("state", flat=True)) == {"delivered"}


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="two runs at once need row locks, which SQLite does not have; the "
    "PostgreSQL pass runs this",
)
@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_share_the_work_and_write_each_inbox_once(alice, settings):
    settings.FEDERATION_FANOUT_PAGE = 10
    for n in range(300):
        make_follower(
            alice, domain=f"s{n % 120}.example", username=f"u{n}", shared=n % 3 != 0
        )
    activity = queue_for_followers(alice)
    expected = set(services.follower_inboxes(alice))
    pages = []

    def run():
        try:
            while not (result := fanout.fan_out(activity.pk, seconds=0.05)).done:
                pages.append(result.pages)
            pages.append(result.pages)
        finally:
            connection.close()  # this thread's own

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert set(inboxes(activity)) == expected
    assert Delivery.objects.filter(activity=activity).count() == len(expected)
    activity.refresh_from_db()
    assert activity.fanned_out_at is not None
