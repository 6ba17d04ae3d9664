"""Storing an activity wakes the inbox workers; a flag in the cache spares
the broker a message per activity while a drain is already queued.

The flag only works where every process shares the cache (Redis): with the
laptop defaults' local-memory cache the worker could never clear the web
process's flag, and each activity after the first would wait a minute for
the sweeper. There, the first activity of each second wakes the workers.
"""

import pytest
from django.core.cache import cache

from creatorhub.cache import shared_between_processes
from federation import queue
from federation.inbound import processing


@pytest.fixture
def wakes(monkeypatch):
    sent = []
    monkeypatch.setattr(
        queue, "wake", lambda task, force=False: sent.append(task) or True
    )
    cache.delete(processing._WAKE_FLAG)
    yield sent
    cache.delete(processing._WAKE_FLAG)


def a_second_later(monkeypatch):
    monkeypatch.setattr(
        processing, "_woken_at", -processing._RECENTLY_WOKEN_SECONDS - 1
    )


@pytest.mark.skipif(
    shared_between_processes(),
    reason="the laptop defaults' case: a cache of each process's own",
)
def test_without_a_shared_cache_each_seconds_first_activity_wakes_the_workers(
    wakes, monkeypatch
):
    a_second_later(monkeypatch)
    assert processing.wake_inbox_workers() is True
    assert processing.wake_inbox_workers() is False  # within the second
    a_second_later(monkeypatch)
    assert processing.wake_inbox_workers() is True  # no flag to wait on

    assert wakes == [processing.DRAIN_TASK] * 2


@pytest.mark.skipif(
    not shared_between_processes(),
    reason="needs a cache every process shares (Redis): pass 2 of make test",
)
@pytest.mark.django_db
def test_with_a_shared_cache_a_queued_drain_is_not_queued_again(wakes, monkeypatch):
    a_second_later(monkeypatch)
    assert processing.wake_inbox_workers() is True
    a_second_later(monkeypatch)
    assert processing.wake_inbox_workers() is False  # the drain will take it

    processing.drain_finished()  # the worker clears the flag
    a_second_later(monkeypatch)
    assert processing.wake_inbox_workers() is True
    assert wakes == [processing.DRAIN_TASK] * 2
