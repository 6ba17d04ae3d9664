"""Everything that changes posts goes through here.

The publish state machine:

    draft ──schedule──▶ scheduled ──(time comes: publish_due_posts)──┐
      │  ◀──unschedule──    │                                        ▼
      └──────publish────────┴──────────publish──────────────────▶ published
      │                     ▲                                        ▲    │
      │ submit   approve (a time to come)        approve (no time left)   │
      ▼                     │                                        │    │
    pending_approval ───────┴────────────────────────────────────────┘    │
      └──send back (with a comment)──▶ draft                               │
                                                                          │
    drafts, pending and scheduled posts are deleted outright;  delete ────┘
    a published post becomes `deleted` (federation sends a Tombstone).

Who may do what is decided by accounts.permissions: writing needs
can_draft_for, putting a post out (publish, schedule, edit or delete a
published post, pin) can_publish_for, answering a reply can_answer_for;
only the creator approves. Whatever an agency member does for a creator is
recorded (PostAction, and the audit log through events.acted_on_behalf).

Every change that remote servers must hear about sends its domain event
(posts.events) after the transaction commits, never before: a publish that
rolls back must not reach anyone.
"""

import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import F, Max
from django.dispatch import Signal
from django.urls import reverse
from django.utils import timezone

from accounts.models import CreatorProfile, QuotePolicy, ReplyPolicy, User
from accounts.permissions import (
    acting_agency,
    can_answer_for,
    can_approve_posts_of,
    can_draft_for,
    can_publish_for,
)

from . import events, quotes
from .media import clean_alt_text, clean_focal_point, prepare_post_image
from .models import Hashtag, Mention, Post, PostAction, PostMedia
from .rendering import (
    POST_MAX_CHARACTERS,
    RenderedBody,
    count_characters,
    normalise_handle,
    render_post_body,
)

logger = logging.getLogger(__name__)

# What the creator typed is capped before it is parsed: a URL counts 23
# characters whatever its length, so the visible limit alone does not
# bound the size of a body.
BODY_MAX_LENGTH = 10_000
SUMMARY_MAX_LENGTH = 500  # Post.summary
HANDLE_MAX_LENGTH = 320  # Mention.handle
MAX_PINNED_POSTS = 5  # Mastodon's limit for featured posts
# A time picked "now" in a form is already past when it arrives.
SCHEDULE_GRACE = timedelta(minutes=1)
# A scheduled post that went out later than this records by how much.
LATE_AFTER = timedelta(minutes=2)
# BCP 47 as Mastodon accepts it: "en", "pt-BR", "zh-Hant".
LANGUAGE_RE = re.compile(r"[a-zA-Z]{2,3}(?:-[a-zA-Z0-9]{1,8})*")

EDITABLE_STATES = (Post.State.DRAFT, Post.State.PENDING_APPROVAL, Post.State.SCHEDULED)
# Posts nobody but the creator's team has seen, which writers may delete.
UNSENT_STATES = (Post.State.DRAFT, Post.State.PENDING_APPROVAL)

CHANGED_SINCE_SHOWN = (
    "This post changed after you opened it. Read the latest version below "
    "and approve again if it is still right."
)


EMPTY_POST = "Write something or add an image first."


@dataclass(frozen=True)
class PostInput:
    """What a creator writes; the same for the dashboard and the API."""

    body: str
    summary: str = ""
    sensitive: bool = False
    language: str = ""
    visibility: str = "public"
    in_reply_to_uri: str = ""
    # Who may quote it and whose replies show; "" takes the creator's
    # defaults (CreatorProfile.default_quote_policy, default_reply_policy).
    quote_policy: str = ""
    reply_policy: str = ""
    # Handles "user@domain" addressed even if the body does not name them.
    extra_mentions: tuple[str, ...] = ()
    # The address of a remote post to quote (FEP-044f); "" quotes nothing.
    quote_of: str = ""


def post_input_from(post: Post) -> PostInput:
    """The input that would write `post` as it is, for edit forms and PATCH."""
    in_body = set(render_post_body(post.body).mentions)
    extra = tuple(
        handle
        for handle in post.mentions.order_by("pk").values_list("handle", flat=True)
        if handle not in in_body
    )
    return PostInput(
        body=post.body,
        summary=post.summary,
        sensitive=post.sensitive,
        language=post.language,
        visibility=post.visibility,
        in_reply_to_uri=post.in_reply_to_uri,
        extra_mentions=extra,
        quote_policy=post.quote_policy,
        reply_policy=post.reply_policy,
        quote_of=post.quote_of,
    )


# Writing -------------------------------------------------------------------


def post_save_draft(
    *,
    creator: CreatorProfile,
    by: User,
    data: PostInput,
    post: Post | None = None,
    images_to_come: int = 0,
) -> Post:
    """Create a draft, or change a draft or scheduled post (state unchanged).

    A new post needs words or images: `images_to_come` says how many the
    caller attaches right after (the dashboard saves text, then images).
    A published post is changed with post_edit.
    """
    _require(can_draft_for, by, creator)
    if post is not None and post.state == Post.State.SCHEDULED:
        _require(can_publish_for, by, creator)
    quoted = _quoted_post(creator, data, post)
    with transaction.atomic():
        return _save_draft(
            creator=creator,
            by=by,
            data=data,
            post=post,
            images_to_come=images_to_come,
            quoted=quoted,
        )


def _save_draft(
    *,
    creator: CreatorProfile,
    by: User,
    data: PostInput,
    post: Post | None,
    images_to_come: int = 0,
    quoted: quotes.QuotedPost | None = None,
) -> Post:
    if post is None:
        if not data.body.strip() and not images_to_come:
            raise ValidationError({"body": EMPTY_POST})
        post = Post(creator=creator, author=by)
        action = PostAction.Action.DRAFT
    else:
        if post.creator_id != creator.pk:
            raise PermissionDenied("That post belongs to another creator.")
        post = _locked(post)
        if post.state not in EDITABLE_STATES:
            raise _state_error(post)
        action = PostAction.Action.EDIT
    before = _content_of(post) if post.pk else None
    _write(post, data, quoted=quoted)
    if before is None:
        _record(post, by, action)
    elif _content_of(post) != before:
        _bump_version(post)
        _record(post, by, action)
    return post


def post_edit(*, post: Post, by: User, data: PostInput) -> Post:
    """Change a post. Drafts and scheduled posts change freely.

    A published post may change its text, content warning, sensitivity,
    language and media, not its audience (Mastodon refuses that too: the
    copies already delivered could not be taken back from who they
    reached). It records edited_at and sends post_edited.
    """
    if post.state in EDITABLE_STATES:
        return post_save_draft(creator=post.creator, by=by, data=data, post=post)
    _require(can_publish_for, by, post.creator)
    with transaction.atomic():
        post = _locked(post)
        if post.state in EDITABLE_STATES:
            quoted = _quoted_post(post.creator, data, post)
            return _save_draft(
                creator=post.creator, by=by, data=data, post=post, quoted=quoted
            )
        if post.state != Post.State.PUBLISHED:
            raise _state_error(post)
        errors = {}
        if data.visibility != post.visibility:
            errors["visibility"] = (
                "Who can see a published post cannot change. Delete it and "
                "post again to reach a different audience."
            )
        if data.in_reply_to_uri.strip() != post.in_reply_to_uri:
            errors["in_reply_to_uri"] = "A published reply cannot change its thread."
        if not _same_quote(data.quote_of, post):
            # Its author was asked about this post, and servers hold it so.
            errors["quote_of"] = "A published post cannot change what it quotes."
        if errors:
            raise ValidationError(errors)
        before, policies_before = _published_content(post), _policies(post)
        _write(post, data)
        if _published_content(post) != before:
            _bump_version(post)
            _mark_edited(post)
            _record(post, by, PostAction.Action.EDIT)
        elif _policies(post) != policies_before:
            _bump_version(post)
            _announce(events.post_policies_changed, post)
            _record(post, by, PostAction.Action.EDIT, "changed who may quote or reply")
    return post


def _write(
    post: Post, data: PostInput, *, quoted: quotes.QuotedPost | None = None
) -> None:
    """Validate `data`, store it on `post` with its mentions and hashtags.

    `quoted`: the remote post `data.quote_of` names, found before the
    transaction (_quoted_post); None keeps the quote as it is.
    """
    body, summary, rendered, mentions = _clean(data)
    if post.state != Post.State.DRAFT:
        _require_content(post, body)
    post.body = body
    post.content_html = rendered.html
    post.summary = summary
    # A content warning hides the media too, as on Mastodon.
    post.sensitive = bool(data.sensitive or summary)
    post.language = data.language.strip()
    post.visibility = data.visibility
    post.in_reply_to_uri = data.in_reply_to_uri.strip()
    post.quote_policy = data.quote_policy or post.creator.default_quote_policy
    post.reply_policy = data.reply_policy or post.creator.default_reply_policy
    if quoted is not None:
        _store_quote(post, quoted)
    elif not data.quote_of.strip():
        _store_quote(post, None)
    post.save()
    _store_mentions(post, mentions)
    _store_hashtags(post, rendered.hashtags)


def _clean(data: PostInput) -> tuple[str, str, RenderedBody, list[str]]:
    """The body and summary to store, rendered, and every handle addressed."""
    errors: dict[str, str] = {}
    body = data.body.strip()
    summary = data.summary.strip()
    if len(body) > BODY_MAX_LENGTH:
        raise ValidationError({"body": f"At most {POST_MAX_CHARACTERS} characters."})
    if len(summary) > SUMMARY_MAX_LENGTH:
        errors["summary"] = f"At most {SUMMARY_MAX_LENGTH} characters."
    else:
        length = count_characters(body) + count_characters(summary)
        if length > POST_MAX_CHARACTERS:
            errors["body"] = (
                f"At most {POST_MAX_CHARACTERS} characters, content warning "
                f"included; this has {length}."
            )
    if data.visibility not in Post.Visibility.values:
        errors["visibility"] = "Choose public, unlisted or followers only."
    if data.quote_policy and data.quote_policy not in QuotePolicy.values:
        errors["quote_policy"] = (
            "Choose anyone, anyone once you approve, followers or nobody."
        )
    if data.reply_policy and data.reply_policy not in ReplyPolicy.values:
        errors["reply_policy"] = "Choose anyone, followers or people you mention."
    language = data.language.strip()
    if language and (len(language) > 16 or not LANGUAGE_RE.fullmatch(language)):
        errors["language"] = "Use a language code such as en or pt-BR."
    reply_to = data.in_reply_to_uri.strip()
    if reply_to:
        try:
            URLValidator(schemes=["http", "https"])(reply_to)
            if len(reply_to) > 500:
                raise ValidationError("too long")
        except ValidationError:
            errors["in_reply_to_uri"] = "Give the https:// address of the reply."
    extra = []
    for given in data.extra_mentions:
        handle = normalise_handle(given)
        if handle is None or len(handle) > HANDLE_MAX_LENGTH:
            errors["extra_mentions"] = f"Not an address like user@server: {given}"
            break
        extra.append(handle)
    if errors:
        raise ValidationError(errors)

    rendered = render_post_body(body)
    too_long = [h for h in rendered.mentions if len(h) > HANDLE_MAX_LENGTH]
    if too_long:
        raise ValidationError({"body": f"That address is too long: @{too_long[0]}"})
    mentions = list(dict.fromkeys([*rendered.mentions, *extra]))
    return body, summary, rendered, mentions


def _same_quote(address: str, post: Post) -> bool:
    address = address.strip()
    if not address:
        return not post.quote_of
    return address in (post.quote_of, post.quote_url)


def _quoted_post(
    creator: CreatorProfile, data: PostInput, post: Post | None
) -> quotes.QuotedPost | None:
    """The remote post to quote, fetched and checked when the address is new.

    Outside the transaction where possible: fetching may take seconds. A
    post that cannot be quoted is a ValidationError on `quote_of`, and
    nothing is saved.
    """
    address = data.quote_of.strip()
    if not address or (post is not None and _same_quote(address, post)):
        return None
    if post is not None and post.state not in EDITABLE_STATES:
        return None  # post_edit refuses the change
    try:
        URLValidator(schemes=["http", "https"])(address)
        if len(address) > 500:
            raise ValidationError("too long")
    except ValidationError:
        raise ValidationError(
            {"quote_of": "Give the https:// address of the post to quote."}
        ) from None
    try:
        return quotes.quoted_post_find(address, creator=creator)
    except ValidationError as exc:
        raise ValidationError({"quote_of": exc.messages}) from None


def _store_quote(post: Post, quoted: quotes.QuotedPost | None) -> None:
    post.quote_of = quoted.uri if quoted else ""
    post.quote_url = quoted.url if quoted else ""
    post.quote_author_uri = quoted.author_uri if quoted else ""
    post.quote_author_handle = quoted.author_handle if quoted else ""
    post.quote_state = quoted.state if quoted else ""
    post.quote_note = quoted.note if quoted else ""
    post.quote_authorization = ""
    post.quote_decided_at = None


def _require_content(post: Post, body: str) -> None:
    if not body and (post.pk is None or not post.media.exists()):
        raise ValidationError({"body": EMPTY_POST})


def _store_mentions(post: Post, handles: list[str]) -> None:
    """Keep mentions still named (federation may have resolved them)."""
    post.mentions.exclude(handle__in=handles).delete()
    existing = set(post.mentions.values_list("handle", flat=True))
    Mention.objects.bulk_create(
        [Mention(post=post, handle=h) for h in handles if h not in existing]
    )


def _store_hashtags(post: Post, names: list[str]) -> None:
    # ignore_conflicts: two posts may introduce the same new tag at once.
    Hashtag.objects.bulk_create(
        [Hashtag(name=name) for name in names], ignore_conflicts=True
    )
    post.hashtags.set(Hashtag.objects.filter(name__in=names))


def _content_of(post: Post) -> tuple:
    """What the post says and to whom, to tell a real edit from a resave."""
    return (
        *_published_content(post),
        post.visibility,
        post.in_reply_to_uri,
        post.quote_of,
    )


def _published_content(post: Post) -> tuple:
    """What readers of a published post see; an edit changes some of it."""
    return (
        post.body,
        post.summary,
        post.sensitive,
        post.language,
        tuple(sorted(post.mentions.values_list("handle", flat=True))),
    )


def _policies(post: Post) -> tuple:
    """Who may quote or reply: peers learn a change from an Update
    (interactionPolicy), but it is no edit of what readers see."""
    return (post.quote_policy, post.reply_policy)


# Media ---------------------------------------------------------------------


def post_attach_media(
    *,
    post: Post,
    by: User,
    upload,
    alt_text: str = "",
    focal_point: tuple[float, float] | None = None,
) -> PostMedia:
    """Attach an image (re-encoded, EXIF stripped) as the post's last one."""
    _require_writer_of(by, post)
    alt_text = clean_alt_text(alt_text)
    focal_point = clean_focal_point(focal_point)
    _require_room_for_media(post)  # before the costly decode
    try:
        prepared = prepare_post_image(upload)
    except ValidationError as exc:
        raise ValidationError({"file": exc.messages}) from exc

    item = PostMedia(
        mime_type=prepared.mime_type,
        alt_text=alt_text,
        width=prepared.width,
        height=prepared.height,
        blurhash=prepared.blurhash,
        focal_x=focal_point[0] if focal_point else None,
        focal_y=focal_point[1] if focal_point else None,
    )
    try:
        with transaction.atomic():
            post = _locked(post)
            if post.state == Post.State.DELETED:
                raise _state_error(post)
            _require_room_for_media(post)
            last = post.media.aggregate(last=Max("position"))["last"]
            item.post = post
            item.position = 0 if last is None else last + 1
            item.file.save(prepared.file.name, prepared.file, save=False)
            item.save()
            _bump_version(post)
            if post.state == Post.State.PUBLISHED:
                _mark_edited(post)
            _record(post, by, PostAction.Action.EDIT, "added an image")
    except BaseException:
        if item.file:
            item.file.storage.delete(item.file.name)
        raise
    return item


def post_describe_media(
    *,
    media: PostMedia,
    by: User,
    alt_text: str,
    focal_point: tuple[float, float] | None = None,
) -> PostMedia:
    """Change an image's alt text, and its focal point when one is given.

    focal_point=None keeps the current one; (0, 0) is the centre, which is
    what no focal point means.
    """
    post = media.post
    _require_writer_of(by, post)
    alt_text = clean_alt_text(alt_text)
    focal_point = clean_focal_point(focal_point)
    with transaction.atomic():
        post = _locked(post)
        if post.state == Post.State.DELETED:
            raise _state_error(post)
        item = PostMedia.objects.get(pk=media.pk, post=post)
        before = (item.alt_text, item.focal_x, item.focal_y)
        item.alt_text = alt_text
        if focal_point is not None:
            item.focal_x, item.focal_y = focal_point
        item.save()
        if (item.alt_text, item.focal_x, item.focal_y) != before:
            _bump_version(post)
            if post.state == Post.State.PUBLISHED:
                _mark_edited(post)
            _record(post, by, PostAction.Action.EDIT, "described an image")
    return item


def post_remove_media(*, media: PostMedia, by: User) -> None:
    """Remove an image; its file goes once the transaction commits."""
    post = media.post
    _require_writer_of(by, post)
    with transaction.atomic():
        post = _locked(post)
        if post.state == Post.State.DELETED:
            raise _state_error(post)
        item = PostMedia.objects.filter(pk=media.pk, post=post).first()
        if item is None:
            return
        remaining = list(post.media.exclude(pk=item.pk))
        if post.state != Post.State.DRAFT and not post.body and not remaining:
            raise ValidationError(
                {"file": "This post has no text: keep at least one image."}
            )
        item.delete()
        for position, other in enumerate(remaining):
            if other.position != position:
                other.position = position
                other.save(update_fields=["position"])
        _delete_files_on_commit([item.file])
        _bump_version(post)
        if post.state == Post.State.PUBLISHED:
            _mark_edited(post)
        _record(post, by, PostAction.Action.EDIT, "removed an image")


def _require_room_for_media(post: Post) -> None:
    if post.media.count() >= PostMedia.MAX_PER_POST:
        raise ValidationError(
            {"file": f"A post has at most {PostMedia.MAX_PER_POST} images."}
        )


def _delete_files_on_commit(files) -> None:
    names = [(f.storage, f.name) for f in files if f]
    transaction.on_commit(lambda: [storage.delete(name) for storage, name in names])


# Publishing and scheduling -----------------------------------------------------


def post_publish(*, post: Post, by: User) -> Post:
    """Publish a draft or scheduled post now."""
    _require(can_publish_for, by, post.creator)
    with transaction.atomic():
        post = _locked(post)
        if post.state not in EDITABLE_STATES:
            raise _state_error(post)
        _require_content(post, post.body)
        _mark_published(post, now=timezone.now())
        _record(post, by, PostAction.Action.PUBLISH)
    return post


def post_schedule(*, post: Post, by: User, publish_at: datetime) -> Post:
    """Schedule a draft, or move a scheduled post to another time."""
    _require(can_publish_for, by, post.creator)
    _check_publish_at(publish_at)
    with transaction.atomic():
        post = _locked(post)
        if post.state not in EDITABLE_STATES:
            raise _state_error(post)
        _require_content(post, post.body)
        post.state = Post.State.SCHEDULED
        post.scheduled_at = publish_at
        post.save(update_fields=["state", "scheduled_at", "updated_at"])
        _record(post, by, PostAction.Action.SCHEDULE)
    return post


def _check_publish_at(publish_at: datetime) -> None:
    if not isinstance(publish_at, datetime) or timezone.is_naive(publish_at):
        raise ValidationError({"publish_at": "Give a date and time with a time zone."})
    if publish_at < timezone.now() - SCHEDULE_GRACE:
        raise ValidationError(
            {
                "publish_at": "That time has already passed. Pick a time in "
                "the future, or publish now."
            }
        )


def post_unschedule(*, post: Post, by: User) -> Post:
    """Take a scheduled post back to the drafts."""
    _require(can_publish_for, by, post.creator)
    with transaction.atomic():
        post = _locked(post)
        if post.state != Post.State.SCHEDULED:
            raise ValidationError({NON_FIELD_ERRORS: "This post is not scheduled."})
        post.state = Post.State.DRAFT
        post.scheduled_at = None
        post.save(update_fields=["state", "scheduled_at", "updated_at"])
        _record(post, by, PostAction.Action.UNSCHEDULE)
    return post


def publish_due_posts(*, now: datetime | None = None, limit: int = 100) -> int:
    """Publish scheduled posts whose time has come; return how many.

    Run by Celery beat every 30 seconds, possibly by two schedulers at once:
    each claims its posts with SELECT … FOR UPDATE SKIP LOCKED, so a post
    locked by one run is skipped by the other, and a post another run has
    already published no longer matches. A post whose time passed while
    the workers were down goes out on the next run and records how late.
    """
    now = now or timezone.now()
    published = 0
    with transaction.atomic():
        due = (
            Post.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("creator")
            .filter(state=Post.State.SCHEDULED, scheduled_at__lte=now)
            .order_by("scheduled_at", "pk")[:limit]
        )
        for post in due:
            late_by = now - post.scheduled_at
            try:
                # One bad post must not hold back the others.
                with transaction.atomic():
                    _mark_published(
                        post, now=now, late_by=late_by if late_by > LATE_AFTER else None
                    )
            except Exception:
                logger.exception("could not publish scheduled post %s", post.pk)
                continue
            if late_by > LATE_AFTER:
                logger.warning("post %s published %s late", post.pk, late_by)
            published += 1
    return published


def _mark_published(
    post: Post, *, now: datetime, late_by: timedelta | None = None
) -> None:
    post.state = Post.State.PUBLISHED
    post.published_at = now
    post.published_late_by = late_by
    post.save(
        update_fields=["state", "published_at", "published_late_by", "updated_at"]
    )
    _announce(events.post_published, post)


# Approval ------------------------------------------------------------------


def post_submit_for_approval(
    *, post: Post, by: User, publish_at: datetime | None = None
) -> Post:
    """Send a draft (or a post sent back) to the creator for approval.

    `publish_at` is when it should go out once approved (None: as soon as
    it is approved). The creator is told in the dashboard and by e-mail.
    The version sent is recorded: approving a later one needs a fresh look.
    """
    _require(can_draft_for, by, post.creator)
    if publish_at is not None:
        _check_publish_at(publish_at)
    with transaction.atomic():
        post = _locked(post)
        if post.state not in UNSENT_STATES:
            raise _state_error(post)
        _require_content(post, post.body)
        post.state = Post.State.PENDING_APPROVAL
        post.scheduled_at = publish_at
        post.approval_version = post.version
        post.approval_requested_at = timezone.now()
        post.approval_requested_by = by
        post.approval_comment = ""
        post.save(
            update_fields=[
                "state",
                "scheduled_at",
                "approval_version",
                "approval_requested_at",
                "approval_requested_by",
                "approval_comment",
                "updated_at",
            ]
        )
        _record(post, by, PostAction.Action.SUBMIT)
        if post.creator.user_id != by.pk:
            transaction.on_commit(lambda: _email_approval_request(post.pk))
    return post


def post_approve(*, post: Post, by: User, version: int) -> Post:
    """The creator approves the version they were shown.

    Refused, with CHANGED_SINCE_SHOWN, when the post changed since: the
    page then shows the latest version. Approved, it is scheduled for its
    time, or published now when it has none or its time has passed.
    """
    _require(can_approve_posts_of, by, post.creator)
    with transaction.atomic():
        post = _locked(post)
        if post.state != Post.State.PENDING_APPROVAL:
            raise ValidationError(
                {NON_FIELD_ERRORS: "This post is not waiting for approval."}
            )
        if version != post.version:
            raise ValidationError({"version": CHANGED_SINCE_SHOWN})
        _require_content(post, post.body)
        now = timezone.now()
        if post.scheduled_at is not None and post.scheduled_at > now:
            post.state = Post.State.SCHEDULED
            post.save(update_fields=["state", "updated_at"])
        else:
            _mark_published(post, now=now)
        Post.objects.filter(pk=post.pk).update(last_actor=by)
    return post


def post_send_back(*, post: Post, by: User, comment: str) -> Post:
    """The creator returns a post to its writer as a draft, saying why."""
    _require(can_approve_posts_of, by, post.creator)
    comment = comment.strip()
    if not comment:
        raise ValidationError({"comment": "Say what should change."})
    with transaction.atomic():
        post = _locked(post)
        if post.state != Post.State.PENDING_APPROVAL:
            raise ValidationError(
                {NON_FIELD_ERRORS: "This post is not waiting for approval."}
            )
        post.state = Post.State.DRAFT
        post.approval_comment = comment[:2000]
        post.save(update_fields=["state", "approval_comment", "updated_at"])
        Post.objects.filter(pk=post.pk).update(last_actor=by)
    return post


def _email_approval_request(post_pk: int) -> None:
    post = (
        Post.objects.select_related("creator__user", "approval_requested_by")
        .filter(pk=post_pk, state=Post.State.PENDING_APPROVAL)
        .first()
    )
    if post is None or not post.creator.user.email:
        return
    who = post.approval_requested_by
    name = (who.get_full_name() or who.username) if who else "Your agency"
    agency = acting_agency(who, post.creator) if who else None
    at = f" at {agency.name}" if agency else ""
    words = " ".join(post.body.split())[:280]
    when = (
        f"It goes out at {post.scheduled_at:%Y-%m-%d %H:%M} UTC once you approve it."
        if post.scheduled_at
        else "It goes out as soon as you approve it."
    )
    path = reverse("posts:detail", kwargs={"pk": post.pk})
    # The site's own scheme (http under `make run`), as federation's
    # ids.absolute builds it; posts does not import federation.
    link = f"{settings.CREATORHUB_SCHEME}://{settings.CREATORHUB_DOMAIN}{path}"
    try:
        send_mail(
            subject=f"{name}{at} wrote a post for your approval",
            message=(
                f"{name}{at} wrote a post for @{post.creator.handle} and is "
                f"waiting for your approval:\n\n{words}\n\n{when}\n\n"
                f"Approve it, or send it back with a comment: {link}\n"
            ),
            from_email=None,
            recipient_list=[post.creator.user.email],
        )
    except Exception:
        # The dashboard shows the request anyway; a mail server down must
        # not undo the submission.
        logger.exception("could not e-mail approval request for post %s", post_pk)


# Deleting ------------------------------------------------------------------


def post_delete(*, post: Post, by: User) -> None:
    """Delete a post.

    A published post keeps its row (state deleted, the text kept for the
    creator's record) so federation can answer 410 with a Tombstone; its
    images are removed, as their URLs are public. Drafts and scheduled
    posts, which nobody else has seen, are removed outright. Deleting a
    deleted post does nothing.
    """
    _require_writer_of(by, post)
    with transaction.atomic():
        post = _locked(post)
        files = [item.file for item in post.media.all()]
        if post.state == Post.State.DELETED:
            return
        if post.state in EDITABLE_STATES:
            _record(post, by, PostAction.Action.DELETE)
            post.delete()
            _delete_files_on_commit(files)
            return
        post.media.all().delete()
        post.state = Post.State.DELETED
        post.deleted_at = timezone.now()
        post.pinned_at = None
        post.save(update_fields=["state", "deleted_at", "pinned_at", "updated_at"])
        _delete_files_on_commit(files)
        _announce(events.post_deleted, post)
        _record(post, by, PostAction.Action.DELETE)


# Pinning -------------------------------------------------------------------


def post_pin(*, post: Post, by: User) -> Post:
    """Pin a published public or unlisted post to the profile (at most 5)."""
    _require(can_publish_for, by, post.creator)
    with transaction.atomic():
        # Lock the creator so two pins at once cannot both be the fifth.
        CreatorProfile.objects.select_for_update().filter(pk=post.creator_id).first()
        post = _locked(post)
        if post.state != Post.State.PUBLISHED:
            raise ValidationError(
                {NON_FIELD_ERRORS: "Only published posts can be pinned."}
            )
        if post.visibility == Post.Visibility.FOLLOWERS:
            raise ValidationError(
                {NON_FIELD_ERRORS: "Followers-only posts cannot be pinned."}
            )
        if post.pinned_at is not None:
            return post
        pinned = Post.objects.filter(
            creator_id=post.creator_id,
            state=Post.State.PUBLISHED,
            pinned_at__isnull=False,
        ).count()
        if pinned >= MAX_PINNED_POSTS:
            raise ValidationError(
                {
                    NON_FIELD_ERRORS: f"At most {MAX_PINNED_POSTS} posts can be "
                    "pinned. Unpin one first."
                }
            )
        post.pinned_at = timezone.now()
        post.save(update_fields=["pinned_at", "updated_at"])
        _announce(events.post_pinned, post)
        _record(post, by, PostAction.Action.PIN)
    return post


def post_unpin(*, post: Post, by: User) -> Post:
    """Unpin a post; unpinning a post that is not pinned does nothing."""
    _require(can_publish_for, by, post.creator)
    with transaction.atomic():
        post = _locked(post)
        if post.pinned_at is None:
            return post
        post.pinned_at = None
        post.save(update_fields=["pinned_at", "updated_at"])
        _announce(events.post_unpinned, post)
        _record(post, by, PostAction.Action.UNPIN)
    return post


# Answering replies -----------------------------------------------------------


def post_answer_reply(
    *,
    creator: CreatorProfile,
    by: User,
    in_reply_to_uri: str,
    reply_author_handle: str,
    body: str,
    visibility: str = "public",
) -> Post:
    """Publish at once an answer to a remote reply, addressed to its author.

    Mastodon threads an answer under the reply by inReplyTo, but notifies
    the author only if they are mentioned, so the body names them: when it
    does not, "@user@domain " is put in front.
    """
    handle = normalise_handle(reply_author_handle)
    if handle is None:
        raise ValidationError(
            {"reply_author_handle": "Not an address like user@server."}
        )
    if not in_reply_to_uri.strip():
        raise ValidationError({"in_reply_to_uri": "Say which reply this answers."})
    body = body.strip()
    if handle not in render_post_body(body).mentions:
        body = f"@{handle} {body}"
    data = PostInput(
        body=body,
        visibility=visibility,
        in_reply_to_uri=in_reply_to_uri,
        extra_mentions=(handle,),
    )
    _require(can_answer_for, by, creator)
    with transaction.atomic():
        post = Post(creator=creator, author=by)
        _write(post, data)
        _require_content(post, post.body)
        _mark_published(post, now=timezone.now())
        _record(post, by, PostAction.Action.ANSWER)
        return post


# Helpers ---------------------------------------------------------------------


_REFUSALS = {
    "can_draft_for": "You may not write posts for this creator.",
    "can_publish_for": "You may not publish or schedule for this creator: "
    "send the post for approval instead.",
    "can_answer_for": "You may not answer replies for this creator.",
    "can_approve_posts_of": "Only the creator approves posts written for them.",
}


def _require(check, by: User, creator: CreatorProfile) -> None:
    if not check(by, creator):
        raise PermissionDenied(_REFUSALS[check.__name__])


def _require_writer_of(by: User, post: Post) -> None:
    """Drafts and posts waiting for approval need the draft scope; posts
    that are out or on their way out need the publish scope."""
    if post.state in UNSENT_STATES:
        _require(can_draft_for, by, post.creator)
    else:
        _require(can_publish_for, by, post.creator)


def _bump_version(post: Post) -> None:
    Post.objects.filter(pk=post.pk).update(version=F("version") + 1)
    post.version += 1


def _record(post: Post, by: User, action: str, detail: str = "") -> None:
    """Remember who last acted on the post; when it was someone at an agency,
    record it for the creator to read (and for the audit log)."""
    if post.pk is not None:
        Post.objects.filter(pk=post.pk).update(last_actor=by)
        post.last_actor = by
    creator = post.creator
    if by is None or creator.user_id == by.pk:
        return
    record_on_behalf(creator=creator, by=by, action=action, post=post, detail=detail)


def record_on_behalf(
    *,
    creator: CreatorProfile,
    by: User,
    action: str,
    post: Post | None = None,
    detail: str = "",
    audit: bool = True,
) -> PostAction:
    """Record something an agency member did for `creator`: shown on the
    post and in the creator's Team activity, and written to the audit log.

    moderation calls it too, for replies moderated by an agency member
    (audit=False: its own audit entries already say who did what).
    """
    agency = acting_agency(by, creator)
    label = ""
    if post is not None:
        words = " ".join(post.body.split())
        label = (words[:60] + "…") if len(words) > 60 else words
    entry = PostAction.objects.create(
        creator=creator,
        post=post if post is not None and post.pk else None,
        post_label=(label or "(images only)") if post is not None else "",
        by=by,
        by_label=by.get_full_name() or by.username,
        agency=agency,
        agency_label=agency.name if agency else "",
        action=action,
        detail=detail[:200],
    )
    if audit:
        events.acted_on_behalf.send(sender=PostAction, action=entry)
    return entry


def _locked(post: Post) -> Post:
    """A fresh copy of `post`, locked until the transaction ends."""
    return (
        Post.objects.select_for_update(of=("self",))
        .select_related("creator")
        .get(pk=post.pk)
    )


def _state_error(post: Post) -> ValidationError:
    messages = {
        Post.State.PUBLISHED: "This post is already published.",
        Post.State.DELETED: "This post was deleted.",
        Post.State.SCHEDULED: "This post is scheduled.",
        Post.State.DRAFT: "This post is a draft.",
    }
    return ValidationError({NON_FIELD_ERRORS: messages[post.state]})


def _mark_edited(post: Post) -> None:
    post.edited_at = timezone.now()
    post.save(update_fields=["edited_at", "updated_at"])
    _announce(events.post_edited, post)


def _announce(signal: Signal, post: Post) -> None:
    # Inside the change's transaction: receivers record the work it causes
    # (federation's outbox) in it, so both commit or neither does. A
    # receiver that fails fails the change.
    signal.send(sender=Post, post=post)
