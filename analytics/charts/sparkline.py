"""A word-sized line for table cells: the shape of a series, no axes."""

from collections.abc import Sequence

from django.utils.safestring import SafeString

from analytics.charts.scales import format_number
from analytics.charts.svg import clean_label, element, path_through

WIDTH, HEIGHT, PAD = 100, 24, 2


def sparkline(values: Sequence[float | None], *, label: str) -> SafeString:
    """An inline <svg> stretched to its CSS box, named by `label` and the
    first, last and highest values; a flat dashed line when nothing is known.
    """
    label = clean_label(label)
    known = [value for value in values if value is not None]
    if not any(known):
        return _svg(
            f"{label}: no data",
            element(
                "line",
                x1=0,
                x2=WIDTH,
                y1=HEIGHT - PAD,
                y2=HEIGHT - PAD,
                class_="sparkline-none",
            ),
        )
    low, high = min(min(known), 0), max(known)
    span = (high - low) or 1
    step = WIDTH / max(len(values) - 1, 1)
    points = [
        None
        if value is None
        else (
            index * step if len(values) > 1 else WIDTH / 2,
            HEIGHT - PAD - (value - low) * (HEIGHT - 2 * PAD) / span,
        )
        for index, value in enumerate(values)
    ]
    words = (
        f"{label}: from {format_number(known[0])} to {format_number(known[-1])}, "
        f"highest {format_number(high)}"
    )
    return _svg(
        words,
        element("path", d=path_through(points), fill="none", class_="sparkline-line"),
    )


def _svg(words: str, *body: SafeString) -> SafeString:
    # preserveAspectRatio="none" lets CSS size it like a word; the stroke
    # keeps its width through non-scaling-stroke in charts.css.
    return element(
        "svg",
        element("title", words),
        *body,
        xmlns="http://www.w3.org/2000/svg",
        viewBox=f"0 0 {WIDTH} {HEIGHT}",
        preserveAspectRatio="none",
        class_="sparkline",
        role="img",
        aria_label=words,
    )
