"""The project's Redis cache keeps the meaning of Django's.

It differs only in cost (one client per pool, `incr` in one round trip;
bench/inbox.py measures it), so what is checked here is that every caller
still gets what Django's cache promises.
"""

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache

pytestmark = pytest.mark.skipif(
    not django_settings.REDIS_URL,
    reason="the Redis cache needs Redis (REDIS_URL): pass 2 of make test",
)


@pytest.fixture(autouse=True)
def _clean():
    cache.delete_many(["counter", "other"])
    yield
    cache.delete_many(["counter", "other"])


def test_the_redis_cache_is_the_projects():
    assert type(cache._cache).__module__ == "creatorhub.cache"


def test_incr_of_a_missing_key_fails_and_creates_nothing():
    with pytest.raises(ValueError):
        cache.incr("counter")

    assert cache.get("counter") is None


def test_incr_adds_and_keeps_the_expiry():
    cache.set("counter", 5, timeout=100)

    assert cache.incr("counter") == 6
    assert cache.incr("counter", 4) == 10
    assert cache.get("counter") == 10
    client = cache._cache.get_client(write=True)
    ttl = client.ttl(cache.make_key("counter"))
    assert 0 < ttl <= 100


def test_decr_and_other_calls_behave_as_djangos():
    cache.set("counter", 5)
    assert cache.decr("counter", 2) == 3
    assert cache.add("other", "x") is True
    assert cache.add("other", "y") is False
    assert cache.get_many(["counter", "other"]) == {"counter": 3, "other": "x"}
