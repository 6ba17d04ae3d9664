"""Daily series as lines or areas: interactions per day, follower growth."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from django.utils.safestring import SafeString

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
from analytics.charts.scales import (
    LinearScale,
    date_ticks,
    format_change,
    format_day,
    format_number,
    format_period,
    nice_ticks,
)
from analytics.charts.svg import element, num, path_through, text_width

# Colour classes for the series, in order; charts.css keeps them apart for
# colour-blind readers too (Okabe & Ito's palette). Five, one for each kind
# of engagement the product records (likes, boosts, replies, reactions and
# quotes), so the stacked interactions chart never runs out.
SERIES_CLASSES = ("chart-s1", "chart-s2", "chart-s3", "chart-s4", "chart-s5")
COMPARISON_CLASS = "chart-prev"
# Up to this many days each day gets a dot: a lone busy day stays visible.
DOTS_UP_TO = 14


@dataclass(frozen=True)
class Series:
    """One line: a value per day, None where nothing is known.

    A comparison series (the previous period, day by day) is drawn as a
    dashed grey line and never stacked or filled.
    """

    name: str
    values: Sequence[float | None]
    comparison: bool = False


def line_chart(
    *,
    title: str,
    days: Sequence[date],
    series: Sequence[Series],
    unit: str = "interactions",
    stacked: bool = False,
    cumulative: bool = False,
    chart_id: str | None = None,
    empty_message: str = NO_DATA,
) -> Chart:
    """A chart of values per day.

    `stacked` piles the series up as areas (likes, boosts and replies make
    up the interactions). `cumulative` is for running totals such as
    followers: the axis fits the values instead of starting at zero, and the
    words tell the change over the period rather than a sum.
    """
    days = list(days)
    main = [s for s in series if not s.comparison]
    if len(main) > len(SERIES_CLASSES):
        raise ValueError(f"at most {len(SERIES_CLASSES)} series can be told apart")
    if stacked and (cumulative or len(main) != len(series)):
        raise ValueError("only plain daily counts can be stacked")
    for one in series:
        if len(one.values) != len(days):
            raise ValueError(
                f"{one.name!r} has {len(one.values)} values for {len(days)} days"
            )
    chart_id = make_chart_id(title, chart_id)
    if not days or all(not value for one in series for value in one.values):
        return empty_chart(
            kind="line", chart_id=chart_id, title=title, message=empty_message
        )

    classes = _classes(series)
    summary = _summary(title, days, series, unit=unit, cumulative=cumulative)
    tops = _stack(main) if stacked else None
    drawings = [
        _draw(
            layout,
            chart_id=chart_id,
            title=title,
            summary=summary,
            days=days,
            series=series,
            classes=classes,
            tops=tops,
            unit=unit,
            cumulative=cumulative,
        )
        for layout in LAYOUTS
    ]
    return Chart(
        kind="line",
        chart_id=chart_id,
        title=title,
        summary=summary,
        drawings=drawings,
        table=_table(title, days, series, cumulative=cumulative),
        legend=[
            LegendEntry(one.name, css_class)
            for one, css_class in zip(series, classes, strict=True)
        ]
        if len(series) > 1
        else [],
    )


def _classes(series: Sequence[Series]) -> list[str]:
    """The colour class of each series, in the order given."""
    colours = iter(SERIES_CLASSES)
    return [COMPARISON_CLASS if one.comparison else next(colours) for one in series]


def _stack(main: Sequence[Series]) -> list[list[float]]:
    """The top edge of each stacked layer, day by day."""
    tops, running = [], [0.0] * len(main[0].values)
    for one in main:
        running = [
            below + (value or 0)
            for below, value in zip(running, one.values, strict=True)
        ]
        tops.append(running)
    return tops


def _draw(
    layout: Layout,
    *,
    chart_id,
    title,
    summary,
    days,
    series,
    classes,
    tops,
    unit,
    cumulative,
) -> SafeString:
    known = [v for one in series for v in one.values if v is not None]
    if tops:
        known += tops[-1]
    low, high = min(known), max(known)
    if not cumulative:
        low, high = min(low, 0), max(high, 0)
    integer = all(float(v).is_integer() for v in known)
    ticks = nice_ticks(low, high, count=layout.most_y_ticks, integer=integer)
    font = layout.font_size
    tick_labels = [format_number(t) for t in ticks]

    left = max(text_width(label, font) for label in tick_labels) + 10
    top, right, bottom = font, font, font * 2.4
    plot_bottom = layout.height - bottom
    y = LinearScale(ticks[0], ticks[-1], plot_bottom, top)
    span = layout.width - left - right
    count = len(days)

    def x(index: int) -> float:
        return left + span / 2 if count == 1 else left + span * index / (count - 1)

    body = []
    # Grid and y axis labels.
    for tick, label in zip(ticks, tick_labels, strict=True):
        grid_class = "chart-grid chart-zero" if tick == 0 else "chart-grid"
        body.append(
            element(
                "line",
                x1=left,
                x2=left + span,
                y1=y(tick),
                y2=y(tick),
                class_=grid_class,
            )
        )
        body.append(
            element(
                "text",
                label,
                x=left - 6,
                y=y(tick),
                dy="0.35em",
                text_anchor="end",
                class_="chart-tick-label chart-y-label",
            )
        )
    for at, label, anchor in _date_labels(days, x, layout):
        body.append(
            element(
                "line",
                x1=at,
                x2=at,
                y1=plot_bottom,
                y2=plot_bottom + 4,
                class_="chart-tick",
            )
        )
        body.append(
            element(
                "text",
                label,
                x=at,
                y=plot_bottom + font * 1.5,
                text_anchor=anchor,
                class_="chart-tick-label chart-x-label",
            )
        )

    baseline = plot_bottom if cumulative else y(0)
    if tops:
        # Stacking allows no comparison series: layers follow `series`.
        below = [baseline] * count
        for layer, css_class in zip(tops, classes, strict=True):
            upper = [y(v) for v in layer]
            body.append(_area(x, upper, below, f"chart-stacked {css_class}"))
            below = upper
    else:
        main = [i for i, one in enumerate(series) if not one.comparison]
        if len(main) == 1 and not cumulative:
            values = series[main[0]].values
            upper = [None if v is None else y(v) for v in values]
            body.append(_area(x, upper, [baseline] * count, classes[main[0]]))

    # Comparison first, so the current period is drawn over it.
    order = sorted(range(len(series)), key=lambda i: not series[i].comparison)
    for position in order:
        one, css_class = series[position], classes[position]
        values = tops[position] if tops else one.values
        points = [None if v is None else (x(i), y(v)) for i, v in enumerate(values)]
        body.append(_line(points, css_class))
        if count <= DOTS_UP_TO and not one.comparison:
            body.extend(
                element(
                    "circle", cx=p[0], cy=p[1], r=3, class_=f"chart-dot {css_class}"
                )
                for p in points
                if p is not None
            )

    # Invisible columns, one a day, that show the day's numbers on hover.
    column = span / (count - 1) if count > 1 else span
    for index, day in enumerate(days):
        when = format_day(day, year=True)
        if len(series) == 1:
            tip = f"{when}: {format_number(series[0].values[index])} {unit}"
        else:
            tip = f"{when}: " + " · ".join(
                f"{one.name} {format_number(one.values[index])}" for one in series
            )
        start = max(x(index) - column / 2, left)
        end = min(x(index) + column / 2, left + span)
        body.append(
            element(
                "rect",
                element("title", tip),
                x=start,
                y=top,
                width=end - start,
                height=plot_bottom - top,
                class_="chart-hit",
            )
        )
    return svg_root(
        chart_id=chart_id,
        layout=layout,
        height=layout.height,
        title=title,
        summary=summary,
        body=body,
        kind="line",
    )


def _date_labels(days, x, layout: Layout) -> list[tuple[float, str, str]]:
    """(x, label, text-anchor) of the date labels: kept inside the drawing
    at both ends, and a label that would touch the one before is dropped."""
    placed, right_of_last = [], float("-inf")
    for index, label in date_ticks(days, most=layout.most_x_labels):
        at, width = x(index), text_width(label, layout.font_size)
        anchor, start = "middle", x(index) - width / 2
        if start < 0:
            anchor, start = "start", at
        elif start + width > layout.width:
            anchor, start = "end", at - width
        if start < right_of_last + layout.font_size:
            continue
        placed.append((at, label, anchor))
        right_of_last = start + width
    return placed


def _line(points, css_class: str) -> SafeString:
    """The series' line, broken where a value is missing."""
    return element(
        "path", d=path_through(points), fill="none", class_=f"chart-line {css_class}"
    )


def _area(x, upper, below, css_class: str) -> SafeString:
    """The band between two edges, one closed shape per run of known days."""
    shapes, run = [], []
    for index, top in enumerate([*upper, None]):
        if top is not None:
            run.append(index)
            continue
        if run:
            edge = [f"{num(x(i))} {num(upper[i])}" for i in run]
            back = [f"{num(x(i))} {num(below[i])}" for i in reversed(run)]
            shapes.append("M" + " L".join(edge + back) + " Z")
        run = []
    return element("path", d=" ".join(shapes), class_=f"chart-area {css_class}")


def _summary(title, days, series, *, unit, cumulative) -> str:
    sentences = [f"{title}, {format_period(days[0], days[-1])}."]
    main = [s for s in series if not s.comparison]
    for one in series:
        known = [
            (v, day) for v, day in zip(one.values, days, strict=True) if v is not None
        ]
        if not known:
            sentences.append(f"{one.name}: no data.")
            continue
        if cumulative:
            (first, first_day), (last, last_day) = known[0], known[-1]
            high, high_day = max(known, key=lambda pair: pair[0])
            low, low_day = min(known, key=lambda pair: pair[0])
            sentences.append(
                f"{one.name}: {format_number(first)} on {format_day(first_day)}, "
                f"{format_number(last)} on {format_day(last_day)} "
                f"({format_change(last - first)}); highest {format_number(high)} "
                f"on {format_day(high_day)}, lowest {format_number(low)} "
                f"on {format_day(low_day)}."
            )
            continue
        total = sum(v for v, _ in known)
        sentence = f"{one.name}: {format_number(total)} {unit} in total"
        if not one.comparison:
            high, high_day = max(known, key=lambda pair: pair[0])
            sentence += f", most on {format_day(high_day)} ({format_number(high)})"
        sentences.append(sentence + ".")
    comparison = [s for s in series if s.comparison]
    if not cumulative and len(main) == 1 and len(comparison) == 1:
        now = sum(v or 0 for v in main[0].values)
        before = sum(v or 0 for v in comparison[0].values)
        if before:
            sentences.append(
                f"Change: {format_change(round((now - before) * 100 / before))}%."
            )
    return " ".join(sentences)


def _table(title, days, series, *, cumulative) -> Table:
    with_year = days[0].year != days[-1].year
    rows = [
        [format_day(day, year=with_year), *(format_number(s.values[i]) for s in series)]
        for i, day in enumerate(days)
    ]
    footer = None
    if not cumulative:
        footer = [
            "Total",
            *(format_number(sum(v or 0 for v in s.values)) for s in series),
        ]
    return Table(
        caption=f"{title}, {format_period(days[0], days[-1])}",
        columns=["Date", *(s.name for s in series)],
        rows=rows,
        footer=footer,
    )
