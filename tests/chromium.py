"""Debian's Chromium for the browser tests, one per test session.

Nothing downloads a browser: the tests use /usr/bin/chromium, which
`make test` and .ci/run install from Debian when it is missing. Without it
the tests are skipped, saying so, except under CI=true. The `browser`
fixture lives in tests/conftest.py so that every folder shares the one
Playwright instance (a second one in the same thread cannot start).
"""

import os
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
# The machine has no internet: stop Chromium reaching for Google's services.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def launch_browser():
    """Yield Chromium for the session (a generator, for the fixture)."""
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing (apt-get install chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    # Playwright's sync API runs an event loop in this thread; the ORM calls
    # the tests make around it are still synchronous and safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()
