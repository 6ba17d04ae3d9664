"""Numbers and dates as charts show them: nice ticks, short dates, 1,234."""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

MINUS = "\u2212"  # a real minus sign, as wide as the plus sign

# Steps between axis ticks, per power of ten, in order of preference.
_NICE_STEPS = (1, 2, 2.5, 5)
# Steps between date labels: days, then months.
_DAY_STEPS = (1, 2, 3, 7, 14)
_MONTH_STEPS = (1, 2, 3, 6, 12)


def format_number(value: float | None) -> str:
    """ "1,234", "12.5", "0.25", "−20"; an em dash for a missing value."""
    if value is None:
        return "—"
    if float(value).is_integer():
        text = f"{int(value):,}"
    else:
        decimals = 2 if abs(value) < 10 else 1
        text = f"{value:,.{decimals}f}".rstrip("0").rstrip(".")
    return text.replace("-", MINUS)


def format_change(value: float) -> str:
    """ "+20", "−20", "0": a difference, always signed."""
    return f"+{format_number(value)}" if value > 0 else format_number(value)


def format_day(day: date, *, year: bool = False) -> str:
    """ "3 Jun", or "3 Jun 2024" with the year."""
    return f"{day.day} {day:%b %Y}" if year else f"{day.day} {day:%b}"


def format_period(first: date, last: date) -> str:
    """ "1 – 30 Jun 2024", "28 May – 3 Jun 2024", "30 Dec 2024 – 5 Jan 2025"."""
    if first == last:
        return format_day(first, year=True)
    if first.year != last.year:
        return f"{format_day(first, year=True)} – {format_day(last, year=True)}"
    if first.month != last.month:
        return f"{format_day(first)} – {format_day(last, year=True)}"
    return f"{first.day} – {format_day(last, year=True)}"


def nice_ticks(
    low: float, high: float, *, count: int = 5, integer: bool = True
) -> list[float]:
    """Evenly spaced round values from at or below `low` to at or above `high`.

    The step is 1, 2, 2.5 or 5 times a power of ten. Of the steps needing
    at most `count` ticks, the one hugging the data most closely wins (0–500
    in 250s rather than 0–600 in 200s for a top value of 413), then the one
    with more ticks. Counts never get fractional steps.
    """
    if low > high:
        low, high = high, low
    if low == high:
        # A flat series still needs an axis: span from zero to the value.
        low, high = min(low, 0), max(high, 0)
        if low == high:
            high = 1
    magnitude = 10 ** math.floor(math.log10((high - low) / max(count - 1, 1)))
    best = None
    for scale in (0.1, 1, 10, 100):
        for multiple in _NICE_STEPS:
            step = multiple * magnitude * scale
            if integer and (step < 1 or not float(round(step, 9)).is_integer()):
                continue
            first = math.floor(low / step + 1e-9)
            last = math.ceil(high / step - 1e-9)
            if last - first + 1 > count:
                continue
            fit = ((last - first) * step, first - last)  # range, then more ticks
            if best is None or fit < best[0]:
                best = (fit, step, first, last)
    _, step, first, last = best
    digits = max(0, 1 - math.floor(math.log10(step)))
    if integer:
        step = round(step)
    return [round((first + i) * step, digits) for i in range(last - first + 1)]


@dataclass(frozen=True)
class LinearScale:
    """Maps data values in [low, high] onto [start, end] user units."""

    low: float
    high: float
    start: float
    end: float

    def __call__(self, value: float) -> float:
        if self.high == self.low:
            return self.start
        share = (value - self.low) / (self.high - self.low)
        return self.start + share * (self.end - self.start)


def date_ticks(days: Sequence[date], *, most: int) -> list[tuple[int, str]]:
    """(index, label) pairs for at most `most` labels along a daily axis.

    Every 1, 2, 3, 7 or 14 days from the first; for long periods the first
    of every 1, 2, 3, 6 or 12 months. The year is shown only when the days
    span more than one, on the first label and where the year changes.
    """
    if not days:
        return []
    spans_years = days[0].year != days[-1].year
    for step in _DAY_STEPS:
        if math.ceil(len(days) / step) <= most:
            indexes = list(range(0, len(days), step))
            break
    else:
        month_starts = [i for i, day in enumerate(days) if day.day == 1]
        for step in _MONTH_STEPS:
            indexes = month_starts[::step]
            if len(indexes) < most:
                break
        labels = _labelled(days, indexes, spans_years, months=True)
        # Name the first day too, unless a month label sits close by.
        spacing = len(days) / (len(indexes) + 1)
        if not indexes or indexes[0] > spacing / 2:
            labels.insert(0, (0, format_day(days[0], year=spans_years)))
        return labels
    return _labelled(days, indexes, spans_years, months=False)


def _labelled(days, indexes, spans_years, *, months):
    labels = []
    previous_year = None
    for index in indexes:
        day = days[index]
        with_year = spans_years and day.year != previous_year
        previous_year = day.year
        if months:
            label = f"{day:%b %Y}" if with_year else f"{day:%b}"
        else:
            label = format_day(day, year=with_year)
        labels.append((index, label))
    return labels
