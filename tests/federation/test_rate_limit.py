"""The inbox's rate limit per remote server, through the real view.

Requests are signed for real (tests/federation/inbox_support.py); what is
asserted is what a sender and an admin see: 429 with Retry-After, nothing
stored for the refused ones, other servers untouched, and the servers held
back listed for admins. Each test has servers of its own: the counts live
in the cache, which outlives a test (and, with Redis, a run).
"""

import json
import logging
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.core.cache import cache
from django.urls import reverse

from federation.inbound import rate_limit
from federation.models import InboundActivity, RemoteInstance
from federation.protocol import signatures
from tests.federation.inbox_support import (
    AS2,
    Remote,
    meta,
    reset_request_caches,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh(settings):
    reset_request_caches()
    rate_limit._cache_down_until = 0.0
    settings.FEDERATION_INBOX_RATE_PER_SERVER = 5
    yield
    rate_limit._cache_down_until = 0.0
    reset_request_caches()


@pytest.fixture
def server():
    """server("bob") -> a Remote on a server no other test uses."""
    domain = f"s{uuid.uuid4().hex[:12]}.example"

    def make(username: str = "bob") -> Remote:
        return Remote(f"https://{domain}/users/{username}")

    return make


def like(sender: Remote, number: int) -> dict:
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{sender.actor_id}#likes/{number}",
        "type": "Like",
        "actor": sender.actor_id,
        "object": "https://hub.test/users/alice/statuses/1",
    }


def flood(client, sender: Remote, count: int, *, start: int = 0) -> list:
    return [sender.post(client, like(sender, n)) for n in range(start, start + count)]


def stored(sender: Remote) -> int:
    return InboundActivity.objects.filter(actor_uri=sender.actor_id).count()


def assert_slowed_down(response, host: str) -> None:
    assert response.status_code == 429, response.content
    assert response["Content-Type"] == "application/json"
    assert f"too many activities from {host}" in response.json()["error"]
    assert 1 <= int(response["Retry-After"]) <= 120


# Through the inbox ----------------------------------------------------------------


def test_a_flood_past_the_limit_gets_429_and_nothing_of_it_is_stored(client, server):
    bob = server()

    answers = flood(client, bob, 8)

    assert [a.status_code for a in answers] == [202] * 5 + [429] * 3
    for refused in answers[5:]:
        assert_slowed_down(refused, bob.domain)
    assert stored(bob) == 5
    refused_ids = [like(bob, number)["id"] for number in range(5, 8)]
    assert not InboundActivity.objects.filter(ap_id__in=refused_ids).exists()


def test_another_server_is_not_affected(client, server):
    bob = server()
    flood(client, bob, 6)
    other = Remote(f"https://other-{bob.domain}/users/carol")

    answers = flood(client, other, 5)

    assert [a.status_code for a in answers] == [202] * 5
    assert stored(other) == 5


def test_every_account_of_a_server_shares_its_allowance(client, server):
    bob, carol = server("bob"), server("carol")
    flood(client, bob, 5)

    assert_slowed_down(carol.post(client, like(carol, 1)), bob.domain)
    assert stored(carol) == 0


@pytest.mark.parametrize("allowance", [2, 12])
def test_the_setting_raises_or_lowers_the_limit(client, server, settings, allowance):
    settings.FEDERATION_INBOX_RATE_PER_SERVER = allowance
    bob = server()

    answers = flood(client, bob, allowance + 1)

    assert [a.status_code for a in answers] == [202] * allowance + [429]


def test_zero_means_no_limit(client, server, settings):
    settings.FEDERATION_INBOX_RATE_PER_SERVER = 0
    bob = server()

    answers = flood(client, bob, 12)

    assert {a.status_code for a in answers} == {202}


def test_a_new_key_is_not_fetched_for_a_server_over_its_limit(client, server):
    """The limit comes before verification: an unknown key on a server over
    its rate is answered 429 at once, not fetched (mastodon-like hosts in
    tests do not exist, so a fetch would have answered 503)."""
    bob = server()
    flood(client, bob, 5)
    private_pem, _ = signatures.generate_key_pair()
    stranger = f"https://{bob.domain}/users/dave"
    activity = {**like(bob, 99), "id": f"{stranger}#likes/1", "actor": stranger}
    body = json.dumps(activity).encode()
    headers = signatures.sign_request(
        method="POST",
        url="https://hub.test/inbox",
        key_id=f"{stranger}#main-key",
        private_key=signatures.load_private_key(private_pem),
        body=body,
        headers={"Content-Type": AS2},
    )

    response = client.generic("POST", "/inbox", body, **meta(headers))

    assert_slowed_down(response, bob.domain)


def test_forged_requests_do_not_use_up_a_servers_allowance(client, server):
    """Only verified requests count: anyone may name bob's key in a keyId,
    but their refused forgeries cost bob nothing."""
    bob = server()
    forger = Remote(f"https://forger-{bob.domain}/users/mallory")
    for number in range(10):
        body = json.dumps(like(bob, number)).encode()
        headers = signatures.sign_request(
            method="POST",
            url="https://hub.test/inbox",
            key_id=bob.key_id,  # bob's key id, mallory's key
            private_key=signatures.load_private_key(forger.private_pem),
            body=body,
            headers={"Content-Type": AS2},
        )
        forged = client.generic("POST", "/inbox", body, **meta(headers))
        assert forged.status_code == 401, forged.content

    answers = flood(client, bob, 5, start=100)

    assert [a.status_code for a in answers] == [202] * 5


def test_another_web_process_counts_stop_this_one_within_a_request(client, server):
    """Every web process counts in the same cache. One that last saw a
    server far below its limit answers its next request without asking (at
    most one past the limit), and learns the count from that request's
    increment: the one after is refused."""
    if time.time() % 60 > 55:  # all of it within one minute
        time.sleep(60.5 - time.time() % 60)
    bob = server()
    assert bob.post(client, like(bob, 0)).status_code == 202
    minute = rate_limit._window(time.time())[0]
    for _ in range(6):  # another process's verified requests from bob
        cache.incr(rate_limit._COUNT_KEY.format(bob.domain, minute))

    answers = flood(client, bob, 2, start=1)

    assert [a.status_code for a in answers] == [202, 429]


def test_a_process_that_forgets_what_it_saw_reads_the_cache_again(client, server):
    bob = server()
    flood(client, bob, 5)
    rate_limit.forget_views()  # a new web process, say

    assert_slowed_down(bob.post(client, like(bob, 99)), bob.domain)


def test_a_failing_cache_lets_activities_through_and_says_so(
    client, server, settings, caplog
):
    """Redis away: the limit is not applied (fail open), the inbox answers."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    bob = server()

    with caplog.at_level(logging.WARNING, logger="federation.inbound.rate_limit"):
        answers = flood(client, bob, 7)

    assert {a.status_code for a in answers} == {202}
    assert stored(bob) == 7
    assert "inbox rate limit not applied" in caplog.text


# Admins see who was held back --------------------------------------------------------


def test_the_server_held_back_is_recorded_once_a_minute(client, server):
    bob = server()

    flood(client, bob, 9)

    instance = RemoteInstance.objects.get(domain=bob.domain)
    assert instance.inbox_limited_at is not None
    assert instance.inbox_limited_times == 1  # four 429s, one minute
    assert instance.inbox_limited_today() == 1


def test_minutes_held_back_count_per_day():
    instance = RemoteInstance(inbox_limited_times=3)
    now = datetime(2026, 12, 6, 15, 0, tzinfo=UTC)
    instance.inbox_limited_at = now - timedelta(hours=2)
    assert instance.inbox_limited_today(now=now) == 3
    instance.inbox_limited_at = now - timedelta(days=1)
    assert instance.inbox_limited_today(now=now) == 0


def test_the_admin_home_and_the_admin_list_name_the_server(client, server, admin_user):
    bob = server()
    flood(client, bob, 6)
    client.force_login(admin_user)

    home = client.get(reverse("home-admin")).content.decode()
    listing = client.get(
        reverse("admin:federation_remoteinstance_changelist")
        + "?inbox_limited_at__isnull=False"
    ).content.decode()

    assert "Inbox rate limit" in home
    assert bob.domain in home
    assert "over its rate in 1 minute today" in home
    assert bob.domain in listing
    assert "Inbox limited today (minutes)" in listing


def test_the_admin_home_says_when_no_server_was_held_back(client, admin_user):
    client.force_login(admin_user)

    home = client.get(reverse("home-admin")).content.decode()

    assert "No server went over its rate today" in home


# The window --------------------------------------------------------------------------


def test_the_window_slides_and_retry_after_says_when_there_is_room(server):
    host = server().domain
    minute = 1_000_000 * 60  # the start of some minute
    for _ in range(5):
        rate_limit.count(host, now=minute + 30)

    # Full this minute: wait until enough of it has slid out of the window.
    assert rate_limit.retry_after(host, now=minute + 30) == 31
    assert rate_limit.retry_after(host, now=minute + 61) is None
    # Half a minute later, half of those five still count (2.5): two more
    # fit, a third goes over until seven more seconds have slid by.
    assert rate_limit.retry_after(host, now=minute + 90) is None
    for _ in range(3):
        rate_limit.count(host, now=minute + 90)
    assert rate_limit.retry_after(host, now=minute + 90) == 7
    assert rate_limit.retry_after(host, now=minute + 96) == 1
    assert rate_limit.retry_after(host, now=minute + 97) is None
    # A minute later, nothing of the first minute is left.
    assert rate_limit.retry_after(host, now=minute + 150) is None
