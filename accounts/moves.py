"""Moving accounts: a creator leaving for another account, or arriving here.

Moving out sets `movedTo` on the creator's actor and tells followers'
servers with a `Move`; their servers then follow the new account and drop
this one (Mastodon's MoveService and MoveWorker). Moving in means listing
the old account in `alsoKnownAs` (an AccountAlias), so that the old
server's `Move` is accepted by the followers' servers, which then send an
ordinary `Follow` here.

Finding the other account and checking that it names this one is the
network's business: federation does it and calls these functions with
what it found. They decide, record and announce (accounts.events) in one
transaction; federation records the `Move` or the actor's `Update` in it.

The cooldown is Mastodon's (AccountMigration::COOLDOWN_PERIOD, 30 days): a
creator may move once in `ACCOUNT_MOVE_COOLDOWN_DAYS`, and may undo a move
within that time. Undoing clears `movedTo` and sends an `Update` of the
actor; followers whose servers have moved them already stay moved.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from . import events
from .models import AccountAlias, CreatorProfile, User

MAX_ALIASES = 10  # Mastodon's limit of account aliases is in the same range.


def cooldown() -> timedelta:
    return timedelta(days=settings.ACCOUNT_MOVE_COOLDOWN_DAYS)


def check_is_creator(creator: CreatorProfile, by: User) -> None:
    # Only the creator decides where their followers go: an agency cannot.
    if by.pk != creator.user_id:
        raise PermissionDenied("Only the creator can move their account.")


def next_move_allowed_at(creator: CreatorProfile) -> datetime | None:
    """When the creator may move again, or None when they may now."""
    if creator.moved_at is None:
        return None
    allowed = creator.moved_at + cooldown()
    return allowed if allowed > timezone.now() else None


def check_can_move(creator: CreatorProfile) -> None:
    """ValidationError, in words, while the cooldown of the last move runs."""
    allowed = next_move_allowed_at(creator)
    if allowed is not None:
        raise ValidationError(
            f"You moved less than {settings.ACCOUNT_MOVE_COOLDOWN_DAYS} days ago. "
            f"You can move again from {allowed:%-d %B %Y}."
        )


def can_undo_move(creator: CreatorProfile) -> bool:
    return bool(creator.moved_to_uri) and next_move_allowed_at(creator) is not None


@transaction.atomic
def creator_move_out(*, creator: CreatorProfile, target_uri: str, by: User) -> None:
    """Mark the creator as moved to `target_uri` and announce it.

    The caller has fetched the target and checked that it lists this
    creator's actor in `alsoKnownAs`.
    """
    check_is_creator(creator, by)
    creator = CreatorProfile.objects.select_for_update().get(pk=creator.pk)
    if not creator.share_to_fediverse:
        raise ValidationError(
            "Turn on sharing to the fediverse first: only then can your followers "
            "be moved."
        )
    check_can_move(creator)
    creator.moved_to_uri = target_uri
    creator.moved_at = timezone.now()
    creator.save(update_fields=["moved_to_uri", "moved_at", "updated_at"])
    events.creator_moved.send(sender=CreatorProfile, creator=creator)


@transaction.atomic
def creator_move_undo(*, creator: CreatorProfile, by: User) -> None:
    """Clear `movedTo` within the cooldown; the cooldown itself stays."""
    check_is_creator(creator, by)
    creator = CreatorProfile.objects.select_for_update().get(pk=creator.pk)
    if not creator.moved_to_uri:
        raise ValidationError("This account has not moved.")
    if not can_undo_move(creator):
        raise ValidationError(
            f"A move can only be undone within {settings.ACCOUNT_MOVE_COOLDOWN_DAYS} "
            "days."
        )
    creator.moved_to_uri = ""
    creator.save(update_fields=["moved_to_uri", "updated_at"])
    if creator.share_to_fediverse:
        events.public_profile_changed.send(sender=CreatorProfile, creator=creator)


@transaction.atomic
def creator_alias_add(
    *, creator: CreatorProfile, uri: str, address: str, by: User
) -> AccountAlias:
    """List an old account in the creator's `alsoKnownAs`."""
    check_is_creator(creator, by)
    if creator.aliases.filter(uri=uri).exists():
        raise ValidationError("That account is listed already.")
    if creator.aliases.count() >= MAX_ALIASES:
        raise ValidationError(f"You can list at most {MAX_ALIASES} old accounts.")
    alias = AccountAlias.objects.create(creator=creator, uri=uri, address=address)
    if creator.share_to_fediverse:
        events.public_profile_changed.send(sender=CreatorProfile, creator=creator)
    return alias


@transaction.atomic
def creator_alias_remove(*, alias: AccountAlias, by: User) -> None:
    creator = alias.creator
    check_is_creator(creator, by)
    alias.delete()
    if creator.share_to_fediverse:
        events.public_profile_changed.send(sender=CreatorProfile, creator=creator)
