"""Who on a creator's team handles a remote reply, and whether it is done.

One row per reply that someone assigned or marked done; a reply without a
row is open and unassigned. Answering is not stored here: an answer is a
published post whose inReplyTo is the reply (posts), read when listing.
"""

from django.conf import settings
from django.db import models

from analytics.models import Reply


class Conversation(models.Model):
    reply = models.OneToOneField(
        Reply, on_delete=models.CASCADE, related_name="conversation"
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_conversations",
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    assigned_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    def __str__(self) -> str:
        return f"conversation on reply {self.reply_id}"

    @property
    def is_done(self) -> bool:
        return self.done_at is not None
