"""Word-sized lines in table cells, through the `sparkline` filter."""

from django.template import engines

from analytics.charts import sparkline
from tests.analytics_charts.helpers import SVG, parse, path_points


def render(template: str, **context) -> str:
    return engines["django"].from_string(template).render(context)


def test_the_line_rises_where_the_values_do():
    root = parse(sparkline([1, 5, 2], label="Likes"))
    (path,) = root.iter(f"{SVG}path")
    (_, y1), (_, y2), (_, y3) = path_points(path)
    assert y2 < y3 < y1  # up is smaller y
    assert root.get("role") == "img"
    assert root.get("aria-label") == "Likes: from 1 to 2, highest 5"


def test_no_data_is_said_and_drawn_as_a_flat_dashed_line():
    root = parse(sparkline([0, 0, 0], label="Likes"))
    assert root.get("aria-label") == "Likes: no data"
    assert root.find(f"{SVG}line").get("class") == "sparkline-none"


def test_the_filter_escapes_the_label():
    html = render(
        "{% load charts %}{{ values|sparkline:name }}",
        values=[1, 2, 3],
        name="<b>post</b>",
    )
    assert "<b>" not in html
    assert parse(html).get("aria-label").startswith("<b>post</b>: from 1 to 3")
