"""The API tokens page on a laptop and a phone: make a token, copy its
secret, revoke another after confirming, with screenshots."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts import services
from accounts.models import ApiToken
from tests import factories
from tests.browser.conftest import log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def alice(db):
    creator = factories.CreatorFactory(handle="alice", user__username="alice")
    old, _ = services.create_api_token(
        user=creator.user, name="Analytics export (nightly)"
    )
    ApiToken.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - timedelta(days=40),
        last_used_at=timezone.now() - timedelta(hours=3),
    )
    gone, _ = services.create_api_token(user=creator.user, name="Old laptop script")
    services.revoke_api_token(token=gone)
    return creator


@pytest.mark.parametrize("width", [1280, 375])
def test_make_copy_and_revoke_a_token(new_page, alice, width):
    page = new_page(width=width)
    log_in(page)
    page.goto("/settings/api/")
    expect(page.get_by_text("last used 3 hours ago")).to_be_visible()
    screenshot(page, f"api-tokens-list-{width}")

    page.get_by_label("Name").fill("Scheduling bot")
    page.get_by_text("Read and write").click()
    page.get_by_role("button", name="Make the token").click()
    expect(page.get_by_text("“Scheduling bot” is ready")).to_be_visible()
    secret = page.locator("#new-token").inner_text()
    assert ApiToken.objects.get(name="Scheduling bot").prefix == secret[:11]
    # The secret fits the screen: it wraps instead of widening the page.
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    screenshot(page, f"api-tokens-new-{width}")

    page.get_by_role("link", name="Revoke Analytics export (nightly)").click()
    expect(
        page.get_by_role("heading", name="Revoke “Analytics export (nightly)”?")
    ).to_be_visible()
    screenshot(page, f"api-tokens-revoke-{width}")
    page.get_by_role("button", name="Revoke the token").click()
    expect(page.get_by_text("is revoked: anything using it gets 401")).to_be_visible()
    assert page.locator(".token-row").count() == 1
    assert secret not in page.content()
    screenshot(page, f"api-tokens-after-revoke-{width}")
