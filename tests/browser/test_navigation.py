"""The main navigation on a phone: a Menu button opens every item as a
vertical list, the unread badge whole, and nothing scrolls sideways; on a
desktop every item shows without the button."""

import pytest
from playwright.sync_api import expect

from analytics import services as analytics
from analytics.services import Author
from tests import factories
from tests.browser.conftest import log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ITEMS = [
    "Dashboard",
    "Posts",
    "Notifications",
    "Moderation",
    "Analytics",
    "Profile",
    "Agency access",
    "Studio Collective Agency",
    "API",
    "Admin",
]


@pytest.fixture
def alice(db):
    """A creator who is also staff and in an agency: the longest menu."""
    creator = factories.CreatorFactory(
        handle="alice", user__username="alice", user__is_staff=True
    )
    factories.MembershipFactory(
        agency=factories.AgencyFactory(name="Studio Collective Agency", slug="studio"),
        user=creator.user,
        role="owner",
    )
    for n in range(12):
        analytics.interaction_record(
            creator=creator,
            kind="follow",
            activity_id=f"https://mastodon.social/follows/{n}",
            author=Author(actor_uri=f"https://mastodon.social/users/u{n}"),
        )
    return creator


NO_SIDEWAYS_SCROLL = (
    "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
)


def nav_link(page, name):
    return page.locator("#site-nav").get_by_role("link", name=name, exact=False)


def test_on_a_phone_the_menu_opens_every_item(new_page, alice):
    page = new_page(width=375, height=800)
    log_in(page)
    menu = page.locator("label.nav-toggle-button")
    expect(menu).to_be_visible()
    expect(menu).to_contain_text("12")
    expect(nav_link(page, "Analytics")).to_be_hidden()

    menu.click()

    for name in ITEMS:
        link = nav_link(page, name).first
        expect(link).to_be_visible()
        expect(link).to_be_in_viewport(ratio=1)
    badge = nav_link(page, "Notifications").locator(".nav-count")
    expect(badge).to_have_text("12 new")
    expect(badge).to_be_in_viewport(ratio=1)
    link_box = nav_link(page, "Notifications").bounding_box()
    badge_box = badge.bounding_box()
    assert badge_box["x"] + badge_box["width"] <= link_box["x"] + link_box["width"]
    assert badge_box["y"] + badge_box["height"] <= link_box["y"] + link_box["height"]
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    screenshot(page, "nav-375-open")

    nav_link(page, "Analytics").click()
    page.wait_for_url("**/analytics/**")
    expect(page.locator("label.nav-toggle-button")).to_be_visible()
    expect(nav_link(page, "Analytics")).to_be_hidden()


def test_on_a_desktop_every_item_shows_without_a_menu(new_page, alice):
    page = new_page(width=1280)
    log_in(page)
    expect(page.locator("label.nav-toggle-button")).to_be_hidden()
    for name in ITEMS:
        expect(nav_link(page, name).first).to_be_in_viewport(ratio=1)
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    screenshot(page, "nav-1280")


@pytest.fixture
def busy_creator(db):
    """A creator with over 99 unread notifications: the widest badge."""
    creator = factories.CreatorFactory(handle="alice", user__username="alice")
    analytics.interactions_record_many(
        items=[
            analytics.InteractionInput(
                kind="follow",
                activity_id=f"https://mastodon.social/follows/{n}",
                creator_id=creator.pk,
                author=Author(actor_uri=f"https://mastodon.social/users/u{n}"),
            )
            for n in range(120)
        ]
    )
    return creator


def test_a_creators_links_fit_one_row_at_1280(new_page, busy_creator):
    page = new_page(width=1280)
    log_in(page)
    links = page.locator("#site-nav a")
    expect(links.first).to_be_visible()
    names = [text.split("\n")[0] for text in links.all_inner_texts()]
    assert "Agency access" in names and "API" in names
    rows = {round(link.bounding_box()["y"]) for link in links.all()}
    assert len(rows) == 1, names
    screenshot(page, "nav-1280-creator")
