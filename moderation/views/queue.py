"""The reply queue: one creator's (for them and the agency people they
allowed) and the instance's (for admins).

Filters by status, server and keyword; approve, hide, remove, block the
author or (admins) the server, one by one or in bulk. htmx swaps the list
and, out of band, the counts per status and the messages; without
JavaScript the same forms POST and redirect back.
"""

from dataclasses import dataclass, replace

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import permissions
from analytics.models import Reply
from analytics.services import plain_text
from moderation import policies, selectors, services
from moderation.forms import ReportFileForm
from moderation.views.common import (
    get_moderated_creator_or_404,
    get_moderated_reply_or_404,
    redirect_back,
    refuse_replies,
    require_admin,
    safe_next,
    with_query,
)

QUEUE_PAGE_SIZE = 25
Status = Reply.Status
STATUS_TABS = (
    (Status.HELD, "Held"),
    (Status.VISIBLE, "Visible"),
    (Status.HIDDEN, "Hidden"),
    (Status.REMOVED, "Removed"),
)
BLOCK_AUTHOR = "block_author"
BLOCK_SERVER = "block_server"
ACTIONS = (services.APPROVE, services.HIDE, services.REMOVE, BLOCK_AUTHOR, BLOCK_SERVER)


@dataclass(frozen=True)
class Filters:
    """What the queue shows: one status, a server, a keyword, a page."""

    status: str = Status.HELD
    server: str = ""
    keyword: str = ""
    page: str = "1"

    @classmethod
    def from_data(cls, data) -> "Filters":
        status = data.get("status", "")
        return cls(
            status=status if status in Status.values else Status.HELD,
            server=data.get("server", "").strip()[:255],
            keyword=data.get("q", "").strip()[:100],
            page=str(data.get("page", "") or "1")[:8],
        )

    def params(self) -> dict:
        """Query parameters (defaults left out, so URLs stay short)."""
        return {
            "status": "" if self.status == Status.HELD else self.status,
            "server": self.server,
            "q": self.keyword,
            "page": "" if self.page == "1" else self.page,
        }


def _queue_url(creator) -> str:
    if creator is None:
        return reverse("moderation:instance-queue")
    return reverse("moderation:queue", kwargs={"handle": creator.handle})


def _time_zone(request, creator) -> str:
    owner = creator or getattr(request.user, "creator", None)
    return owner.time_zone if owner is not None else "UTC"


def queue_context(request, *, creator, filters: Filters) -> dict:
    """Everything the queue page and its fragments show."""
    user = request.user
    replies = selectors.reply_queue(
        user=user,
        creator=creator,
        statuses=[filters.status],
        server=filters.server,
        keyword=filters.keyword,
    )
    page = Paginator(replies, QUEUE_PAGE_SIZE).get_page(filters.page)
    filters = replace(filters, page=str(page.number))
    counts = selectors.reply_status_counts(
        user=user, creator=creator, server=filters.server, keyword=filters.keyword
    )
    base = _queue_url(creator)
    tabs = [
        {
            "status": status,
            "label": label,
            "count": counts[status],
            "url": with_query(base, replace(filters, status=status, page="1").params()),
            "current": status == filters.status,
        }
        for status, label in STATUS_TABS
    ]

    def page_url(number):
        return with_query(base, replace(filters, page=str(number)).params())

    return {
        "creator": creator,
        "is_own": creator is not None and creator.user_id == user.pk,
        "instance_wide": creator is None,
        "is_admin": permissions.can_moderate(user),
        # Creators whose threads this person may open: an admin moderates
        # every reply but reads no creator's thread, so gets no link to one.
        "thread_creators": frozenset(
            permissions.creators_visible_to(user).values_list("pk", flat=True)
        ),
        "time_zone": _time_zone(request, creator),
        "filters": filters,
        "filtered": bool(filters.server or filters.keyword),
        "page": page,
        "replies": page.object_list,
        "tabs": tabs,
        "counts": counts,
        "status_label": dict(STATUS_TABS)[filters.status],
        "here": page_url(page.number),
        "base_url": base,
        "previous_url": page_url(page.previous_page_number())
        if page.has_previous()
        else "",
        "next_url": page_url(page.next_page_number()) if page.has_next() else "",
    }


def _render_queue(request, creator):
    filters = Filters.from_data(request.GET)
    context = queue_context(request, creator=creator, filters=filters)
    template = "moderation/queue.html"
    if request.htmx and request.htmx.target == "queue":
        template += "#queue"
    return render(request, template, context)


# Pages -----------------------------------------------------------------------


@require_GET
def moderation_index(request):
    """The creator's own queue; admins without a profile go to the
    instance's; agency people pick a creator."""
    user = request.user
    own = getattr(user, "creator", None)
    if own is not None:
        return redirect("moderation:queue", handle=own.handle)
    if permissions.can_moderate(user):
        return redirect("moderation:instance-queue")
    creators = list(selectors.creators_moderated_by(user).order_by("handle"))
    if len(creators) == 1:
        return redirect("moderation:queue", handle=creators[0].handle)
    held = selectors.held_counts(user=user)
    choices = [{"creator": c, "held": held.get(c.pk, 0)} for c in creators]
    return render(request, "moderation/index.html", {"choices": choices})


@require_GET
def creator_queue(request, handle: str):
    """Replies to one creator's posts that wait for review (or, filtered,
    those shown, hidden or removed)."""
    creator = get_moderated_creator_or_404(request.user, handle)
    return _render_queue(request, creator)


@require_GET
def instance_queue(request):
    """Every creator's queue at once, for admins."""
    require_admin(request.user)
    return _render_queue(request, None)


# Actions ---------------------------------------------------------------------


def _who(replies) -> str:
    handles = sorted({r.actor_handle or r.actor_uri for r in replies})
    return handles[0] if len(handles) == 1 else f"{len(handles)} accounts"


def _replies_words(count: int) -> str:
    return f"{count} repl{pluralize(count, 'y,ies')}"


def _act(request, replies: list[Reply], action: str) -> None:
    """Carry out `action` on `replies` and say what happened, in words."""
    user = request.user
    reason = request.POST.get("reason", "").strip()[:255]
    try:
        if action in (services.APPROVE, services.HIDE, services.REMOVE):
            changed = services.replies_moderate(
                replies=replies, action=action, by=user, reason=reason
            )
            messages.success(request, _moderated_words(action, replies, changed))
        elif action == BLOCK_AUTHOR:
            blocks = services.replies_block_authors(
                replies=replies, by=user, reason=reason
            )
            names = ", ".join(b.actor_handle or b.actor_uri for b in blocks)
            messages.success(
                request,
                f"Blocked {names}: their replies are hidden, they no longer "
                "follow and nothing they send gets through.",
            )
        elif action == BLOCK_SERVER:
            blocked = services.replies_block_servers(
                replies=replies, by=user, reason=reason
            )
            names = ", ".join(p.domain for p in blocked)
            messages.success(
                request,
                f"Blocked {names}: everything from there is refused, its "
                "followers are removed and nothing is delivered there.",
            )
    except ValidationError as exc:
        messages.error(request, f"Nothing was changed: {' '.join(exc.messages)}")


def _moderated_words(action: str, replies: list[Reply], changed: int) -> str:
    if not changed:
        state = {
            services.APPROVE: "shown already",
            services.HIDE: "hidden already",
            services.REMOVE: "removed already",
        }[action]
        which = "that reply was" if len(replies) == 1 else "those replies were"
        return f"Nothing changed: {which} {state}."
    one = changed == 1
    subject = (
        f"the reply by {_who(replies)}"
        if len(replies) == 1
        else _replies_words(changed)
    )
    if action == services.APPROVE:
        return (
            f"Approved {subject}: {'it shows' if one else 'they show'} on the "
            "post's page and to other servers."
        )
    verb = "Hid" if action == services.HIDE else "Removed"
    return (
        f"{verb} {subject}: {'it is' if one else 'they are'} no longer shown on "
        "the post's page or to other servers (still counted in analytics)."
    )


def _scope(request, replies: list[Reply]):
    """The queue the form was on, to show again: a creator's (by handle), or
    the instance's (no handle, admins); a form without it falls back to the
    queue of the replies' creator. Decided before acting, so a queue the
    user may not open refuses the action too."""
    handle = request.POST.get("creator", "")
    if handle:
        return get_moderated_creator_or_404(request.user, handle)
    if permissions.can_moderate(request.user):
        return None
    if replies:
        return replies[0].creator
    return get_moderated_creator_or_404(
        request.user, getattr(getattr(request.user, "creator", None), "handle", "")
    )


def _after_action(request, creator):
    """The updated list with the counts and messages out of band (htmx), or
    back to the queue (no JavaScript)."""
    if request.htmx:
        filters = Filters.from_data(request.POST)
        context = queue_context(request, creator=creator, filters=filters)
        return render(request, "moderation/queue_update.html", context)
    return redirect_back(request, _queue_url(creator))


@require_POST
def reply_act(request, pk: int):
    """One reply: approve, hide, remove, block its author or its server."""
    reply = get_moderated_reply_or_404(request.user, pk)
    action = request.POST.get("action", "")
    if action not in ACTIONS:
        return HttpResponseBadRequest("Unknown action.")
    creator = _scope(request, [reply])
    _act(request, [reply], action)
    return _after_action(request, creator)


@require_POST
def replies_bulk(request):
    """The replies ticked in the queue, all at once."""
    action = request.POST.get("action", "")
    if action not in ACTIONS:
        return HttpResponseBadRequest("Unknown action.")
    try:
        pks = {int(pk) for pk in request.POST.getlist("reply")}
    except ValueError:
        return HttpResponseBadRequest("Not a reply.")
    replies = selectors.replies_by_pk(user=request.user, pks=pks)
    if len(replies) != len(pks):  # one the user may not touch: none at all
        refuse_replies(request.user, pks - {r.pk for r in replies})
    creator = _scope(request, replies)
    if not replies:
        messages.error(request, "Nothing was changed: tick at least one reply first.")
    else:
        _act(request, replies, action)
    return _after_action(request, creator)


@require_http_methods(["GET", "POST"])
def reply_report(request, pk: int):
    """Report a reply (and others by the same account) to the admins, and
    optionally to the admins of the account's server."""
    reply = get_moderated_reply_or_404(request.user, pk)
    theirs = list(
        Reply.objects.filter(creator=reply.creator, actor_uri=reply.actor_uri)
        .select_related("post")
        .order_by("-received_at", "-pk")[:50]
    )
    if reply not in theirs:
        theirs.insert(0, reply)
    choices = [(str(r.pk), plain_text(r.content_html, limit=80)) for r in theirs]
    can_forward = not policies.domain_is_blocked(reply.instance_domain)
    form = ReportFileForm(
        request.POST or None,
        choices=choices,
        server=reply.instance_domain,
        initial={"replies": [str(reply.pk)]},
    )
    back = safe_next(request) or reverse(
        "moderation:queue", kwargs={"handle": reply.creator.handle}
    )
    if request.method == "POST" and form.is_valid():
        chosen = [r for r in theirs if str(r.pk) in form.cleaned_data["replies"]]
        try:
            services.report_file(
                replies=chosen,
                by=request.user,
                comment=form.cleaned_data["comment"],
                forward=can_forward and form.cleaned_data["forward"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            sent = (
                f" A copy goes to the admins of {reply.instance_domain}."
                if can_forward and form.cleaned_data["forward"]
                else ""
            )
            messages.success(
                request,
                f"Reported {_replies_words(len(chosen))} by "
                f"{reply.actor_handle or reply.actor_uri} to this server's admins."
                + sent,
            )
            return redirect(back)
    context = {
        "reply": reply,
        "creator": reply.creator,
        "form": form,
        "theirs": theirs,
        "can_forward": can_forward,
        "back": back,
        "time_zone": reply.creator.time_zone,
    }
    return render(request, "moderation/report_file.html", context)
