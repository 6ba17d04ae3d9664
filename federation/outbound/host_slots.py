"""Requests in flight to one remote server, counted across every delivery
worker on every machine: at most FEDERATION_DELIVERY_PER_HOST at once.

With Redis (REDIS_URL) the slots are a sorted set per server, each member a
request and its score the moment it lapses: a worker killed mid-request
never gives its slots back, and they come back by themselves once the
client's deadline has passed for sure. One script call takes as many slots
as a run can use at once, for every server it is about to send to; one
pipeline gives them back. Without Redis (the
laptop defaults: one machine, one worker) the count is kept in this
process.
"""

import threading
import time
import uuid
from collections import Counter
from functools import cache

import redis
from django.conf import settings

# Slots outlive the longest request the client allows, then lapse.
LAPSE_SECONDS = 60
_PREFIX = "delivery:slots:"

# KEYS: one set per server; ARGV: now, lapse time, cap, token prefix, then
# the slots wanted of each server. Returns how many each got; server k's
# slots are named prefix:k:1 to prefix:k:n.
_TAKE = """
local now, lapse, cap, prefix = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4]
local granted = {}
for k, key in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
  local take = math.max(math.min(cap - redis.call('ZCARD', key),
                                 tonumber(ARGV[4 + k])), 0)
  for i = 1, take do
    redis.call('ZADD', key, lapse, prefix .. ':' .. k .. ':' .. i)
  end
  if take > 0 then
    redis.call('EXPIRE', key, math.ceil(lapse - now) + 1)
  end
  granted[k] = take
end
return granted
"""


@cache
def _redis(url: str):
    client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=3)
    return client, client.register_script(_TAKE)


class _Local:
    """The same counts for one process, when there is no Redis."""

    def __init__(self):
        self.lock = threading.Lock()
        self.in_flight: Counter[str] = Counter()


_local = _Local()


def limit() -> int:
    return max(settings.FEDERATION_DELIVERY_PER_HOST, 1)


def take(wanted: dict[str, int]) -> dict[str, list[str]]:
    """Up to `wanted[host]` slots for requests to each host, in one round
    trip; each host's slots by name (none where others hold them all)."""
    wanted = {host: count for host, count in wanted.items() if count > 0}
    if not wanted:
        return {}
    cap = limit()
    if not settings.REDIS_URL:
        granted = {}
        with _local.lock:
            for host, count in wanted.items():
                n = max(min(cap - _local.in_flight[host], count), 0)
                _local.in_flight[host] += n
                granted[host] = [host] * n
        return granted
    client, script = _redis(settings.REDIS_URL)
    hosts = list(wanted)
    now = time.time()
    prefix = uuid.uuid4().hex
    counts = script(
        keys=[_PREFIX + host for host in hosts],
        args=[now, now + LAPSE_SECONDS, cap, prefix, *(wanted[h] for h in hosts)],
        client=client,
    )
    return {
        host: [f"{prefix}:{k}:{i}" for i in range(1, int(count) + 1)]
        for k, (host, count) in enumerate(zip(hosts, counts, strict=True), start=1)
    }


def give_back(slots: list[tuple[str, str]]) -> None:
    """Free slots taken with `take`, as (host, slot) pairs."""
    if not slots:
        return
    if not settings.REDIS_URL:
        with _local.lock:
            for host, _ in slots:
                _local.in_flight[host] -= 1
        return
    client, _ = _redis(settings.REDIS_URL)
    with client.pipeline(transaction=False) as pipe:
        for host, slot in slots:
            pipe.zrem(_PREFIX + host, slot)
        pipe.execute()


def in_flight(host: str) -> int:
    """Requests to `host` in flight now, everywhere (for tests and status)."""
    if not settings.REDIS_URL:
        with _local.lock:
            return _local.in_flight[host]
    client, _ = _redis(settings.REDIS_URL)
    key = _PREFIX + host
    client.zremrangebyscore(key, "-inf", time.time())
    return int(client.zcard(key))


def reset(hosts) -> None:
    """Forget every slot of `hosts` (tests; after a crash, by hand)."""
    hosts = list(hosts)
    if not settings.REDIS_URL:
        with _local.lock:
            for host in hosts:
                _local.in_flight.pop(host, None)
        return
    if hosts:
        client, _ = _redis(settings.REDIS_URL)
        client.delete(*(_PREFIX + host for host in hosts))
