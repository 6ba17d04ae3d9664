"""Daily line and area charts: interactions per day, follower growth."""

import re
from datetime import date, timedelta

import pytest
from django.conf import settings

from analytics.charts import NO_DATA, Series, format_number, line_chart
from tests.analytics_charts.helpers import (
    SVG,
    by_class,
    drawings,
    path_points,
    render_chart,
    table_cells,
    x_labels,
    y_ticks,
)

JUNE = [date(2024, 6, 1) + timedelta(days=i) for i in range(30)]
COUNTS = [3, 0, 12, 40, 7, 1804, 22, 9, 0, 15] * 3
PREVIOUS = [5, 8, 13, 21, 34, 55, 89, 144, 233, 377] * 3


def interactions(**options):
    return line_chart(
        title="Interactions per day",
        days=JUNE,
        series=[
            Series("Last 30 days", COUNTS),
            Series("Previous 30 days", PREVIOUS, comparison=True),
        ],
        **options,
    )


def test_every_drawing_is_scalable_accessible_svg():
    """Each layout parses as XML, scales by its viewBox (no fixed size) and
    is an image named by its title and described in words."""
    chart = interactions()
    for root in drawings(chart):
        assert root.tag == f"{SVG}svg"
        assert root.get("viewBox").startswith("0 0 ")
        assert root.get("width") is None and root.get("height") is None
        assert root.get("role") == "img"
        title_id, desc_id = root.get("aria-labelledby").split()
        assert root.find(f"{SVG}title").get("id") == title_id
        assert root.find(f"{SVG}title").text == "Interactions per day"
        assert root.find(f"{SVG}desc").get("id") == desc_id
    ids = [root.find(f"{SVG}title").get("id") for root in drawings(chart)]
    assert len(set(ids)) == len(ids)


def test_two_charts_with_one_title_get_distinct_ids():
    assert interactions().chart_id != interactions().chart_id


def test_the_words_tell_totals_peak_and_change():
    summary = interactions().summary
    assert "1 – 30 Jun 2024" in summary
    assert f"{format_number(sum(COUNTS))} interactions in total" in summary
    assert "most on 6 Jun (1,804)" in summary
    change = round((sum(COUNTS) - sum(PREVIOUS)) * 100 / sum(PREVIOUS))
    assert f"Change: +{change}%" in summary


def test_y_ticks_cover_the_highest_day_and_start_at_zero():
    for root in drawings(interactions()):
        ticks = y_ticks(root)
        assert min(ticks) == 0
        assert max(ticks) >= max(*COUNTS, *PREVIOUS)
        # …but not absurdly far above it.
        assert max(ticks) < 2 * max(*COUNTS, *PREVIOUS)


def test_points_sit_at_the_height_of_their_value():
    """A day with 100 is drawn level with the 100 gridline; the busiest day
    is the highest point."""
    values = [0, 50, 100, 25, 100, 0, 75]
    chart = line_chart(
        title="Likes", days=JUNE[:7], series=[Series("Likes", values)], unit="likes"
    )
    for root in drawings(chart):
        ticks = y_ticks(root)
        (line,) = by_class(root, "path", "chart-line")
        points = path_points(line)
        assert len(points) == 7
        for value, (_, y) in zip(values, points, strict=True):
            if value in ticks:
                assert y == pytest.approx(ticks[value], abs=0.2)
        top = min(y for _, y in points)
        assert points[2][1] == top and points[4][1] == top
        # Days run left to right.
        xs = [x for x, _ in points]
        assert xs == sorted(xs)


def test_previous_period_is_dashed_grey_not_a_second_colour():
    root = drawings(interactions())[0]
    (previous,) = by_class(root, "path", "chart-prev")
    assert "chart-line" in previous.get("class")
    (current,) = by_class(root, "path", "chart-s1")[-1:]
    assert current is not previous


def test_date_labels_are_short():
    for root in drawings(interactions()):
        labels = x_labels(root)
        assert labels[0] == "1 Jun"
        assert all(label.endswith(" Jun") for label in labels)


def test_hovering_a_day_shows_its_numbers():
    root = drawings(interactions())[0]
    tips = [
        node.find(f"{SVG}title").text for node in by_class(root, "rect", "chart-hit")
    ]
    assert len(tips) == 30
    assert tips[5] == "6 Jun 2024: Last 30 days 1,804 · Previous 30 days 55"


def test_stacked_series_pile_up_to_the_total():
    likes, boosts, replies = [4, 10, 0], [1, 5, 0], [0, 5, 2]
    chart = line_chart(
        title="By kind",
        days=JUNE[:3],
        series=[Series("Likes", likes), Series("Boosts", boosts),
                Series("Replies", replies)],
        stacked=True,
    )  # fmt: skip
    root = drawings(chart)[0]
    ticks = y_ticks(root)
    likes_line, _, total_line = by_class(root, "path", "chart-line")
    assert {10, 20} <= set(ticks)
    # On day 2 likes reach 10 and the pile of all three reaches 20.
    assert path_points(likes_line)[1][1] == pytest.approx(ticks[10], abs=0.2)
    assert path_points(total_line)[1][1] == pytest.approx(ticks[20], abs=0.2)
    assert len(by_class(root, "path", "chart-stacked")) == 3
    assert [entry.label for entry in chart.legend] == ["Likes", "Boosts", "Replies"]


def test_five_series_each_get_a_class_the_style_sheet_colours():
    """Every kind of engagement the product records (likes, boosts, replies,
    reactions, quotes) can be stacked, each in its own colour, line, dot and
    legend swatch."""
    kinds = ("Likes", "Boosts", "Replies", "Reactions", "Quotes")
    chart = line_chart(
        title="By kind",
        days=JUNE[:3],
        series=[Series(kind, [1, 2, 3]) for kind in kinds],
        stacked=True,
    )
    root = drawings(chart)[0]
    classes = [entry.css_class for entry in chart.legend]
    assert classes == ["chart-s1", "chart-s2", "chart-s3", "chart-s4", "chart-s5"]
    assert len(by_class(root, "path", "chart-stacked")) == 5
    css = (settings.BASE_DIR / "static" / "css" / "charts.css").read_text()
    colours = re.findall(r"--(chart-s\d): (?:var\(--accent, )?(#[0-9a-f]{6})", css)
    assert len({colour for _, colour in colours}) == len(classes)
    for css_class in classes:
        for rule in (
            f".chart-line.{css_class} {{ stroke: var(--{css_class}); }}",
            f".chart-area.{css_class} {{ fill: var(--{css_class}); }}",
            f".chart-dot.{css_class} {{ fill: var(--{css_class}); }}",
            f".chart-swatch.{css_class} {{ background: var(--{css_class}); }}",
        ):
            assert rule in css


def test_follower_growth_axis_fits_the_values_and_can_go_down():
    """Cumulative followers: the axis hugs 1,180–1,210 instead of starting
    at 0, and the words tell the net change, which here is a loss."""
    followers = [1200, 1204, 1210, 1195, 1180, 1185]
    chart = line_chart(
        title="Followers",
        days=JUNE[:6],
        series=[Series("Followers", followers)],
        unit="followers",
        cumulative=True,
    )
    for root in drawings(chart):
        ticks = y_ticks(root)
        assert 1100 <= min(ticks) <= 1180 and 1210 <= max(ticks) <= 1300
        assert not by_class(root, "path", "chart-area")
    assert "1,200 on 1 Jun, 1,185 on 6 Jun (\u221215)" in chart.summary
    assert "lowest 1,180 on 5 Jun" in chart.summary
    assert chart.table.footer is None  # running totals do not add up


def test_negative_days_get_a_zero_line():
    """Net follower change per day dips below zero; the axis spans it."""
    chart = line_chart(
        title="Net followers", days=JUNE[:4], series=[Series("Net", [3, -7, 0, 12])]
    )
    root = drawings(chart)[0]
    ticks = y_ticks(root)
    assert min(ticks) <= -7 and max(ticks) >= 12 and 0 in ticks
    assert by_class(root, "line", "chart-zero")


def test_missing_days_break_the_line():
    chart = line_chart(
        title="Followers",
        days=JUNE[:5],
        series=[Series("Followers", [10, 12, None, 15, 16])],
        cumulative=True,
    )
    (line,) = by_class(drawings(chart)[0], "path", "chart-line")
    assert line.get("d").count("M") == 2
    assert "—" in table_cells(render_chart(chart))


def test_a_lone_day_is_still_visible():
    chart = line_chart(title="Likes", days=JUNE[:1], series=[Series("Likes", [4])])
    root = drawings(chart)[0]
    assert by_class(root, "circle", "chart-dot")


def test_no_interactions_shows_the_empty_state():
    chart = line_chart(
        title="Interactions per day",
        days=JUNE,
        series=[Series("Last 30 days", [0] * 30)],
    )
    assert chart.empty
    for root in drawings(chart):
        assert root.find(f"{SVG}desc").text == NO_DATA
        assert [n.text for n in by_class(root, "text", "chart-empty-text")] == [NO_DATA]
    html = render_chart(chart)
    assert NO_DATA in html
    assert "<table" not in html


def test_no_days_at_all_is_empty_too():
    assert line_chart(title="Likes", days=[], series=[Series("Likes", [])]).empty


def test_the_table_holds_every_value():
    html = render_chart(interactions())
    cells = table_cells(html)
    assert cells[:3] == ["Date", "Last 30 days", "Previous 30 days"]
    for index, day in enumerate(JUNE):
        row_at = cells.index(f"{day.day} Jun")
        assert cells[row_at + 1] == format_number(COUNTS[index])
        assert cells[row_at + 2] == format_number(PREVIOUS[index])
    assert cells[-3:] == [
        "Total",
        format_number(sum(COUNTS)),
        format_number(sum(PREVIOUS)),
    ]


def test_series_and_days_must_line_up():
    with pytest.raises(ValueError, match="values for 30 days"):
        line_chart(title="x", days=JUNE, series=[Series("Likes", [1, 2])])


def test_running_totals_cannot_be_stacked():
    with pytest.raises(ValueError):
        line_chart(
            title="x",
            days=JUNE[:2],
            series=[Series("a", [1, 2]), Series("b", [1, 2])],
            stacked=True,
            cumulative=True,
        )
