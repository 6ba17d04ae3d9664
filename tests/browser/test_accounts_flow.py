"""The first thing a new user does, in a real browser (issue: foundation)."""

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from accounts.models import CreatorProfile
from tests.browser.conftest import log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DEMO_PASSWORD = "demo-password"


@pytest.fixture
def demo_data():
    call_command("demo", "--force", "--password", DEMO_PASSWORD, verbosity=0)


def test_demo_creator_edits_their_profile(new_page, demo_data):
    page = new_page()
    log_in(page, "demo", DEMO_PASSWORD)
    page.get_by_role("link", name="Edit profile").click()

    page.get_by_label("Display name").fill("Demo, Renamed")
    page.get_by_label("Bio").fill("Now painting murals in Lisbon.")
    page.get_by_label("Label 2").fill("Portfolio")
    page.get_by_label("URL 2").fill("https://portfolio.example/demo")
    page.get_by_role("button", name="Save profile").click()

    page.get_by_text("Your profile is saved.").wait_for()
    creator = CreatorProfile.objects.get(handle="demo")
    assert creator.display_name == "Demo, Renamed"
    assert creator.bio == "Now painting murals in Lisbon."
    assert ("Portfolio", "https://portfolio.example/demo") in creator.links.values_list(
        "label", "url"
    )
    screenshot(page, "profile-saved-desktop")

    page.goto("/dashboard/")
    expect(
        page.get_by_role("heading", name="Demo, Renamed", exact=True)
    ).to_be_visible()


def test_analyst_sees_the_linked_creator_and_nothing_else(new_page, demo_data):
    page = new_page(width=375, height=800)
    log_in(page, "analyst", DEMO_PASSWORD)

    page.get_by_role("link", name="Demo Agency").first.click()
    creators = page.locator("#creators-heading").locator("xpath=../..")
    assert creators.get_by_text("@demo@").count() >= 1
    assert creators.get_by_text("@other@").count() == 0
    screenshot(page, "agency-analyst-phone")

    response = page.goto("/agencies/demo-agency/creators/other/")
    assert response.status == 404
    response = page.goto("/agencies/demo-agency/creators/demo/")
    assert response.status == 200
