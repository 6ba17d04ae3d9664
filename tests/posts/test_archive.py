"""Importing post history from a Mastodon archive (posts.archive): what the
creator sees on their profile, in the outbox and in the summary, what is
never sent, and the archives that are refused, each with nothing written.

Archives are built here with zipfile, shaped as Mastodon's export is.
"""

import io
import json
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from federation.models import Delivery, OutboundActivity, OutboxJob
from posts import archive
from posts.models import ArchiveImport, Post
from tests import factories
from tests.federation.conftest import make_follower

pytestmark = pytest.mark.django_db

OLD = "https://mastodon.example/users/alice"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


def note(n: int, *, published: str, content: str = "", **extra) -> dict:
    status = f"{OLD}/statuses/{n}"
    return {
        "id": f"{status}/activity",
        "type": "Create",
        "actor": OLD,
        "published": published,
        "to": extra.get("to", [PUBLIC]),
        "cc": extra.get("cc", [f"{OLD}/followers"]),
        "object": {
            "id": status,
            "type": "Note",
            "summary": extra.get("summary"),
            "inReplyTo": extra.get("inReplyTo"),
            "published": published,
            "url": f"https://mastodon.example/@alice/{n}",
            "attributedTo": OLD,
            "to": extra.get("to", [PUBLIC]),
            "cc": extra.get("cc", [f"{OLD}/followers"]),
            "sensitive": False,
            "content": content or f"<p>Old post number {n}</p>",
            "contentMap": {"en": content or f"<p>Old post number {n}</p>"},
            "attachment": extra.get("attachment", []),
            "tag": [],
        },
    }


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 60, 60)).save(out, format="PNG")
    return out.getvalue()


def archive_bytes(items=None, *, files=None, outbox=True) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        if outbox:
            zf.writestr(
                "outbox.json",
                json.dumps(
                    {
                        "@context": "https://www.w3.org/ns/activitystreams",
                        "id": "outbox.json",
                        "type": "OrderedCollection",
                        "totalItems": len(items or []),
                        "orderedItems": items or [],
                    }
                ),
            )
        zf.writestr("actor.json", json.dumps({"id": OLD, "type": "Person"}))
        for name, data in (files or {}).items():
            zf.writestr(name, data)
    return out.getvalue()


IMAGE_PATH = "media_attachments/files/110/000/001/original/cat.png"
BROKEN_PATH = "media_attachments/files/110/000/002/original/fake.png"


def mastodon_archive() -> bytes:
    """Two posts to import (one with an image), a reply to someone else, a
    direct message, a boost, and a post whose image is not an image."""
    return archive_bytes(
        [
            note(
                1,
                published="2019-03-04T10:00:00Z",
                attachment=[
                    {
                        "type": "Document",
                        "mediaType": "image/png",
                        "url": f"/{IMAGE_PATH}",
                        "name": "A red cat",
                    }
                ],
            ),
            note(
                2,
                published="2025-06-07T08:30:00Z",
                content='<p>Hi <script>alert(1)</script><a href="https://x.example" '
                'onclick="steal()">link</a><img src="https://t.example/p.gif"></p>',
                to=[f"{OLD}/followers"],
                cc=[PUBLIC],
                attachment=[
                    {
                        "type": "Document",
                        "mediaType": "image/png",
                        "url": f"/{BROKEN_PATH}",
                        "name": None,
                    }
                ],
            ),
            note(
                3,
                published="2021-01-01T00:00:00Z",
                inReplyTo="https://elsewhere.example/statuses/9",
            ),
            note(4, published="2022-01-01T00:00:00Z", to=[], cc=[]),
            {
                "id": f"{OLD}/statuses/5/activity",
                "type": "Announce",
                "actor": OLD,
                "object": "https://elsewhere.example/statuses/10",
            },
        ],
        files={IMAGE_PATH: png_bytes(), BROKEN_PATH: b"this is not a picture"},
    )


@pytest.fixture
def alice(db):
    return factories.CreatorFactory(handle="alice", user__username="alice")


@pytest.fixture
def logged_in(client, alice):
    client.force_login(alice.user)
    return client


def upload(client, data: bytes, name: str = "archive.zip"):
    return client.post(
        reverse("posts:import"),
        {"archive": SimpleUploadedFile(name, data, "application/zip")},
        follow=True,
    )


def messages_of(response) -> str:
    return " ".join(str(m) for m in response.context["messages"])


def run_import() -> ArchiveImport:
    """Run the import to its end, as the worker's task runs would."""
    job = ArchiveImport.objects.get()
    while archive.archive_import_run(job.pk):
        pass
    job.refresh_from_db()
    return job


def media_files() -> list[Path]:
    from django.conf import settings

    return [p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()]


def test_imported_posts_appear_with_their_original_dates_and_are_not_sent(
    logged_in, alice
):
    """The profile and the outbox show the old posts under their old dates,
    marked imported; nothing goes to followers; the summary says it all."""
    make_follower(alice)
    response = upload(logged_in, mastodon_archive())
    assert "Your archive is being imported" in messages_of(response)
    job = run_import()
    assert job.state == ArchiveImport.State.DONE
    assert archive.summary(job) == (
        "Imported 2 posts from 2019–2025; skipped 1 reply to others, "
        "1 direct message and 1 boost; 1 image could not be read."
    )
    assert not job.archive  # the uploaded archive is deleted once done

    posts = Post.objects.order_by("published_at")
    assert [p.published_at for p in posts] == [
        datetime(2019, 3, 4, 10, 0, tzinfo=UTC),
        datetime(2025, 6, 7, 8, 30, tzinfo=UTC),
    ]
    assert [p.imported_from for p in posts] == [
        f"{OLD}/statuses/1",
        f"{OLD}/statuses/2",
    ]
    assert [p.visibility for p in posts] == [
        Post.Visibility.PUBLIC,
        Post.Visibility.UNLISTED,
    ]
    assert posts[0].media.get().alt_text == "A red cat"
    assert not posts[1].media.exists()

    # Nothing is delivered as a new post.
    assert not OutboxJob.objects.exists()
    assert not OutboundActivity.objects.exists()
    assert not Delivery.objects.exists()

    page = logged_in.get("/@alice").content.decode()
    assert "Old post number 1" in page
    # Marked imported, under its original date, on the profile, the post's
    # page and the creator's own list.
    assert page.count("Imported from mastodon.example") == 2
    assert '<time datetime="2019-03-04T10:00:00+00:00">4 Mar 2019, 10:00</time>' in page
    status_page = logged_in.get(f"/users/alice/statuses/{posts[0].pk}").content.decode()
    assert "Imported from mastodon.example" in status_page
    own = logged_in.get(reverse("posts:queue", kwargs={"handle": "alice"}))
    assert own.content.decode().count("Imported from mastodon.example") == 2
    outbox = logged_in.get(
        "/users/alice/outbox?page=1", HTTP_ACCEPT="application/activity+json"
    ).json()
    (create,) = outbox["orderedItems"]  # the unlisted one stays out
    assert create["object"]["published"] == "2019-03-04T10:00:00Z"
    assert create["object"]["id"].startswith("https://hub.test/users/alice/")

    status = logged_in.get(reverse("posts:import"))
    assert "Imported 2 posts from 2019–2025" in status.content.decode()
    # The post's delivery panel says why nothing went out.
    panel = logged_in.get(reverse("post-delivery", args=[posts[0].pk]))
    assert "Imported from your old account" in panel.content.decode()


def test_html_from_the_archive_is_cleaned_before_it_is_stored(logged_in):
    upload(logged_in, mastodon_archive())
    run_import()
    post = Post.objects.get(imported_from=f"{OLD}/statuses/2")
    assert "<script" not in post.content_html
    assert "alert(1)" not in post.content_html
    assert "onclick" not in post.content_html
    assert "<img" not in post.content_html
    assert 'href="https://x.example"' in post.content_html


def test_importing_the_same_archive_again_imports_nothing_new(logged_in):
    upload(logged_in, mastodon_archive())
    run_import()
    upload(logged_in, mastodon_archive())
    second = ArchiveImport.objects.order_by("pk").last()
    while archive.archive_import_run(second.pk):
        pass
    second.refresh_from_db()
    assert Post.objects.count() == 2
    assert archive.summary(second).startswith(
        "Imported 0 posts; skipped 1 reply to others, 1 direct message and 1 "
        "boost; 2 posts were here already"
    )


def test_an_import_runs_in_parts_and_shows_its_progress(logged_in):
    """Each run saves its place; a run again after the end changes nothing."""
    upload(logged_in, mastodon_archive())
    job = ArchiveImport.objects.get()
    assert archive.archive_import_run(job.pk, seconds=0) is True
    job.refresh_from_db()
    assert (job.state, job.done_items, job.total_items) == ("running", 1, 5)
    page = logged_in.get(reverse("posts:import-status", args=[job.pk]))
    assert "1 of 5 items read" in page.content.decode()
    run_import()
    assert archive.archive_import_run(job.pk) is False
    assert Post.objects.count() == 2


def zip_bomb() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("outbox.json", json.dumps({"orderedItems": []}))
        zf.writestr("media_attachments/zeros.png", b"\0" * (20 * 1024 * 1024))
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (archive_bytes([], outbox=False), "The archive has no outbox.json"),
        (zip_bomb(), "this looks like a zip bomb"),
        (
            archive_bytes([], files={"../../etc/x": b"owned"}),
            "names a file outside itself (../../etc/x)",
        ),
        (
            archive_bytes([], files={"/etc/x": b"owned"}),
            "names a file by an absolute path (/etc/x)",
        ),
        (b"PK\x03\x04 not really a zip", "This is not a zip file"),
        (
            archive_bytes(outbox=False, files={"outbox.json": b"{not json"}),
            "outbox.json is not valid JSON",
        ),
    ],
    ids=["no-outbox", "zip-bomb", "traversal", "absolute", "not-zip", "bad-json"],
)
def test_bad_archives_are_refused_in_words_with_nothing_written(
    logged_in, data, message
):
    before = media_files()
    response = upload(logged_in, data)
    assert message in messages_of(response)
    assert not ArchiveImport.objects.exists()
    assert not Post.objects.exists()
    assert media_files() == before


def test_an_archive_over_the_size_limit_is_refused(logged_in, settings):
    settings.ARCHIVE_IMPORT_MAX_BYTES = 1024 * 1024
    data = archive_bytes(
        [], files={"media_attachments/big.png": bytes(range(256)) * 8192}
    )
    response = upload(logged_in, data + b"\0" * (1024 * 1024))
    assert "this server takes archives of up to 1 MB" in messages_of(response)
    assert not ArchiveImport.objects.exists()


def test_only_the_creator_imports_into_their_profile(client, creator, manager):
    client.force_login(manager)
    assert client.get(reverse("posts:import")).status_code == 404


def test_a_waiting_import_can_be_handed_to_the_workers_again(logged_in):
    """An import no worker took yet offers to be handed over again."""
    upload(logged_in, mastodon_archive())
    job = ArchiveImport.objects.get()
    page = logged_in.get(reverse("posts:import")).content.decode()
    assert "Waiting for a worker to start" in page
    assert "Still waiting? Try again" in page
    response = logged_in.post(reverse("posts:import-retry", args=[job.pk]), follow=True)
    assert "The import is handed to the workers again" in messages_of(response)


def test_a_file_named_png_that_is_no_image_is_counted_and_nothing_is_kept(
    logged_in,
):
    """The post comes in without it; no file is left behind for it."""
    before = media_files()
    fake = "media_attachments/files/1/original/evil.png"
    data = archive_bytes(
        [
            note(
                7,
                published="2020-05-05T05:05:05Z",
                attachment=[
                    {"type": "Document", "mediaType": "image/png", "url": f"/{fake}"}
                ],
            )
        ],
        files={fake: b"<?php system($_GET['c']); ?>"},
    )
    upload(logged_in, data)
    job = run_import()
    assert archive.summary(job) == (
        "Imported 1 post from 2020; 1 image could not be read."
    )
    assert not Post.objects.get().media.exists()
    assert media_files() == before
