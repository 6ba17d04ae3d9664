"""Playwright driving Debian's Chromium (tests/chromium.py) against a live
server: pages in fresh contexts, and screenshots for people to look at."""

from pathlib import Path

import pytest

from tests.chromium import ARTIFACTS
from tests.factories import DEFAULT_PASSWORD


@pytest.fixture
def new_page(browser, live_server):
    """Open pages in fresh contexts: `new_page(width=375)` is a phone."""
    contexts = []

    def open_page(*, width: int = 1280, height: int = 900):
        context = browser.new_context(
            viewport={"width": width, "height": height}, base_url=live_server.url
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot under test-artifacts/ for people to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def log_in(page, username: str = "alice", password: str = DEFAULT_PASSWORD) -> None:
    """Log in through the form, as a person does, and land on the dashboard."""
    page.goto("/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/dashboard/")
