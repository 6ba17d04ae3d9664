"""Moderation in a real browser (issue 7): the creator's reply queue driven
with the keyboard and in bulk, the counts changing as it goes; then every
moderation page on a laptop and on a phone, with screenshots."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from analytics.models import Reply
from moderation import services
from moderation.models import ActorBlock, DomainPolicy
from posts import services as post_services
from tests import factories
from tests.browser.conftest import log_in, screenshot
from tests.inbox_ui.conftest import NOW, make_post, make_reply

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MIN = timedelta(minutes=1)
HELD = Reply.Status.HELD


@pytest.fixture
def queue(settings):
    """Alice, five replies held for review and two shown."""
    creator = factories.CreatorFactory(
        handle="alice",
        user__username="alice",
        display_name="Alice Example",
        time_zone="Europe/Paris",
    )
    mural = make_post(
        creator, "My new mural is up on Rua Augusta!", ago=timedelta(days=1)
    )
    held = {
        name: make_reply(
            creator, mural, who, text, status=HELD, hold_reason=reason, at=NOW - ago
        )
        for name, who, text, reason, ago in (
            ("crypto", "lou", "Free ＣＲＹＰТО for every follower!!!",
             "Matches the filter list: “crypto”", 2 * MIN),
            ("flood", "max", "follow back? follow back? follow back?",
             "A flood: 14 replies from this account in 10 minutes (more than 10)",
             4 * MIN),
            ("first", "ana", "First time here: the colours are wonderful",
             "First reply from an account that never interacted before", 6 * MIN),
            ("link", "kai", '<a href="https://cheap.example/x">cheap.example/x</a>',
             "Only a link, with no words of its own", 8 * MIN),
            ("mentions", "zoe", "@a @b @c @d @e @f look at this",
             "Mentions 6 accounts (more than 5); first reply from an account "
             "that never interacted before", 10 * MIN),
        )
    }  # fmt: skip
    make_reply(creator, mural, "bob", "Wow, so bright!", at=NOW - 30 * MIN)
    make_reply(creator, mural, "ana", "Where exactly is it?", at=NOW - 40 * MIN)
    return {"creator": creator, "mural": mural, "held": held}


def shoot(page, name):
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, name)


def count(page, status) -> str:
    return page.locator(f"#count-{status}").inner_text()


def status_of(reply) -> str:
    reply.refresh_from_db()
    return reply.status


def test_creator_works_through_the_queue_with_the_keyboard_and_in_bulk(new_page, queue):
    held = queue["held"]
    page = new_page()
    log_in(page)
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Moderation"
    ).click()
    page.wait_for_url("**/dashboard/@alice/moderation/")

    # Look at what is shown, then filter back to what is held.
    page.get_by_role("link", name="Visible").click()
    page.wait_for_url("**/moderation/?status=visible")
    expect(page.get_by_text("Wow, so bright!")).to_be_visible()
    page.get_by_role("link", name="Held").click()
    page.wait_for_url("**/dashboard/@alice/moderation/")
    items = page.locator("[data-reply]")
    assert items.count() == 5
    assert (count(page, "held"), count(page, "visible")) == ("5", "2")
    first = page.locator(f"#reply-{held['crypto'].pk}")
    expect(first.get_by_text("matches the filter list: “crypto”")).to_be_visible()
    assert first.locator(".platform").inner_text() == "Pleroma / Akkoma"
    expect(page.get_by_text("Keyboard:")).to_be_visible()
    shoot(page, "moderation-queue-keyboard-desktop")

    # j focuses the first reply; a approves it.
    page.keyboard.press("j")
    assert first.evaluate("el => el === document.activeElement")
    page.keyboard.press("a")
    first.wait_for(state="detached")
    assert (count(page, "held"), count(page, "visible")) == ("4", "3")
    assert page.get_by_role("status").filter(has_text="Approved the reply by").count()
    assert status_of(held["crypto"]) == Reply.Status.VISIBLE

    # Focus stays in the list: x ticks the reply now first, j then x the next.
    flood = page.locator(f"#reply-{held['flood'].pk}")
    assert flood.evaluate("el => el === document.activeElement")
    page.keyboard.press("x")
    page.keyboard.press("j")
    page.keyboard.press("x")
    expect(page.get_by_text("(2 selected)")).to_be_visible()
    shoot(page, "moderation-queue-selected-desktop")
    page.locator(".mod-bulk").get_by_role("button", name="Hide").click()
    flood.wait_for(state="detached")
    assert (count(page, "held"), count(page, "hidden")) == ("2", "2")
    expect(page.get_by_text("Hid 2 replies")).to_be_visible()
    assert status_of(held["flood"]) == status_of(held["first"]) == Reply.Status.HIDDEN
    assert status_of(held["link"]) == HELD

    # Select all, then remove the rest with one click.
    page.get_by_label("Select all").check()
    page.locator(".mod-bulk").get_by_role("button", name="Remove").click()
    page.get_by_text("Nothing waits for review").wait_for()
    assert (count(page, "held"), count(page, "removed")) == ("0", "2")
    shoot(page, "moderation-queue-empty-desktop")


def test_the_queue_works_without_javascript(browser, live_server, queue):
    context = browser.new_context(
        java_script_enabled=False,
        base_url=live_server.url,
        viewport={"width": 1280, "height": 900},
    )
    try:
        page = context.new_page()
        log_in(page)
        page.goto("/dashboard/@alice/moderation/")
        crypto = queue["held"]["crypto"]
        page.locator(f"#reply-{crypto.pk}").get_by_role(
            "button", name="Approve"
        ).click()
        page.wait_for_url("**/dashboard/@alice/moderation/")
        expect(page.get_by_text("Approved the reply by")).to_be_visible()
        assert count(page, "held") == "4"
        assert status_of(crypto) == Reply.Status.VISIBLE
    finally:
        context.close()


@pytest.fixture
def everything(queue):
    """An admin, a report, server policies, a block and a log to show."""
    admin = factories.UserFactory(username="admin", admin=True)
    creator, held = queue["creator"], queue["held"]
    services.report_file(
        replies=[held["flood"]],
        by=creator.user,
        comment="Same account floods every post I make.",
    )
    services.actor_block(
        creator=creator,
        actor_uri=held["mentions"].actor_uri,
        handle=held["mentions"].actor_handle,
        by=creator.user,
        reason="mention spam",
    )
    for domain, severity, media in (
        ("spam.example", DomainPolicy.Severity.BLOCK, False),
        ("noisy.example", DomainPolicy.Severity.SILENCE, True),
        ("pics.example", DomainPolicy.Severity.NOOP, True),
    ):
        services.domain_policy_save(
            domain=domain,
            severity=severity,
            reject_media=media,
            public_reason="Spam and harassment" if severity == "suspend" else "",
            by=admin,
        )
    services.screening_rules_update(
        creator=None, by=admin, keywords="crypto\n/free\\s+followers/"
    )
    # An agency's steps on a post: each its own row in the log, in words.
    sam = factories.MembershipFactory(
        role="manager", user__username="sam", user__first_name="Sam"
    ).user
    factories.AgencyAccessFactory(
        creator=creator, agency=sam.agency_memberships.get().agency, draft_posts=True
    )
    draft = post_services.post_save_draft(
        creator=creator, by=sam, data=post_services.PostInput(body="Studio drop")
    )
    post_services.post_submit_for_approval(post=draft, by=sam)
    return {**queue, "admin": admin}


# What sticks out sideways, to say so when a page does not fit.
WIDEST = """() => [...document.querySelectorAll('body *')]
  .filter(el => el.getBoundingClientRect().right > innerWidth + 0.5)
  .filter(el => !el.closest('.site-nav, .mod-tabs, .mod-status, .table-scroll'))
  .slice(0, 3).map(el => el.tagName + '.' + el.className)"""

PAGES = {
    "alice": [
        ("queue", "/dashboard/@alice/moderation/", "Held"),
        ("rules", "/dashboard/@alice/moderation/rules/", "Filter list"),
        ("blocks", "/dashboard/@alice/moderation/blocked/", "@zoe@threads.net"),
    ],
    "admin": [
        ("instance-queue", "/moderation/", "Replies to every creator"),
        ("reports", "/moderation/reports/", "Same account floods"),
        ("servers", "/moderation/servers/", "spam.example"),
        ("server-new", "/moderation/servers/new/", "What happens"),
        ("import", "/moderation/servers/import/", "Domain-block list"),
        ("defaults", "/moderation/rules/", "Screening defaults"),
        ("log", "/moderation/log/", "Sent for approval by Sam"),
    ],
}


@pytest.mark.parametrize(("width", "label"), [(1280, "desktop"), (375, "phone")])
def test_every_moderation_page_fits_a_laptop_and_a_phone(
    new_page, everything, width, label
):
    creator = everything["creator"]
    report = creator.reports.get()
    flood = everything["held"]["flood"]
    pages = {
        "alice": [
            *PAGES["alice"],
            ("report-file", f"/dashboard/moderation/replies/{flood.pk}/report/",
             "Which replies"),
        ],
        "admin": [
            *PAGES["admin"],
            ("report", f"/moderation/reports/{report.pk}/", "Resolve"),
        ],
    }  # fmt: skip
    for username, visits in pages.items():
        page = new_page(width=width, height=800)
        log_in(page, username)
        for name, url, text in visits:
            page.goto(url)
            expect(page.get_by_text(text).first, f"{name}: {text}").to_be_visible()
            wide = page.evaluate(WIDEST)
            assert page.evaluate("document.documentElement.scrollWidth") <= width, (
                name,
                wide,
            )
            shoot(page, f"moderation-{name}-{label}")
        if username == "admin":
            _import_a_list(page, label)
    assert ActorBlock.objects.count() == 1


def _import_a_list(page, label):
    """Upload a list in Mastodon's format: the page says what it did."""
    page.goto("/moderation/servers/import/")
    page.get_by_label("Domain-block list (CSV)").set_input_files(
        files=[
            {
                "name": "blocks.csv",
                "mimeType": "text/csv",
                "buffer": (
                    b"#domain,#severity,#reject_media,#reject_reports,"
                    b"#public_comment,#obfuscate\n"
                    b"spam.example,suspend,false,false,Spam,false\n"
                    b"bots.example,suspend,true,false,Bots,false\n"
                    b"loud.example,silence,false,false,,false\n"
                    b"not a domain,suspend,false,false,,false\n"
                ),
            }
        ]
    )
    page.get_by_role("button", name="Import").click()
    result = page.locator(".mod-import-result")
    result.wait_for()
    expect(result.get_by_text("bots.example, loud.example")).to_be_visible()
    stats = result.locator(".stat-card")
    assert [stats.nth(n).inner_text().split("\n") for n in range(4)] == [
        ["Added", "2"],
        ["Updated", "0"],
        ["Kept as they were", "1"],
        ["Lines not used", "1"],
    ]
    expect(
        result.get_by_text("line 5: “not a domain” is not a server name")
    ).to_be_visible()
    assert (
        page.evaluate("document.documentElement.scrollWidth")
        <= page.viewport_size["width"]
    )
    shoot(page, f"moderation-import-result-{label}")
    assert DomainPolicy.objects.filter(
        domain="bots.example", reject_media=True
    ).exists()
