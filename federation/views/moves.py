"""The creator's "Moving" page: move to another account, undo it, and list
the accounts they had before (docs/federation.md, "Moving accounts")."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from accounts import moves as account_moves
from accounts.models import AccountAlias
from federation import selectors
from federation.outbound import moves
from federation.protocol import ids


def _own_creator(request):
    creator = getattr(request.user, "creator", None)
    if creator is None:
        raise Http404("Only creators can move their account.")
    return creator


def _message(exc: ValidationError) -> str:
    return " ".join(exc.messages)


@require_GET
def moving(request):
    creator = _own_creator(request)
    aliases = [
        {"alias": alias, "arrived": moves.alias_arrivals(alias)}
        for alias in creator.aliases.all()
    ]
    return render(
        request,
        "federation/moving.html",
        {
            "creator": creator,
            "actor_url": ids.actor_id(creator.handle),
            "moved_to": selectors.moved_to(creator),
            "aliases": aliases,
            "can_undo": account_moves.can_undo_move(creator),
            "next_move_at": account_moves.next_move_allowed_at(creator),
            "cooldown_days": account_moves.cooldown().days,
        },
    )


@require_POST
def move_out(request):
    creator = _own_creator(request)
    target = request.POST.get("target", "")[:500]
    try:
        new = moves.creator_move_out(creator=creator, target=target, by=request.user)
    except ValidationError as exc:
        messages.error(request, _message(exc))
    else:
        messages.success(
            request,
            f"Your followers are being told that you moved to {new}. Their "
            "servers move them over in the next minutes.",
        )
    return redirect("moving")


@require_POST
def move_undo(request):
    creator = _own_creator(request)
    try:
        account_moves.creator_move_undo(creator=creator, by=request.user)
    except ValidationError as exc:
        messages.error(request, _message(exc))
    else:
        messages.success(
            request,
            "Your move is undone: this account is no longer marked as moved. "
            "Followers whose servers moved them already stay with the new account.",
        )
    return redirect("moving")


@require_POST
def alias_add(request):
    creator = _own_creator(request)
    account = request.POST.get("account", "")[:500]
    try:
        alias = moves.creator_alias_add(
            creator=creator, account=account, by=request.user
        )
    except ValidationError as exc:
        messages.error(request, _message(exc))
    else:
        messages.success(
            request,
            f"{alias.address} is listed as your old account. You can now start "
            "the move on that account's server.",
        )
    return redirect("moving")


@require_POST
def alias_remove(request, pk: int):
    creator = _own_creator(request)
    alias = get_object_or_404(AccountAlias, pk=pk, creator=creator)
    account_moves.creator_alias_remove(alias=alias, by=request.user)
    messages.success(request, f"{alias.address or alias.uri} is no longer listed.")
    return redirect("moving")
