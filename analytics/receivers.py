"""Bookkeeping on other apps' changes, connected in AnalyticsConfig.ready()."""

from django.db.models.signals import pre_delete
from django.dispatch import receiver

from posts.models import Post

from . import services


@receiver(pre_delete, sender=Post, dispatch_uid="analytics_post_interactions")
def remove_post_interactions(sender, instance: Post, **kwargs) -> None:
    # The database cascade would delete the post's interactions without
    # taking them out of the creator's rollups. Published posts are only
    # soft-deleted; this covers a post removed outright (its creator's
    # account going, or an admin).
    services.interactions_remove_for_post(post_id=instance.pk)
