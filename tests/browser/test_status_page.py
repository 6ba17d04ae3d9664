"""A post's public page, as someone following a link from Mastodon sees it."""

from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

from analytics.models import Interaction, Reply
from federation.protocol import notes
from posts.services import PostInput, post_publish, post_save_draft
from tests import factories
from tests.browser.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def publish(creator, body, **fields):
    post = post_save_draft(
        creator=creator, by=creator.user, data=PostInput(body=body, **fields)
    )
    return post_publish(post=post, by=creator.user)


@pytest.fixture
def thread():
    """A post with a warning, two images, reactions and a thread with an answer."""
    alice = factories.CreatorFactory(
        handle="alice", display_name="Alice Example", user__username="alice"
    )
    post = publish(
        alice,
        "Finished the **mural** on Rua Augusta today. Thank you all for the "
        "support! #mural #lisbon https://alice.example/murals/rua-augusta",
        summary="Wall painting, lots of red",
    )
    for position, alt in enumerate(["The mural from across the street", ""]):
        factories.PostMediaFactory(post=post, position=position, alt_text=alt)
    for number, kind in enumerate(["like"] * 12 + ["boost"] * 3):
        Interaction.objects.create(
            activity_id=f"https://social.example/{kind}/{number}",
            kind=kind,
            creator=alice,
            post=post,
            actor_uri=f"https://social.example/users/fan{number}",
            instance_domain="social.example",
        )
    parent = None
    for number in range(1, 7):
        parent = Reply.objects.create(
            ap_id=f"https://a-very-long-server-name.example/users/fan{number}/s/{number}",
            creator=alice,
            post=post,
            parent=parent if number > 1 else None,
            in_reply_to_uri=parent.ap_id if number > 1 else notes.note_url(post),
            actor_uri=f"https://a-very-long-server-name.example/users/fan{number}",
            actor_handle=f"@fan_with_a_long_name{number}@a-very-long-server-name.example",
            actor_name=f"Fan Number {number}",
            instance_domain="a-very-long-server-name.example",
            content_html=f"<p>Reply {number}: wonderful colours, "
            "https://a-very-long-server-name.example/some/long/path/to/a/page</p>",
            published_at=datetime(2026, 1, 1, 12, number, tzinfo=UTC),
        )
        if number == 1:
            first = parent
    publish(alice, "Thank you! It took three weeks.", in_reply_to_uri=first.ap_id)
    return post


@pytest.mark.parametrize(("width", "name"), [(1280, "desktop"), (375, "phone")])
def test_the_post_page_opens_its_warning_and_fits_the_screen(
    new_page, thread, width, name
):
    page = new_page(width=width, height=900)
    page.goto(f"/users/alice/statuses/{thread.pk}")

    text = page.get_by_text("Finished the")
    expect(text).not_to_be_visible()  # folded under the content warning
    page.get_by_text("Wall painting, lots of red").click()
    expect(text).to_be_visible()
    expect(page.get_by_alt_text("The mural from across the street")).to_be_visible()
    expect(page.get_by_text("Thank you! It took three weeks.")).to_be_visible()
    expect(page.get_by_text("Reply 6: wonderful colours")).to_be_visible()
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    screenshot(page, f"status-page-{name}")


def test_tag_page_on_a_phone(new_page, thread):
    page = new_page(width=375, height=800)
    page.goto("/tags/mural")
    expect(page.get_by_role("heading", name="#mural")).to_be_visible()
    expect(page.get_by_text("Wall painting, lots of red")).to_be_visible()
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    screenshot(page, "tag-page-phone")
