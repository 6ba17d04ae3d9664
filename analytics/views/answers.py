"""Answering a remote reply (or mention) from the dashboard.

The thread pages that show replies live in federation.views.dashboard
(they need ActivityPub ids); answering needs only the reply and posts.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from accounts import permissions
from accounts.forms import add_service_errors
from analytics.forms import AnswerForm, bare_handle
from analytics.models import Reply
from analytics.selectors import SHOWN_REPLY_STATUSES, ThreadNode
from posts import services as post_services


def get_reply_or_404(user, pk: int) -> Reply:
    """A reply shown to the creator (visible or held), of a creator the user
    may see, or 404."""
    reply = (
        Reply.objects.select_related("creator", "post")
        .filter(
            pk=pk,
            status__in=SHOWN_REPLY_STATUSES,
            creator__in=permissions.creators_visible_to(user),
        )
        .first()
    )
    if reply is None:
        raise Http404("No such reply.")
    return reply


@require_http_methods(["GET", "POST"])
def reply_answer(request, pk: int):
    """The answer form under a reply (htmx), and sending the answer.

    The answer is published at once as a post `inReplyTo` the reply and
    addressed to its author; it then shows in the thread with its delivery.
    """
    reply = get_reply_or_404(request.user, pk)
    creator = reply.creator
    if not permissions.can_answer_for(request.user, creator):
        raise PermissionDenied("Only the creator and the people they allowed may.")
    if reply.is_mention:  # no thread of the creator's: back to the inbox
        thread_url = reverse("conversations:inbox")
    else:
        thread_url = reverse("inbox:post-replies", kwargs={"pk": reply.post_id})
    form = AnswerForm(request.POST or None, reply=reply, creator=creator)
    if request.method == "POST" and form.is_valid():
        try:
            answer = post_services.post_answer_reply(
                creator=creator,
                by=request.user,
                in_reply_to_uri=reply.ap_id,
                reply_author_handle=bare_handle(reply.actor_handle),
                body=form.cleaned_data["body"],
                visibility=form.cleaned_data["visibility"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc, field="body")
        else:
            if not request.htmx:
                return redirect(f"{thread_url}#answer-{answer.pk}")
            node = ThreadNode(answer=answer)
            context = {
                "node": node,
                "creator": creator,
                "answered": reply,
                "time_zone": creator.time_zone,
            }
            return render(request, "inbox/answer_sent.html", context)
    context = {
        "reply": reply,
        "creator": creator,
        "form": form,
        "thread_url": thread_url,
        "time_zone": creator.time_zone,
    }
    if request.htmx:
        return render(request, "inbox/answer.html#answer-form", context)
    return render(request, "inbox/answer.html", context)
