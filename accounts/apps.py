from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts and agencies"

    def ready(self) -> None:
        # The receivers that record and forget login sessions.
        from . import login_sessions  # noqa: F401
