"""Delivery where the creator looks: a badge and counts per post in the posts
list, every server in a post's delivery panel, and the Details link under an
answer laid out below its delivery; at 1280 and 375 px."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from federation.models import Delivery, OutboxJob
from tests import factories
from tests.browser.conftest import log_in, screenshot
from tests.federation.test_delivery_status import queue
from tests.inbox_ui.conftest import make_interaction, make_post, make_reply

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = (1280, 375)


def inboxes(post, count):
    return [f"https://p{post.pk}s{n}.example/inbox" for n in range(count)]


def sent(post, count, **state):
    activity = queue(post, inboxes(post, count), number=post.pk)
    rows = Delivery.objects.filter(activity=activity)
    if state:
        rows.update(**state)
    return rows


@pytest.fixture
def alice(db):
    return factories.CreatorFactory(
        handle="alice", user__username="alice", display_name="Alice Example"
    )


@pytest.fixture
def posts(alice):
    """One published post in each delivery state, oldest first."""
    made = {}
    bodies = ["Everywhere", "Nowhere", "Retrying", "Sending", "Queued"]
    for hours, body in enumerate(reversed(bodies)):
        made[body] = make_post(alice, f"{body} post", ago=timedelta(hours=hours + 1))
    sent(made["Everywhere"], 4, state="delivered", delivered_at=timezone.now())
    sent(made["Nowhere"], 4, state="gave_up", attempts=12, last_error="refused")
    rows = sent(made["Retrying"], 4, state="delivered")
    rows.filter(
        host__in=[f"p{made['Retrying'].pk}s{n}.example" for n in (0, 1)]
    ).update(
        state="failed",
        attempts=2,
        next_attempt_at=timezone.now() + timedelta(hours=2),
        last_error="timed out",
    )
    sent(made["Sending"], 4)
    OutboxJob.objects.create(action="post.create", post=made["Queued"])
    for who in ("bob", "ana"):
        make_interaction(alice, "like", who, post=made["Everywhere"])
    make_interaction(alice, "boost", "kai", post=made["Everywhere"])
    make_reply(alice, made["Everywhere"], "zoe", "Lovely")
    return made


def no_sideways_scroll(page):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"]


@pytest.mark.parametrize("width", WIDTHS)
def test_the_posts_list_shows_each_posts_delivery_and_counts(new_page, posts, width):
    page = new_page(width=width)
    log_in(page)
    page.goto("/posts/@alice/")
    expected = {
        "Everywhere": "Delivered to 4 of 4",
        "Nowhere": "Not everywhere",
        "Retrying": "2 retrying",
        "Sending": "Sending…",
        "Queued": "Waiting for the queue",
    }
    for body, words in expected.items():
        badge = page.locator(f"#post-{posts[body].pk}-overview .post-delivery-badge")
        expect(badge).to_have_text(words)
    counts = page.locator(f"#post-{posts['Everywhere'].pk}-overview .post-counts")
    expect(counts).to_have_text("2 likes 1 boost 1 reply")
    no_sideways_scroll(page)
    page.evaluate("window.scrollTo(0, 0)")  # the sticky header at the top
    screenshot(page, f"posts-list-delivery-{width}")


@pytest.mark.parametrize("width", WIDTHS)
def test_the_delivery_panel_lists_every_server(new_page, alice, width):
    few = make_post(alice, "Four servers")
    sent(few, 4, state="delivered", delivered_at=timezone.now())
    many = make_post(alice, "Eight servers")
    rows = sent(many, 8, state="delivered", delivered_at=timezone.now())
    rows.filter(host=f"p{many.pk}s7.example").update(
        state="gave_up", attempts=12, last_error=f"p{many.pk}s7.example refused it"
    )
    page = new_page(width=width)
    log_in(page)

    page.goto(f"/posts/{few.pk}/")
    hosts = page.locator(".delivery-hosts .delivery-host")
    expect(page.locator(".delivery-summary")).to_have_text(
        "Delivered to 4 of 4 servers"
    )
    expect(hosts).to_have_count(4)
    expect(hosts.first).to_have_text(f"p{few.pk}s0.example delivered")
    no_sideways_scroll(page)
    screenshot(page, f"delivery-panel-few-{width}")

    page.goto(f"/posts/{many.pk}/")
    folded = page.locator("details.delivery-servers")
    expect(folded.locator("summary")).to_have_text("All 8 servers")
    expect(folded.locator(".delivery-host").first).to_be_hidden()
    folded.locator("summary").click()
    expect(folded.locator(".delivery-host")).to_have_count(8)
    expect(folded.locator(".delivery-host").first).to_have_text(
        f"p{many.pk}s7.example failed"
    )
    expect(folded.locator(".delivery-host").last).to_be_visible()
    no_sideways_scroll(page)
    screenshot(page, f"delivery-panel-many-{width}")


@pytest.mark.parametrize("width", WIDTHS)
def test_the_details_link_of_an_answer_sits_below_its_delivery(new_page, alice, width):
    mural = make_post(alice, "My new mural is up")
    question = make_reply(alice, mural, "bob", "Which paint do you use?")
    answer = make_post(
        alice,
        "Mineral paint, it lasts",
        ago=timedelta(minutes=5),
        in_reply_to_uri=question.ap_id,
    )
    rows = sent(answer, 3, state="delivered", delivered_at=timezone.now())
    rows.filter(host=f"p{answer.pk}s2.example").update(
        state="gave_up",
        attempts=12,
        last_error=f"p{answer.pk}s2.example refused it: 403 Forbidden",
    )
    page = new_page(width=width)
    log_in(page)
    page.goto(f"/dashboard/thread/{mural.pk}/")

    node = page.locator(f"#answer-{answer.pk}")
    failures = node.locator(".delivery-failures")
    expect(failures).to_contain_text("refused it: 403 Forbidden")
    link = node.get_by_role("link", name="Details of your answer")
    expect(link).to_be_visible()
    panel_box = node.locator(".delivery").bounding_box()
    link_box = link.bounding_box()
    assert link_box["y"] >= panel_box["y"] + panel_box["height"]
    assert link_box["x"] <= panel_box["x"] + 1
    assert link_box["x"] + link_box["width"] <= width
    no_sideways_scroll(page)
    page.evaluate("window.scrollTo(0, 0)")  # the sticky header at the top
    screenshot(page, f"thread-answer-details-{width}")
