from pathlib import Path

from django.apps import AppConfig
from django.conf import settings


class CreatorHubConfig(AppConfig):
    name = "creatorhub"
    verbose_name = "Operations"

    def ready(self) -> None:
        # The embedded file broker needs its folders before the first message.
        options = getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {})
        for key in ("data_folder_in", "data_folder_out", "control_folder"):
            if key in options:
                Path(options[key]).mkdir(parents=True, exist_ok=True)
