"""A creator quotes a post on another server from compose, sees it pending,
then learns in words that its author refused, on a laptop and on a phone."""

import pytest
from playwright.sync_api import expect

from federation.outbound import quote_requests
from federation.protocol import ids, keys
from posts.models import Post
from tests import factories
from tests.browser.conftest import log_in, screenshot
from tests.federation.inbox_support import Remote
from tests.federation.test_quote_requests_out import QuotedServer, remote_post

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def alice(db):
    return factories.CreatorFactory(
        handle="alice", display_name="Alice Martin", user__username="alice"
    )


@pytest.fixture
def server(alice, loopback):
    key = keys.key_for_creator(alice)
    with QuotedServer(keys={ids.key_id("alice"): key.public_key_pem}) as sink:
        Remote(sink.url("/users/bob"))  # the quoted author, known to us
        yield sink


def fits(page) -> bool:
    return page.evaluate(
        "document.documentElement.scrollWidth <= window.innerWidth + 1"
    )


@pytest.mark.parametrize(("width", "name"), [(1280, "desktop"), (375, "phone")])
def test_quoting_a_remote_post_shows_pending_then_refused_in_words(
    new_page, alice, server, width, name
):
    address = remote_post(server, policy="manual")
    page = new_page(width=width, height=900)
    log_in(page)

    page.goto("/posts/@alice/new/")
    page.get_by_label("Post", exact=True).fill("This is the thread everyone needs.")
    page.get_by_label("Quote a post").fill(address)
    page.get_by_role("button", name="Publish now").click()

    status = page.locator("[data-quote-state]")
    expect(status).to_contain_text("Quote pending")
    expect(status).to_contain_text(f"a post by @bob@{server.host}")
    expect(status).to_contain_text("pending until they answer")
    assert fits(page)
    screenshot(page, f"quote-out-pending-{name}")

    # Bob's server refuses (the inbound Reject is tested over HTTP in
    # tests/federation/test_quote_requests_out.py).
    post = Post.objects.get()
    quote_requests.answer_received(post, accepted=False)

    page.reload()
    expect(status).to_contain_text("Quote refused — sent as a link")
    expect(status).to_contain_text("plain link")
    page.goto("/posts/@alice/")
    expect(page.locator(".quote-refused")).to_contain_text(
        f"@bob@{server.host} refused your quote"
    )
    expect(page.locator(".quote-fact")).to_have_text("Quote refused — sent as a link")
    assert fits(page)
    screenshot(page, f"quote-out-refused-{name}")


def test_a_post_whose_author_allows_no_quotes_is_refused_in_compose(
    new_page, alice, server
):
    address = remote_post(server, policy="followers")
    page = new_page()
    log_in(page)

    page.goto("/posts/@alice/new/")
    page.get_by_label("Post", exact=True).fill("Look at this.")
    page.get_by_label("Quote a post").fill(address)
    page.get_by_role("button", name="Publish now").click()

    expect(page.locator("#id_quote_of_errors")).to_contain_text(
        "does not allow you to quote this post"
    )
    assert not Post.objects.exists()
