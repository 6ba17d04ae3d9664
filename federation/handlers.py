"""Reactions to domain events from accounts; connected in FederationConfig."""

from . import services


def on_federation_toggled(sender, *, creator, enabled: bool, **kwargs) -> None:
    if not enabled:
        services.withdraw_creator_from_fediverse(creator=creator)


def on_public_profile_changed(sender, *, creator, **kwargs) -> None:
    services.announce_profile_update(creator=creator)
