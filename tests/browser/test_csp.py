"""The Content-Security-Policy in a real browser: the dashboard's pages load
as a signed-in creator with no policy violation in the console, and what
runs on JavaScript still works under it (htmx fragments, tabs and forms,
the live character count, the answer form's Cancel, the charts, the token
page's copy button, the API docs)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from analytics.models import Reply
from tests import factories
from tests.browser.conftest import log_in, screenshot
from tests.inbox_ui.conftest import NOW, make_post, make_reply

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Runs before any page script; CDP-injected, so the policy does not block it.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (event) {
  window.__cspViolations.push(
    event.violatedDirective + " " + (event.blockedURI || "inline")
  );
});
"""


@pytest.fixture
def alice(db):
    creator = factories.CreatorFactory(
        handle="alice", user__username="alice", display_name="Alice Example"
    )
    mural = make_post(creator, "My new mural is up!", ago=timedelta(days=1))
    make_reply(creator, mural, "bob", "Wow, so bright!", at=NOW - timedelta(hours=2))
    make_reply(
        creator,
        mural,
        "lou",
        "Free crypto for every follower",
        status=Reply.Status.HELD,
        hold_reason="Matches the filter list",
        at=NOW - timedelta(hours=1),
    )
    return {"creator": creator, "mural": mural}


def watch(page) -> list[str]:
    """Collect console errors, CSP violations and page errors as they come."""
    problems: list[str] = []

    def on_console(message):
        text = message.text
        if message.type == "error" or "Content Security Policy" in text:
            problems.append(f"console {message.type}: {text}")

    page.on("console", on_console)
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    page.context.add_init_script(RECORD_VIOLATIONS)
    return problems


def assert_clean(page, problems: list[str], where: str) -> None:
    violations = page.evaluate("window.__cspViolations || []")
    assert violations == [], f"{where}: {violations}"
    assert problems == [], f"{where}: {problems}"


@pytest.mark.parametrize("width", [1280, 375])
def test_dashboard_pages_work_under_the_policy(new_page, alice, width):
    page = new_page(width=width)
    problems = watch(page)
    log_in(page)

    # Dashboard home: its sections arrive as htmx fragments on load.
    page.goto("/dashboard/")
    page.locator(".home-slot").first.wait_for(state="detached")
    assert_clean(page, problems, "dashboard")

    # Compose: the server-side counter updates as the person types.
    page.goto("/posts/@alice/new/")
    assert page.evaluate("document.documentElement.classList.contains('js')")
    body = page.get_by_label("Post", exact=True)
    body.press_sequentially("Hello from under the policy", delay=15)
    expect(page.locator("#char-count")).to_contain_text("473 characters left")
    expect(page.locator("#preview")).to_contain_text("Hello from under the policy")
    assert_clean(page, problems, "compose")

    # Analytics: charts are server-drawn SVG, styled by charts.css.
    page.goto(reverse("analytics:creator", kwargs={"handle": "alice"}))
    # One drawing per width: the wide one on a laptop, the narrow on a phone.
    chart = page.locator(".chart-frame svg:visible").first
    expect(chart).to_be_visible()
    assert chart.bounding_box()["height"] > 20
    assert_clean(page, problems, "analytics")

    # Moderation queue: the status tabs swap the list by htmx.
    page.goto("/dashboard/@alice/moderation/")
    expect(page.get_by_text("Free crypto for every follower")).to_be_visible()
    with page.expect_request(lambda r: r.headers.get("hx-request") == "true"):
        page.get_by_role("link", name="Visible").click()
    page.wait_for_url("**/moderation/?status=visible")
    expect(page.get_by_text("Wow, so bright!")).to_be_visible()
    assert_clean(page, problems, "moderation queue")
    screenshot(page, f"csp-moderation-queue-{width}")


def test_the_answer_forms_cancel_works_without_hx_on(new_page, alice):
    page = new_page()
    problems = watch(page)
    log_in(page)
    page.goto(reverse("inbox:post-replies", kwargs={"pk": alice["mural"].pk}))
    reply = page.locator(".inbox-thread-node", has_text="Wow, so bright!")
    reply.get_by_role("link", name="Answer").click()
    box = reply.get_by_label("Your answer")
    box.wait_for()
    expect(reply.get_by_text("/ 500")).to_be_visible()  # htmx:load's live count
    reply.get_by_role("button", name="Cancel").click()
    expect(box).to_have_count(0)
    assert_clean(page, problems, "thread")


def test_the_token_page_and_the_api_docs_work_under_the_policy(new_page, alice):
    page = new_page()
    problems = watch(page)
    log_in(page)
    page.goto("/settings/api/")
    page.get_by_label("Name").fill("Newsletter script")
    page.get_by_text("Read and write").click()
    page.get_by_role("button", name="Make the token").click()
    secret = page.locator("#new-token").inner_text()
    assert secret.startswith("chub_")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.get_by_role("button", name="Copy").click()
    expect(page.get_by_role("button", name="Copied")).to_be_visible()
    assert_clean(page, problems, "token page")

    page.goto("/api/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Creator Hub API")
    expect(page.locator(".opblock").first).to_be_visible()
    assert_clean(page, problems, "API docs")


def test_the_policy_is_live_an_inline_script_is_refused(new_page, db):
    """The control for the tests above: a violation is seen when it happens."""
    page = new_page()
    problems = watch(page)
    page.goto("/login/")
    page.evaluate(
        """() => {
          const script = document.createElement("script");
          script.textContent = "window.__inlineRan = true";
          document.head.appendChild(script);
        }"""
    )
    assert page.evaluate("window.__inlineRan") is None
    assert page.evaluate("window.__cspViolations") == ["script-src-elem inline"]
    assert any("Content Security Policy" in p for p in problems)
