"""The public profile page at desktop width uses the page: profile and
follow box on the left, recent posts on the right; on a phone one column."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests import factories
from tests.browser.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def alice(db):
    creator = factories.CreatorFactory(
        handle="alice", display_name="Alice Martin", user__username="alice"
    )
    for n in range(3):
        factories.PostFactory(
            creator=creator,
            body=f"Public post number {n} about the gallery opening",
            state="published",
            published_at=timezone.now(),
        )
    return creator


def test_at_1280_px_the_posts_fill_the_right_side(new_page, alice):
    page = new_page(width=1280)
    page.goto("/@alice")
    posts = page.locator("section[aria-labelledby='posts-heading']")
    profile = page.locator("section.profile-card")
    expect(posts).to_contain_text("Public post number 2")
    profile_box, posts_box = profile.bounding_box(), posts.bounding_box()
    assert posts_box["x"] >= profile_box["x"] + profile_box["width"]
    assert posts_box["y"] == profile_box["y"]
    assert posts_box["width"] >= 600
    screenshot(page, "profile-1280")


def test_at_375_px_it_is_one_column(new_page, alice):
    page = new_page(width=375)
    page.goto("/@alice")
    posts = page.locator("section[aria-labelledby='posts-heading']")
    expect(posts).to_contain_text("Public post number 2")
    profile_box, posts_box = (
        page.locator("section.profile-card").bounding_box(),
        posts.bounding_box(),
    )
    assert posts_box["y"] >= profile_box["y"] + profile_box["height"]
    screenshot(page, "profile-375")


@pytest.mark.parametrize("width", [1280, 375])
def test_unlisted_posts_are_on_the_profile_followers_only_ones_are_not(
    new_page, alice, width
):
    for body, visibility in [
        ("A quiet unlisted sketch", "unlisted"),
        ("For followers only", "followers"),
    ]:
        factories.PostFactory(
            creator=alice,
            body=body,
            content_html=f"<p>{body}</p>",
            visibility=visibility,
            state="published",
            published_at=timezone.now(),
        )
    page = new_page(width=width)
    page.goto("/@alice")
    posts = page.locator("section[aria-labelledby='posts-heading']")
    expect(posts).to_contain_text("A quiet unlisted sketch")
    expect(posts).to_contain_text("Public post number 2")
    expect(posts).not_to_contain_text("For followers only")
    screenshot(page, f"profile-unlisted-{width}")
