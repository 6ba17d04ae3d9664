"""Charts in templates: `{{ values|sparkline:"Likes per day" }}`.

Full charts are built in the view (analytics.charts) and shown with
{% include "analytics/charts/_chart.html" with chart=... %}.
"""

from django import template
from django.utils.safestring import SafeString

from analytics import charts

register = template.Library()


@register.filter
def sparkline(values, label: str = "") -> SafeString:
    """A word-sized line of the values, named for screen readers by `label`."""
    return charts.sparkline(list(values or []), label=label or "Trend")
