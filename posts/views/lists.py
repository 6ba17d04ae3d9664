"""The posts of a creator: who to pick, the queue and the calendar."""

import calendar
import datetime
from collections import defaultdict

from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts import permissions, switching
from posts import selectors
from posts.forms import ScheduleForm
from posts.models import Post
from posts.views.common import today_of, zone_of

RECENT_PUBLISHED = 20
CALENDAR_VIEWS = ("month", "week")


@require_GET
def posts_index(request):
    """The creator's own queue; people at agencies pick a creator first."""
    user = request.user
    chosen = switching.chosen_creator(request) or getattr(user, "creator", None)
    if chosen is not None:
        # The creator chosen in the header's menu, or one's own.
        return redirect("posts:queue", handle=chosen.handle)
    visible = list(permissions.creators_visible_to(user).order_by("handle"))
    if len(visible) == 1:
        return redirect("posts:queue", handle=visible[0].handle)
    choices = [
        {
            "creator": c,
            "can_manage": permissions.can_draft_for(user, c),
        }
        for c in visible
    ]
    return render(request, "posts/index.html", {"choices": choices})


def _creator_context(request, creator) -> dict:
    """What every posts page of one creator shows around its content."""
    user = request.user
    others = permissions.creators_visible_to(user).exclude(pk=creator.pk)
    return {
        "creator": creator,
        "can_manage": permissions.can_draft_for(user, creator),
        "is_own": creator.user_id == user.pk,
        "other_creators": list(others.order_by("handle")[:12]),
        "time_zone": creator.time_zone,
    }


@require_GET
def posts_queue(request, handle: str):
    """Scheduled posts in the order they go out, drafts, recent posts."""
    creator = permissions.get_visible_creator_or_404(request.user, handle)
    states = Post.State
    mine = selectors.posts_of_creator
    scheduled = list(
        mine(creator=creator, states=[states.SCHEDULED]).order_by("scheduled_at", "pk")
    )
    drafts = list(
        mine(creator=creator, states=[states.DRAFT]).order_by("-updated_at", "-pk")
    )
    pending = list(selectors.posts_awaiting_approval(creator=creator))
    published = list(
        mine(creator=creator, states=[states.PUBLISHED]).order_by(
            "-published_at", "-pk"
        )[:RECENT_PUBLISHED]
    )
    now = timezone.now()
    for post in scheduled:
        post.is_overdue = post.scheduled_at <= now
        post.reschedule_form = ScheduleForm(
            time_zone=creator.time_zone,
            initial=_local_date_time(post.scheduled_at, creator),
            auto_id=f"id_post{post.pk}_%s",
        )
    context = {
        **_creator_context(request, creator),
        "scheduled": scheduled,
        "drafts": drafts,
        "pending": pending,
        "published": published,
        "pinned_count": sum(1 for p in published if p.pinned_at),
        "overview_url": _overview_url(published),
    }
    return render(request, "posts/queue.html", context)


def _overview_url(posts) -> str:
    """The fragment with the posts' delivery badges and counts, or "".

    The federation app serves it (by URL name, as the delivery panel); the
    list only embeds it, and shows none while it does not exist.
    """
    if not posts:
        return ""
    try:
        url = reverse("posts-overview")
    except NoReverseMatch:
        return ""
    return f"{url}?ids={','.join(str(post.pk) for post in posts)}"


def _local_date_time(moment, creator) -> dict:
    local = moment.astimezone(zone_of(creator))
    return {"schedule_date": local.date(), "schedule_time": local.strftime("%H:%M")}


@require_GET
def posts_calendar(request, handle: str):
    """A week or a month of scheduled and published posts, local time."""
    creator = permissions.get_visible_creator_or_404(request.user, handle)
    view = request.GET.get("view", "month")
    if view not in CALENDAR_VIEWS:
        view = "month"
    today = today_of(creator)
    try:
        anchor = datetime.date.fromisoformat(request.GET.get("date", ""))
    except ValueError:
        anchor = today
    if view == "month":
        first = anchor.replace(day=1)
        weeks = calendar.Calendar(firstweekday=0).monthdatescalendar(
            first.year, first.month
        )
        days = [day for week in weeks for day in week]
        previous = (first - datetime.timedelta(days=1)).replace(day=1)
        following = (first + datetime.timedelta(days=32)).replace(day=1)
        title = f"{first:%B} {first.year}"
    else:
        first = anchor - datetime.timedelta(days=anchor.weekday())
        days = [first + datetime.timedelta(days=i) for i in range(7)]
        previous = first - datetime.timedelta(days=7)
        following = first + datetime.timedelta(days=7)
        last = days[-1]
        title = _week_title(first, last)
    zone = zone_of(creator)
    start = datetime.datetime.combine(days[0], datetime.time(), tzinfo=zone)
    end = datetime.datetime.combine(
        days[-1] + datetime.timedelta(days=1), datetime.time(), tzinfo=zone
    )
    by_day = defaultdict(list)
    posts = selectors.posts_between(creator=creator, start=start, end=end)
    for post in posts:
        local = post.calendar_at.astimezone(zone)
        # Strings, not datetimes: templates would turn those back to UTC.
        post.local_time = local.strftime("%H:%M")
        post.local_iso = local.isoformat()
        by_day[local.date()].append(post)
    cells = [
        {
            "date": day,
            "posts": by_day.get(day, []),
            "is_today": day == today,
            "in_range": view == "week" or day.month == first.month,
        }
        for day in days
    ]
    base = reverse("posts:calendar", kwargs={"handle": creator.handle})
    context = {
        **_creator_context(request, creator),
        "view": view,
        "title": title,
        "weeks": [cells[i : i + 7] for i in range(0, len(cells), 7)],
        "cells": cells,
        "total": sum(len(c["posts"]) for c in cells if c["in_range"]),
        "weekday_names": [calendar.day_abbr[i] for i in range(7)],
        "previous_url": f"{base}?view={view}&date={previous.isoformat()}",
        "next_url": f"{base}?view={view}&date={following.isoformat()}",
        "today_url": f"{base}?view={view}",
        "month_url": f"{base}?view=month&date={anchor.isoformat()}",
        "week_url": f"{base}?view=week&date={anchor.isoformat()}",
        "showing_today": today in days
        and (view == "week" or today.month == first.month),
    }
    return render(request, "posts/calendar.html", context)


def _week_title(first: datetime.date, last: datetime.date) -> str:
    if first.month == last.month:
        return f"{first.day}–{last.day} {last:%B} {last.year}"
    if first.year == last.year:
        return f"{first.day} {first:%b} – {last.day} {last:%b} {last.year}"
    return f"{first.day} {first:%b} {first.year} – {last.day} {last:%b} {last.year}"
