"""The creator's inbox in the dashboard: notifications, followers, follow
requests, and the replies under each post.

These pages live in federation because they show follows (a federation
model) and ActivityPub ids beside analytics' interactions and replies.
Anyone who may see the creator reads them; only the creator and the agency
people allowed to manage posts approve, reject, remove or answer.
"""

from collections import Counter
from datetime import timedelta
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from accounts import permissions, switching
from accounts.models import CreatorProfile
from analytics import selectors as inbox
from analytics.models import Reply
from analytics.selectors import NotificationKind
from analytics.templatetags.inbox_ui import zone_of
from federation.models import RemoteInstance
from federation.protocol import ids
from followers import services as follower_services
from followers.models import Follow
from posts import selectors as post_selectors
from posts.models import Post

FOLLOWERS_PAGE_SIZE = 50
# Follow requests shown above the notifications; the rest are a click away.
REQUESTS_ON_NOTIFICATIONS = 5
FOLLOWER_SORTS = {
    "recent": ("-accepted_at", "-pk"),
    "name": ("actor__username", "pk"),
    "server": ("actor__instance__domain", "actor__username"),
    "platform": ("actor__instance__software", "actor__instance__domain", "pk"),
}
FOLLOWER_SORT_LABELS = {
    "recent": "Newest first",
    "name": "Name",
    "server": "Server",
    "platform": "Platform",
}


# Lookups ---------------------------------------------------------------------


def _require_manager(user, creator: CreatorProfile) -> None:
    """403 for someone who may read this creator's inbox but not act on it.

    The creator is visible to them (lookups 404 otherwise), so a 403 leaks
    nothing and tells an analyst why the button is not theirs.
    """
    if not permissions.can_moderate_replies_for(user, creator):
        raise PermissionDenied("Only the creator and the people they allowed may.")


def _get_follow_or_404(user, pk: int) -> Follow:
    follow = (
        Follow.objects.select_related("creator", "actor__instance")
        .filter(pk=pk, creator__in=permissions.creators_visible_to(user))
        .first()
    )
    if follow is None:
        raise Http404("No such follower.")
    return follow


def _get_post_or_404(user, pk: int) -> Post:
    post = (
        Post.objects.select_related("creator")
        .filter(
            pk=pk,
            state=Post.State.PUBLISHED,
            creator__in=permissions.creators_visible_to(user),
        )
        .first()
    )
    if post is None:
        raise Http404("No such post.")
    return post


def _pending_requests(creator: CreatorProfile):
    return (
        Follow.objects.filter(creator=creator, state=Follow.State.PENDING)
        .select_related("actor__instance")
        .order_by("-created_at", "-pk")
    )


def _inbox_context(request, creator: CreatorProfile, *, tab: str) -> dict:
    """What every inbox page of one creator shows around its content."""
    user = request.user
    return {
        "creator": creator,
        "tab": tab,
        "can_manage": permissions.can_moderate_replies_for(user, creator),
        "can_answer": permissions.can_answer_for(user, creator),
        "is_own": creator.user_id == user.pk,
        "time_zone": creator.time_zone,
        "pending_count": _pending_requests(creator).count(),
        "follower_count": Follow.objects.filter(
            creator=creator, state=Follow.State.ACCEPTED
        ).count(),
    }


def _back(request, fallback: str):
    """To the page the button was on (`next`), if it is one of ours."""
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(fallback)


# Pages -----------------------------------------------------------------------


@require_GET
def inbox_index(request):
    """The creator's own notifications; people at agencies pick a creator."""
    user = request.user
    chosen = switching.chosen_creator(request)
    if chosen is not None:  # in the header's creator menu
        return redirect("inbox:notifications", handle=chosen.handle)
    own = getattr(user, "creator", None)
    if own is not None:
        return redirect("inbox:notifications", handle=own.handle)
    visible = list(permissions.creators_visible_to(user).order_by("handle"))
    if len(visible) == 1:
        return redirect("inbox:notifications", handle=visible[0].handle)
    pending = dict(
        Follow.objects.filter(creator__in=visible, state=Follow.State.PENDING)
        .values_list("creator")
        .annotate(n=Count("pk"))
        .order_by()
    )
    choices = [{"creator": c, "pending": pending.get(c.pk, 0)} for c in visible]
    return render(request, "inbox/index.html", {"choices": choices})


@require_GET
def notifications(request, handle: str):
    """Who followed, liked, boosted, reacted, replied, mentioned or quoted,
    newest first and grouped by day on the creator's clock; follow requests
    waiting for approval on top. htmx asks for further pages."""
    creator = permissions.get_visible_creator_or_404(request.user, handle)
    kind = request.GET.get("kind", "")
    if kind not in NotificationKind.ALL:
        kind = ""
    before = request.GET.get("before") or None
    try:
        page = inbox.notifications_for(
            creator=creator, kinds=[kind] if kind else None, before=before
        )
    except ValueError:
        return HttpResponseBadRequest("This page of notifications does not exist.")

    seen_at = creator.last_seen_notifications_at
    if before is not None:
        # Further pages mark as new what was new when the feed was opened.
        seen_at = _aware(request.GET.get("seen", "")) or seen_at
    elif creator.user_id == request.user.pk:
        # Opening the feed reads it; an agency's visit does not.
        CreatorProfile.objects.filter(pk=creator.pk).update(
            last_seen_notifications_at=timezone.now()
        )

    states = _follow_states(creator, page.items)
    zone = zone_of(creator.time_zone)
    today = timezone.now().astimezone(zone).date()
    days: list[dict] = []
    for item in page.items:
        day = item.when.astimezone(zone).date()
        if not days or days[-1]["date"] != day:
            days.append({"date": day, "label": _day_label(day, today), "items": []})
        days[-1]["items"].append(
            {
                "n": item,
                "is_new": seen_at is None or item.when > seen_at,
                "follow_state": states.get(item.actor_uri, "")
                if item.kind == NotificationKind.FOLLOW
                else "",
            }
        )
    continued_day = request.GET.get("day", "")
    if days and days[0]["date"].isoformat() == continued_day:
        days[0]["continued"] = True

    more_url = ""
    if page.next_cursor:
        query = {"before": page.next_cursor, "day": days[-1]["date"].isoformat()}
        if kind:
            query["kind"] = kind
        if seen_at is not None:
            query["seen"] = seen_at.isoformat()
        more_url = f"{request.path}?{urlencode(query)}"

    context = {
        **_inbox_context(request, creator, tab="notifications"),
        "days": days,
        "kind": kind,
        "kinds": NotificationKind.CHOICES,
        "more_url": more_url,
        "requests": [],
    }
    if before is not None and request.htmx:
        return render(request, "inbox/notifications.html#feed-page", context)
    if kind in ("", NotificationKind.FOLLOW):
        context["requests"] = list(
            _pending_requests(creator)[:REQUESTS_ON_NOTIFICATIONS]
        )
    if not kind and permissions.can_approve_posts_of(request.user, creator):
        # Posts an agency wrote for the creator wait on top, like follow
        # requests: only the creator approves them.
        context["approvals"] = list(
            post_selectors.posts_awaiting_approval(creator=creator)
        )
    return render(request, "inbox/notifications.html", context)


def _aware(text: str):
    """An aware datetime from a query parameter, or None."""
    try:
        moment = parse_datetime(text)
    except ValueError:
        return None
    return moment if moment is not None and moment.tzinfo is not None else None


def _follow_states(creator, items) -> dict[str, str]:
    """Whether each follower in `items` is pending, accepted or rejected now."""
    uris = {n.actor_uri for n in items if n.kind == NotificationKind.FOLLOW}
    if not uris:
        return {}
    return dict(
        Follow.objects.filter(creator=creator, actor__ap_id__in=uris).values_list(
            "actor__ap_id", "state"
        )
    )


def _day_label(day, today) -> str:
    if day == today:
        return "Today"
    if day == today - timedelta(days=1):
        return "Yesterday"
    label = f"{day:%A} {day.day} {day:%B}"
    return label if day.year == today.year else f"{label} {day.year}"


@require_GET
def followers(request, handle: str):
    """Accepted followers with their server and platform: counts per
    platform, search, sort, and (for managers) remove."""
    creator = permissions.get_visible_creator_or_404(request.user, handle)
    accepted = Follow.objects.filter(creator=creator, state=Follow.State.ACCEPTED)
    by_platform = Counter(
        dict(
            accepted.values_list("actor__instance__software")
            .annotate(n=Count("pk"))
            .order_by()
        )
    )
    platforms = [
        {"value": value, "label": label, "count": by_platform[value]}
        for value, label in RemoteInstance.Software.choices
        if by_platform[value]
    ]

    query = request.GET.get("q", "").strip()[:100]
    platform = request.GET.get("platform", "")
    if platform not in RemoteInstance.Software.values:
        platform = ""
    sort = request.GET.get("sort", "recent")
    if sort not in FOLLOWER_SORTS:
        sort = "recent"
    rows = accepted.select_related("actor__instance")
    if query:
        bare = query.lstrip("@")
        user_part, _, domain_part = bare.partition("@")
        match = (
            Q(actor__username__icontains=bare)
            | Q(actor__display_name__icontains=query)
            | Q(actor__instance__domain__icontains=bare)
        )
        if domain_part:
            match |= Q(
                actor__username__iexact=user_part,
                actor__instance__domain__icontains=domain_part,
            )
        rows = rows.filter(match)
    if platform:
        rows = rows.filter(actor__instance__software=platform)
    paginator = Paginator(rows.order_by(*FOLLOWER_SORTS[sort]), FOLLOWERS_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    filters = {k: v for k, v in (("q", query), ("platform", platform)) if v}
    if sort != "recent":
        filters["sort"] = sort

    context = {
        **_inbox_context(request, creator, tab="followers"),
        "page": page,
        "platforms": platforms,
        "query": query,
        "platform": platform,
        "sort": sort,
        "sorts": FOLLOWER_SORT_LABELS.items(),
        "filters": urlencode(filters),
        "platform_links": [
            {
                **p,
                "url": "?" + urlencode({**filters, "platform": p["value"]}),
                "current": p["value"] == platform,
            }
            for p in platforms
        ],
        "all_platforms_url": "?"
        + urlencode({k: v for k, v in filters.items() if k != "platform"}),
    }
    template = "inbox/followers.html"
    if request.htmx and request.htmx.target == "follower-list":
        template += "#follower-list"
    return render(request, template, context)


@require_GET
def follow_requests(request, handle: str):
    """Follow requests waiting for the creator's approval, oldest first."""
    creator = permissions.get_visible_creator_or_404(request.user, handle)
    context = {
        **_inbox_context(request, creator, tab="requests"),
        "requests": list(_pending_requests(creator).order_by("created_at", "pk")),
    }
    return render(request, "inbox/follow_requests.html", context)


@require_GET
def post_replies(request, pk: int):
    """A post with its replies as a thread and the creator's answers in place.

    Held replies are shown to the creator with a badge; the moderation queue
    decides their fate. The replies' HTML was sanitised when it arrived.
    """
    post = _get_post_or_404(request.user, pk)
    creator = post.creator
    roots = inbox.replies_thread(post=post, answer_uri=ids.note_id)
    nodes = list(inbox.thread_in_order(roots))
    counts = inbox.post_interaction_counts(post=post)
    # An answer's own page points back to the conversation it belongs to.
    answered = None
    if post.in_reply_to_uri:
        answered = Reply.objects.filter(
            creator=creator, ap_id=post.in_reply_to_uri
        ).first()
    context = {
        **_inbox_context(request, creator, tab="notifications"),
        "post": post,
        "nodes": nodes,
        "reply_count": sum(1 for n in nodes if not n.is_answer),
        "held_count": sum(
            1 for n in nodes if not n.is_answer and n.reply.status == Reply.Status.HELD
        ),
        "answer_count": sum(1 for n in nodes if n.is_answer),
        "counts": counts,
        "note_url": ids.note_id(post),
        "answered": answered,
    }
    return render(request, "inbox/post_replies.html", context)


# Actions ---------------------------------------------------------------------


def _follow_action(request, pk: int, *, action, done: str):
    """Run `action` on a follow, then show the row's new state (htmx) or go
    back to the page the button was on, with a message."""
    follow = _get_follow_or_404(request.user, pk)
    creator = follow.creator
    _require_manager(request.user, creator)
    error = ""
    try:
        action(follow=follow, by=request.user)
    except ValidationError as exc:
        error = " ".join(exc.messages)
    # Removing a follower deletes the follow; the row still says who it was.
    follow.state = (
        Follow.objects.filter(pk=follow.pk).values_list("state", flat=True).first()
        or ""
    )
    who = follow.actor.handle
    if request.htmx:
        context = {
            "follow": follow,
            "creator": creator,
            "time_zone": creator.time_zone,
            "done": "" if error else done,
            "error": error,
            "can_manage": True,
            "pending_count": _pending_requests(creator).count(),
            "follower_count": Follow.objects.filter(
                creator=creator, state=Follow.State.ACCEPTED
            ).count(),
        }
        return render(request, "inbox/follow_row_done.html", context)
    if error:
        messages.error(request, f"{who}: {error}")
    else:
        messages.success(request, f"{who} {done}.")
    return _back(request, reverse("inbox:follow-requests", args=[creator.handle]))


@require_POST
def follow_approve(request, pk: int):
    return _follow_action(
        request, pk, action=follower_services.follow_approve, done="now follows you"
    )


@require_POST
def follow_reject(request, pk: int):
    return _follow_action(
        request, pk, action=follower_services.follow_reject, done="was turned down"
    )


@require_POST
def follower_remove(request, pk: int):
    return _follow_action(
        request,
        pk,
        action=follower_services.follower_remove,
        done="no longer follows you",
    )
