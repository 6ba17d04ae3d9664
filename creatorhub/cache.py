"""Django's Redis cache, with two costs of the inbox's hot path taken out.

Django's client builds a new `redis.Redis` for every cache call, and
building one fills its table of reply handlers (about 55 µs of CPU: a
fifth of an inbox POST's cache time). A client per connection pool does the
same work: `redis.Redis` is safe to share between threads, and its pool
starts over by itself in a forked process.

`incr` asks Redis twice (does the key exist, then add); here one script
does both in one round trip, with the same meaning: a missing key is a
ValueError, as in every Django cache.
"""

from django.core.cache import caches
from django.core.cache.backends.dummy import DummyCache
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient

# Adds to a key only if it exists (Django's incr never creates one: a key
# created here would have no expiry).
_INCR_EXISTING = """
if redis.call('exists', KEYS[1]) == 1 then
    return redis.call('incrby', KEYS[1], ARGV[1])
end
return nil
"""


class _Client(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}
        self._incr_scripts = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client

    def incr(self, key, delta):
        client = self.get_client(key, write=True)
        script = self._incr_scripts.get(id(client))
        if script is None:
            script = self._incr_scripts[id(client)] = client.register_script(
                _INCR_EXISTING
            )
        value = script(keys=[key], args=[delta])
        if value is None:
            raise ValueError(f"Key '{key}' not found.")
        return value


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = _Client


def shared_between_processes() -> bool:
    """Whether what one process writes to the cache the others read: not so
    for the laptop defaults' local-memory cache (each process has its own),
    so a flag one process sets another could never clear."""
    return not isinstance(caches["default"], LocMemCache | DummyCache)
