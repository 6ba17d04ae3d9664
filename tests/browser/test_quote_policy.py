"""A creator chooses who may quote a post while writing it, then approves a
quote request held for them, on a laptop and on a phone."""

import pytest
from playwright.sync_api import expect

from accounts.models import QuotePolicy, ReplyPolicy
from federation.models import OutboundActivity
from posts import quotes
from posts.models import Post, QuoteRequest
from tests import factories
from tests.browser.conftest import log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def alice(db):
    return factories.CreatorFactory(
        handle="alice", display_name="Alice Martin", user__username="alice"
    )


def fits(page) -> bool:
    return page.evaluate(
        "document.documentElement.scrollWidth <= window.innerWidth + 1"
    )


def a_server_asks_to_quote(post: Post) -> QuoteRequest:
    """What federation does with a QuoteRequest from Mastodon (tested over
    HTTP in tests/federation/test_quotes.py)."""
    return quotes.quote_request_receive(
        post=post,
        ask=quotes.QuoteAsk(
            request_id="https://mastodon.example/users/bob#quote_requests/1",
            actor_uri="https://mastodon.example/users/bob",
            actor_handle="@bob@mastodon.example",
            quote_uri="https://mastodon.example/users/bob/statuses/1",
            quote_url="https://mastodon.example/@bob/1",
            quote_excerpt="Everyone should see this series, it is wonderful.",
        ),
    )


@pytest.mark.parametrize(("width", "name"), [(1280, "desktop"), (375, "phone")])
def test_setting_the_quote_policy_in_compose_and_approving_a_held_quote(
    new_page, alice, width, name
):
    page = new_page(width=width, height=900)
    log_in(page)

    # The defaults new posts start from, on the profile page.
    page.goto("/settings/profile/")
    page.get_by_label("Who can quote your posts").select_option(label="My followers")
    page.get_by_role("heading", name="Quotes and replies").scroll_into_view_if_needed()
    assert fits(page)
    screenshot(page, f"quote-policy-profile-{name}")
    page.get_by_role("button", name="Save profile").click()
    page.wait_for_load_state()
    alice.refresh_from_db()
    assert alice.default_quote_policy == QuotePolicy.FOLLOWERS

    page.goto("/posts/@alice/new/")
    page.get_by_label("Post", exact=True).fill("New painting series, out today!")
    quote_choice = page.get_by_label("Who can quote it")
    expect(quote_choice).to_have_value(QuotePolicy.FOLLOWERS)
    quote_choice.select_option(label="Anyone, once I approve")
    page.get_by_label("Whose replies show").select_option(label="My followers")
    assert fits(page)
    page.locator("#id_quote_policy").scroll_into_view_if_needed()
    screenshot(page, f"quote-policy-compose-{name}")
    page.get_by_role("button", name="Publish now").click()
    page.wait_for_url("**/posts/*/")

    post = Post.objects.get()
    assert post.state == Post.State.PUBLISHED
    assert post.quote_policy == QuotePolicy.APPROVAL
    assert post.reply_policy == ReplyPolicy.FOLLOWERS
    expect(page.get_by_text("Anyone, once I approve", exact=True)).to_be_visible()

    request = a_server_asks_to_quote(post)
    assert request.state == QuoteRequest.State.PENDING
    page.reload()
    held = page.locator(".quote-request")
    expect(held.get_by_text("@bob@mastodon.example")).to_be_visible()
    expect(held.get_by_text("Waiting for you")).to_be_visible()
    expect(held.get_by_text("Everyone should see this series")).to_be_visible()
    assert fits(page)
    page.locator("#quotes").scroll_into_view_if_needed()
    screenshot(page, f"quote-request-held-{name}")

    held.get_by_role("button", name="Approve").click()
    expect(
        page.get_by_text("@bob@mastodon.example may quote this post")
    ).to_be_visible()
    expect(held.get_by_text("Allowed", exact=True)).to_be_visible()
    expect(held.get_by_role("button", name="Withdraw permission")).to_be_visible()
    request.refresh_from_db()
    assert request.state == QuoteRequest.State.ACCEPTED
    accept = OutboundActivity.objects.get(activity_type="Accept")
    assert accept.payload["result"].endswith(f"/quote_authorizations/{request.pk}")
    assert fits(page)
    screenshot(page, f"quote-request-approved-{name}")
