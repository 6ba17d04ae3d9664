"""The one reply inbox in the dashboard: every creator's replies, quotes and
mentions the user may read, with filters in the URL, answering (through the inbox's
answer form), assigning and marking done, and a fragment polled for new
items."""

from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.http import require_GET, require_POST

from accounts.models import User
from analytics.models import Reply, Software
from conversations import selectors, services

PAGE_SIZE = 25
# New items are inserted a page at a time at most.
NEW_LIMIT = 50


def _context_items(request, access, replies) -> list[dict]:
    """Each reply with its state, and what the user may do with it: answer
    and assign (to whom) only with the answer scope for its creator."""
    mine = {}
    items = []
    for reply in replies:
        creator = reply.creator
        if creator.pk not in mine:
            mine[creator.pk] = (
                list(selectors.teammates_for(user=request.user, creator=creator))
                if creator.pk in access.answerable
                else []
            )
        state = selectors.item_state(reply)
        items.append(
            {
                "reply": reply,
                "creator": creator,
                "state": state,
                "state_label": selectors.STATE_LABELS[state],
                "conversation": getattr(reply, "conversation", None),
                "can_answer": creator.pk in access.answerable
                and reply.status == Reply.Status.VISIBLE,
                "teammates": mine[creator.pk],
            }
        )
    return items


def _newest_marker(replies) -> str:
    if not replies:
        return ""
    newest = replies[0]
    return urlencode({"after": newest.received_at.isoformat(), "after_pk": newest.pk})


def _first_page_marker(replies) -> str:
    """From the newest item shown; an empty inbox counts from now."""
    return _newest_marker(replies) or urlencode(
        {"after": timezone.now().isoformat(), "after_pk": 0}
    )


def _base_context(request, access, filters) -> dict:
    return {
        "filters": filters,
        "filter_query": urlencode(filters.as_query()),
        "access": access,
        "creators": access.creators(),
        "platforms": Software.choices,
        "kinds": selectors.KIND_CHOICES,
        "may_see_held": bool(access.moderated),
        "may_act": bool(access.answerable),
    }


@require_GET
def reply_inbox(request):
    """The list, newest first, a page at a time."""
    access = selectors.inbox_access_for(request.user)
    if not access.readable:
        raise Http404("No inbox here.")
    filters = selectors.inbox_filters_from(request.GET)
    if filters.held and not access.moderated:
        filters = selectors.InboxFilters(**{**filters.__dict__, "held": False})
    rows = selectors.reply_inbox(user=request.user, access=access, filters=filters)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    replies = list(page.object_list)
    context = _base_context(request, access, filters) | {
        "page": page,
        "items": _context_items(request, access, replies),
        # The poller asks only for what arrived after the newest shown.
        "after_query": _first_page_marker(replies) if page.number == 1 else "",
    }
    return render(request, "conversations/inbox.html", context)


@require_GET
def reply_inbox_new(request):
    """Polled every 12 s: a bar saying how many new items wait; with
    ?show=1, the new items themselves, with the bar reset after them."""
    access = selectors.inbox_access_for(request.user)
    if not access.readable:
        raise Http404("No inbox here.")
    filters = selectors.inbox_filters_from(request.GET)
    after = parse_datetime(request.GET.get("after") or "")
    try:
        after_pk = int(request.GET.get("after_pk") or 0)
    except ValueError:
        return HttpResponseBadRequest("after_pk must be a number.")
    if after is None:
        return HttpResponseBadRequest("after must be a date and time.")
    rows = selectors.reply_inbox_since(
        user=request.user,
        access=access,
        filters=filters,
        after=after,
        after_pk=after_pk,
    )
    context = _base_context(request, access, filters)
    if request.GET.get("show") != "1":
        context |= {
            "new_count": rows[:NEW_LIMIT].count(),
            "after_query": urlencode(
                {"after": after.isoformat(), "after_pk": after_pk}
            ),
        }
        return render(request, "conversations/inbox.html#new-bar", context)
    replies = list(rows[:NEW_LIMIT])
    context |= {
        "items": _context_items(request, access, replies),
        "new_count": 0,
        "after_query": _newest_marker(replies)
        or urlencode({"after": after.isoformat(), "after_pk": after_pk}),
    }
    return render(request, "conversations/new_items.html", context)


def _get_reply_or_404(user, access, pk: int) -> Reply:
    reply = selectors.inbox_reply_get(user=user, access=access, pk=pk)
    if reply is None:
        raise Http404("No such reply.")
    return reply


def _back(request):
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(reverse("conversations:inbox"))


def _item_response(request, access, reply: Reply):
    """The item again (htmx swaps it in place), or back to the list."""
    if not request.htmx:
        return _back(request)
    rows = selectors.reply_inbox(
        user=request.user, access=access, filters=selectors.InboxFilters()
    )
    fresh = rows.filter(pk=reply.pk).first()
    if fresh is None:
        return render(request, "conversations/_gone.html")
    (item,) = _context_items(request, access, [fresh])
    context = {"item": item, "may_act": bool(access.answerable)}
    return render(request, "conversations/_item.html", context)


def _act(request, pk: int, action):
    access = selectors.inbox_access_for(request.user)
    reply = _get_reply_or_404(request.user, access, pk)
    try:
        action(reply)
    except ValidationError as exc:
        return HttpResponseBadRequest(" ".join(exc.messages))
    return _item_response(request, access, reply)


@require_POST
def conversation_assign(request, pk: int):
    """Hand the conversation to a teammate (`assigned_to`, empty: nobody)."""
    raw = request.POST.get("assigned_to") or ""
    to = None
    if raw:
        to = User.objects.filter(pk=raw if raw.isdigit() else 0).first()
        if to is None:
            return HttpResponseBadRequest("No such teammate.")
    return _act(
        request,
        pk,
        lambda reply: services.conversation_assign(reply=reply, to=to, by=request.user),
    )


@require_POST
def conversation_done(request, pk: int):
    return _act(
        request,
        pk,
        lambda reply: services.conversation_mark_done(reply=reply, by=request.user),
    )


@require_POST
def conversation_reopen(request, pk: int):
    return _act(
        request,
        pk,
        lambda reply: services.conversation_reopen(reply=reply, by=request.user),
    )
