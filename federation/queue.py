"""Wake-ups for the workers, from places that must neither fail nor stall
because the broker is away: mostly a web request, once it has committed.

The database holds the work itself (outbox jobs, stored inbox activities,
Delivery rows); a message only tells a worker to look. So a message that
cannot be sent is logged and left to the beat tasks that look anyway.
Finding a broker down takes seconds (connection attempts and retries), so
after a failure this process stops trying for PAUSE_AFTER_FAILURE seconds
rather than make every request pay that again.
"""

import logging
import time

from celery import current_app

logger = logging.getLogger(__name__)

PAUSE_AFTER_FAILURE = 10.0
_down_until = 0.0


def broker_believed_down() -> bool:
    return time.monotonic() < _down_until


def forget_failures() -> None:
    """Try the broker again at once (tests; the relay after a pause)."""
    global _down_until
    _down_until = 0.0


def wake(task_name: str, *args, force: bool = False) -> bool:
    """Queue `task_name(*args)`; whether the broker took it.

    `force` tries even while this process believes the broker is down.
    """
    global _down_until
    if not force and broker_believed_down():
        return False
    try:
        current_app.send_task(task_name, args=list(args), retry=False)
    except Exception as exc:  # noqa: BLE001 (any broker failure: looked for later)
        _down_until = time.monotonic() + PAUSE_AFTER_FAILURE
        logger.warning(
            "could not queue %s (%s: %s); a beat task finds the work later",
            task_name,
            type(exc).__name__,
            exc,
        )
        return False
    _down_until = 0.0
    return True
