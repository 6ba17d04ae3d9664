"""The creator's answers to quote requests, from a post's page."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from posts import quotes
from posts.models import QuoteRequest


def _request_or_404(request, pk: int) -> QuoteRequest:
    # Only the creator's own: consent to be quoted is not delegated.
    return get_object_or_404(
        QuoteRequest.objects.select_related("post__creator"),
        pk=pk,
        post__creator__user=request.user,
    )


def _answer(request, pk: int, service, done: str):
    quote_request = _request_or_404(request, pk)
    try:
        service(quote_request=quote_request, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        who = quote_request.actor_handle or quote_request.actor_uri
        messages.success(request, done.format(who=who))
    return redirect(reverse("posts:detail", args=[quote_request.post_id]) + "#quotes")


@require_POST
def quote_approve(request, pk: int):
    return _answer(
        request,
        pk,
        quotes.quote_request_approve,
        "{who} may quote this post: their server is told now.",
    )


@require_POST
def quote_refuse(request, pk: int):
    return _answer(
        request,
        pk,
        quotes.quote_request_refuse,
        "Refused: {who}'s server is told their quote is not allowed.",
    )


@require_POST
def quote_withdraw(request, pk: int):
    return _answer(
        request,
        pk,
        quotes.quote_authorization_revoke,
        "Permission withdrawn: servers are told {who} may no longer quote this post.",
    )
