"""The styled 404 and the analytics page's CSV links in a real browser, at
desktop and phone widths."""

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.browser.conftest import log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def alice(db):
    return factories.CreatorFactory(handle="alice", user__username="alice")


@pytest.mark.parametrize("width", [1280, 375])
def test_a_missing_page_says_so_and_leads_back(new_page, alice, width):
    page = new_page(width=width)
    page.goto("/no/such/page")
    expect(page.get_by_role("heading", name="This page does not exist")).to_be_visible()
    expect(page.get_by_role("link", name="Log in").last).to_be_visible()
    screenshot(page, f"404-anonymous-{width}")
    log_in(page)
    page.goto("/no/such/page")
    back = page.get_by_role("link", name="Go to your dashboard")
    expect(back).to_be_in_viewport(ratio=1)
    screenshot(page, f"404-{width}")
    back.click()
    page.wait_for_url("**/dashboard/")


@pytest.mark.parametrize("width", [1280, 375])
def test_the_analytics_page_offers_both_csv_exports(new_page, alice, width):
    page = new_page(width=width)
    log_in(page)
    page.goto("/dashboard/@alice/analytics/?days=7")
    for name in ("CSV per day", "CSV per post"):
        expect(page.get_by_role("link", name=name)).to_be_in_viewport(ratio=1)
    with page.expect_download() as download:
        page.get_by_role("link", name="CSV per day").click()
    assert download.value.suggested_filename.startswith("alice-days-")
    screenshot(page, f"analytics-csv-links-{width}")
