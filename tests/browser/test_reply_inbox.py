"""The one reply inbox in a real browser: an agency manager answers two
replies to two different creators from the one list, sees a new reply
arrive, finds a mention with the kind filter and answers it, and the page
fits a laptop and a phone."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from posts.models import Post, PostAction
from tests import factories
from tests.browser.conftest import log_in, screenshot
from tests.browser.test_console_clean import collect_console_errors
from tests.chromium import ARTIFACTS
from tests.inbox_ui.conftest import NOW, make_post, make_reply
from tests.inbox_ui.test_reply_inbox_mentions import make_mention

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MIN = timedelta(minutes=1)


@pytest.fixture
def agency():
    """Northwind answers for alice and nova; Sam manages, Tia too."""
    alice = factories.CreatorFactory(
        handle="alice", user__username="alice", display_name="Alice Example"
    )
    nova = factories.CreatorFactory(
        handle="nova", user__username="nova", display_name="Nova Sound"
    )
    northwind = factories.AgencyFactory(name="Northwind", slug="northwind")
    sam = factories.MembershipFactory(
        agency=northwind,
        role="manager",
        user__username="sam",
        user__first_name="Sam",
        user__last_name="Reyes",
    ).user
    factories.MembershipFactory(
        agency=northwind, role="manager", user__username="tia", user__first_name="Tia"
    )
    for creator in (alice, nova):
        factories.AgencyAccessFactory(
            creator=creator, agency=northwind, all_scopes=True, read_analytics=True
        )
    mural = make_post(alice, "My new mural is up on Rua Augusta!")
    song = make_post(nova, "New single out tonight, tell me what you think")
    paint = make_reply(
        alice, mural, "bob", "Which paint do you use outdoors?", at=NOW - 20 * MIN
    )
    tune = make_reply(
        nova, song, "zoe", "The chorus is stuck in my head already", at=NOW - 9 * MIN
    )
    make_reply(nova, song, "kai", "Look at this one", is_quote=True, at=NOW - 30 * MIN)
    make_reply(alice, mural, "ana", "Gorgeous colours", at=NOW - 60 * MIN)
    # Outside alice's threads: someone names her in a conversation of theirs.
    mention = make_mention(alice, "max", "Who painted the mural on Rua Augusta?")
    return {
        "mention": mention,
        "alice": alice,
        "nova": nova,
        "sam": sam,
        "song": song,
        "paint": paint,
        "tune": tune,
    }


def screenshot_path(name: str):
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / f"{name}.png"


def shoot(page, name):
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, name)


def answer(page, reply, text: str) -> None:
    item = page.locator(f"#conversation-{reply.pk}")
    item.get_by_role("link", name="Answer").click()
    box = item.get_by_label("Your answer")
    box.wait_for()
    box.press("End")
    box.type(text)
    item.get_by_role("button", name="Send answer").click()
    item.locator(".inbox-thread-node.is-answer").wait_for()


def test_a_manager_answers_two_creators_from_one_inbox(new_page, agency):
    page = new_page()
    errors = collect_console_errors(page)
    log_in(page, "sam")
    nav = page.get_by_role("navigation", name="Main")
    # The header's links still fit on one row at 1280 px.
    links = nav.get_by_role("link").all()
    tops = {round(link.bounding_box()["y"]) for link in links}
    assert len(tops) == 1, tops
    nav.get_by_role("link", name="Replies").click()
    page.wait_for_url("**/dashboard/replies/")

    expect(page.get_by_text("For @alice").first).to_be_visible()
    expect(page.get_by_text("For @nova").first).to_be_visible()
    expect(page.locator(".platform", has_text="Threads").first).to_be_visible()
    shoot(page, "reply-inbox-desktop")

    answer(page, agency["paint"], " Mineral paint, it survives the sun.")
    answer(page, agency["tune"], " Thank you! Out on every platform at 8.")

    for reply, creator in ((agency["paint"], "alice"), (agency["tune"], "nova")):
        sent = Post.objects.get(in_reply_to_uri=reply.ap_id)
        assert sent.creator.handle == creator and sent.state == "published"
    assert PostAction.objects.filter(action="answer", by=agency["sam"]).count() == 2

    page.reload()
    tune = page.locator(f"#conversation-{agency['tune'].pk}")
    expect(
        tune.get_by_text("Answered by Sam Reyes at Northwind for @nova")
    ).to_be_visible()
    tune.get_by_role("button", name="Mark done").click()
    expect(tune.locator(".replies-state")).to_have_text("Done")

    # A reply arriving while the page is open: the bar offers it.
    make_reply(agency["nova"], agency["song"], "lou", "Tour dates?", at=NOW + MIN)
    bar = page.get_by_role("button", name="1 new reply")
    bar.wait_for(timeout=20_000)
    shoot(page, "reply-inbox-new-bar-desktop")
    bar.click()
    expect(page.locator(".replies-item").first).to_contain_text("Tour dates?")
    assert errors == []
    shoot(page, "reply-inbox-answered-desktop")


def test_the_reply_inbox_fits_a_phone(new_page, agency):
    page = new_page(width=375, height=800)
    log_in(page, "sam")
    page.goto("/dashboard/replies/")
    expect(page.get_by_text("For @nova").first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    shoot(page, "reply-inbox-phone")
    item = page.locator(f"#conversation-{agency['paint'].pk}")
    item.get_by_role("link", name="Answer").click()
    item.get_by_label("Your answer").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    item.screenshot(path=str(screenshot_path("reply-inbox-answer-phone")))


def test_a_manager_finds_and_answers_a_mention(new_page, agency):
    page = new_page()
    errors = collect_console_errors(page)
    log_in(page, "sam")
    page.goto("/dashboard/replies/")
    mention = page.locator(f"#conversation-{agency['mention'].pk}")
    expect(mention.locator(".replies-kind")).to_have_text("Mention")

    page.get_by_label("Kind").select_option("mention")
    page.wait_for_url("**/dashboard/replies/?*kind=mention*")
    expect(page.locator(".replies-item")).to_have_count(1)
    expect(mention).to_contain_text("Mentioned @alice")
    shoot(page, "reply-inbox-mentions-desktop")

    answer(page, agency["mention"], " That was me, thank you!")
    sent = Post.objects.get(in_reply_to_uri=agency["mention"].ap_id)
    assert sent.creator.handle == "alice" and sent.state == "published"
    assert "@max@gts.example" in sent.body
    page.reload()
    expect(mention.locator(".replies-state")).to_have_text("Answered")
    assert errors == []

    phone = new_page(width=375, height=800)
    log_in(phone, "sam")
    phone.goto("/dashboard/replies/?kind=mention")
    expect(phone.locator(".replies-kind")).to_have_text("Mention")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    shoot(phone, "reply-inbox-mentions-phone")
