"""The shared inbox and the creators' personal inboxes (POST only)."""

from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from federation.inbound import inbox as inbox_path
from federation.inbound import verification


def _answer(request, *, handle: str):
    try:
        inbox_path.receive(request, inbox_handle=handle)
    except inbox_path.Refused as exc:
        return _refusal(exc)
    return HttpResponse(status=202)


def _refusal(exc: inbox_path.Refused) -> JsonResponse:
    response = JsonResponse({"error": exc.reason}, status=exc.status)
    if exc.retry_after is not None:  # over the server's rate (429)
        response["Retry-After"] = str(exc.retry_after)
    elif exc.status == 503:  # the key or the database, for now: senders retry
        response["Retry-After"] = str(verification.RETRY_AFTER_SECONDS)
    return response


@csrf_exempt
@login_not_required
@require_POST
def shared_inbox(request):
    return _answer(request, handle="")


@csrf_exempt
@login_not_required
@require_POST
def actor_inbox(request, handle: str):
    return _answer(request, handle=handle)
