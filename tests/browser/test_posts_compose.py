"""Writing and scheduling a post in a real browser (issue 4: composing,
scheduling, the post page), at desktop and phone widths."""

import datetime
import zoneinfo
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone
from PIL import Image
from playwright.sync_api import expect

from posts.models import Post
from posts.rendering import count_characters
from tests import factories
from tests.browser.conftest import log_in
from tests.browser.conftest import screenshot as save_screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
BODY = "Opening night at the #gallery with @bob@social.example: **come by** at 8!"


@pytest.fixture
def alice(db):
    return factories.CreatorFactory(
        handle="alice",
        display_name="Alice Martin",
        user__username="alice",
        time_zone="Europe/Paris",
    )


@pytest.fixture
def photo(tmp_path) -> Path:
    """A small landscape picture, as a phone would upload it."""
    image = Image.new("RGB", (480, 320), (36, 84, 160))
    for x in range(480):
        for y in range(200, 320):
            image.putpixel((x, y), (40 + x // 4, 150, 90))
    path = tmp_path / "gallery.jpg"
    image.save(path, format="JPEG")
    return path


def serve_media(page) -> None:
    """Serve uploaded files as the production proxy would (live_server does not)."""
    root = Path(settings.MEDIA_ROOT)

    def handle(route):
        name = route.request.url.split("/media/", 1)[1].split("?", 1)[0]
        path = (root / name).resolve()
        if root.resolve() in path.parents and path.is_file():
            route.fulfill(path=str(path))
        else:
            route.fulfill(status=404, body="")

    page.route("**/media/**", handle)


def screenshot(page, name: str) -> Path:
    """A full-page screenshot from the top, so sticky parts sit where they belong."""
    page.evaluate("window.scrollTo(0, 0)")
    return save_screenshot(page, name)


def tomorrow_in_paris() -> datetime.date:
    return (timezone.now().astimezone(PARIS) + datetime.timedelta(days=1)).date()


def test_compose_with_warning_and_image_then_schedule(new_page, alice, photo):
    page = new_page()
    serve_media(page)
    log_in(page)
    page.get_by_role("link", name="Posts", exact=True).click()
    page.wait_for_url("**/posts/@alice/")
    page.get_by_role("link", name="New post").click()
    page.wait_for_url("**/posts/@alice/new/")

    # The count and the preview follow the text, from the server.
    assert page.locator("#char-count").inner_text().startswith("500 characters left")
    page.get_by_label("Post", exact=True).fill(BODY)
    left = 500 - count_characters(BODY)
    page.locator("#char-count").get_by_text(f"{left} characters left").wait_for()
    preview = page.locator("#preview")
    preview.locator("strong", has_text="come by").wait_for()
    assert preview.locator("a.hashtag").inner_text() == "#gallery"
    assert preview.locator("a.u-url.mention").inner_text() == "@bob"

    # A content warning: its field appears with the toggle, the preview
    # shows the warning in front of the text, and it counts.
    summary = page.get_by_label("Warning text")
    expect(summary).not_to_be_visible()
    page.get_by_text("Content warning", exact=True).click()
    summary.fill("Loud music")
    preview.get_by_text("Loud music").wait_for()
    left -= len("Loud music")
    page.locator("#char-count").get_by_text(f"{left} characters left").wait_for()

    # An image: a thumbnail, a nudge until it has a description.
    page.locator("#id_media-0-file").set_input_files(str(photo))
    slot = page.locator("[data-media-slot]").first
    slot.locator(".slot-thumb").wait_for()
    nudge = slot.locator("[data-alt-nudge]")
    expect(nudge).to_be_visible()
    assert preview.locator("#preview-media img").count() == 1
    slot.get_by_label("Description (alt text)").fill(
        "A blue evening sky over a green lawn"
    )
    expect(nudge).not_to_be_visible()
    # A click on the picture sets its focal point (Mastodon's -1..1).
    thumb = slot.locator(".slot-thumb")
    box = thumb.bounding_box()
    thumb.click(position={"x": box["width"] * 0.25, "y": box["height"] * 0.25})
    expect(slot.locator(".focal-dot")).to_be_visible()
    focal_x = float(slot.locator("input[name$='-focal_x']").input_value())
    focal_y = float(slot.locator("input[name$='-focal_y']").input_value())
    assert focal_x == pytest.approx(-0.5, abs=0.03)
    assert focal_y == pytest.approx(0.5, abs=0.03)
    # The next free slot offers itself; the two after it wait.
    expect(page.locator("#id_media-1-file").locator("xpath=..")).to_be_visible()
    expect(page.locator("#id_media-2-file").locator("xpath=..")).not_to_be_visible()

    page.get_by_text("Followers only", exact=True).click()
    expect(page.get_by_text("In Europe/Paris time")).to_be_visible()
    screenshot(page, "posts-compose-desktop")

    day = tomorrow_in_paris()
    page.get_by_label("Date", exact=True).fill(day.isoformat())
    page.get_by_label("Time", exact=True).fill("14:05")
    page.get_by_role("button", name="Schedule", exact=True).click()

    page.wait_for_url("**/posts/@alice/")
    words = f"Scheduled for {day:%a} {day.day} {day:%b}, 14:05 (Europe/Paris)."
    page.get_by_text(words).wait_for()
    post = Post.objects.get(creator=alice)
    assert post.state == Post.State.SCHEDULED
    assert post.summary == "Loud music"
    assert post.visibility == "followers"
    assert post.scheduled_at == datetime.datetime.combine(
        day, datetime.time(14, 5), tzinfo=PARIS
    )
    assert list(post.media.values_list("alt_text", "focal_x", "focal_y")) == [
        ("A blue evening sky over a green lawn", focal_x, focal_y)
    ]
    scheduled = page.locator("#scheduled")
    expect(scheduled.get_by_text("Loud music")).to_be_visible()
    screenshot(page, "posts-queue-desktop")
    scheduled.get_by_text("Reschedule").click()
    expect(scheduled.get_by_role("button", name="Move")).to_be_visible()
    screenshot(page, "posts-queue-reschedule-desktop")
    scheduled.get_by_text("Reschedule").click()

    # The calendar shows it on its day, at its local time.
    # The month and week shown are the ones the page anchors on: today's,
    # or the first of next month after "Next month". Weeks start on Monday,
    # so on a Sunday "tomorrow" lies in the week after today's.
    page.get_by_role("link", name="Calendar").click()
    anchor = day - datetime.timedelta(days=1)
    if day.month != anchor.month:
        page.get_by_role("link", name="Next month").click()
        anchor = day.replace(day=1)
    chip = page.locator("a.chip-scheduled", has_text="14:05")
    chip.wait_for()
    screenshot(page, "posts-calendar-month-desktop")
    page.get_by_role("link", name="Week", exact=True).click()
    if day.isocalendar()[:2] != anchor.isocalendar()[:2]:
        page.get_by_role("link", name="Next week").click()
    page.locator("a.chip-scheduled", has_text="14:05").wait_for()
    screenshot(page, "posts-calendar-week-desktop")

    page.locator("a.chip-scheduled", has_text="14:05").click()
    page.wait_for_url(f"**/posts/{post.pk}/")
    page.get_by_text("Goes out").first.wait_for()
    expect(page.get_by_text("A blue evening sky over a green lawn")).to_be_visible()
    screenshot(page, "posts-detail-scheduled-desktop")


def test_the_posts_pages_on_a_phone(new_page, alice, photo):
    """Every page fits 375 px: no sideways scrolling, the calendar as a list."""
    now = timezone.now()
    published = factories.PostFactory(
        creator=alice,
        body="We sold out the first night. Thank you all! #gallery",
        state="published",
        published_at=now - datetime.timedelta(hours=3),
        published_late_by=datetime.timedelta(minutes=14),
        pinned_at=now,
    )
    factories.PostFactory(
        creator=alice,
        body="Behind the scenes: hanging the big canvas took six of us.",
        summary="Ladders",
        state="scheduled",
        scheduled_at=now + datetime.timedelta(hours=5),
    )
    factories.PostFactory(creator=alice, body="Idea: a studio tour video?")

    page = new_page(width=375, height=800)
    serve_media(page)
    log_in(page)

    def fits() -> bool:
        return page.evaluate(
            "document.documentElement.scrollWidth <= window.innerWidth + 1"
        )

    page.goto("/posts/@alice/new/")
    page.get_by_label("Post", exact=True).fill(BODY)
    page.locator("#preview strong", has_text="come by").wait_for()
    page.locator("#id_media-0-file").set_input_files(str(photo))
    page.locator("[data-media-slot]").first.locator(".slot-thumb").wait_for()
    assert fits()
    screenshot(page, "posts-compose-phone")

    page.goto("/posts/@alice/")
    page.get_by_text("Went out late by 14 min").wait_for()
    expect(page.get_by_text("Pinned", exact=True)).to_be_visible()
    assert fits()
    screenshot(page, "posts-queue-phone")

    page.goto("/posts/@alice/calendar/")
    assert fits()
    # The month is a list of the days that have posts.
    assert page.locator(".cal-weekdays").is_hidden()
    visible_days = page.locator(".cal-day:visible").count()
    assert 1 <= visible_days <= 3
    screenshot(page, "posts-calendar-phone")

    page.goto(f"/posts/{published.pk}/")
    page.get_by_role("heading", name="Delivery").wait_for()
    # The delivery fragment replaces the placeholder, in words.
    page.get_by_text("Checking which servers have it").wait_for(state="detached")
    assert page.locator(".delivery-slot").inner_text().strip()
    assert fits()
    screenshot(page, "posts-detail-published-phone")
