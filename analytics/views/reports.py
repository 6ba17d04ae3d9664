"""Engagement reports: a creator's analytics, one post's, and an agency's.

Every page reads analytics.reports (rollups, a fixed number of queries) and
draws its charts with analytics.report_charts. A creator's page is on the
creator's clock; an agency's report is in UTC, so every creator is measured
over the same instants. Periods come from the query string (PeriodForm), so
a report's address can be bookmarked or sent to a client.
"""

import csv
import zoneinfo

from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts import permissions, switching
from analytics import insights, report_charts, reports
from analytics.forms import PeriodForm
from posts.models import Post

UTC = zoneinfo.ZoneInfo("UTC")


@require_GET
def analytics_index(request):
    """The creator's own analytics; agency people go to their agency's report."""
    user = request.user
    chosen = switching.chosen_creator(request)
    if chosen is not None and permissions.can_read_analytics_for(user, chosen):
        # The creator chosen in the header's menu.
        return redirect("analytics:creator", handle=chosen.handle)
    own = getattr(user, "creator", None)
    if own is not None:
        return redirect("analytics:creator", handle=own.handle)
    agency = permissions.agencies_of(user).order_by("name").first()
    if agency is not None:
        return redirect("analytics:agency", slug=agency.slug)
    return render(request, "analytics/index.html", {})


def _period(request, tz):
    form = PeriodForm(request.GET or None)
    return form, form.period(tz=tz)


def _period_context(form, period) -> dict:
    return {
        "form": form,
        "period": period,
        "period_choices": reports.PERIOD_CHOICES,
        "chosen_days": (
            None
            if form.is_custom or not form.is_valid()
            else form.cleaned_data.get("days") or 30
        ),
        "query": _query(period, form),
    }


def _query(period, form) -> str:
    """The period as a query string, for links that keep it."""
    if form.is_custom:
        return f"start={period.first.isoformat()}&end={period.last.isoformat()}"
    return f"days={period.days}"


@require_GET
def creator_analytics(request, handle: str):
    """What worked, where and when, for one creator and period."""
    creator = permissions.get_creator_analytics_or_404(request.user, handle)
    form, period = _period(request, reports.creator_time_zone(creator))
    context = _creator_context(creator, form, period)
    template = (
        "analytics/creator_print.html"
        if request.GET.get("print")
        else "analytics/creator.html"
    )
    return render(request, template, context)


# A creator's analytics as CSV: the numbers the page draws, unformatted.
_KIND_COLUMNS = ("likes", "boosts", "replies", "reactions", "quotes")


def _csv_response(filename: str):
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response, csv.writer(response)


@require_GET
def creator_analytics_days_csv(request, handle: str):
    """One row per day of the period, on the creator's clock: interactions by
    kind, follows, unfollows and followers at the end of the day."""
    creator = permissions.get_creator_analytics_or_404(request.user, handle)
    _, period = _period(request, reports.creator_time_zone(creator))
    dashboard = reports.creator_dashboard(creator=creator, period=period)
    response, writer = _csv_response(
        f"{creator.handle}-days-{period.first}-to-{period.last}.csv"
    )
    writer.writerow(
        [
            "date",
            "interactions",
            *_KIND_COLUMNS,
            "follows",
            "unfollows",
            "followers_at_end_of_day",
        ]
    )
    for day in dashboard.days:
        counts = day.counts
        writer.writerow(
            [
                day.day.isoformat(),
                counts.interactions,
                *(getattr(counts, name) for name in _KIND_COLUMNS),
                counts.follows,
                counts.unfollows,
                day.followers,
            ]
        )
    return response


@require_GET
def creator_analytics_posts_csv(request, handle: str):
    """One row per post that received engagement in the period (the page
    shows the top ten of these), busiest first."""
    creator = permissions.get_creator_analytics_or_404(request.user, handle)
    _, period = _period(request, reports.creator_time_zone(creator))
    rows = reports.creator_top_posts(creator=creator, period=period, limit=None)
    response, writer = _csv_response(
        f"{creator.handle}-posts-{period.first}-to-{period.last}.csv"
    )
    writer.writerow(
        [
            "post_id",
            "published_at",
            "state",
            "text",
            "period_start",
            "period_end",
            "interactions",
            *_KIND_COLUMNS,
        ]
    )
    for row in rows:
        post, counts = row.post, row.counts
        writer.writerow(
            [
                post.pk,
                post.published_at.isoformat() if post.published_at else "",
                post.state,
                _csv_safe(post.body[:200]),
                period.first.isoformat(),
                period.last.isoformat(),
                counts.interactions,
                *(getattr(counts, name) for name in _KIND_COLUMNS),
            ]
        )
    return response


def _csv_safe(text: str) -> str:
    """Text a spreadsheet will not run as a formula (CSV injection)."""
    text = " ".join(text.split())
    return f"'{text}" if text[:1] in ("=", "+", "-", "@") else text


def _creator_context(creator, form, period) -> dict:
    dashboard = reports.creator_dashboard(creator=creator, period=period)
    previous_days = reports.creator_daily_series(
        creator=creator, period=period.previous()
    )
    summary = dashboard.summary
    return {
        **_period_context(form, period),
        "creator": creator,
        "dashboard": dashboard,
        "summary": summary,
        "cards": _cards(dashboard),
        "charts": {
            "by_kind": report_charts.interactions_by_kind(dashboard.days),
            "against_previous": report_charts.interactions_against_previous(
                dashboard, previous_days
            ),
            "followers": report_charts.followers(dashboard.days),
            "platforms": report_charts.platforms(dashboard.platforms),
            "instances": report_charts.instances(
                dashboard.instances, total=summary.interactions
            ),
            "heatmap": report_charts.when_engagement_arrives(dashboard.heatmap),
        },
        "earned": insights.posts_that_earned_followers(creator=creator, period=period),
        "attribution_days": insights.attribution_days(),
        "best_times": insights.best_times_to_post(creator=creator),
        "generated_at": timezone.now(),
    }


def _cards(dashboard) -> list[dict]:
    """The headline numbers, each with its change on the period before."""
    summary, changes = dashboard.summary, dashboard.changes
    rate = summary.engagement_rate
    return [
        {
            "label": "Followers",
            "value": summary.followers,
            "detail": f"+{summary.follows} / −{summary.unfollows}",
            "change": changes["followers"],
        },
        {
            "label": "Interactions",
            "value": summary.interactions,
            "detail": f"{summary.posts_published} posts published",
            "change": changes["interactions"],
        },
        {"label": "Likes", "value": summary.likes, "change": changes["likes"]},
        {"label": "Boosts", "value": summary.boosts, "change": changes["boosts"]},
        {"label": "Replies", "value": summary.replies, "change": changes["replies"]},
        {
            "label": "Reactions",
            "value": summary.reactions,
            "change": changes["reactions"],
        },
        {"label": "Quotes", "value": summary.quotes, "change": changes["quotes"]},
        {
            "label": "Engagement rate",
            "value": rate,
            "detail": "interactions per post, as a % of followers",
            "change": changes["engagement_rate"],
            "rate": True,
        },
    ]


@require_GET
def post_analytics(request, handle: str, pk: int):
    """One post's engagement: its own timeline and the servers it came from."""
    creator = permissions.get_creator_analytics_or_404(request.user, handle)
    post = get_object_or_404(
        Post.objects.exclude(state=Post.State.DRAFT), pk=pk, creator=creator
    )
    tz = reports.creator_time_zone(creator)
    drilldown = reports.post_drilldown(post=post, tz=tz)
    context = {
        "creator": creator,
        "post": post,
        "drilldown": drilldown,
        "reach": insights.post_reach(post=post),
        "time_zone": str(tz),
        "charts": {
            "by_kind": report_charts.interactions_by_kind(
                drilldown.days, title="Engagement per day"
            ),
            "servers": report_charts.post_servers(drilldown),
        },
        "back_query": request.GET.urlencode(),
    }
    return render(request, "analytics/post.html", context)


@require_GET
def suggested_times(request, handle: str):
    """Compose's "Suggested times" (an htmx fragment): the creator's best
    weekday+hour slots, each at its next occurrence on their clock."""
    creator = permissions.get_creator_analytics_or_404(request.user, handle)
    return render(
        request,
        "analytics/partials/suggested_times.html",
        {"best_times": insights.best_times_to_post(creator=creator)},
    )


# Agencies ------------------------------------------------------------------

AGENCY_COLUMNS = (
    ("handle", "Creator"),
    ("followers", "Followers"),
    ("net_followers", "Net growth"),
    ("posts_published", "Posts"),
    ("interactions", "Interactions"),
    ("likes", "Likes"),
    ("boosts", "Boosts"),
    ("replies", "Replies"),
    ("reactions", "Reactions"),
    ("quotes", "Quotes"),
    ("engagement_rate", "Engagement rate"),
)


def _agency_context(request, slug: str) -> dict:
    agency = permissions.get_agency_for_member_or_404(request.user, slug)
    form, period = _period(request, UTC)
    sort = request.GET.get("sort", "interactions")
    if sort not in reports.AGENCY_SORTS:
        sort = "interactions"
    descending = request.GET.get("dir", "desc") != "asc"
    rows = reports.agency_report(
        user=request.user,
        agency=agency,
        period=period,
        sort=sort,
        descending=descending,
    )
    return {
        **_period_context(form, period),
        "agency": agency,
        "rows": rows,
        "columns": AGENCY_COLUMNS,
        "sort": sort,
        "descending": descending,
        "totals": _totals(rows),
        "chart": report_charts.creators_side_by_side(rows),
        "generated_at": timezone.now(),
    }


def _totals(rows) -> dict:
    return {
        name: sum(getattr(row.summary, name) for row in rows)
        for name, _ in AGENCY_COLUMNS
        if name not in ("handle", "engagement_rate")
    }


@require_GET
def agency_report(request, slug: str):
    """Every creator the agency manages, side by side, sortable."""
    context = _agency_context(request, slug)
    template = (
        "analytics/agency_print.html"
        if request.GET.get("print")
        else "analytics/agency.html"
    )
    return render(request, template, context)


@require_GET
def agency_report_csv(request, slug: str):
    """The agency report as CSV: one row per creator, numbers unformatted."""
    context = _agency_context(request, slug)
    agency, period = context["agency"], context["period"]
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    filename = f"{agency.slug}-{period.first}-to-{period.last}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerow(
        [
            "creator",
            "period_start",
            "period_end",
            "followers",
            "followers_gained",
            "followers_lost",
            "posts_published",
            "interactions",
            "likes",
            "boosts",
            "replies",
            "reactions",
            "quotes",
            "engagement_rate_percent",
            "interactions_previous_period",
        ]
    )
    for row in context["rows"]:
        summary = row.summary
        rate = summary.engagement_rate
        writer.writerow(
            [
                f"@{row.creator.handle}",
                period.first.isoformat(),
                period.last.isoformat(),
                summary.followers,
                summary.follows,
                summary.unfollows,
                summary.posts_published,
                summary.interactions,
                summary.likes,
                summary.boosts,
                summary.replies,
                summary.reactions,
                summary.quotes,
                "" if rate is None else f"{rate:.2f}",
                row.previous.interactions,
            ]
        )
    return response
