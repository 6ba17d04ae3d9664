"""Quotes on a creator's analytics page (issue 15): their own card beside
likes, boosts, replies and reactions, and their own column in the top posts,
on a laptop and on a phone."""

import pytest
from playwright.sync_api import expect

from tests.analytics.conftest import record
from tests.analytics_ui.conftest import MARCH, make_post
from tests.browser.conftest import log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(("width", "label"), [(1280, "desktop"), (375, "phone")])
def test_quotes_have_a_card_and_a_column(new_page, creator, width, label):
    mural = make_post(creator, published="2025-03-03 09:00", body="The mural")
    record(creator, "like", "bob", post=mural, when="2025-03-04 10:00")
    for who in ("max", "kai"):
        record(creator, "quote", who, post=mural, when="2025-03-05 10:00")
    page = new_page(width=width, height=900)
    log_in(page, creator.user.username)
    page.goto(f"/dashboard/@{creator.handle}/analytics/?{MARCH}")

    cards = page.get_by_role("list", name="Totals for the period")
    expect(cards).to_contain_text("Quotes\n2")
    table = page.locator(".report-posts table")
    # Its column beside the others' (on a phone, like them, left out for room).
    expect(table.locator("th", has_text="Quotes")).to_be_attached()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    screenshot(page, f"analytics-quotes-{label}")
