"""What a follower's server is told about its Follow: an Accept or a Reject
embedding it, as Mastodon sends them (AcceptFollowSerializer), delivered to
the follower's own inbox. The decisions are the followers app's; these run
from its events (federation.handlers), inside the transaction that made
them.
"""

import hashlib

from federation.outbound import services
from federation.protocol import ids
from federation.protocol.activitypub import AS_CONTEXT
from followers.models import Follow


def _answer_id(follow: Follow, kind: str) -> str:
    """A stable id per (follow request, answer): a retried task queues the
    same activity once, and a new request from the same person gets a new
    answer."""
    # The request's own id, hashed: a refused request is never saved, so
    # it has no pk to name it by.
    digest = hashlib.sha256(follow.follow_activity_id.encode()).hexdigest()[:16]
    return f"{ids.actor_id(follow.creator.handle)}#{kind}/follows/{digest}"


def _answer(follow: Follow, kind: str) -> dict:
    actor = ids.actor_id(follow.creator.handle)
    return {
        "@context": AS_CONTEXT,
        "id": _answer_id(follow, kind.lower() + "s"),
        "type": kind,
        "actor": actor,
        "object": {
            "id": follow.follow_activity_id,
            "type": "Follow",
            "actor": follow.actor.ap_id,
            "object": actor,
        },
    }


def accept_activity(follow: Follow) -> dict:
    return _answer(follow, "Accept")


def reject_activity(follow: Follow) -> dict:
    """Reject(Follow): refuses a request or, later, removes a follower."""
    return _answer(follow, "Reject")


def send_accept(follow: Follow) -> None:
    _send(follow, accept_activity(follow))


def send_reject(follow: Follow) -> None:
    _send(follow, reject_activity(follow))


def _send(follow: Follow, payload: dict) -> None:
    # The follower's own inbox, as Mastodon delivers answers to follows.
    services.queue_activity(
        creator=follow.creator, payload=payload, inboxes={follow.actor.inbox_url}
    )
