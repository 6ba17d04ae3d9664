from django.apps import AppConfig


class ModerationConfig(AppConfig):
    name = "moderation"

    def ready(self) -> None:
        # The receivers that forget cached domain policies when one changes.
        from . import policies  # noqa: F401
