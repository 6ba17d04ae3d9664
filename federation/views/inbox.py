"""The shared inbox and the creators' personal inboxes (POST only)."""

from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from federation import inbox as inbox_path


def _answer(request, *, handle: str):
    try:
        inbox_path.receive(request, inbox_handle=handle)
    except inbox_path.Refused as exc:
        return JsonResponse({"error": exc.reason}, status=exc.status)
    return HttpResponse(status=202)


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
