"""templates/analytics/charts/_chart.html: a chart, its legend, its table."""

import re
from datetime import date, timedelta

from analytics.charts import NO_DATA, Series, bar_chart, heatmap, line_chart
from tests.analytics_charts.helpers import parse, render_chart

DAYS = [date(2024, 6, 1) + timedelta(days=i) for i in range(3)]


def two_series():
    return line_chart(
        title="Interactions per day",
        days=DAYS,
        series=[Series("This week", [1, 2, 3]), Series("Last week", [2, 2, 2],
                                                       comparison=True)],
    )  # fmt: skip


def test_a_figure_holds_each_drawing_and_a_folded_table():
    chart = two_series()
    html = render_chart(chart)
    assert html.count("<figure") == 1
    assert f'id="{chart.chart_id}"' in html
    svgs = re.findall(r"<svg.*?</svg>", html, flags=re.S)
    assert len(svgs) == len(chart.drawings) == 3
    assert {parse(svg).get("class").split()[1] for svg in svgs} == {
        "chart-svg-wide",
        "chart-svg-medium",
        "chart-svg-narrow",
    }
    assert "<details" in html and "<summary>Show the data as a table</summary>" in html
    assert "<caption>Interactions per day, 1 – 3 Jun 2024</caption>" in html
    assert '<th scope="col">This week</th>' in html
    assert '<th scope="row">1 Jun</th>' in html


def test_the_table_can_be_shown_unfolded():
    assert '<details class="chart-data" open>' in render_chart(
        two_series(), open_table=True
    )


def test_the_legend_names_each_series_with_its_colour():
    html = render_chart(two_series())
    assert re.search(r'chart-swatch chart-s1"></span>This week', html)
    assert re.search(r'chart-swatch chart-prev"></span>Last week', html)


def test_a_single_series_needs_no_legend():
    chart = line_chart(title="Likes", days=DAYS, series=[Series("Likes", [1, 2, 3])])
    assert "chart-legend" not in render_chart(chart)


def test_the_heatmap_notes_its_time_zone_and_shows_its_shades():
    html = render_chart(
        heatmap(title="When", counts={(0, 9): 10}, time_zone="America/New_York")
    )
    assert '<span class="chart-note">Hours in America/New_York</span>' in html
    assert "chart-swatch chart-heat-5" in html


def test_the_empty_state_says_so_without_legend_or_table():
    html = render_chart(bar_chart(title="Quotes by platform", items={}))
    assert "is-empty" in html
    assert NO_DATA in html
    assert "<table" not in html and "chart-legend" not in html


def test_titles_are_escaped_in_caption_and_drawing():
    chart = bar_chart(title="Top <em>instances</em>", items={"a.example": 1})
    html = render_chart(chart)
    assert "<em>" not in html
    assert "Top &lt;em&gt;instances&lt;/em&gt;" in html
