"""Charts drawn on the server as accessible SVG, styled by charts.css.

Each builder takes plain lists and dicts and returns a `Chart`, which
templates/analytics/charts/_chart.html shows with a legend and the same
numbers as a table:

    chart = line_chart(title="Interactions per day", days=days,
                       series=[Series("This period", counts)])
    {% include "analytics/charts/_chart.html" with chart=chart %}

`sparkline` returns a bare inline <svg> for table cells (also the
`sparkline` filter in the `charts` template library).
"""

from analytics.charts.bars import bar_chart
from analytics.charts.base import NO_DATA, Chart, LegendEntry, Table
from analytics.charts.heatmap import WEEKDAYS, heatmap
from analytics.charts.line import Series, line_chart
from analytics.charts.scales import format_number, nice_ticks
from analytics.charts.sparkline import sparkline

__all__ = [
    "NO_DATA",
    "WEEKDAYS",
    "Chart",
    "LegendEntry",
    "Series",
    "Table",
    "bar_chart",
    "format_number",
    "heatmap",
    "line_chart",
    "nice_ticks",
    "sparkline",
]
