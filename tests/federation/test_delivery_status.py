"""The delivery progress a creator watches on the post page."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from federation.models import Delivery, RemoteInstance
from federation.outbound import breaker, delivery, delivery_status, services
from federation.protocol import ids, keys
from posts.models import Post
from tests import factories
from tests.federation.delivery_sink import DeliverySink, Reply, create_payload, follower

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_breakers(db):
    yield
    breaker.reset(RemoteInstance.objects.values_list("domain", flat=True))


@pytest.fixture
def post(alice):
    alice.time_zone = "Europe/Paris"
    alice.save()
    return Post.objects.create(
        creator=alice, body="Hello", state="published", published_at=timezone.now()
    )


def queue(post, inboxes, *, kind="Create", number=1):
    payload = {**create_payload(post.creator, number), "type": kind}
    payload["id"] += f"#{kind}"
    return services.queue_activity(
        creator=post.creator, payload=payload, inboxes=set(inboxes), post=post
    )


def servers(count: int) -> list[str]:
    return [f"https://s{n:02}.example/inbox" for n in range(count)]


def paris(moment) -> str:
    return f"{timezone.localtime(moment, ZoneInfo('Europe/Paris')):%a %H:%M}"


def fragment(client, post):
    return client.get(
        reverse("post-delivery", kwargs={"pk": post.pk}), headers={"HX-Request": "true"}
    )


def test_counts_servers_and_says_when_the_next_try_is(post):
    activity = queue(post, servers(43))
    Delivery.objects.filter(activity=activity).exclude(
        host__in=["s41.example", "s42.example"]
    ).update(state="delivered", delivered_at=timezone.now(), attempts=1)
    next_try = timezone.now() + timedelta(days=2)
    Delivery.objects.filter(host__in=["s41.example", "s42.example"]).update(
        state="failed",
        attempts=3,
        next_attempt_at=next_try,
        last_status_code=500,
        last_error="s41.example had a problem: 500 Internal Server Error",
    )

    (progress,) = delivery_status.delivery_progress(post).activities

    assert progress.summary == (
        f"Delivered to 41 of 43 servers, 2 retrying, next try {paris(next_try)}"
    )
    assert progress.badge == ("Retrying", "badge-warning")
    assert progress.failures[0] == (
        "retrying",
        "s41.example had a problem: 500 Internal Server Error; "
        f"next try {paris(next_try)}",
    )


def test_several_inboxes_on_one_server_count_as_one_server(post):
    queue(post, [f"https://big.example/users/u{n}/inbox" for n in range(5)])
    Delivery.objects.update(state="delivered")

    (progress,) = delivery_status.delivery_progress(post).activities

    assert progress.summary == "Delivered to 1 of 1 server"
    assert progress.finished


def test_refusals_are_said_in_words_and_polling_stops(alice, post, client, loopback):
    key = keys.key_for_creator(alice)
    with DeliverySink(keys={ids.key_id("alice"): key.public_key_pem}) as sink:
        follower(alice, host=sink.host, username="bob")
        sink.script("/users/bob/inbox", Reply(403))
        activity = queue(post, services.follower_inboxes(alice))
        client.force_login(alice.user)

        assert 'hx-trigger="every 3s"' in fragment(client, post).text
        delivery.deliver_due(activity_id=activity.pk)
        response = fragment(client, post)

    assert response.status_code == 200
    page = response.text
    assert "Delivered to 0 of 1 server, 1 failed" in page
    assert f"{sink.host} refused it: 403 Forbidden" in page
    assert "Not everywhere" in page
    assert "hx-trigger" not in page  # nothing left to wait for


def test_a_finished_delivery_stops_polling(alice, post, client, loopback):
    key = keys.key_for_creator(alice)
    with DeliverySink(keys={ids.key_id("alice"): key.public_key_pem}) as sink:
        for name in ("ann", "ben"):
            follower(alice, host=sink.host, username=name, shared=True)
        activity = queue(post, services.follower_inboxes(alice))
        delivery.deliver_due(activity_id=activity.pk)
    client.force_login(alice.user)

    page = fragment(client, post).text

    assert "Delivered to 1 of 1 server" in page
    assert ">Delivered</span>" in page
    assert "hx-trigger" not in page


def test_followers_whose_accounts_are_gone_are_not_failures(alice, post, loopback):
    key = keys.key_for_creator(alice)
    with DeliverySink(keys={ids.key_id("alice"): key.public_key_pem}) as sink:
        follower(alice, host=sink.host, username="gone")
        follower(alice, host=sink.host, username="kept")
        sink.script("/users/gone/inbox", Reply(410))
        activity = queue(post, services.follower_inboxes(alice))
        delivery.deliver_due(activity_id=activity.pk)

    (progress,) = delivery_status.delivery_progress(post).activities

    assert progress.summary == "Delivered to 1 of 1 server"
    assert progress.failures == []
    assert progress.accounts_gone_words == (
        "1 follower's account no longer exists; it was removed from your followers."
    )


def test_a_server_that_asked_us_to_slow_down_is_not_called_unanswering(
    alice, post, client, loopback
):
    """A 429 pauses the server until its Retry-After: the panel says so, for
    the post that met it and for a later one held back by the pause."""
    key = keys.key_for_creator(alice)
    with DeliverySink(keys={ids.key_id("alice"): key.public_key_pem}) as sink:
        follower(alice, host=sink.host, username="bob")
        sink.script("/users/bob/inbox", Reply(429, headers={"Retry-After": "600"}))
        first = queue(post, services.follower_inboxes(alice))
        delivery.deliver_due(activity_id=first.pk)
        later = Post.objects.create(
            creator=alice, body="Again", state="published", published_at=timezone.now()
        )
        second = queue(later, services.follower_inboxes(alice), number=2)
        delivery.deliver_due(activity_id=second.pk)
        arrived = len(sink.posts())
    client.force_login(alice.user)

    assert arrived == 1  # the later post waited without asking again
    for each in (post, later):
        (progress,) = delivery_status.delivery_progress(each).activities
        (row,) = Delivery.objects.filter(activity__post=each)
        until = progress.when(row.next_attempt_at)
        words = f"{sink.host} asked us to slow down (until {until})"
        assert progress.failures == [("retrying", words)]
        page = fragment(client, each).text
        assert words in page
        assert "not answering" not in page
    paused_for = row.next_attempt_at - timezone.now()
    assert timedelta(minutes=9) < paused_for <= timedelta(minutes=10)


def test_a_server_down_for_days_is_named(post):
    queue(post, ["https://down.example/inbox", "https://up.example/inbox"])
    Delivery.objects.filter(host="up.example").update(state="delivered")
    RemoteInstance.objects.create(
        domain="down.example", unavailable_since=timezone.now()
    )

    progress = delivery_status.delivery_progress(post)

    (activity,) = progress.activities
    assert activity.summary == "Delivered to 1 of 2 servers, 1 unreachable for days"
    assert activity.failures == [
        (
            "paused",
            "down.example has been unreachable for days; it gets the post when "
            "it is heard from again",
        )
    ]
    assert progress.poll_seconds is None  # it may be days: no polling


def test_edits_and_deletions_are_listed_newest_first(post, client):
    queue(post, servers(2), kind="Create")
    queue(post, servers(2), kind="Delete", number=2)
    Delivery.objects.filter(activity__activity_type="Create").update(state="delivered")
    client.force_login(post.creator.user)

    page = fragment(client, post).text

    assert page.index("Deletion") < page.index("Post")
    assert "Delivered to 0 of 2 servers, 2 sending" in page
    assert 'hx-trigger="every 3s"' in page


def test_a_just_published_post_is_getting_ready(post, client):
    client.force_login(post.creator.user)
    page = fragment(client, post).text
    assert "Getting ready to send" in page
    assert 'hx-trigger="every 3s"' in page


def test_a_post_no_worker_took_says_so_instead_of_getting_ready(post, client):
    post.published_at = timezone.now() - timedelta(minutes=25)
    post.save()
    client.force_login(post.creator.user)
    page = fragment(client, post).text
    assert "Getting ready" not in page
    assert "no worker has taken it" in page
    assert "25\xa0minutes ago" in page
    assert 'hx-trigger="every 30s"' in page  # it goes out when a worker returns


def test_a_post_published_while_sharing_is_off_says_it_stays_here(post, client):
    post.creator.share_to_fediverse = False
    post.creator.save()
    client.force_login(post.creator.user)
    page = fragment(client, post).text
    assert "sharing to the fediverse is off" in page
    assert "hx-trigger" not in page


def test_a_draft_has_nothing_to_show(alice, client):
    draft = Post.objects.create(creator=alice, body="Soon")
    client.force_login(alice.user)
    page = fragment(client, draft).text
    assert "Not published yet" in page
    assert "hx-trigger" not in page


def test_without_htmx_it_is_a_whole_page(post, client):
    queue(post, servers(1))
    client.force_login(post.creator.user)
    response = client.get(reverse("post-delivery", kwargs={"pk": post.pk}))
    assert response.status_code == 200
    assert "<html" in response.text
    assert "Delivered to 0 of 1 server, 1 sending" in response.text


def test_an_agency_member_with_access_sees_it(post, client):
    analyst = factories.MembershipFactory(role="analyst").user
    factories.AgencyAccessFactory(
        creator=post.creator, agency=analyst.agency_memberships.get().agency
    )
    client.force_login(analyst)
    assert fragment(client, post).status_code == 200


def test_someone_else_gets_404(post, client):
    stranger = factories.CreatorFactory(handle="mallory").user
    client.force_login(stranger)
    assert fragment(client, post).status_code == 404


def test_it_takes_few_queries(post, client, django_assert_max_num_queries):
    queue(post, servers(30))
    queue(post, servers(30), kind="Update", number=2)
    client.force_login(post.creator.user)
    with django_assert_max_num_queries(12):
        assert fragment(client, post).status_code == 200


def test_the_panel_lists_every_server_delivered_ones_too(post, client):
    activity = queue(post, servers(4))
    Delivery.objects.filter(activity=activity).update(
        state="delivered", delivered_at=timezone.now(), attempts=1
    )
    Delivery.objects.filter(activity=activity, host="s03.example").update(
        state="gave_up", attempts=12, last_error="s03.example refused it"
    )
    client.force_login(post.creator.user)

    (progress,) = delivery_status.delivery_progress(post).activities
    page = fragment(client, post).text

    assert progress.hosts == [
        ("s03.example", "failed"),
        ("s00.example", "delivered"),
        ("s01.example", "delivered"),
        ("s02.example", "delivered"),
    ]
    assert "<details" not in page
    assert (
        '<li class="delivery-host delivery-host-delivered">'
        '<span class="delivery-host-name">s01.example</span> '
        '<span class="delivery-host-state">delivered</span></li>'
    ) in page
    assert (
        '<span class="delivery-host-name">s03.example</span> '
        '<span class="delivery-host-state">failed</span>'
    ) in page


def test_many_servers_are_folded_away(post, client):
    activity = queue(post, servers(6))
    Delivery.objects.filter(activity=activity).update(state="delivered")
    client.force_login(post.creator.user)

    page = fragment(client, post).text

    assert "Delivered to 6 of 6 servers" in page
    assert '<details class="delivery-servers">' in page
    assert "<summary>All 6 servers</summary>" in page
    for number in range(6):
        assert f'<span class="delivery-host-name">s{number:02}.example</span>' in page


def test_a_server_with_many_followers_shows_its_inboxes_moving(post, client):
    """Two servers with 150 followers each, a third of them delivered: the
    servers are still sending, and the inboxes and the bar say how far."""
    inboxes = [
        f"https://{server}.example/users/p{n}/inbox"
        for server in ("big", "bigger")
        for n in range(150)
    ]
    activity = queue(post, inboxes)
    delivered = Delivery.objects.filter(activity=activity).order_by("pk")[:100]
    Delivery.objects.filter(pk__in=list(delivered.values_list("pk", flat=True))).update(
        state="delivered", delivered_at=timezone.now(), attempts=1
    )

    (progress,) = delivery_status.delivery_progress(post).activities

    assert progress.summary == (
        "Delivered to 0 of 2 servers (100 of 300 inboxes), 2 sending"
    )
    assert progress.percent == 33
    client.force_login(post.creator.user)
    assert "(100 of 300 inboxes)" in fragment(client, post).text
