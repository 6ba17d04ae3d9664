"""The weekday × hour heatmap of when engagement arrives."""

import random

import pytest

from analytics.charts import NO_DATA, WEEKDAYS, format_number, heatmap
from tests.analytics_charts.helpers import (
    SVG,
    by_class,
    drawings,
    render_chart,
    table_cells,
)


def week(seed: int = 3) -> list[list[int]]:
    rng = random.Random(seed)
    grid = [[rng.randint(0, 40) for _ in range(24)] for _ in range(7)]
    grid[3][20] = 97  # Thursday 20:00–21:00, the busiest hour
    grid[6][4] = 0
    return grid


def cells(root) -> dict[tuple[int, int], int]:
    """(weekday, hour) → shade level, read from the drawn grid, row by row."""
    rects = by_class(root, "rect", "chart-heat")
    assert len(rects) == 7 * 24
    rows = sorted({float(r.get("y")) for r in rects})
    columns = sorted({float(r.get("x")) for r in rects})
    return {
        (rows.index(float(r.get("y"))), columns.index(float(r.get("x")))): int(
            next(c for c in r.get("class").split() if c[-1].isdigit()).rsplit("-")[-1]
        )
        for r in rects
    }


def test_the_darkest_cell_is_the_busiest_hour():
    for root in drawings(heatmap(title="When", counts=week())):
        shades = cells(root)
        darkest = max(shades.values())
        assert [cell for cell, level in shades.items() if level == darkest] == [(3, 20)]
        assert shades[(6, 4)] == 0  # nothing at all is never shaded


def test_busier_hours_are_never_lighter():
    grid = week()
    shades = cells(drawings(heatmap(title="When", counts=grid))[0])
    pairs = [(grid[d][h], shades[(d, h)]) for d in range(7) for h in range(24)]
    for value, level in pairs:
        for other_value, other_level in pairs:
            if value > other_value:
                assert level >= other_level


def test_each_cell_tells_its_hour_and_count_on_hover():
    root = drawings(heatmap(title="When", counts=week(), unit="likes"))[0]
    tips = [r.find(f"{SVG}title").text for r in by_class(root, "rect", "chart-heat")]
    assert "Thursday 20:00–21:00: 97 likes" in tips
    assert "Sunday 23:00–00:00: " + format_number(week()[6][23]) + " likes" in tips


def test_rows_are_labelled_monday_first_and_hours_along_the_top():
    for root in drawings(heatmap(title="When", counts=week())):
        days = [node.text for node in by_class(root, "text", "chart-label")]
        assert days == ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
        hours = [node.text for node in by_class(root, "text", "chart-x-label")]
        assert hours[0] == "00" and set(hours) <= {f"{h:02d}" for h in range(24)}


def test_words_name_the_busiest_hour_and_day_and_the_time_zone():
    grid = week()
    summary = heatmap(title="When", counts=grid, time_zone="Europe/Berlin").summary
    assert "hours in Europe/Berlin" in summary
    assert "Busiest hour: Thursday 20:00–21:00 with 97 interactions" in summary
    totals = [sum(row) for row in grid]
    busiest = WEEKDAYS[totals.index(max(totals))]
    assert f"Busiest day: {busiest} ({format_number(max(totals))})" in summary
    assert f"{format_number(sum(totals))} interactions in total" in summary


def test_a_mapping_of_weekday_and_hour_works_too():
    chart = heatmap(title="When", counts={(1, 14): 5, (4, 9): 2})
    shades = cells(drawings(chart)[0])
    assert shades[(1, 14)] == 5 and shades[(4, 9)] == 2 and shades[(0, 0)] == 0


def test_the_legend_spans_zero_to_the_busiest_count():
    legend = heatmap(title="When", counts=week()).legend
    assert legend[0].label == "0"
    assert legend[-1].label.endswith("97")
    assert [e.css_class for e in legend][:2] == ["chart-heat-0", "chart-heat-1"]


def test_the_table_holds_every_value_and_the_totals():
    grid = week()
    cells_ = table_cells(render_chart(heatmap(title="When", counts=grid)))
    assert cells_[:2] == ["Day", "00"] and cells_[25] == "Total"
    for day, row in zip(WEEKDAYS, grid, strict=True):
        at = cells_.index(day)
        assert cells_[at + 1 : at + 25] == [format_number(v) for v in row]
        assert cells_[at + 25] == format_number(sum(row))


def test_a_quiet_week_is_the_empty_state():
    chart = heatmap(title="When", counts={})
    assert chart.empty and NO_DATA in render_chart(chart)


def test_a_grid_of_the_wrong_shape_is_refused():
    with pytest.raises(ValueError):
        heatmap(title="When", counts=[[1] * 24] * 6)


def test_weekdays_counted_from_one_are_refused():
    """ISO weekdays run 1–7; 7 (Sunday) has no row when Monday is 0."""
    with pytest.raises(ValueError, match="weekday 7"):
        heatmap(title="When", counts={(7, 3): 1})
