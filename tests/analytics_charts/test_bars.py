"""Horizontal bars: the platform breakdown and the top instances."""

import pytest

from analytics.charts import NO_DATA, bar_chart, format_number
from tests.analytics_charts.helpers import (
    SVG,
    by_class,
    drawings,
    number,
    render_chart,
    table_cells,
)

PLATFORMS = {
    "Threads": 1320,
    "Mastodon": 2841,
    "Misskey": 402,
    "Pleroma / Akkoma": 96,
    "GoToSocial": 18,
}
HOSTILE = '<script>alert("x")</script>.evil.example'


def platforms(**options):
    return bar_chart(
        title="Interactions by platform",
        items=PLATFORMS,
        label_heading="Platform",
        **options,
    )


def bar_lengths(root) -> list[float]:
    return [float(bar.get("width")) for bar in by_class(root, "rect", "chart-bar")]


def test_bar_lengths_are_proportional_to_values_longest_first():
    values = sorted(PLATFORMS.values(), reverse=True)
    for root in drawings(platforms()):
        lengths = bar_lengths(root)
        assert lengths == sorted(lengths, reverse=True)
        for value, length in zip(values, lengths, strict=True):
            assert length / lengths[0] == pytest.approx(value / values[0], abs=0.003)


def test_bars_share_one_baseline():
    for root in drawings(platforms()):
        assert len({bar.get("x") for bar in by_class(root, "rect", "chart-bar")}) == 1


def test_each_bar_is_named_with_its_value_and_share():
    root = drawings(platforms())[0]
    labels = [node.text for node in by_class(root, "text", "chart-label")]
    values = [node.text for node in by_class(root, "text", "chart-value")]
    assert labels[:2] == ["Mastodon", "Threads"]
    assert values[0] == "2,841 (61%)"
    assert values[-1] == "18 (<1%)"


def test_axis_ticks_reach_past_the_longest_bar():
    for root in drawings(platforms()):
        ticks = [number(node.text) for node in by_class(root, "text", "chart-x-label")]
        assert ticks[0] == 0
        assert ticks[-1] >= max(PLATFORMS.values())


def test_words_list_the_items_in_order():
    summary = platforms().summary
    assert summary.startswith(
        "Interactions by platform: Mastodon 2,841 (61%), Threads 1,320 (28%)"
    )
    assert f"{format_number(sum(PLATFORMS.values()))} interactions in total" in summary


def test_shares_of_a_given_total_for_top_lists():
    """Top instances are a few of many: shares are of everything."""
    chart = bar_chart(title="Top instances", items={"a.example": 50}, total=1000)
    assert chart.summary.startswith("Top instances: a.example 50 (5%)")
    assert chart.table.footer is None  # the rows do not add up to the total


def test_a_hostile_instance_name_is_text_everywhere():
    chart = bar_chart(title="Top instances", items={HOSTILE: 42, "ok.example": 10})
    html = render_chart(chart)
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    for root in drawings(chart):
        assert not list(root.iter(f"{SVG}script"))
        shown = "".join(by_class(root, "text", "chart-label")[0].itertext())
        assert shown.startswith('<script>alert("x")</script>')
    assert HOSTILE in table_cells(html)
    assert HOSTILE in chart.summary


def test_invisible_and_reordering_characters_are_dropped():
    """A right-to-left override would show "moc.elpmaxe" as "example.com";
    control characters would even make the SVG invalid XML."""
    chart = bar_chart(title="Top", items={"\u202emoc.elpmaxe\x07\x00": 5})
    for root in drawings(chart):  # parses
        label = by_class(root, "text", "chart-label")[0]
        assert "".join(label.itertext()) == "moc.elpmaxe"


def test_a_long_name_is_shortened_in_the_drawing_but_whole_elsewhere():
    name = "a-very-long-instance-name-that-keeps-going.social.example.org"
    chart = bar_chart(title="Top", items={name: 5, "b.example": 3})
    root = drawings(chart)[0]
    label = by_class(root, "text", "chart-label")[0]
    assert label.find(f"{SVG}title").text == name  # the tooltip
    assert "".join(label.itertext()).endswith("…")
    assert name in table_cells(render_chart(chart))


def test_the_table_holds_every_value():
    cells = table_cells(render_chart(platforms()))
    assert cells[:3] == ["Platform", "Interactions", "Share"]
    for name, value in PLATFORMS.items():
        at = cells.index(name)
        assert cells[at + 1] == format_number(value)
    assert cells[-3:] == ["Total", format_number(sum(PLATFORMS.values())), "100%"]


@pytest.mark.parametrize("items", [{}, {"Mastodon": 0, "Threads": 0}, []])
def test_nothing_to_show_is_the_empty_state(items):
    chart = bar_chart(title="Quotes by platform", items=items)
    assert chart.empty
    html = render_chart(chart)
    assert NO_DATA in html and "<table" not in html


def test_negative_counts_are_a_bug_not_a_bar():
    with pytest.raises(ValueError):
        bar_chart(title="x", items={"a": -1})
