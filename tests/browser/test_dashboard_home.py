"""The dashboard home in a real browser: a creator's week, next posts,
replies waiting and delivery problems; an admin's moderation and queues;
at 1280 and 375 px."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from analytics.models import Reply
from federation.models import Delivery, InboundActivity, RemoteInstance
from tests import factories
from tests.browser.conftest import log_in, screenshot
from tests.federation.test_delivery_status import queue
from tests.inbox_ui.conftest import make_interaction, make_post, make_reply

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = (1280, 375)


@pytest.fixture
def alice(db):
    creator = factories.CreatorFactory(
        handle="alice", user__username="alice", display_name="Alice Example"
    )
    mural = make_post(creator, "My new mural is up on Rua Augusta")
    make_interaction(creator, "like", "bob", post=mural)
    make_interaction(creator, "boost", "ana", post=mural)
    make_interaction(creator, "follow", "kai")
    make_reply(creator, mural, "zoe", "Which paint do you use outdoors?")
    make_reply(
        creator, mural, "lou", "Spam!", status=Reply.Status.HELD, hold_reason="link"
    )
    factories.PostFactory(
        creator=creator,
        body="Studio tour on Friday",
        state="scheduled",
        scheduled_at=timezone.now() + timedelta(days=1),
    )
    activity = queue(mural, ["https://a.example/inbox", "https://b.example/inbox"])
    Delivery.objects.filter(activity=activity, host="a.example").update(
        state="delivered"
    )
    Delivery.objects.filter(activity=activity, host="b.example").update(
        state="gave_up", attempts=12, last_error="b.example refused it"
    )
    return creator


def no_sideways_scroll(page):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"]


@pytest.mark.parametrize("width", WIDTHS)
def test_a_creators_home_shows_the_week_and_what_waits(new_page, alice, width):
    page = new_page(width=width)
    log_in(page)
    home = page.locator("#home-creator")
    expect(home.locator("#home-interactions")).to_have_text("3")
    expect(home.locator("#home-new-followers")).to_have_text("1")
    coming = home.locator("section[aria-labelledby='coming-heading']")
    expect(coming).to_contain_text("Studio tour on Friday")
    waiting = home.locator("section[aria-labelledby='waiting-heading']")
    expect(waiting).to_contain_text("Which paint do you use outdoors?")
    expect(waiting).not_to_contain_text("Spam!")
    expect(waiting.get_by_role("link", name="Answer")).to_be_visible()
    problems = home.locator("section[aria-labelledby='problems-heading']")
    expect(problems.get_by_role("link", name="Not everywhere")).to_be_visible()
    expect(page.locator("#profile-heading")).to_have_text("Alice Example")
    no_sideways_scroll(page)
    screenshot(page, f"home-creator-{width}")

    problems.get_by_role("link", name="Not everywhere").click()
    expect(page.locator(".delivery-summary")).to_contain_text(
        "Delivered to 1 of 2 servers, 1 failed"
    )


@pytest.fixture
def admin(alice):
    admin = factories.UserFactory(username="admin", admin=True)
    RemoteInstance.objects.create(
        domain="down.example", unavailable_since=timezone.now() - timedelta(days=2)
    )
    RemoteInstance.objects.create(
        domain="flood.example", inbox_limited_at=timezone.now(), inbox_limited_times=3
    )
    InboundActivity.objects.create(
        ap_id="https://social.example/activities/1",
        activity_type="Like",
        actor_uri="https://social.example/users/fan",
        payload={},
        received_at=timezone.now() - timedelta(minutes=7),
    )
    return admin


@pytest.mark.parametrize("width", WIDTHS)
def test_an_admins_home_shows_moderation_and_the_queues(new_page, admin, width):
    page = new_page(width=width)
    log_in(page, "admin")
    home = page.locator("#home-admin")
    expect(home.locator("#admin-held")).to_have_text("1")
    expect(home.locator("#admin-reports")).to_have_text("0")
    expect(home.locator("#admin-inbox")).to_have_text("1")
    expect(home.locator("#admin-unavailable")).to_have_text("1")
    expect(home).to_contain_text("down.example")
    expect(home.locator("#admin-failing")).to_contain_text("b.example")
    limited = home.locator("#admin-limited")
    expect(limited).to_contain_text("flood.example")
    expect(limited).to_contain_text("over its rate in 3 minutes today")
    expect(page.get_by_text("You are not part of an agency yet")).to_have_count(0)
    no_sideways_scroll(page)
    screenshot(page, f"home-admin-{width}")

    home.get_by_role("link", name="Review the queue").click()
    expect(page.get_by_text("Spam!")).to_be_visible()
