"""Axis ticks, numbers and dates as the charts print them."""

from datetime import date, timedelta

import pytest

from analytics.charts.scales import (
    date_ticks,
    format_change,
    format_number,
    format_period,
    nice_ticks,
)


@pytest.mark.parametrize(
    ("low", "high"),
    [(0, 1), (0, 3), (0, 7), (0, 10), (0, 101), (0, 413), (0, 2841), (-20, 35),
     (1180, 1382), (0, 12_345_678), (5, 5), (0, 0), (-3, -1)],
)  # fmt: skip
@pytest.mark.parametrize("count", [4, 5, 6])
def test_ticks_cover_the_data_in_round_even_steps(low, high, count):
    """Ticks reach past both ends of the data, no further than one step,
    evenly spaced by a whole 1, 2, 2.5 or 5 times a power of ten."""
    ticks = nice_ticks(low, high, count=count)
    assert ticks[0] <= min(low, 0 if low == high else low)
    assert ticks[-1] >= high
    assert 2 <= len(ticks) <= count
    steps = {b - a for a, b in zip(ticks, ticks[1:], strict=False)}
    assert len(steps) == 1
    step = steps.pop()
    assert step == int(step) >= 1  # counts get whole steps
    leading = step / 10 ** (len(str(int(step))) - 1)
    assert leading in {1, 2, 2.5, 5}
    assert ticks[-1] - step < high or high == 0
    assert ticks[0] + step > low or low == high


def test_ticks_hug_the_data():
    """A top value of 413 gets an axis to 500, not 600."""
    assert nice_ticks(0, 413, count=5)[-1] == 500
    assert nice_ticks(0, 101, count=6)[-1] == 125


def test_fractional_data_gets_fractional_ticks():
    ticks = nice_ticks(0, 0.7, count=5, integer=False)
    assert ticks[0] == 0 and ticks[-1] >= 0.7
    assert all(tick * 4 == int(tick * 4) for tick in ticks)  # quarters


def test_flat_series_still_has_an_axis_from_zero():
    assert nice_ticks(0, 0) == [0, 1]
    assert nice_ticks(50, 50)[0] == 0
    assert nice_ticks(50, 50)[-1] >= 50


@pytest.mark.parametrize(
    ("value", "text"),
    [(0, "0"), (999, "999"), (1234, "1,234"), (1234567, "1,234,567"),
     (12.5, "12.5"), (0.25, "0.25"), (1234.0, "1,234"), (-20, "\u221220"),
     (None, "—")],
)  # fmt: skip
def test_numbers_have_thousands_separators(value, text):
    assert format_number(value) == text


def test_changes_are_signed():
    assert format_change(20) == "+20"
    assert format_change(-1500) == "\u22121,500"
    assert format_change(0) == "0"


def test_periods_are_short_and_name_the_year_once():
    assert format_period(date(2024, 6, 1), date(2024, 6, 30)) == "1 – 30 Jun 2024"
    assert format_period(date(2024, 5, 28), date(2024, 6, 3)) == "28 May – 3 Jun 2024"
    assert (
        format_period(date(2024, 12, 30), date(2025, 1, 5))
        == "30 Dec 2024 – 5 Jan 2025"
    )


def days_from(first: date, count: int) -> list[date]:
    return [first + timedelta(days=i) for i in range(count)]


@pytest.mark.parametrize("count", [1, 7, 30, 31, 90, 365, 400])
@pytest.mark.parametrize("most", [4, 6, 9])
def test_date_labels_stay_few_and_in_order(count, most):
    days = days_from(date(2024, 4, 2), count)
    ticks = date_ticks(days, most=most)
    indexes = [index for index, _ in ticks]
    assert 1 <= len(ticks) <= most
    assert indexes == sorted(set(indexes))
    assert all(0 <= index < count for index in indexes)


def test_a_month_is_labelled_by_short_dates_from_its_first_day():
    ticks = date_ticks(days_from(date(2024, 6, 1), 30), most=6)
    assert ticks[0] == (0, "1 Jun")
    assert [label for _, label in ticks] == ["1 Jun", "8 Jun", "15 Jun", "22 Jun",
                                             "29 Jun"]  # fmt: skip


def test_long_periods_are_labelled_by_month_and_year_changes_are_named():
    ticks = date_ticks(days_from(date(2024, 11, 2), 400), most=9)
    labels = [label for _, label in ticks]
    assert labels[0] == "2 Nov 2024"
    assert "Jan 2025" in labels or "Feb 2025" in labels
    assert all(
        label.split()[0] in {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug",
                             "Sep", "Oct", "Nov", "Dec"}
        for label in labels[1:]
    )  # fmt: skip
