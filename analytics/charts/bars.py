"""Horizontal bars: the platform breakdown and the top instances."""

from collections.abc import Mapping, Sequence

from django.utils.safestring import SafeString

from analytics.charts.base import (
    LAYOUTS,
    NO_DATA,
    Chart,
    Layout,
    Table,
    empty_chart,
    make_chart_id,
    svg_root,
)
from analytics.charts.scales import LinearScale, format_number, nice_ticks
from analytics.charts.svg import clean_label, element, shorten, text_width

# How many bars the words under the chart name one by one.
NAMED_IN_SUMMARY = 10


def bar_chart(
    *,
    title: str,
    items: Mapping[str, float] | Sequence[tuple[str, float]],
    unit: str = "interactions",
    label_heading: str = "Name",
    total: float | None = None,
    sort: bool = True,
    chart_id: str | None = None,
    empty_message: str = NO_DATA,
) -> Chart:
    """One bar per item, longest first, each with its value and share.

    Shares are of `total` when given (the top instances are a few of many),
    else of the items' sum. Labels may come from remote servers: they are
    cleaned of invisible characters and escaped, never trusted.
    """
    pairs = list(items.items() if isinstance(items, Mapping) else items)
    pairs = [(clean_label(label) or "(unnamed)", value) for label, value in pairs]
    if any(value < 0 for _, value in pairs):
        raise ValueError("bars show counts, which are never negative")
    if sort:
        pairs.sort(key=lambda pair: (-pair[1], pair[0].casefold()))
    chart_id = make_chart_id(title, chart_id)
    if not any(value for _, value in pairs):
        return empty_chart(
            kind="bars", chart_id=chart_id, title=title, message=empty_message
        )

    total = total if total else sum(value for _, value in pairs)
    shares = [_share(value, total) for _, value in pairs]
    summary = _summary(title, pairs, shares, unit=unit, total=total)
    drawings = [
        _draw(
            layout,
            chart_id=chart_id,
            title=title,
            summary=summary,
            pairs=pairs,
            shares=shares,
            unit=unit,
        )
        for layout in LAYOUTS
    ]
    return Chart(
        kind="bars",
        chart_id=chart_id,
        title=title,
        summary=summary,
        drawings=drawings,
        table=Table(
            caption=title,
            columns=[label_heading, unit.capitalize(), "Share"],
            rows=[
                [label, format_number(value), share]
                for (label, value), share in zip(pairs, shares, strict=True)
            ],
            footer=["Total", format_number(total), "100%"]
            if total == sum(value for _, value in pairs)
            else None,
        ),
    )


def _share(value: float, total: float) -> str:
    percent = value * 100 / total
    if 0 < percent < 1:
        return "<1%"
    return f"{round(percent)}%"


def _draw(layout: Layout, *, chart_id, title, summary, pairs, shares, unit):
    font = layout.font_size
    narrow = layout.compact
    value_labels = [
        f"{format_number(value)} ({share})"
        for (_, value), share in zip(pairs, shares, strict=True)
    ]
    value_room = max(text_width(label, font) for label in value_labels) + 8
    if narrow:
        # Names on their own line above each bar: the whole width is theirs.
        label_room, bar_left = layout.width, 2
        row_height, bar_height, bar_offset = font * 1.4 + 20, 14, font * 1.4
    else:
        longest = max(text_width(label, font) for label, _ in pairs)
        label_room = min(longest, layout.width * 0.34)
        bar_left = label_room + 12
        row_height, bar_height, bar_offset = 30, 18, 6
    bar_right = layout.width - value_room
    top = 4
    axis_y = top + row_height * len(pairs)
    height = axis_y + font * 2

    ticks = nice_ticks(
        0,
        max(value for _, value in pairs),
        count=layout.most_y_ticks - (1 if narrow else 0),
        integer=all(float(value).is_integer() for _, value in pairs),
    )
    x = LinearScale(0, ticks[-1], bar_left, bar_right)

    body: list[SafeString] = []
    for tick in ticks:
        body.append(
            element(
                "line",
                x1=x(tick),
                x2=x(tick),
                y1=top,
                y2=axis_y,
                class_="chart-grid chart-zero" if tick == 0 else "chart-grid",
            )
        )
        body.append(
            element(
                "text",
                format_number(tick),
                x=x(tick),
                y=axis_y + font * 1.4,
                text_anchor="start" if tick == 0 and narrow else "middle",
                class_="chart-tick-label chart-x-label",
            )
        )
    for row, ((label, value), value_label) in enumerate(
        zip(pairs, value_labels, strict=True)
    ):
        row_top = top + row * row_height
        bar_y = row_top + bar_offset
        shown = shorten(label, width=label_room, font_size=font)
        body.append(
            element(
                "text",
                element("title", label) if shown != label else "",
                shown,
                x=bar_left if narrow else label_room,
                y=row_top + font if narrow else bar_y + bar_height / 2,
                dy=None if narrow else "0.35em",
                text_anchor="start" if narrow else "end",
                class_="chart-label",
            )
        )
        body.append(
            element(
                "rect",
                element("title", f"{label}: {format_number(value)} {unit}"),
                x=bar_left,
                y=bar_y,
                width=x(value) - bar_left,
                height=bar_height,
                class_="chart-bar",
            )
        )
        body.append(
            element(
                "text",
                value_label,
                x=x(value) + 6,
                y=bar_y + bar_height / 2,
                dy="0.35em",
                class_="chart-value",
            )
        )
    return svg_root(
        chart_id=chart_id,
        layout=layout,
        height=height,
        title=title,
        summary=summary,
        body=body,
        kind="bars",
    )


def _summary(title, pairs, shares, *, unit, total) -> str:
    named = [
        f"{label} {format_number(value)} ({share})"
        for (label, value), share in zip(
            pairs[:NAMED_IN_SUMMARY], shares[:NAMED_IN_SUMMARY], strict=True
        )
    ]
    if len(pairs) > NAMED_IN_SUMMARY:
        named.append(f"and {len(pairs) - NAMED_IN_SUMMARY} more")
    return f"{title}: {', '.join(named)}. {format_number(total)} {unit} in total."
