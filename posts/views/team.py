"""What an agency does for a creator, as the creator sees it, and the agency
calendar across every creator an agency manages."""

import datetime
import zoneinfo
from collections import defaultdict

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts import permissions
from posts import selectors
from posts.views.common import person_words
from posts.views.lists import _week_title


@require_GET
def team_activity(request):
    """The creator's dashboard section: posts waiting for their approval and
    what people at their agencies did lately (a fragment, loaded by htmx)."""
    creator = getattr(request.user, "creator", None)
    if creator is None:
        raise Http404("Only creators have a team.")
    approvals = list(selectors.posts_awaiting_approval(creator=creator))
    team_actions = list(selectors.team_actions_of(creator=creator))
    if not (approvals or team_actions or creator.agency_grants.active().exists()):
        # No agency works for this creator: the dashboard shows nothing.
        return HttpResponse("")
    for post in approvals:
        post.requested_by_words = person_words(
            post.approval_requested_by, creator, viewer=request.user
        )
    context = {
        "creator": creator,
        "approvals": approvals,
        "team_actions": team_actions,
        "time_zone": creator.time_zone,
    }
    return render(request, "posts/partials/team_activity.html", context)


@require_GET
def agency_calendar(request, slug: str):
    """A week of every creator's scheduled posts and posts waiting for
    approval across the agency, filterable per creator."""
    agency = permissions.get_agency_for_member_or_404(request.user, slug)
    creators = permissions.creators_of_agency_visible_to(request.user, agency)
    all_creators = list(creators.order_by("handle"))
    handle = request.GET.get("creator", "").lower()
    shown = creators
    if handle:
        shown = creators.filter(handle=handle)
        if not shown.exists():
            raise Http404("No such creator.")
    own = getattr(request.user, "creator", None)
    zone_name = own.time_zone if own else "UTC"
    try:
        zone = zoneinfo.ZoneInfo(zone_name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone, zone_name = zoneinfo.ZoneInfo("UTC"), "UTC"
    today = timezone.now().astimezone(zone).date()
    try:
        anchor = datetime.date.fromisoformat(request.GET.get("date", ""))
    except ValueError:
        anchor = today
    first = anchor - datetime.timedelta(days=anchor.weekday())
    days = [first + datetime.timedelta(days=i) for i in range(7)]
    start = datetime.datetime.combine(days[0], datetime.time(), tzinfo=zone)
    end = start + datetime.timedelta(days=7)
    by_day = defaultdict(list)
    for post in selectors.agency_calendar_posts(creators=shown, start=start, end=end):
        local = post.scheduled_at.astimezone(zone)
        post.local_time = local.strftime("%H:%M")
        post.local_iso = local.isoformat()
        by_day[local.date()].append(post)
    undated = [
        post
        for post in selectors.posts_awaiting_approval_of(creators=shown)
        if post.scheduled_at is None
    ]
    base = reverse("posts:agency-calendar", kwargs={"slug": agency.slug})
    keep = f"&creator={handle}" if handle else ""
    cells = [
        {"date": day, "posts": by_day.get(day, []), "is_today": day == today}
        for day in days
    ]
    context = {
        "agency": agency,
        "creators": all_creators,
        "handle": handle,
        "cells": cells,
        "undated": undated,
        "total": sum(len(cell["posts"]) for cell in cells),
        "title": _week_title(days[0], days[-1]),
        "time_zone": zone_name,
        "previous_url": f"{base}?date={(first - datetime.timedelta(7)).isoformat()}"
        + keep,
        "next_url": f"{base}?date={(first + datetime.timedelta(7)).isoformat()}" + keep,
        "today_url": f"{base}?{keep[1:]}" if keep else base,
        "date": first.isoformat(),
        "showing_today": today in days,
    }
    return render(request, "posts/agency_calendar.html", context)
