"""Importing a Mastodon archive in the browser: the creator uploads it,
watches it finish, reads the summary and finds the old posts on their
profile under their old dates; a creator who moved shows a banner. At
1280 and 375 px, with screenshots."""

import pytest
from playwright.sync_api import expect

from posts import archive
from posts.models import ArchiveImport
from tests import factories
from tests.browser.conftest import log_in, screenshot
from tests.posts.test_archive import mastodon_archive

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def alice(db):
    return factories.CreatorFactory(
        handle="alice", display_name="Alice Martin", user__username="alice"
    )


@pytest.mark.parametrize("width", [1280, 375])
def test_an_imported_archive_shows_on_the_profile(new_page, alice, width, tmp_path):
    path = tmp_path / "archive-20250607.zip"
    path.write_bytes(mastodon_archive())
    page = new_page(width=width)
    errors = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    log_in(page)
    page.goto("/posts/import/")
    page.get_by_label("Archive (.zip)").set_input_files(str(path))
    page.get_by_role("button", name="Import").click()
    expect(page.locator(".messages").first).to_contain_text(
        "Your archive is being imported"
    )
    expect(page.locator(".import-row")).to_contain_text("Waiting for a worker")
    # The worker's runs, done here: the page polls and shows the summary.
    job = ArchiveImport.objects.get()
    while archive.archive_import_run(job.pk):
        pass
    expect(page.locator(".import-summary")).to_contain_text(
        "Imported 2 posts from 2019–2025", timeout=10_000
    )
    screenshot(page, f"archive-import-{width}")
    assert page.evaluate("document.documentElement.scrollWidth") <= width

    page.goto("/@alice")
    posts = page.locator("section[aria-labelledby='posts-heading']")
    expect(posts).to_contain_text("Old post number 1")
    expect(posts).to_contain_text("2019")
    screenshot(page, f"archive-import-profile-{width}")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert not errors


@pytest.mark.parametrize("width", [1280, 375])
def test_a_creator_who_moved_shows_a_banner(new_page, alice, width):
    alice.moved_to_uri = "https://mastodon.example/users/alice"
    alice.save()
    factories.PostFactory(
        creator=alice,
        body="Still readable after the move",
        content_html="<p>Still readable after the move</p>",
        state="published",
        published_at=alice.created_at,
    )
    page = new_page(width=width)
    page.goto("/@alice")
    expect(page.locator(".moved-banner")).to_contain_text(
        "Alice Martin has moved to a new account"
    )
    expect(page.locator("section[aria-labelledby='posts-heading']")).to_contain_text(
        "Still readable after the move"
    )
    screenshot(page, f"moved-profile-{width}")
    assert page.evaluate("document.documentElement.scrollWidth") <= width


@pytest.mark.parametrize("width", [1280, 375])
def test_the_moving_page_shows_the_move_and_who_moved_here(new_page, alice, width):
    alice.aliases.create(
        uri="https://mastodon.example/users/alice_old",
        address="@alice_old@mastodon.example",
    )
    alice.moved_to_uri = "https://mastodon.example/users/alice_new"
    alice.moved_at = alice.created_at
    alice.save()
    page = new_page(width=width)
    log_in(page)
    page.goto("/dashboard/moving/")
    expect(page.locator(".move-state")).to_contain_text(
        "This account has moved to https://mastodon.example/users/alice_new"
    )
    expect(page.get_by_role("button", name="Undo the move")).to_be_visible()
    expect(page.locator(".alias-arrivals")).to_contain_text("0 followers so far")
    screenshot(page, f"moving-{width}")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
