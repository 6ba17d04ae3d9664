"""Reading charts back as a person (or a screen reader) would meet them."""

import html
import re
from xml.etree import ElementTree

from django.template.loader import render_to_string

SVG = "{http://www.w3.org/2000/svg}"


def parse(drawing) -> ElementTree.Element:
    """The drawing as XML; fails the test if it is not well-formed."""
    return ElementTree.fromstring(str(drawing))  # noqa: S314 (our own output)


def drawings(chart) -> list[ElementTree.Element]:
    return [parse(drawing) for drawing in chart.drawings]


def by_class(root, tag: str, css_class: str) -> list[ElementTree.Element]:
    return [
        node
        for node in root.iter(f"{SVG}{tag}")
        if css_class in node.get("class", "").split()
    ]


def number(text: str) -> float:
    """ "1,234" → 1234, "−20" → -20."""
    return float(text.replace(",", "").replace("\u2212", "-"))


def y_ticks(root) -> dict[float, float]:
    """Value → height of each labelled y-axis gridline of a line chart."""
    return {
        number(label.text): float(label.get("y"))
        for label in by_class(root, "text", "chart-y-label")
    }


def x_labels(root) -> list[str]:
    return [label.text for label in by_class(root, "text", "chart-x-label")]


def path_points(path) -> list[tuple[float, float]]:
    """The (x, y) points a path goes through (M and L commands)."""
    return [
        (float(x), float(y))
        for x, y in re.findall(r"[ML](-?[\d.]+) (-?[\d.]+)", path.get("d"))
    ]


def render_chart(chart, **extra) -> str:
    return render_to_string("analytics/charts/_chart.html", {"chart": chart, **extra})


def table_cells(page: str) -> list[str]:
    """Every cell of the table alternative, header and data, as text."""
    table = page[page.index("<table") : page.index("</table>")]
    return [
        html.unescape(re.sub(r"<[^>]+>", "", cell)).strip()
        for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", table, flags=re.S)
    ]
