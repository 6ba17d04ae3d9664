from django.apps import AppConfig


class FollowersConfig(AppConfig):
    name = "followers"
    verbose_name = "Followers"
