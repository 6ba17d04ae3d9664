"""The Redis hand-over between the inbox's request path and its workers.

With Redis configured, a verified activity is not written to PostgreSQL on
the request path: one Lua script call remembers its id (for an hour, so a
re-delivery is answered 202 at once) and appends it to a list, atomically,
before the 202 goes out. Workers take the list in batches and store and
process each batch together (federation.processing), which is several
times cheaper than a row and a Celery message per request.

Nothing is lost on the way: a batch is moved, not popped, to a claim list
of its own while a worker stores it, and a claim older than the lease (a
worker killed mid-batch) is put back by the sweeper. The database's unique
id stays the final guard against storing anything twice.
"""

import time
import uuid
from functools import cache

import redis
from django.conf import settings

PENDING = "inbox:pending"
CLAIMS = "inbox:claims"  # sorted set: claim list -> when it was claimed
SEEN = "inbox:seen:"
# Set when a drain task is queued; cleared by the task as it starts, so a
# busy inbox queues one task per drain, not one per activity.
DRAIN_QUEUED = "inbox:drain-queued"

# Returns 0 for an id seen before, 1 when queued, 2 when queued and a drain
# task should be started.
_PUSH = """
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[2]) == false then
  return 0
end
redis.call('RPUSH', KEYS[2], ARGV[1])
if redis.call('SET', KEYS[3], '1', 'NX', 'EX', ARGV[3]) then
  return 2
end
return 1
"""

_CLAIM = """
local items = redis.call('LRANGE', KEYS[1], 0, tonumber(ARGV[1]) - 1)
if #items > 0 then
  redis.call('LTRIM', KEYS[1], #items, -1)
  redis.call('RPUSH', KEYS[2], unpack(items))
  redis.call('ZADD', KEYS[3], ARGV[2], KEYS[2])
end
return items
"""

_RETURN = """
local items = redis.call('LRANGE', KEYS[1], 0, -1)
if #items > 0 then
  redis.call('LPUSH', KEYS[2], unpack(items))
end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[3], KEYS[1])
return #items
"""

QUEUED, QUEUED_START_DRAIN, DUPLICATE = 1, 2, 0


def enabled() -> bool:
    mode = settings.FEDERATION_INBOX_BUFFER
    if mode == "auto":
        return bool(settings.REDIS_URL)
    return mode == "redis"


@cache
def _scripts(url: str):
    client = redis.Redis.from_url(url)
    return (
        client,
        client.register_script(_PUSH),
        client.register_script(_CLAIM),
        client.register_script(_RETURN),
    )


def _redis():
    # redis-py pools are per process (they reconnect after a fork).
    return _scripts(settings.REDIS_URL)


def push(ap_id: str, line: bytes) -> int:
    """Queue one activity unless its id was queued lately; QUEUED,
    QUEUED_START_DRAIN or DUPLICATE."""
    _, push_script, _, _ = _redis()
    return push_script(
        keys=[SEEN + ap_id, PENDING, DRAIN_QUEUED],
        args=[
            line,
            settings.FEDERATION_INBOX_DEDUPE_SECONDS,
            settings.FEDERATION_INBOX_DRAIN_FLAG_SECONDS,
        ],
    )


def forget(ap_id: str) -> None:
    """Forget an id pushed by mistake (the hand-over failed half-way)."""
    client, *_ = _redis()
    client.delete(SEEN + ap_id)


def drain_started() -> None:
    client, *_ = _redis()
    client.delete(DRAIN_QUEUED)


def claim(limit: int) -> tuple[str, list[bytes]]:
    """Take up to `limit` activities; (claim key, lines). Release the key
    once they are stored."""
    client, _, claim_script, _ = _redis()
    key = f"inbox:claim:{uuid.uuid4().hex}"
    lines = claim_script(keys=[PENDING, key, CLAIMS], args=[limit, time.time()])
    return key, lines


def release(key: str) -> None:
    client, *_ = _redis()
    with client.pipeline() as pipe:
        pipe.delete(key)
        pipe.zrem(CLAIMS, key)
        pipe.execute()


def put_back(key: str) -> int:
    """Return a claim's activities to the front of the queue."""
    _, _, _, return_script = _redis()
    return return_script(keys=[key, PENDING, CLAIMS])


def recover_stale_claims(*, lease_seconds: int) -> int:
    """Put back batches whose worker died before storing them."""
    client, *_ = _redis()
    stale = client.zrangebyscore(CLAIMS, "-inf", time.time() - lease_seconds)
    return sum(put_back(key.decode()) for key in stale)


def pending_count() -> int:
    client, *_ = _redis()
    return client.llen(PENDING)
