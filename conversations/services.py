"""Assigning a conversation to a teammate, marking it done, reopening it.

Each needs the answer scope for the reply's creator, read afresh, so a
creator who takes the scope back stops an open session at once.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from accounts import permissions
from accounts.models import User
from analytics.models import Reply
from conversations.models import Conversation
from conversations.selectors import teammates_for


def _require_answerer(by: User, reply: Reply) -> None:
    if not permissions.can_answer_for(by, reply.creator):
        raise PermissionDenied("You may not answer replies for this creator.")


def _locked(reply: Reply) -> Conversation:
    conversation, _ = Conversation.objects.select_for_update().get_or_create(
        reply=reply
    )
    return conversation


@transaction.atomic
def conversation_assign(*, reply: Reply, to: User | None, by: User) -> Conversation:
    """Hand the conversation to `to` (None: nobody).

    Only a member of one of `by`'s agencies who may answer for the creator
    (or `by` themself) can take it: never someone outside the agency.
    """
    _require_answerer(by, reply)
    if to is not None and to.pk != by.pk:
        allowed = teammates_for(user=by, creator=reply.creator).filter(pk=to.pk)
        if not allowed.exists() or not permissions.can_answer_for(to, reply.creator):
            raise ValidationError(
                {"assigned_to": "Only a teammate who may answer for this creator."}
            )
    conversation = _locked(reply)
    conversation.assigned_to = to
    conversation.assigned_by = by if to is not None else None
    conversation.assigned_at = timezone.now() if to is not None else None
    conversation.save(update_fields=["assigned_to", "assigned_by", "assigned_at"])
    return conversation


@transaction.atomic
def conversation_mark_done(*, reply: Reply, by: User) -> Conversation:
    """Mark the conversation handled; doing it twice keeps the first time."""
    _require_answerer(by, reply)
    conversation = _locked(reply)
    if conversation.done_at is None:
        conversation.done_at = timezone.now()
        conversation.done_by = by
        conversation.save(update_fields=["done_at", "done_by"])
    return conversation


@transaction.atomic
def conversation_reopen(*, reply: Reply, by: User) -> Conversation:
    """Open a done conversation again."""
    _require_answerer(by, reply)
    conversation = _locked(reply)
    conversation.done_at = None
    conversation.done_by = None
    conversation.save(update_fields=["done_at", "done_by"])
    return conversation
