"""Numbers on the report pages: thousands separators and trends in words."""

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from analytics.charts import format_number
from analytics.reports import change
from analytics.services import plain_text

register = template.Library()


@register.filter
def number(value) -> str:
    """1234 → "1,234"; None → "–" (nothing to show)."""
    if value is None:
        return "–"
    return format_number(value)


@register.filter
def percent(value) -> str:
    """An engagement rate, already in percent: 121.54 → "121.5%", 0.034 →
    "0.03%"; None → "–" (nothing to show)."""
    if value is None:
        return "–"
    return f"{format_number(round(value, 1 if abs(value) >= 1 else 2))}%"


@register.simple_tag
def trend(change: float | None, *, inverse: bool = False, short: bool = False):
    """A change on the period before: "▲ +12%" in green, "▼ −3%" in red, or
    "no comparison" ("–" when `short`, in tables) when there was nothing
    before to compare with. With `inverse`, going down is the good way."""
    if change is None:
        return format_html(
            '<span class="trend trend-none" title="{}">{}</span>',
            "Nothing in the period before to compare with",
            "–" if short else "no comparison",
        )
    rounded = round(change)
    if rounded == 0:
        return mark_safe('<span class="trend trend-flat">no change</span>')  # noqa: S308
    up = rounded > 0
    good = up != inverse
    return format_html(
        '<span class="trend {}"><span aria-hidden="true">{}</span> {}{}%'
        '<span class="visually-hidden"> on the period before</span></span>',
        "trend-good" if good else "trend-bad",
        "▲" if up else "▼",
        "+" if up else "−",
        format_number(abs(rounded)),
    )


@register.simple_tag(takes_context=True)
def sort_link(context, column: str) -> str:
    """The agency report's address sorted by `column`, flipping the direction
    when it is sorted by it already."""
    request = context["request"]
    query = request.GET.copy()
    current, descending = context["sort"], context["descending"]
    query["sort"] = column
    query["dir"] = "asc" if column == current and descending else "desc"
    query.pop("print", None)
    return f"?{query.urlencode()}"


@register.simple_tag
def trend_of(row):
    """An agency row's interactions against the period before."""
    return trend(
        change(row.summary.interactions, row.previous.interactions), short=True
    )


@register.filter
def excerpt(html: str, length: int = 80) -> str:
    """A post's rendered HTML as plain text, cut to `length` characters."""
    text = plain_text(html or "", limit=length * 2)
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"
