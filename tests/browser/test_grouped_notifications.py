"""Grouped likes in the notifications feed, in a real browser at desktop
and phone widths: one line, and the people behind "See all"."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests import factories
from tests.browser.conftest import log_in, screenshot
from tests.inbox_ui.conftest import make_interaction, make_post

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def alice(db):
    creator = factories.CreatorFactory(handle="alice", user__username="alice")
    post = make_post(creator, "My new mural is up")
    start = timezone.now().replace(hour=1, minute=0, second=0, microsecond=0)
    for i in range(14):
        make_interaction(
            creator, "like", f"fan{i}", post=post, at=start + i * timedelta(minutes=1)
        )
    return creator


@pytest.mark.parametrize("width", [1280, 375])
def test_likes_of_one_post_are_one_line_and_show_who(new_page, alice, width):
    page = new_page(width=width)
    log_in(page)
    page.goto("/dashboard/@alice/notifications/")
    line = page.locator(".inbox-item").filter(has_text="liked your post")
    expect(line).to_have_count(1)
    expect(line).to_contain_text("Fan13, Fan12 and 12 others liked your post")
    line.get_by_text("See all 14").click()
    expect(line.locator(".inbox-person-name")).to_have_count(14)
    expect(line.locator(".inbox-person-name").last).to_have_text("Fan0")
    expect(line.locator(".inbox-person-name").first).to_be_visible()
    assert page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )
    screenshot(page, f"notifications-grouped-{width}")
