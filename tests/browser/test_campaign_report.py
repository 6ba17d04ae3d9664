"""A campaign report as a creator shares it and a sponsor opens it: in
Chromium, charts drawn, at 1280 and 375 px; the sponsor link in a fresh
context without an account; compose's suggested times fill the schedule."""

from datetime import timedelta

import pytest
from django.utils import timezone

from analytics import campaigns
from analytics.models import Reply
from federation.models import Delivery, OutboundActivity
from tests.analytics.conftest import record
from tests.analytics.test_insights import _follower
from tests.browser.conftest import log_in, screenshot
from tests.factories import PostFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PEOPLE = ("bob", "zoe", "kai", "ana", "max")


def _at(moment) -> str:
    return moment.strftime("%Y-%m-%d %H:%M")


@pytest.fixture
def launch(creator):
    """A three-post campaign over the last ten days: likes, boosts and a
    reply from four platforms, two followers it earned, deliveries."""
    now = timezone.now()
    creator.time_zone = "UTC"
    creator.save()
    for n in range(6):
        _follower(creator, f"m{n}", "mastodon.social")
    for n in range(3):
        _follower(creator, f"t{n}", "threads.net")
    _follower(creator, "k0", "misskey.io")
    bodies = (
        "Ten paintings in ten days starts today",
        "Day five: the harbour at dawn",
        "Last canvas of the series is drying",
    )
    posts = []
    for n, body in enumerate(bodies):
        when = now - timedelta(days=9 - 4 * n)
        post = PostFactory(
            creator=creator,
            body=body,
            content_html=f"<p>{body}</p>",
            state="published",
            published_at=when,
        )
        posts.append(post)
        activity = OutboundActivity.objects.create(
            ap_id=f"https://hub.example/posts/{post.pk}/activity",
            creator=creator,
            post=post,
            activity_type="Create",
            payload={},
        )
        for host in ("mastodon.social", "threads.net", "misskey.io")[: n + 1]:
            Delivery.objects.create(
                activity=activity,
                inbox_url=f"https://{host}/inbox",
                host=host,
                state=Delivery.State.DELIVERED,
            )
        for who in PEOPLE[: 5 - n]:
            record(creator, "like", who, post=post, when=_at(when + timedelta(hours=1)))
        for who in PEOPLE[: 2 + n]:
            record(
                creator, "boost", who, post=post, when=_at(when + timedelta(hours=2))
            )
    record(creator, "reply", "zoe", post=posts[0], when=_at(now - timedelta(days=8)))
    record(creator, "follow", "zoe", when=_at(now - timedelta(days=7)))
    record(creator, "follow", "kai", when=_at(now - timedelta(days=1)))
    Reply.objects.create(
        ap_id="https://threads.net/notes/1",
        creator=creator,
        post=posts[0],
        in_reply_to_uri="x",
        content_html="<p>The colours in this one! Is it for sale?</p>",
        actor_uri="https://threads.net/users/zoe",
        actor_handle="@zoe@threads.net",
        actor_name="Zoe",
        instance_domain="threads.net",
        software="threads",
        published_at=now - timedelta(days=8),
    )
    today = now.date()
    return campaigns.campaign_create(
        by=creator.user,
        creator=creator,
        agency=None,
        name="Ten paintings in ten days",
        starts_on=today - timedelta(days=10),
        ends_on=today + timedelta(days=2),
        post_ids=[post.pk for post in posts],
    )


def _fits(page) -> bool:
    return page.evaluate(
        "document.documentElement.scrollWidth <= window.innerWidth + 1"
    )


def test_a_creator_shares_the_report_and_a_sponsor_opens_it(new_page, creator, launch):
    page = new_page()
    log_in(page, "alice")
    page.goto(f"/dashboard/campaigns/{launch.pk}/")
    page.get_by_role("heading", name="Ten paintings in ten days").wait_for()
    cards = page.get_by_role("list", name="Campaign totals")
    # 6 + 3 followers on mastodon.social and threads.net, + 1 on misskey.io.
    assert "Reach (estimate)\n10" in cards.inner_text()
    assert "Followers earned\n2" in cards.inner_text()
    assert page.locator("svg").count() >= 3  # the charts are drawn
    assert "followers of yours on the 3 servers its 3 posts were delivered to" in (
        page.inner_text("main")
    )
    page.get_by_label("Label").fill("Paint Co.")
    page.get_by_role("button", name="Make a sponsor link").click()
    link = page.locator("#new-sponsor-link").inner_text()
    assert "/sponsor/" in link
    screenshot(page, "campaign-report-1280")

    phone = new_page(width=375, height=800)
    log_in(phone, "alice")
    phone.goto(f"/dashboard/campaigns/{launch.pk}/")
    assert _fits(phone)
    screenshot(phone, "campaign-report-375")
    phone.goto("/dashboard/@alice/campaigns/")
    phone.get_by_role("heading", name="New campaign").wait_for()
    assert _fits(phone)
    screenshot(phone, "campaigns-375")

    # A sponsor: no account, a fresh browser.
    for width in (1280, 375):
        sponsor = new_page(width=width)
        sponsor.goto(link)
        sponsor.get_by_role("heading", name="Ten paintings in ten days").wait_for()
        text = sponsor.inner_text("main")
        assert "read-only" in text.lower()
        assert "Make a sponsor link" not in text
        assert "Log in" in sponsor.inner_text("body")  # not logged in
        assert _fits(sponsor)
        screenshot(sponsor, f"campaign-sponsor-{width}")

    sponsor.goto(link + "?print=1")
    sponsor.get_by_role("button", name="Print or save as PDF").wait_for()
    screenshot(sponsor, "campaign-sponsor-print-375")

    # Revoked: the sponsor's next visit is refused in words.
    page.get_by_role("button", name="Revoke").click()
    gone = new_page(width=375)
    response = gone.goto(link)
    assert response.status == 410
    assert "This report link no longer opens" in gone.inner_text("main")
    screenshot(gone, "campaign-sponsor-revoked-375")


def test_suggested_times_fill_the_schedule(new_page, creator, launch):
    page = new_page(width=375, height=800)
    log_in(page, "alice")
    page.goto("/posts/@alice/new/")
    first = page.locator("[data-suggest-date]").first
    first.wait_for()
    first.click()
    assert page.locator('[name="schedule_date"]').input_value() == (
        first.get_attribute("data-suggest-date")
    )
    assert page.locator('[name="schedule_time"]').input_value() == (
        first.get_attribute("data-suggest-time")
    )
    assert first.get_attribute("aria-pressed") == "true"
    screenshot(page, "compose-suggested-times-375")


def test_the_creators_analytics_shows_earned_followers_and_best_times(
    new_page, creator, launch
):
    page = new_page()
    log_in(page, "alice")
    page.goto("/dashboard/@alice/analytics/?days=30")
    page.get_by_role("heading", name="Posts that earned followers").wait_for()
    assert "Best times to post" in page.inner_text("main")
    page.get_by_role("heading", name="Best times to post").scroll_into_view_if_needed()
    screenshot(page, "analytics-insights-1280")
