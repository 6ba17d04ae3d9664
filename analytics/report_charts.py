"""The charts of the report pages, from what analytics.reports returns.

One function a chart, so the creator's page, its print version and the
agency pages draw the same pictures from the same numbers.
"""

from analytics import charts
from analytics.reports import CreatorDashboard, Day, Heatmap, PostDrilldown, Source

ENGAGEMENT_SERIES = (
    ("Likes", "likes"),
    ("Boosts", "boosts"),
    ("Replies", "replies"),
    ("Reactions", "reactions"),
    ("Quotes", "quotes"),
)


def interactions_by_kind(days: list[Day], *, title="Interactions per day"):
    """Stacked likes, boosts, replies, reactions and quotes, day by day; kinds
    nobody used in the period are left out of the legend."""
    series = [
        charts.Series(label, [getattr(day.counts, name) for day in days])
        for label, name in ENGAGEMENT_SERIES
        if any(getattr(day.counts, name) for day in days)
    ]
    return charts.line_chart(
        title=title,
        days=[day.day for day in days],
        series=series,
        stacked=True,
    )


def interactions_against_previous(dashboard: CreatorDashboard, previous: list[Day]):
    """This period's daily interactions over the period before's, dashed."""
    days = dashboard.days
    return charts.line_chart(
        title="This period against the one before",
        days=[day.day for day in days],
        series=[
            charts.Series("This period", [day.counts.interactions for day in days]),
            charts.Series(
                "Period before",
                [day.counts.interactions for day in previous],
                comparison=True,
            ),
        ],
    )


def followers(days: list[Day]):
    return charts.line_chart(
        title="Followers",
        days=[day.day for day in days],
        series=[charts.Series("Followers", [day.followers for day in days])],
        unit="followers",
        cumulative=True,
    )


def platforms(sources: list[Source]):
    return charts.bar_chart(
        title="Interactions by platform",
        items=[(s.software_label, s.counts.interactions) for s in sources],
        label_heading="Platform",
    )


def instances(sources: list[Source], *, total: int):
    return charts.bar_chart(
        title="Top servers",
        items=[(s.name, s.counts.interactions) for s in sources],
        label_heading="Server",
        total=total,
    )


def when_engagement_arrives(heatmap: Heatmap):
    return charts.heatmap(
        title="When engagement arrives",
        counts=heatmap.cells,
        time_zone=str(heatmap.tz),
    )


def post_servers(drilldown: PostDrilldown):
    return charts.bar_chart(
        title="Servers it came from",
        items=[(s.name, s.counts.interactions) for s in drilldown.servers],
        label_heading="Server",
        total=drilldown.counts.interactions,
    )


def creators_side_by_side(rows, *, field: str = "interactions"):
    return charts.bar_chart(
        title="Interactions by creator",
        items=[(f"@{row.creator.handle}", getattr(row.summary, field)) for row in rows],
        label_heading="Creator",
    )


def campaign_platforms(report):
    """A campaign's interactions by platform (software)."""
    return charts.bar_chart(
        title="Interactions by platform",
        items=[(row.label, row.counts.interactions) for row in report.platforms],
        label_heading="Platform",
    )


def campaign_posts(report):
    """Each of the campaign's posts: its interactions."""
    return charts.bar_chart(
        title="Interactions per post",
        items=[
            (_post_label(row.post), row.counts.interactions) for row in report.posts
        ],
        label_heading="Post",
    )


def campaign_earned(report):
    """Followers each post earned."""
    return charts.bar_chart(
        title="Followers earned per post",
        items=[(_post_label(row.post), row.followers) for row in report.earned],
        unit="followers",
        label_heading="Post",
    )


def _post_label(post) -> str:
    when = post.published_at.strftime("%-d %b") if post.published_at else "draft"
    text = " ".join((post.body or "").split())
    return f"{when}: {text[:28]}{'…' if len(text) > 28 else ''}"
