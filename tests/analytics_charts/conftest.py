"""The browser fixture of tests/browser, for the charts' screenshot test."""

from tests.browser.conftest import browser  # noqa: F401
