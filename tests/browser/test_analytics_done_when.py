"""Issue 6's "Done when", tried as a new user would.

Two servers on loopback (tests/federation/peer.py, signing with `httpsig`),
one reporting itself as Mastodon and one as Threads in NodeInfo, like,
boost and reply to a creator's post through the live inbox. The creator's
analytics page, in Chromium, shows the counts per platform with its
charts drawn; the agency's analyst downloads the CSV and its totals
match; rebuilding the rollups from the raw rows changes nothing.
"""

import csv
import io
from datetime import UTC, datetime

import pytest
from django.core.management import call_command

from analytics.models import Interaction
from federation import tasks
from federation.protocol import notes
from posts.models import Post
from tests.browser.conftest import log_in, screenshot
from tests.federation.inbox_support import process_queued
from tests.federation.peer import MastodonPeer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AS = "https://www.w3.org/ns/activitystreams"


def engage(peer: MastodonPeer, inbox_url: str, note_url: str, text: str) -> None:
    """Like, boost and reply to the post, as that server sends them."""
    actor = peer.actor_id
    reply_id = f"{actor}/statuses/1"
    for activity in (
        {"id": f"{actor}#likes/1", "type": "Like", "object": note_url},
        {"id": f"{actor}/statuses/2/activity", "type": "Announce",
         "object": note_url, "to": [f"{AS}#Public"]},
        {"id": f"{reply_id}/activity", "type": "Create", "object": {
            "id": reply_id, "type": "Note", "attributedTo": actor,
            "inReplyTo": note_url, "content": f"<p>{text}</p>",
            "published": datetime.now(UTC).isoformat(timespec="seconds"),
            "to": [f"{AS}#Public"]}},
    ):  # fmt: skip
        response = peer.post(inbox_url, {"@context": AS, "actor": actor, **activity})
        assert response.status_code == 202, response.text


def test_engagement_from_mastodon_and_threads_shows_per_platform(
    live_inbox, new_page, creator, agency_with_analyst
):
    _, analyst = agency_with_analyst
    post = Post.objects.create(
        creator=creator,
        body="New mural",
        content_html="<p>New mural</p>",
        state=Post.State.PUBLISHED,
        published_at=datetime.now(UTC),
    )
    with (
        MastodonPeer(username="bob") as mastodon,
        MastodonPeer(username="zoe", software=("threads", "1.0")) as threads,
    ):
        for peer, text in ((mastodon, "Lovely"), (threads, "So good")):
            engage(peer, f"{live_inbox.url}/inbox", notes.note_url(post), text)
        process_queued()
        # The worker's other job meanwhile: reading each new server's NodeInfo
        # (queued when its actor was first fetched), which names its platform.
        for peer in (mastodon, threads):
            tasks.fetch_instance_info(peer.host)
    assert Interaction.objects.filter(post=post).count() == 6

    page = new_page()
    log_in(page, "alice")
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Analytics"
    ).click()
    page.wait_for_url("**/dashboard/@alice/analytics/")
    cards = page.get_by_role("list", name="Totals for the period")
    assert "Interactions\n6" in cards.inner_text()
    for label in ("Likes\n2", "Boosts\n2", "Replies\n2"):
        assert label in cards.inner_text()
    # Every chart is drawn: one visible SVG each, with something in it.
    charts = page.locator("figure.chart")
    assert charts.count() >= 6
    for index in range(charts.count()):
        svg = charts.nth(index).locator("svg:visible")
        assert svg.count() == 1
        assert svg.bounding_box()["width"] > 200
    platforms = page.locator("figure.chart", has_text="Interactions by platform")
    platforms.get_by_text("Show the data as a table").click()
    table = platforms.locator("table").inner_text()
    assert "Mastodon\t3" in table and "Threads\t3" in table
    screenshot(page, "analytics-done-when-creator")

    analyst_page = new_page()
    log_in(analyst_page, analyst.username)
    analyst_page.goto("/dashboard/analytics/")
    with analyst_page.expect_download() as download:
        analyst_page.get_by_role("link", name="Download CSV").click()
    text = download.value.path().read_text()
    rows = list(csv.DictReader(io.StringIO(text)))
    [row] = rows
    assert row["creator"] == "@alice"
    assert (row["interactions"], row["likes"], row["boosts"], row["replies"]) == (
        "6",
        "2",
        "2",
        "2",
    )

    call_command("rebuild_rollups", "--check")  # raises if anything differs
