"""No console noise on the compose page: typing (which sends a live preview
request per pause and drops stale ones), going over the limit, sending a
post that is refused (the page comes back with its notes, answered 200, not
a 400 the console would log) and the favicon the browser asks for must log
no errors."""

import pytest
from playwright.sync_api import expect

from posts.models import Post
from posts.rendering import POST_MAX_CHARACTERS
from tests import factories
from tests.browser.conftest import log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def alice(db):
    return factories.CreatorFactory(handle="alice", user__username="alice")


def collect_console_errors(page) -> list[str]:
    errors: list[str] = []
    page.on(
        "console",
        lambda message: (
            errors.append(message.text) if message.type == "error" else None
        ),
    )
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on(
        "response",
        lambda response: (
            errors.append(f"{response.status} {response.url}")
            if response.status >= 400
            else None
        ),
    )
    return errors


@pytest.mark.parametrize("width", [1280, 375])
def test_typing_in_compose_logs_no_console_errors(new_page, alice, width):
    page = new_page(width=width)
    errors = collect_console_errors(page)
    log_in(page)
    page.goto("/posts/@alice/new/")
    body = page.get_by_label("Post", exact=True)
    # The first preview is held unanswered while the person types on, as on
    # a slow connection: the next pause sends another while it is in flight.
    held = []

    def hold_the_first(route):
        if held:
            route.continue_()
        else:
            held.append(route)

    page.route("**/preview/", hold_the_first)
    with page.expect_request("**/preview/"):
        body.press_sequentially("Hello fediverse", delay=20)
    body.press_sequentially(", this is a test of the preview", delay=20)
    page.wait_for_timeout(600)  # past the preview's 300 ms pause
    held[0].continue_()
    preview = page.locator("#preview")
    expect(preview).to_contain_text("this is a test of the preview")
    # Over the limit: the preview says so (a validation failure), in words.
    body.fill("x" * (POST_MAX_CHARACTERS + 5))
    body.press("End")
    body.press_sequentially("yz", delay=40)
    expect(page.locator("#char-count")).to_contain_text("7 characters too many")
    assert errors == []
    # Sent over the limit: refused in words, nothing saved, nothing logged.
    page.get_by_role("button", name="Publish now").click()
    expect(page.get_by_text("Nothing was saved: see the notes below.")).to_be_visible()
    expect(
        page.get_by_text(f"At most {POST_MAX_CHARACTERS} characters")
    ).to_be_visible()
    screenshot(page, f"compose-refused-{width}")
    assert errors == []
    assert not Post.objects.exists()
    assert page.request.get("/favicon.ico").ok
