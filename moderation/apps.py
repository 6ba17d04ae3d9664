from django.apps import AppConfig


class ModerationConfig(AppConfig):
    name = "moderation"

    def ready(self) -> None:
        # The receivers that forget cached domain policies when one changes,
        # and those that log lock-outs, unlocks and two-factor resets.
        from . import account_events, policies  # noqa: F401
