from django.apps import AppConfig


class FederationConfig(AppConfig):
    name = "federation"

    def ready(self) -> None:
        from accounts import events

        from . import handlers

        events.federation_toggled.connect(
            handlers.on_federation_toggled, dispatch_uid="federation-toggled"
        )
        events.public_profile_changed.connect(
            handlers.on_public_profile_changed, dispatch_uid="profile-changed"
        )
