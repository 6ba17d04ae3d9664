"""The accounts a creator blocked, and unblocking them."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from accounts import permissions
from moderation import selectors, services
from moderation.models import ActorBlock
from moderation.views.common import get_moderated_creator_or_404, redirect_back


@require_GET
def creator_blocks(request, handle: str):
    creator = get_moderated_creator_or_404(request.user, handle)
    context = {
        "creator": creator,
        "is_own": creator.user_id == request.user.pk,
        "is_admin": permissions.can_moderate(request.user),
        "tab": "blocks",
        "blocks": list(selectors.blocks_of(creator).select_related("created_by")),
        "time_zone": creator.time_zone,
    }
    return render(request, "moderation/blocks.html", context)


@require_POST
def block_remove(request, pk: int):
    """Unblock: the account is sent `Undo(Block)`; its hidden replies stay
    hidden."""
    block = ActorBlock.objects.select_related("creator").filter(pk=pk).first()
    if block is None:
        raise Http404("No such block.")
    # 403 for who can see the creator but not moderate, 404 for the rest.
    get_moderated_creator_or_404(request.user, block.creator.handle)
    services.actor_unblock(block=block, by=request.user)
    messages.success(
        request,
        f"Unblocked {block.actor_handle or block.actor_uri}: what they send "
        "reaches you again. Replies hidden when you blocked them stay hidden.",
    )
    return redirect_back(
        request, reverse("moderation:blocks", kwargs={"handle": block.creator.handle})
    )
