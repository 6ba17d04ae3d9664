"""Two-factor sign-in in a real browser: turn it on from the Security page
with the secret shown in words, then log in with the app's code, and on a
phone with a recovery code. Screenshots at 1280 and 375 px."""

import base64
import time

import pytest
from django_otp.oath import TOTP
from playwright.sync_api import expect

from tests import factories
from tests.browser.conftest import log_in, screenshot
from tests.factories import DEFAULT_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def alice(db):
    return factories.CreatorFactory(handle="alice", user__username="alice")


def app_code(secret: str, steps_ahead: int = 0) -> str:
    """What an authenticator app shows for the secret typed into it."""
    key = secret.replace(" ", "")
    key += "=" * (-len(key) % 8)
    totp = TOTP(base64.b32decode(key))
    totp.time = time.time() + steps_ahead * 30
    return f"{totp.token():06d}"


def collect_errors(page) -> list[str]:
    """Console errors (a Content-Security-Policy refusal is one) and failed
    requests."""
    errors: list[str] = []
    page.on(
        "console",
        lambda message: (
            errors.append(message.text) if message.type == "error" else None
        ),
    )
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return errors


def password_step(page, username: str = "alice") -> None:
    page.goto("/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/login/code/")


def test_turn_on_two_factor_and_log_in_with_it(new_page, alice):
    page = new_page()
    errors = collect_errors(page)
    log_in(page)
    page.get_by_role("link", name="Security").click()
    expect(page.get_by_role("heading", name="Security", exact=True)).to_be_visible()
    expect(page.get_by_text("This browser")).to_be_visible()
    screenshot(page, "security-off-desktop")

    page.get_by_role("link", name="Set up two-factor sign-in").click()
    expect(page.locator("svg.qr-code")).to_be_visible()
    page.get_by_text("Can't scan it?").click()
    secret = page.locator("#totp-secret").inner_text()
    screenshot(page, "two-factor-setup-desktop")
    page.get_by_label("Code from the app").fill(app_code(secret))
    page.get_by_role("button", name="Turn on").click()

    expect(page.get_by_text("Two-factor sign-in is on")).to_be_visible()
    codes = page.locator(".recovery-codes code").all_inner_texts()
    assert len(codes) == 10
    expect(page.get_by_role("button", name="Print")).to_be_visible()
    screenshot(page, "recovery-codes-desktop")
    page.get_by_role("link", name="I saved them").click()
    expect(page.get_by_text("10 of 10")).to_be_visible()
    screenshot(page, "security-on-desktop")
    page.get_by_role("button", name="Log out", exact=True).click()

    # The app's next code: the one used for set-up is spent.
    password_step(page)
    expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()
    screenshot(page, "login-code-desktop")
    page.get_by_label("Code").fill("000000" if app_code(secret) != "000000" else "1")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("That code is not right")).to_be_visible()
    # The refused code's page answers 200 with the words: nothing logged.
    assert errors == []
    # django-otp makes the next try wait a second after a wrong code.
    page.wait_for_timeout(1100)
    page.get_by_label("Code").fill(app_code(secret, steps_ahead=1))
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/dashboard/")
    assert errors == []

    # A phone without the app: a recovery code, once.
    phone = new_page(width=375, height=800)
    phone_errors = collect_errors(phone)
    password_step(phone)
    screenshot(phone, "login-code-phone")
    phone.get_by_text("No phone with you?").click()
    phone.get_by_label("Code").fill(codes[0])
    phone.get_by_role("button", name="Log in").click()
    phone.wait_for_url("**/dashboard/")
    expect(
        phone.get_by_text("You logged in with a recovery code; 9 left")
    ).to_be_visible()
    phone.goto("/settings/security/")
    expect(phone.get_by_text("9 of 10")).to_be_visible()
    phone.get_by_text("Turn two-factor sign-in off").click()
    screenshot(phone, "security-on-phone")
    assert phone_errors == []
    # Each fits the phone's width: nothing scrolls sideways.
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 375


def test_set_up_and_lock_out_pages_fit_a_phone(new_page, alice, settings):
    """The set-up page and the lock-out explanation, at 375 px."""
    page = new_page(width=375, height=800)
    errors = collect_errors(page)
    log_in(page)
    page.goto("/settings/security/two-factor/")
    expect(page.locator("svg.qr-code")).to_be_visible()
    page.get_by_text("Can't scan it?").click()
    screenshot(page, "two-factor-setup-phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert errors == []
    page.get_by_role("button", name="Log out", exact=True).click()

    for _ in range(settings.AXES_FAILURE_LIMIT):
        page.goto("/login/")
        page.get_by_label("Username").fill("alice")
        page.get_by_label("Password").fill("not-the-password")
        page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("Log-in paused.")).to_be_visible()
    expect(page.get_by_text("Try again in 15 minutes")).to_be_visible()
    screenshot(page, "login-locked-phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
