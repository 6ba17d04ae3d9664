"""The creator's inbox in a real browser (issue 5: the creator's view and
answering replies): notifications with platform badges, approving a follow
request, answering a reply inline; on a laptop and on a phone."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from analytics.models import Reply
from followers.models import Follow
from posts.models import Post
from tests import factories
from tests.browser.conftest import log_in, screenshot
from tests.inbox_ui.conftest import (
    NOW,
    make_follow,
    make_interaction,
    make_post,
    make_reply,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MIN = timedelta(minutes=1)


@pytest.fixture
def inbox(settings):
    """Alice, who approves followers by hand, and what came back to her."""
    creator = factories.CreatorFactory(
        handle="alice",
        user__username="alice",
        display_name="Alice Example",
        time_zone="Europe/Paris",
        approve_followers_manually=True,
    )
    mural = make_post(
        creator, "My new mural is up on Rua Augusta!", ago=timedelta(days=2)
    )
    sketch = make_post(
        creator, "Sketching the next one tonight", ago=timedelta(hours=5)
    )
    for who in ("bob", "ana", "lou"):
        make_follow(creator, who, at=NOW - timedelta(days=3))
    request = make_follow(creator, "max", state=Follow.State.PENDING, at=NOW - 30 * MIN)
    make_interaction(creator, "follow", "zoe", at=NOW - timedelta(days=1, hours=2))
    make_interaction(creator, "like", "bob", post=mural, at=NOW - timedelta(days=1))
    make_interaction(creator, "boost", "ana", post=mural, at=NOW - 3 * 60 * MIN)
    make_interaction(
        creator, "reaction", "kai", post=sketch, emoji="🎉", at=NOW - 50 * MIN
    )
    make_interaction(creator, "follow", "max", at=NOW - 30 * MIN)
    question = make_reply(
        creator,
        mural,
        "bob",
        "Wow! Which paint do you use outdoors? It looks so bright.",
        at=NOW - 20 * MIN,
    )
    make_reply(
        creator,
        mural,
        "zoe",
        '<span class="h-card"><a href="https://mastodon.social/@bob" '
        'class="u-url mention">@bob</a></span> same question!',
        parent=question,
        at=NOW - 12 * MIN,
    )
    make_reply(
        creator,
        mural,
        "kai",
        "The old building looked sad before, this is so much better",
        summary="Street politics",
        at=NOW - 8 * MIN,
    )
    make_reply(
        creator,
        mural,
        "lou",
        "Cheap followers at spam.example!!!",
        status=Reply.Status.HELD,
        hold_reason="Links to a domain on the watch list",
        at=NOW - 5 * MIN,
    )
    make_interaction(creator, "quote", "ana", post=sketch, at=NOW - 2 * MIN)
    return {
        "creator": creator,
        "mural": mural,
        "request": request,
        "question": question,
    }


def shoot(page, name):
    """A full-page screenshot from the top, so the sticky header sits there."""
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, name)


def test_creator_sees_notifications_approves_and_answers(new_page, inbox):
    page = new_page()
    log_in(page)
    nav = page.get_by_role("navigation", name="Main")
    assert (
        nav.get_by_role("link", name="Notifications")
        .inner_text()
        .startswith("Notifications")
    )
    nav.get_by_role("link", name="Notifications").click()
    page.wait_for_url("**/dashboard/@alice/notifications/")

    feed = page.locator("#feed")
    for platform in ("Mastodon", "Threads", "Misskey", "Pixelfed", "GoToSocial"):
        expect(
            page.locator(".platform", has_text=platform).first, platform
        ).to_be_visible()
    expect(feed.get_by_text("reacted 🎉 to your post")).to_be_visible()
    expect(feed.get_by_text("requested to follow you")).to_be_visible()
    shoot(page, "inbox-notifications-desktop")

    # Answer Bob's question inline, from the thread.
    question = inbox["question"]
    feed.locator(f"#n-2-{question.pk}").get_by_role("link", name="View thread").click()
    page.wait_for_url(f"**/dashboard/thread/{inbox['mural'].pk}/*")
    reply = page.locator(f"#reply-{question.pk}")
    expect(reply.get_by_text("Which paint do you use outdoors?")).to_be_visible()
    expect(page.locator(".badge-held")).to_be_visible()
    reply.get_by_role("link", name="Answer").click()
    box = reply.get_by_label("Your answer")
    box.wait_for()
    assert box.input_value().startswith("@bob@mastodon.social")
    expect(reply.get_by_text("/ 500")).to_be_visible()  # the live count
    box.press("End")
    box.type("Mineral paint, it survives the sun. Thanks!")
    shoot(page, "inbox-answer-form-desktop")
    reply.get_by_role("button", name="Send answer").click()
    reply.locator(".inbox-thread-node.is-answer").wait_for()

    answer = Post.objects.get(in_reply_to_uri=question.ap_id)
    assert answer.state == Post.State.PUBLISHED
    assert "Mineral paint" in answer.body
    assert list(answer.mentions.values_list("handle", flat=True)) == [
        "bob@mastodon.social"
    ]
    expect(reply.locator(f"#answer-{answer.pk}")).to_be_visible()
    page.reload()
    expect(page.locator(f"#answer-{answer.pk}")).to_be_visible()
    shoot(page, "inbox-thread-desktop")

    # Back in the notifications, approve the follow request on top.
    page.get_by_role("link", name="Notifications").first.click()
    page.wait_for_url("**/dashboard/@alice/notifications/")
    requests = page.locator(".inbox-requests")
    requests.get_by_role("button", name="Approve @max@gts.example").click()
    requests.get_by_text("Now follows you").wait_for()
    assert page.locator("#pending-count").inner_text() == "0"
    request = inbox["request"]
    request.refresh_from_db()
    assert request.state == Follow.State.ACCEPTED

    page.goto("/dashboard/@alice/followers/")
    expect(page.get_by_text("(@max@gts.example)")).to_be_visible()
    shoot(page, "inbox-followers-desktop")


def test_the_inbox_works_on_a_phone(new_page, inbox):
    page = new_page(width=375, height=800)
    log_in(page)
    page.goto("/dashboard/@alice/notifications/")
    expect(page.locator(".platform", has_text="Mastodon").first).to_be_visible()
    # Nothing sticks out sideways on a phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    shoot(page, "inbox-notifications-phone")

    page.goto(f"/dashboard/thread/{inbox['mural'].pk}/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    question = page.locator(f"#reply-{inbox['question'].pk}")
    question.get_by_role("link", name="Answer").click()
    question.get_by_label("Your answer").wait_for()
    shoot(page, "inbox-thread-phone")

    page.goto("/dashboard/@alice/followers/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    shoot(page, "inbox-followers-phone")

    # The tabs fit: the Requests count is not cut off at the edge, nor
    # hidden in a strip that scrolls sideways (issue 15, item 10).
    page.goto("/dashboard/@alice/followers/requests/")
    tabs = page.locator(".inbox-tabs")
    count = page.locator("#pending-count")
    expect(count).to_have_text("1")
    assert tabs.evaluate("n => n.scrollWidth <= n.clientWidth")
    assert count.bounding_box()["x"] + count.bounding_box()["width"] <= (
        tabs.bounding_box()["x"] + tabs.bounding_box()["width"]
    )
    shoot(page, "inbox-requests-phone")
