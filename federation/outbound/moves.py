"""Moving accounts, the network's part (accounts.moves decides and records).

Out: the creator names their new account; it is fetched now (WebFinger,
then the actor, through the SSRF-safe client) and must list this creator's
actor in `alsoKnownAs`, as Mastodon requires before it starts a move
(MoveService). Then accounts.moves records the move, its event records a
`creator.move` outbox job in the same transaction, and the job sends an
`Update` of the actor (now with `movedTo`) and a `Move` to every follower's
server. Each follower's server then follows the new account and unfollows
this one (Mastodon's MoveWorker).

In: the creator names an old account to list in `alsoKnownAs`; it is
resolved the same way, so what is listed is the actor id the old server
will name in its `Move`.
"""

import logging
import time

from django.conf import settings
from django.core.exceptions import ValidationError

from accounts import moves
from accounts.models import AccountAlias, CreatorProfile, User
from federation.models import OutboundActivity, RemoteActor
from federation.outbound import services
from federation.protocol import activitypub, client, ids, remote
from followers.models import Follow

logger = logging.getLogger(__name__)


class MoveRefused(ValidationError):
    """The other account cannot be used, said in words for the creator."""


def _resolve(text: str) -> tuple[dict, RemoteActor]:
    if not text.strip():
        raise MoveRefused("Type the address of the account, like @you@mastodon.social.")
    try:
        return remote.resolve_account(text)
    except remote.ActorGone:
        raise MoveRefused(f"{text} has been deleted on its server.") from None
    except remote.ResolveError as exc:
        raise MoveRefused(f"{text} could not be found: {exc}") from None
    except client.UnsafeURL:
        raise MoveRefused(
            f"{text} could not be found: it is not on an address this server may reach."
        ) from None
    except client.OutboundError as exc:
        # The network's own words (connection pools, TLS errors) are for
        # the log, not for the creator.
        logger.info("account %s not reached: %s", text, exc)
        raise MoveRefused(
            f"{text} could not be found: its server did not answer. Check the "
            "address, or try again later."
        ) from None


def _aliases(document: dict) -> set[str]:
    value = document.get("alsoKnownAs")
    values = value if isinstance(value, list) else [value]
    return {
        item.get("id") if isinstance(item, dict) else item
        for item in values
        if isinstance(item, str | dict)
    }


def creator_move_out(*, creator: CreatorProfile, target: str, by: User) -> str:
    """Move the creator's followers to `target` (an address or a URL);
    returns the new account's actor id. MoveRefused says why not."""
    moves.check_is_creator(creator, by)
    moves.check_can_move(creator)  # before fetching; the service checks again
    document, target_actor = _resolve(target)
    actor_id = ids.actor_id(creator.handle)
    if target_actor.ap_id == actor_id:
        raise MoveRefused("That is this account: name the account you moved to.")
    if actor_id not in _aliases(document):
        address = f"{creator.handle}@{settings.CREATORHUB_DOMAIN}"
        raise MoveRefused(
            f"{target.strip()} does not list this account as an alias yet. On the "
            f"new account, add {address} as an alias "
            "(on Mastodon: Preferences → Account → Moving from a different "
            "account), then try again."
        )
    moves.creator_move_out(creator=creator, target_uri=target_actor.ap_id, by=by)
    logger.info("creator %s moved to %s", creator.handle, target_actor.ap_id)
    return target_actor.ap_id


def creator_alias_add(*, creator: CreatorProfile, account: str, by: User):
    """List the old account (an address or a URL) in `alsoKnownAs`."""
    moves.check_is_creator(creator, by)
    _, actor = _resolve(account)
    if actor.ap_id == ids.actor_id(creator.handle):
        raise MoveRefused("That is this account: name the account you had before.")
    address = f"@{actor.username}@{remote.host_of(actor.ap_id)}"
    return moves.creator_alias_add(
        creator=creator, uri=actor.ap_id, address=address, by=by
    )


def alias_arrivals(alias: AccountAlias) -> int:
    """Follows received since the alias was added: who has moved here so
    far, as far as can be told (a Follow does not say why it was sent)."""
    return Follow.objects.filter(
        creator_id=alias.creator_id,
        state=Follow.State.ACCEPTED,
        created_at__gte=alias.added_at,
    ).count()


def move_activity(creator: CreatorProfile, *, target: str, stamp: int) -> dict:
    """`Move` as Mastodon sends it (MoveSerializer): the actor moves itself."""
    actor = ids.actor_id(creator.handle)
    return {
        "@context": activitypub.AS_CONTEXT,
        "id": f"{actor}#moves/{stamp}",
        "type": "Move",
        "actor": actor,
        "object": actor,
        "target": target,
        "to": [f"{actor}/followers"],
    }


def send_move(*, creator_id: int, stamp: int | None = None) -> OutboundActivity | None:
    """The outbox job of a move: `Update` of the actor, then `Move`, to every
    follower's server. Nothing if the move was undone before it ran."""
    creator = CreatorProfile.objects.filter(pk=creator_id).first()
    if creator is None or not creator.moved_to_uri or not creator.share_to_fediverse:
        return None
    stamp = stamp or time.time_ns()
    services.announce_profile_update(creator=creator, stamp=stamp)
    if not services.has_followers(creator):
        return None
    return services.queue_activity(
        creator=creator,
        payload=move_activity(creator, target=creator.moved_to_uri, stamp=stamp),
        followers_of=creator,
    )
