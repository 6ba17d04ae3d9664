"""The agency-wide campaign list in Chromium: an analyst goes from the
agency's page to every campaign across its creators and on to a report, at
1280 and 375 px."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from analytics import campaigns
from tests import factories
from tests.analytics.conftest import record
from tests.browser.conftest import log_in, screenshot
from tests.browser.test_console_clean import collect_console_errors

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def studio(creator):
    """Bright reads alice and carol (an analyst, Ana); alice runs a campaign
    herself, Bright runs one for carol; Rival's campaign for alice is not
    Bright's business."""
    now = timezone.now()
    bright = factories.AgencyFactory(name="Bright Agency", slug="bright")
    factories.MembershipFactory(
        agency=bright, role="analyst", user__username="ana", user__first_name="Ana"
    )
    manager = factories.MembershipFactory(
        agency=bright, role="manager", user__username="mia"
    ).user
    carol = factories.CreatorFactory(
        handle="carol", user__username="carol", display_name="Carol Keys"
    )
    rival = factories.AgencyFactory(name="Rival", slug="rival")
    rick = factories.MembershipFactory(
        agency=rival, role="manager", user__username="rick"
    ).user
    for who, agency in ((creator, bright), (carol, bright), (creator, rival)):
        factories.AgencyAccessFactory(creator=who, agency=agency)

    def campaign(owner, name, body, *, agency=None, by=None, likes=3):
        post = factories.PostFactory(
            creator=owner,
            body=body,
            content_html=f"<p>{body}</p>",
            state="published",
            published_at=now - timedelta(days=3),
        )
        for who in ("bob", "zoe", "kai", "ana", "max")[:likes]:
            when = (now - timedelta(days=2)).strftime("%Y-%m-%d %H:%M")
            record(owner, "like", who, post=post, when=when)
        return campaigns.campaign_create(
            by=by or owner.user,
            creator=owner,
            agency=agency,
            name=name,
            starts_on=(now - timedelta(days=5)).date(),
            ends_on=now.date(),
            post_ids=[post.pk],
        )

    return {
        "mural": campaign(creator, "Mural week on Rua Augusta", "The mural"),
        "launch": campaign(
            carol,
            "Spring single launch",
            "New single",
            agency=bright,
            by=manager,
            likes=5,
        ),
        "rival": campaign(
            creator, "Rival push", "Rival post", agency=rival, by=rick, likes=1
        ),
    }


def test_an_analyst_finds_every_campaign_from_the_agency_page(new_page, studio):
    page = new_page()
    errors = collect_console_errors(page)
    log_in(page, "ana")
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Bright Agency"
    ).click()
    page.get_by_role("link", name="Campaigns").click()
    page.wait_for_url("**/agencies/bright/campaigns/")

    listed = page.locator(".agency-campaigns")
    expect(listed.locator(".agency-campaign")).to_have_count(2)
    expect(listed).to_contain_text("Mural week on Rua Augusta")
    expect(listed).to_contain_text("Spring single launch")
    expect(listed).not_to_contain_text("Rival push")
    launch = listed.locator(".agency-campaign", has_text="Spring single launch")
    expect(launch).to_contain_text("@carol")
    expect(launch).to_contain_text("Run by Bright Agency")
    expect(launch.locator(".campaign-posts")).to_have_text("1 post")
    expect(launch.locator(".campaign-interactions")).to_have_text("5 interactions")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    screenshot(page, "agency-campaigns-desktop")

    launch.get_by_role("link", name="Spring single launch").click()
    page.wait_for_url(f"**/dashboard/campaigns/{studio['launch'].pk}/")
    expect(page.get_by_role("heading", name="Spring single launch")).to_be_visible()
    assert errors == []


def test_the_agency_campaign_list_fits_a_phone(new_page, studio):
    page = new_page(width=375, height=800)
    log_in(page, "ana")
    page.goto("/agencies/bright/campaigns/")
    expect(page.locator(".agency-campaign")).to_have_count(2)
    # Every number shows without scrolling sideways.
    for badge in page.locator(".campaign-interactions").all():
        box = badge.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 375
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    screenshot(page, "agency-campaigns-phone")
