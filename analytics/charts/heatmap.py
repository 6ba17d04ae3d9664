"""When engagement arrives: a weekday × hour grid, darker for busier."""

from collections.abc import Mapping, Sequence

from analytics.charts.base import (
    LAYOUTS,
    NO_DATA,
    Chart,
    Layout,
    LegendEntry,
    Table,
    empty_chart,
    make_chart_id,
    svg_root,
)
from analytics.charts.scales import format_number
from analytics.charts.svg import element

WEEKDAYS = (
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
)
HOURS = range(24)
# Shades above "none"; one hue from light to dark, which colour-blind
# readers see as clearly as anyone.
LEVELS = 5


def heatmap(
    *,
    title: str,
    counts: Mapping[tuple[int, int], float] | Sequence[Sequence[float]],
    unit: str = "interactions",
    time_zone: str = "UTC",
    chart_id: str | None = None,
    empty_message: str = NO_DATA,
) -> Chart:
    """A cell per weekday (0 = Monday) and hour (0–23) on the creator's clock.

    `counts` is {(weekday, hour): n} with missing cells zero, or 7 rows of
    24. Shades are even fifths of the busiest cell, so the darkest cell is
    always the busiest hour and a quiet hour is never shaded like a busy one.
    """
    grid = _grid(counts)
    chart_id = make_chart_id(title, chart_id)
    if not any(any(row) for row in grid):
        return empty_chart(
            kind="heatmap", chart_id=chart_id, title=title, message=empty_message
        )
    busiest = max(max(row) for row in grid)
    levels = [[_level(value, busiest) for value in row] for row in grid]
    summary = _summary(title, grid, unit=unit, time_zone=time_zone)
    drawings = [
        _draw(
            layout,
            chart_id=chart_id,
            title=title,
            summary=summary,
            grid=grid,
            levels=levels,
            unit=unit,
        )
        for layout in LAYOUTS
    ]
    return Chart(
        kind="heatmap",
        chart_id=chart_id,
        title=title,
        summary=summary,
        drawings=drawings,
        table=Table(
            caption=f"{title} (hours in {time_zone})",
            columns=["Day", *(f"{hour:02d}" for hour in HOURS), "Total"],
            rows=[
                [day, *(format_number(v) for v in row), format_number(sum(row))]
                for day, row in zip(WEEKDAYS, grid, strict=True)
            ],
            footer=[
                "Total",
                *(format_number(sum(row[h] for row in grid)) for h in HOURS),
                format_number(sum(map(sum, grid))),
            ],
        ),
        legend=_legend(busiest),
        note=f"Hours in {time_zone}",
    )


def _grid(counts) -> list[list[float]]:
    if isinstance(counts, Mapping):
        grid = [[0] * 24 for _ in WEEKDAYS]
        for (weekday, hour), value in counts.items():
            # 0 is Monday as in date.weekday(); Django's ExtractIsoWeekDay
            # counts from 1, so an off-by-one fails here, not in the picture.
            if weekday not in range(7) or hour not in HOURS:
                raise ValueError(f"no cell for weekday {weekday}, hour {hour}")
            grid[weekday][hour] = value
        return grid
    grid = [list(row) for row in counts]
    if len(grid) != 7 or any(len(row) != 24 for row in grid):
        raise ValueError("a heatmap needs 7 rows (Monday first) of 24 hours")
    return grid


def _level(value: float, busiest: float) -> int:
    """0 for nothing, else 1–5 by fifths of the busiest cell."""
    if value <= 0:
        return 0
    return int(-(-value * LEVELS // busiest))  # ceil, without float error


def _bounds(level: int, busiest: float) -> tuple[int, int]:
    """The whole numbers a level stands for."""
    return busiest * (level - 1) // LEVELS + 1, busiest * level // LEVELS


def _legend(busiest: float) -> list[LegendEntry]:
    entries = [LegendEntry("0", "chart-heat-0")]
    for level in range(1, LEVELS + 1):
        low, high = _bounds(level, busiest)
        if high < low:
            continue  # fewer interactions than shades: nothing falls here
        label = format_number(low)
        if high > low:
            label += f"–{format_number(high)}"
        entries.append(LegendEntry(label, f"chart-heat-{level}"))
    return entries


def _draw(layout: Layout, *, chart_id, title, summary, grid, levels, unit):
    narrow = layout.compact
    font = layout.font_size
    label_room = font * 2.6
    gap = 1 if narrow else 2
    cell = (layout.width - label_room - 2) / 24
    # Rows at least a line of text high, so day names never touch.
    pitch = max(cell, font * 1.35)
    top = font * 1.6
    every = 6 if narrow else 3
    busiest = max(max(row) for row in grid)
    body = []
    for hour in range(0, 24, every):
        body.append(
            element(
                "text",
                f"{hour:02d}",
                x=label_room + hour * cell,
                y=top - font * 0.5,
                class_="chart-tick-label chart-x-label",
            )
        )
    for day, (name, row, shades) in enumerate(zip(WEEKDAYS, grid, levels, strict=True)):
        y = top + day * pitch
        body.append(
            element(
                "text",
                name[:3],
                x=label_room - 6,
                y=y + (pitch - gap) / 2,
                dy="0.35em",
                text_anchor="end",
                class_="chart-label",
            )
        )
        for hour, (value, level) in enumerate(zip(row, shades, strict=True)):
            peak = " chart-heat-peak" if value == busiest else ""
            body.append(
                element(
                    "rect",
                    element(
                        "title",
                        f"{name} {_hours(hour)}: {format_number(value)} {unit}",
                    ),
                    x=label_room + hour * cell,
                    y=y,
                    width=cell - gap,
                    height=pitch - gap,
                    rx=2,
                    class_=f"chart-heat chart-heat-{level}{peak}",
                )
            )
    return svg_root(
        chart_id=chart_id,
        layout=layout,
        height=top + 7 * pitch + 2,
        title=title,
        summary=summary,
        body=body,
        kind="heatmap",
    )


def _hours(hour: int) -> str:
    """ "14:00–15:00"."""
    return f"{hour:02d}:00–{(hour + 1) % 24:02d}:00"


def _summary(title, grid, *, unit, time_zone) -> str:
    cells = [
        (value, day, hour)
        for day, row in enumerate(grid)
        for hour, value in enumerate(row)
    ]
    peak, peak_day, peak_hour = max(cells, key=lambda c: (c[0], -c[1], -c[2]))
    totals = [sum(row) for row in grid]
    busy = max(range(7), key=lambda day: (totals[day], -day))
    quiet = min(range(7), key=lambda day: (totals[day], day))
    by_hour = [sum(row[hour] for row in grid) for hour in HOURS]
    busy_hour = max(HOURS, key=lambda hour: (by_hour[hour], -hour))
    return " ".join(
        [
            f"{title}, hours in {time_zone}.",
            f"Busiest hour: {WEEKDAYS[peak_day]} {_hours(peak_hour)}",
            f"with {format_number(peak)} {unit}.",
            f"Busiest day: {WEEKDAYS[busy]} ({format_number(totals[busy])});",
            f"quietest day: {WEEKDAYS[quiet]} ({format_number(totals[quiet])}).",
            f"Across the week, most {unit} arrive {_hours(busy_hour)}.",
            f"{format_number(sum(totals))} {unit} in total.",
        ]
    )
