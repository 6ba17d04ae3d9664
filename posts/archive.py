"""Importing post history from a Mastodon archive (Settings → Import and
export → Request your archive on Mastodon).

The archive is a zip: `outbox.json`, an OrderedCollection of the account's
`Create` (and `Announce`) activities as ActivityPub JSON; `actor.json`, the
account; and `media_attachments/...`, the files each Note's attachment
`url` points at (the path, with Mastodon's `/system/` prefix dropped).

What is imported: public and unlisted Notes the account wrote itself,
self-replies (threads) included, with their original date, content
warning, language and images. What is not: boosts, replies to others,
followers-only posts and direct messages (their audience was chosen on
another server and cannot be carried over), videos and audio. Imported
posts are published here as they stand, never delivered as new: no
domain event is sent, so federation has nothing to tell followers.

The archive is hostile until read: the upload's size is capped, every
entry's name must stay inside the archive (no absolute paths, no `..`),
the sizes it declares are capped in total and in their compression ratio
(a zip bomb declares a huge size for a few bytes; zipfile never unpacks
more than an entry declares), images are decoded and re-encoded by Pillow
(posts.media), and the HTML is cleaned with nh3 to what posts.rendering
allows. Nothing is unpacked to disk: entries are read in memory and what
is kept is stored through Django's storage, under MEDIA_ROOT.
"""

import html
import json
import logging
import re
import secrets
import time
import zipfile
from datetime import datetime
from pathlib import PurePosixPath

import nh3
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from accounts.models import CreatorProfile, User

from . import rendering
from .media import clean_alt_text, prepare_post_image
from .models import ArchiveImport, Post, PostMedia

logger = logging.getLogger(__name__)

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
PUBLIC_ALIASES = {PUBLIC, "as:Public", "Public"}
MAX_ENTRIES = 200_000
# An entry may unpack to at most this many times its packed size, once it
# is larger than RATIO_FLOOR: JSON packs about 10:1, images barely; zip
# bombs pack a thousand to one and more.
MAX_RATIO = 100
RATIO_FLOOR = 1024 * 1024
MAX_ATTACHMENTS = 4  # Mastodon's limit per post
# One run of the task works this long, then saves its place and queues the
# next, well inside the task's time limit.
RUN_SECONDS = 30
PROGRESS_EVERY = 25


class ArchiveRefused(ValidationError):
    """The archive cannot be imported, said in words for the creator."""


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.0f} MB"


def check_archive(upload) -> zipfile.ZipFile:
    """The archive opened, once its size and every entry were checked; or
    ArchiveRefused saying what is wrong. Reads no entry's contents."""
    limit = settings.ARCHIVE_IMPORT_MAX_BYTES
    if upload.size > limit:
        raise ArchiveRefused(
            f"The archive is {_megabytes(upload.size)}; this server takes "
            f"archives of up to {_megabytes(limit)}."
        )
    try:
        upload.seek(0)
        archive = zipfile.ZipFile(upload)
    except (zipfile.BadZipFile, OSError, ValueError):
        raise ArchiveRefused(
            "This is not a zip file. Upload the .zip archive your Mastodon "
            "server made for you."
        ) from None
    entries = archive.infolist()
    if len(entries) > MAX_ENTRIES:
        raise ArchiveRefused(f"The archive holds more than {MAX_ENTRIES} files.")
    unpacked = 0
    for entry in entries:
        _check_name(entry.filename)
        if entry.flag_bits & 0x1:
            raise ArchiveRefused(f"{entry.filename} is encrypted.")
        unpacked += entry.file_size
        if entry.file_size > RATIO_FLOOR and (
            entry.file_size > MAX_RATIO * max(entry.compress_size, 1)
        ):
            raise ArchiveRefused(
                f"{entry.filename} would unpack to {_megabytes(entry.file_size)} "
                f"from {entry.compress_size} bytes: this looks like a zip bomb, "
                "not an archive."
            )
    if unpacked > settings.ARCHIVE_IMPORT_MAX_UNPACKED_BYTES:
        raise ArchiveRefused(
            f"The archive unpacks to {_megabytes(unpacked)}; this server takes "
            f"up to {_megabytes(settings.ARCHIVE_IMPORT_MAX_UNPACKED_BYTES)}."
        )
    if "outbox.json" not in archive.namelist():
        raise ArchiveRefused(
            "The archive has no outbox.json, where Mastodon puts your posts. "
            "Upload the archive as your server made it."
        )
    return archive


def _check_name(name: str) -> None:
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
        raise ArchiveRefused(
            f"The archive names a file by an absolute path ({name}): refused."
        )
    if ".." in re.split(r"[/\\]", name):
        raise ArchiveRefused(
            f"The archive names a file outside itself ({name}): refused."
        )


def read_outbox(archive: zipfile.ZipFile) -> tuple[list, str]:
    """outbox.json's items and the archive's actor id, or ArchiveRefused."""
    try:
        outbox = json.loads(archive.read("outbox.json"))
    except (json.JSONDecodeError, UnicodeDecodeError, zipfile.BadZipFile):
        raise ArchiveRefused("outbox.json is not valid JSON.") from None
    items = outbox.get("orderedItems") if isinstance(outbox, dict) else None
    if not isinstance(items, list):
        raise ArchiveRefused("outbox.json is not a collection of posts.")
    actor_id = ""
    if "actor.json" in archive.namelist():
        try:
            actor = json.loads(archive.read("actor.json"))
        except (json.JSONDecodeError, UnicodeDecodeError, zipfile.BadZipFile):
            actor = None
        if isinstance(actor, dict) and isinstance(actor.get("id"), str):
            actor_id = actor["id"]
    if not actor_id:
        actor_id = next(
            (
                item["actor"]
                for item in items
                if isinstance(item, dict) and isinstance(item.get("actor"), str)
            ),
            "",
        )
    return items, actor_id


# Starting ----------------------------------------------------------------------


@transaction.atomic
def archive_import_start(*, creator: CreatorProfile, upload, by: User) -> ArchiveImport:
    """Check the upload, keep it and queue the import; ArchiveRefused, with
    nothing stored, for an archive that cannot be imported."""
    if by.pk != creator.user_id:
        raise ArchiveRefused("Only the creator can import their old posts.")
    archive = check_archive(upload)
    read_outbox(archive)  # refuse an unreadable outbox now, not in a worker
    upload.seek(0)
    job = ArchiveImport(creator=creator, started_by=by, original_name=upload.name[:255])
    job.archive.save(f"{_random_name()}.zip", upload, save=False)
    job.save()
    from . import tasks  # tasks imports this module

    transaction.on_commit(lambda: tasks.queue_archive_import(job.pk))
    return job


def _random_name() -> str:
    return secrets.token_hex(16)


# Importing ---------------------------------------------------------------------


def archive_import_run(import_id: int, *, seconds: float = RUN_SECONDS) -> bool:
    """Import the next items of the archive for up to `seconds`; returns
    whether items are left for another run. Safe to run twice: a post is
    imported once per creator and original id."""
    job = ArchiveImport.objects.filter(pk=import_id).first()
    if job is None or job.state in (
        ArchiveImport.State.DONE,
        ArchiveImport.State.FAILED,
    ):
        return False
    try:
        with job.archive.open("rb") as stored:
            archive = check_archive(stored)
            items, actor_id = read_outbox(archive)
            left = _import_items(job, archive, items, actor_id, seconds)
    except (ArchiveRefused, OSError, ValueError) as exc:
        message = (
            " ".join(exc.messages)
            if isinstance(exc, ValidationError)
            else ("The archive could not be read.")
        )
        logger.warning("archive import %s failed: %s", job.pk, exc)
        _finish(job, state=ArchiveImport.State.FAILED, error=message)
        return False
    if not left:
        _finish(job, state=ArchiveImport.State.DONE)
    return left


def _finish(job: ArchiveImport, *, state: str, error: str = "") -> None:
    job.state = state
    job.error = error
    job.finished_at = timezone.now()
    if job.archive:
        job.archive.delete(save=False)
    job.save()


def _import_items(job, archive, items, actor_id, seconds) -> bool:
    started = time.monotonic()
    job.state = ArchiveImport.State.RUNNING
    job.total_items = len(items)
    counts = dict(job.counts)
    names = set(archive.namelist())
    position = job.done_items
    while position < len(items):
        outcome = _import_item(job, archive, names, items[position], actor_id, counts)
        counts[outcome] = counts.get(outcome, 0) + 1
        position += 1
        if position % PROGRESS_EVERY == 0 or position == len(items):
            _save_progress(job, position, counts)
        if time.monotonic() - started > seconds:
            break
    _save_progress(job, position, counts)
    return position < len(items)


def _save_progress(job, position, counts) -> None:
    job.done_items = position
    job.counts = counts
    job.save(
        update_fields=[
            "state",
            "total_items",
            "done_items",
            "counts",
            "first_published_at",
            "last_published_at",
        ]
    )


def _import_item(job, archive, names, item, actor_id, counts) -> str:
    """Import one outbox item; returns what became of it (a counts key)."""
    if not isinstance(item, dict):
        return "other"
    if item.get("type") == "Announce":
        return "boosts"
    note = item.get("object")
    if item.get("type") != "Create" or not isinstance(note, dict):
        return "other"
    if note.get("type") != "Note" or not isinstance(note.get("id"), str):
        return "other"
    author = note.get("attributedTo") or item.get("actor")
    if actor_id and author != actor_id:
        return "other"
    visibility = _visibility(note, actor_id)
    if visibility == "direct":
        return "direct"
    if visibility == "followers":
        return "followers_only"
    reply_to = note.get("inReplyTo")
    if reply_to and not (actor_id and str(reply_to).startswith(actor_id)):
        return "replies"
    published = _date(note.get("published")) or _date(item.get("published"))
    if published is None:
        return "other"
    creator = job.creator
    if Post.objects.filter(creator=creator, imported_from=note["id"]).exists():
        return "already_there"
    content = _clean_html(note.get("content"))
    language = ""
    if isinstance(note.get("contentMap"), dict) and note["contentMap"]:
        language = str(next(iter(note["contentMap"])))[:16]
    images = _images(archive, names, note.get("attachment"), counts)
    try:
        with transaction.atomic():
            post = Post.objects.create(
                creator=creator,
                body=_text(content),
                content_html=content,
                summary=_plain(note.get("summary"))[:500],
                sensitive=bool(note.get("sensitive")),
                language=language,
                visibility=(
                    Post.Visibility.PUBLIC
                    if visibility == "public"
                    else Post.Visibility.UNLISTED
                ),
                state=Post.State.PUBLISHED,
                published_at=published,
                created_at=published,
                quote_policy=creator.default_quote_policy,
                reply_policy=creator.default_reply_policy,
                author=job.started_by,
                last_actor=job.started_by,
                imported_from=note["id"][:500],
                imported_at=timezone.now(),
            )
            for position, (prepared, alt_text) in enumerate(images):
                media = PostMedia(
                    post=post,
                    mime_type=prepared.mime_type,
                    alt_text=alt_text,
                    width=prepared.width,
                    height=prepared.height,
                    blurhash=prepared.blurhash,
                    position=position,
                )
                media.file.save(prepared.file.name, prepared.file, save=False)
                media.save()
    except IntegrityError:  # another run imported it just now
        return "already_there"
    if job.first_published_at is None or published < job.first_published_at:
        job.first_published_at = published
    if job.last_published_at is None or published > job.last_published_at:
        job.last_published_at = published
    return "imported"


def _visibility(note: dict, actor_id: str) -> str:
    to, cc = _audience(note.get("to")), _audience(note.get("cc"))
    if to & PUBLIC_ALIASES:
        return "public"
    if cc & PUBLIC_ALIASES:
        return "unlisted"
    followers = f"{actor_id}/followers" if actor_id else None
    if followers and followers in to | cc:
        return "followers"
    return "direct"


def _audience(value) -> set[str]:
    values = value if isinstance(value, list) else [value]
    return {item for item in values if isinstance(item, str)}


def _date(value) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = parse_datetime(value)
    except ValueError:
        return None
    if moment is None or timezone.is_naive(moment):
        return None
    return moment


def _clean_html(value) -> str:
    if not isinstance(value, str):
        return ""
    return nh3.clean(
        value,
        tags=rendering.ALLOWED_TAGS,
        attributes={"a": {"href"}},  # rel is set on every link
        allowed_classes=rendering.ALLOWED_CLASSES,
        link_rel=rendering.LINK_REL,
        url_schemes={"http", "https"},
        url_relative="deny",
    )


def _plain(value) -> str:
    if not isinstance(value, str):
        return ""
    return html.unescape(nh3.clean(value, tags=set()))


def _text(content_html: str) -> str:
    """The post's text for editing: paragraphs and line breaks kept."""
    text = re.sub(r"</p>\s*<p>", "\n\n", content_html)
    text = re.sub(r"<br\s*/?>", "\n", text)
    return _plain(text).strip()


def _images(archive, names, attachments, counts) -> list:
    """The attachments that are images this archive holds, prepared as
    posts.media prepares uploads; the rest counted."""
    prepared = []
    values = attachments if isinstance(attachments, list) else []
    for attachment in values[:MAX_ATTACHMENTS]:
        if not isinstance(attachment, dict):
            continue
        media_type = str(attachment.get("mediaType") or "")
        if not media_type.startswith("image/"):
            counts["videos"] = counts.get("videos", 0) + 1
            continue
        name = _entry_name(attachment.get("url"))
        image = None
        if name in names:
            image = _read_image(archive, name)
        if image is None:
            counts["images_failed"] = counts.get("images_failed", 0) + 1
            continue
        try:
            alt_text = clean_alt_text(_plain(attachment.get("name")))
        except ValidationError:
            alt_text = _plain(attachment.get("name"))[:1500]
        prepared.append((image, alt_text))
    return prepared


def _entry_name(url) -> str:
    """The archive entry an attachment's `url` names: Mastodon writes the
    file's path without `/system/`, with or without the leading slash."""
    if not isinstance(url, str):
        return ""
    path = re.sub(r"^https?://[^/]+", "", url).lstrip("/")
    path = path.removeprefix("system/")
    parts = PurePosixPath(path).parts
    if not parts or ".." in parts:
        return ""
    return path


def _read_image(archive, name):
    entry = archive.getinfo(name)
    if entry.file_size > settings.MAX_IMAGE_UPLOAD_BYTES:
        return None
    try:
        data = archive.read(name)
    except (zipfile.BadZipFile, OSError):
        return None
    upload = ContentFile(data, name=PurePosixPath(name).name)
    try:
        return prepare_post_image(upload)
    except ValidationError:
        return None


# Reading -------------------------------------------------------------------------

SKIPPED_WORDS = (
    ("replies", "reply to others", "replies to others"),
    ("direct", "direct message", "direct messages"),
    ("followers_only", "followers-only post", "followers-only posts"),
    ("boosts", "boost", "boosts"),
    ("other", "other item", "other items"),
)


def _count(number: int, one: str, many: str) -> str:
    return f"{number} {one if number == 1 else many}"


def summary(job: ArchiveImport) -> str:
    """What the import did, in words."""
    counts = job.counts or {}
    imported = counts.get("imported", 0)
    text = f"Imported {_count(imported, 'post', 'posts')}"
    if imported and job.first_published_at and job.last_published_at:
        first, last = job.first_published_at.year, job.last_published_at.year
        text += f" from {first}" if first == last else f" from {first}–{last}"
    skipped = [
        _count(counts[key], one, many)
        for key, one, many in SKIPPED_WORDS
        if counts.get(key)
    ]
    parts = [text]
    if skipped:
        parts.append("skipped " + _and(skipped))
    if counts.get("already_there"):
        parts.append(
            _count(counts["already_there"], "post was", "posts were") + " here already"
        )
    if counts.get("images_failed"):
        parts.append(
            _count(counts["images_failed"], "image", "images") + " could not be read"
        )
    if counts.get("videos"):
        parts.append(
            _count(counts["videos"], "video or sound was", "videos or sounds were")
            + " not imported (only images are)"
        )
    return "; ".join(parts) + "."


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
