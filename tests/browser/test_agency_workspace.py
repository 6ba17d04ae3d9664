"""The agency workspace in a real browser: a manager switches to Alice in
the header, writes a post for her approval, and Alice approves it; the
approval page, the agency calendar and the header switcher at 1280 and
375 px, under the Content-Security-Policy."""

import datetime
import zoneinfo

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from posts import services
from posts.models import Post
from tests import factories
from tests.browser.conftest import log_in
from tests.browser.conftest import screenshot as save_screenshot
from tests.browser.test_console_clean import collect_console_errors

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
BODY = "Spring collection drop on Friday: ten prints, signed. #prints"


@pytest.fixture
def people(db):
    """Northwind manages Alice (draft for approval) and Bob (everything);
    Sam is its manager."""
    alice = factories.CreatorFactory(
        handle="alice",
        display_name="Alice Martin",
        user__username="alice",
        time_zone="Europe/Paris",
    )
    bob = factories.CreatorFactory(
        handle="bob", display_name="Bob Studio", user__username="bob"
    )
    northwind = factories.AgencyFactory(name="Northwind", slug="northwind")
    factories.AgencyAccessFactory(creator=alice, agency=northwind, draft_posts=True)
    factories.AgencyAccessFactory(creator=bob, agency=northwind, all_scopes=True)
    sam = factories.MembershipFactory(
        agency=northwind,
        role="manager",
        user__username="sam",
        user__first_name="Sam",
    ).user
    return alice, bob, sam


def screenshot(page, name: str):
    page.evaluate("window.scrollTo(0, 0)")
    return save_screenshot(page, name)


def tomorrow_in_paris() -> datetime.date:
    return (timezone.now().astimezone(PARIS) + datetime.timedelta(days=1)).date()


def test_a_manager_drafts_for_approval_and_the_creator_approves(new_page, people):
    alice, bob, sam = people
    day = tomorrow_in_paris()
    later = datetime.datetime.combine(day, datetime.time(18, 30), tzinfo=PARIS)
    scheduled = services.post_save_draft(
        creator=bob, by=sam, data=services.PostInput(body="Bob's studio tour, live")
    )
    services.post_schedule(post=scheduled, by=sam, publish_at=later)

    page = new_page()
    errors = collect_console_errors(page)
    log_in(page, "sam")
    # The header says whom Sam works for, and switches without logging out.
    switcher = page.get_by_label("Working for")
    expect(switcher).to_be_visible()
    screenshot(page, "agency-switcher-desktop")
    switcher.select_option("alice")
    page.get_by_text("Now working for Alice Martin (@alice).").wait_for()
    expect(page.get_by_label("Working for")).to_have_value("alice")

    page.get_by_role("link", name="Posts", exact=True).click()
    page.wait_for_url("**/posts/@alice/")
    page.get_by_role("link", name="New post").click()
    page.wait_for_url("**/posts/@alice/new/")
    expect(page.get_by_role("button", name="Publish now")).to_have_count(0)
    page.get_by_label("Post", exact=True).fill(BODY)
    page.get_by_label("Date", exact=True).fill(day.isoformat())
    page.get_by_label("Time", exact=True).fill("10:00")
    page.get_by_role("button", name="Send for approval").click()
    page.get_by_text("Sent to @alice for approval.").wait_for()
    page.get_by_role("heading", name="Waiting for @alice's approval").wait_for()
    post = Post.objects.get(creator=alice)
    assert post.state == Post.State.PENDING_APPROVAL

    page.goto(f"/posts/agency/northwind/calendar/?date={day.isoformat()}")
    page.get_by_text("Bob's studio tour, live").wait_for()
    page.get_by_text(BODY[:30]).wait_for()
    screenshot(page, "agency-calendar-desktop")
    page.get_by_label("Creator").select_option("bob")
    page.wait_for_url("**creator=bob**")
    expect(page.get_by_text(BODY[:30])).to_have_count(0)

    # Alice: told on her dashboard, reads it, approves what she read.
    alice_page = new_page()
    alice_errors = collect_console_errors(alice_page)
    log_in(alice_page, "alice")
    alice_page.get_by_role("heading", name="Waiting for your approval").wait_for()
    alice_page.get_by_role("heading", name="Team activity").wait_for()
    screenshot(alice_page, "agency-creator-dashboard-desktop")
    alice_page.get_by_role("link", name="Review this post").click()
    alice_page.get_by_text("Sam at Northwind sent it").wait_for()
    words = "Sent for approval by Sam at Northwind for @alice"
    alice_page.locator(".on-behalf", has_text=words).wait_for()
    screenshot(alice_page, "agency-approval-desktop")
    alice_page.get_by_role("button", name="Approve for").click()
    alice_page.get_by_text("Approved. Scheduled for").wait_for()
    post.refresh_from_db()
    assert post.state == Post.State.SCHEDULED
    assert post.scheduled_at == datetime.datetime.combine(
        day, datetime.time(10, 0), tzinfo=PARIS
    )
    # What Northwind may do, in words, as checkboxes Alice can change.
    alice_page.goto("/settings/agencies/")
    northwind = alice_page.get_by_role("group", name="What Northwind's owners")
    expect(northwind.get_by_label("Publish and schedule")).not_to_be_checked()
    expect(northwind.get_by_label("Draft posts for my approval")).to_be_checked()
    screenshot(alice_page, "agency-access-desktop")
    assert errors == [] and alice_errors == []


def test_the_workspace_fits_a_phone(new_page, people):
    alice, bob, sam = people
    day = tomorrow_in_paris()
    post = services.post_save_draft(
        creator=alice, by=sam, data=services.PostInput(body=BODY)
    )
    services.post_submit_for_approval(
        post=post,
        by=sam,
        publish_at=datetime.datetime.combine(day, datetime.time(10), tzinfo=PARIS),
    )

    page = new_page(width=375, height=800)
    errors = collect_console_errors(page)
    log_in(page, "sam")
    expect(page.get_by_label("Working for")).to_be_visible()
    screenshot(page, "agency-switcher-phone")
    page.goto(f"/posts/agency/northwind/calendar/?date={day.isoformat()}")
    page.get_by_text(BODY[:20]).wait_for()
    screenshot(page, "agency-calendar-phone")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375

    alice_page = new_page(width=375, height=800)
    alice_errors = collect_console_errors(alice_page)
    log_in(alice_page, "alice")
    alice_page.goto(f"/posts/{post.pk}/")
    alice_page.get_by_role("heading", name="Waiting for your approval").wait_for()
    screenshot(alice_page, "agency-approval-phone")
    assert alice_page.evaluate("document.documentElement.scrollWidth") <= 375
    alice_page.get_by_label("Or send it back, saying what should change").fill(
        "Say Saturday, not Friday."
    )
    alice_page.get_by_role("button", name="Send back").click()
    alice_page.get_by_text("Sent back with your comment.").wait_for()
    alice_page.goto("/settings/agencies/")
    alice_page.get_by_role("button", name="Save what Northwind may do").wait_for()
    screenshot(alice_page, "agency-access-phone")
    assert alice_page.evaluate("document.documentElement.scrollWidth") <= 375
    assert errors == [] and alice_errors == []
