"""What every chart is made of: two drawings, words and a table.

A chart is drawn three times, for a wide box, a medium one and a phone,
because text in an SVG scales with the drawing: one drawing shrunk to a
phone would have unreadable labels, and blown up to a desktop, shouting
ones. The stylesheet (static/css/charts.css) shows the drawing that fits
the box the chart sits in. Both drawings say the same in
their <title> and <desc>; the table says it again for people who would
rather read numbers than shapes.
"""

import uuid
from dataclasses import dataclass, field

from django.utils.safestring import SafeString
from django.utils.text import slugify

from analytics.charts.svg import element, join, num

NO_DATA = "No data for this period"


@dataclass(frozen=True)
class Layout:
    """The size of one drawing, in SVG user units, and how busy it may be."""

    name: str  # the CSS class (chart-svg-<name>) picks one by box width
    width: int
    height: int
    most_x_labels: int
    most_y_ticks: int
    compact: bool = False  # a phone: labels above bars, fewer hour labels
    font_size: int = 12


# Each drawing is shown in boxes where its 12-unit text comes out at about
# 10–16 px (charts.css): narrow below 440 px, medium below 640 px, wide above.
WIDE = Layout("wide", width=780, height=290, most_x_labels=9, most_y_ticks=6)
MEDIUM = Layout("medium", width=480, height=250, most_x_labels=6, most_y_ticks=5)
NARROW = Layout(
    "narrow", width=330, height=240, most_x_labels=4, most_y_ticks=5, compact=True
)
LAYOUTS = (WIDE, MEDIUM, NARROW)


@dataclass(frozen=True)
class Table:
    """The chart's data as rows of formatted cells; the first cell heads a row."""

    caption: str
    columns: list[str]
    rows: list[list[str]]
    footer: list[str] | None = None  # totals, where adding up makes sense


@dataclass(frozen=True)
class LegendEntry:
    label: str
    css_class: str  # the swatch takes the same class as the shapes it names


@dataclass(frozen=True)
class Chart:
    """A chart ready for templates/analytics/charts/_chart.html."""

    kind: str  # "line", "bars", "heatmap"
    chart_id: str
    title: str
    summary: str  # the data in words: the SVG's <desc>
    drawings: list[SafeString]  # one <svg> per layout, widest first
    table: Table | None
    legend: list[LegendEntry] = field(default_factory=list)
    note: str = ""  # shown under the title, e.g. the time zone
    empty: bool = False

    @property
    def svg(self) -> SafeString:
        return join(self.drawings)


def make_chart_id(title: str, chart_id: str | None) -> str:
    """The given id, or one from the title that is unique on any page."""
    if chart_id:
        return chart_id
    return f"chart-{slugify(title)[:40]}-{uuid.uuid4().hex[:6]}"


def svg_root(
    *,
    chart_id: str,
    layout: Layout,
    height: float,
    title: str,
    summary: str,
    body: list[SafeString],
    kind: str,
) -> SafeString:
    """The <svg> of one layout: scalable (a viewBox, no fixed size), named
    for assistive technology by its <title> and <desc>."""
    prefix = f"{chart_id}-{layout.name}"
    return element(
        "svg",
        element("title", title, id=f"{prefix}-title"),
        element("desc", summary, id=f"{prefix}-desc"),
        *body,
        xmlns="http://www.w3.org/2000/svg",
        viewBox=f"0 0 {layout.width} {num(height)}",
        class_=f"chart-svg chart-svg-{layout.name} chart-svg-{kind}",
        role="img",
        aria_labelledby=f"{prefix}-title {prefix}-desc",
        font_size=layout.font_size,
        preserveAspectRatio="xMidYMid meet",
    )


def empty_chart(
    *, kind: str, chart_id: str, title: str, message: str = NO_DATA
) -> Chart:
    """The chart of a period with nothing in it: the message, drawn where
    the chart would be, so the page keeps its shape."""
    drawings = []
    for layout in LAYOUTS:
        height = layout.height * 0.6
        body = [
            element(
                "rect",
                x=0.5,
                y=0.5,
                width=layout.width - 1,
                height=height - 1,
                rx=8,
                class_="chart-empty-frame",
            ),
            element(
                "text",
                message,
                x=layout.width / 2,
                y=height / 2,
                dy="0.35em",
                text_anchor="middle",
                font_size=layout.font_size * 1.25,
                class_="chart-empty-text",
            ),
        ]
        drawings.append(
            svg_root(
                chart_id=chart_id,
                layout=layout,
                height=height,
                title=title,
                summary=message,
                body=body,
                kind=kind,
            )
        )
    return Chart(
        kind=kind,
        chart_id=chart_id,
        title=title,
        summary=message,
        drawings=drawings,
        table=None,
        empty=True,
    )
