"""The charts as Chromium draws them, at a desktop and at a phone width.

Screenshots land in test-artifacts/charts-*.png for people to look at.
"""

import pytest

from tests.analytics_charts.sample import render_sample_page
from tests.browser.conftest import screenshot
from tests.chromium import ARTIFACTS

pytestmark = pytest.mark.browser

# Chart text should read like the page's small print: not below 9.5 px
# (hard to read) nor above 16 px (louder than the page's own text).
SMALLEST_READABLE_PX = 9.5
LARGEST_CALM_PX = 16


@pytest.fixture(scope="module")
def sample_url():
    return render_sample_page(ARTIFACTS / "charts-sample.html").as_uri()


def chart_facts(page) -> dict:
    return page.evaluate(
        """() => {
          const shown = [...document.querySelectorAll('svg.chart-svg')]
            .filter(svg => svg.getBoundingClientRect().width > 0);
          // The font size in user units times the drawing's scale on screen.
          const sizes = shown.flatMap(svg => [
              ...svg.querySelectorAll('text:not(.chart-empty-text)')
            ].map(t => parseFloat(getComputedStyle(t).fontSize)
                      * svg.getScreenCTM().a));
          return {
            layouts: shown.map(svg => svg.classList[1].replace('chart-svg-', '')),
            charts: document.querySelectorAll('figure.chart').length,
            smallest_text: Math.min(...sizes),
            largest_text: Math.max(...sizes),
            page_width: document.documentElement.scrollWidth,
            alerts: window.__alerts || 0,
          };
        }"""
    )


@pytest.mark.parametrize(("width", "name"), [(1280, "desktop"), (375, "phone")])
def test_charts_fit_and_read_at_each_width(browser, sample_url, width, name):
    """Each chart shows exactly one drawing, no page scrolls sideways, and
    chart text stays readable; a phone gets the narrow drawings."""
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog), dialog.dismiss()))
    page.goto(sample_url)
    facts = chart_facts(page)
    screenshot(page, f"charts-{width}")
    context.close()

    assert len(facts["layouts"]) == facts["charts"]
    if name == "phone":
        assert set(facts["layouts"]) == {"narrow"}
    else:
        assert "wide" in facts["layouts"]
    assert facts["page_width"] <= width
    assert facts["smallest_text"] >= SMALLEST_READABLE_PX
    assert facts["largest_text"] <= LARGEST_CALM_PX
    assert not dialogs, "a label from a remote server ran as script"
