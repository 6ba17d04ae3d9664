"""Writing a post: the compose/edit form, its live preview and the count."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from accounts import permissions
from posts import rendering, services
from posts.forms import PostForm, default_language, media_formset
from posts.models import Post
from posts.views.common import (
    get_post_or_404,
    require_post_manager,
    schedule_in_words,
    writing_context,
)

# Service error keys that belong to a field of PostForm under another name.
_POST_FIELD_FOR = {"publish_at": "schedule_date", "scheduled_at": "schedule_date"}
# ... and to a field of one image slot.
_MEDIA_FIELD_FOR = {
    "upload": "file",
    "file": "file",
    "alt_text": "alt_text",
    "focal_point": "focal_x",
}


@require_http_methods(["GET", "POST"])
def post_compose(request, handle: str):
    """A new post for the creator `handle`."""
    creator = permissions.get_visible_creator_or_404(request.user, handle)
    require_post_manager(request.user, creator)
    return _compose(request, creator=creator, post=None)


@require_http_methods(["GET", "POST"])
def post_edit(request, pk: int):
    post = get_post_or_404(request.user, pk)
    require_post_manager(request.user, post.creator)
    return _compose(request, creator=post.creator, post=post)


@require_POST
def post_preview(request, handle: str):
    """The post as readers will see it, and its character count (htmx)."""
    creator = permissions.get_visible_creator_or_404(request.user, handle)
    require_post_manager(request.user, creator)
    body = request.POST.get("body", "")
    summary = request.POST.get("summary", "") if request.POST.get("has_warning") else ""
    context = {
        "creator": creator,
        "preview": _preview(body=body, summary=summary),
        # A content warning hides the images too (posts.services does so).
        "sensitive": bool(request.POST.get("sensitive") or summary.strip()),
        "visibility": request.POST.get("visibility", Post.Visibility.PUBLIC),
        "oob": True,
    }
    return render(request, "posts/partials/preview.html", context)


def _preview(*, body: str, summary: str) -> dict:
    used = rendering.count_characters(body) + rendering.count_characters(summary)
    limit = rendering.POST_MAX_CHARACTERS
    return {
        "html": rendering.render_post_body(body).html if body.strip() else "",
        "summary": summary.strip(),
        "used": used,
        "limit": limit,
        "left": limit - used,
        "over": used > limit,
    }


def _compose(request, *, creator, post: Post | None):
    zone = creator.time_zone
    data = request.POST if request.method == "POST" else None
    files = request.FILES if request.method == "POST" else None
    language = default_language(
        creator=creator, accept_language=request.headers.get("Accept-Language", "")
    )
    form = PostForm(data, time_zone=zone, post=post, language=language, creator=creator)
    media = media_formset(post, data, files)
    if (
        request.method == "POST"
        and request.POST.get("action") in ("publish", "schedule")
        and not permissions.can_publish_for(request.user, creator)
    ):
        # Refused before anything is saved: nothing goes out, nothing changes.
        raise PermissionDenied(
            "You may not publish or schedule for this creator: send the post "
            "for approval instead."
        )
    if (
        request.method == "POST"
        and _valid(form, media)
        and _not_empty(form, media, post)
    ):
        action = form.cleaned_data["action"]
        try:
            post = _save(request, creator=creator, post=post, form=form, media=media)
        except ValidationError as exc:
            _show_errors(form, media, exc)
            messages.error(request, "Nothing was saved: see the notes below.")
        else:
            _nudge_alt_text(request, post)
            try:
                response = _carry_out(
                    request,
                    post=post,
                    action=action,
                    publish_at=form.cleaned_data.get("publish_at"),
                )
            except ValidationError as exc:
                # The text and images are safe in a draft; only the step
                # after saving failed. Show the form of the saved post.
                post.refresh_from_db()
                form = PostForm(
                    data, time_zone=zone, post=post, language=language, creator=creator
                )
                form.is_valid()
                _show_errors(form, None, exc)
                media = media_formset(post)
                what = {
                    "publish": "published",
                    "approval": "sent for approval",
                }.get(action, "scheduled")
                state = post.get_state_display().lower()
                messages.error(
                    request,
                    f"Your changes are saved (the post is a {state}), but it "
                    f"was not {what}: see the notes below.",
                )
            else:
                return response
    elif request.method == "POST":
        messages.error(request, "Nothing was saved: see the notes below.")
    preview = _preview(
        body=form["body"].value() or "",
        summary=(form["summary"].value() or "") if form["has_warning"].value() else "",
    )
    context = {
        "creator": creator,
        "post": post,
        "form": form,
        "media": media,
        "preview": preview,
        "visibility": form["visibility"].value(),
        "sensitive": bool(form["sensitive"].value() or preview["summary"]),
        "time_zone": zone,
        "can_manage": True,
        **writing_context(request.user, creator),
    }
    # Errors or not, 200 as Django's FormView answers: the notes on the page
    # say what is wrong, and a 400 would be logged as a failed load.
    return render(request, "posts/compose.html", context)


def _valid(form, media) -> bool:
    # Both, always: each shows its own errors.
    form_ok = form.is_valid()
    media_ok = media.is_valid()
    return form_ok and media_ok


def _not_empty(form, media, post: Post | None) -> bool:
    """False, with the reason on the body, for a post with neither words nor
    images that would be created, published or scheduled: nothing is saved.
    (An existing draft may be emptied and kept as a draft.)"""
    if form.cleaned_data["body"].strip() or media.images_kept():
        return True
    if post is not None and form.cleaned_data["action"] == "draft":
        return True
    form.add_error("body", services.EMPTY_POST)
    return False


@transaction.atomic
def _save(request, *, creator, post: Post | None, form, media) -> Post:
    """Store the text and the images; returns the (new) post."""
    data = services.PostInput(**form.post_fields())
    by = request.user
    if post is not None and post.state == Post.State.PUBLISHED:
        # Images first, so the one Update servers get carries them.
        _save_media(post=post, by=by, media=media)
        return services.post_edit(post=post, by=by, data=data)
    post = services.post_save_draft(
        creator=creator, by=by, data=data, post=post, images_to_come=media.images_kept()
    )
    _save_media(post=post, by=by, media=media)
    return post


def _save_media(*, post: Post, by, media) -> None:
    for index, slot in enumerate(media.forms):
        cleaned = slot.cleaned_data
        if not cleaned:
            continue
        try:
            existing = slot.media_obj
            if existing is not None:
                if cleaned["remove"]:
                    services.post_remove_media(media=existing, by=by)
                elif (
                    cleaned["alt_text"] != existing.alt_text
                    or _focal(existing) != cleaned["focal_point"]
                ):
                    services.post_describe_media(
                        media=existing,
                        by=by,
                        alt_text=cleaned["alt_text"],
                        focal_point=cleaned["focal_point"],
                    )
            elif slot.is_new_upload and not cleaned["remove"]:
                services.post_attach_media(
                    post=post,
                    by=by,
                    upload=cleaned["file"],
                    alt_text=cleaned["alt_text"],
                    focal_point=cleaned["focal_point"],
                )
        except ValidationError as exc:
            raise SlotError(index, exc) from exc


class SlotError(ValidationError):
    """A service refused what one image slot asked for."""

    def __init__(self, index: int, error: ValidationError):
        super().__init__(error.messages)
        self.index = index
        self.error = error


def _focal(media) -> tuple | None:
    if media.focal_x is None or media.focal_y is None:
        return None
    return (media.focal_x, media.focal_y)


def _show_errors(form, media, exc: ValidationError) -> None:
    if isinstance(exc, SlotError) and media is not None:
        _show_media_errors(media.forms[exc.index], exc.error)
        return
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for key, errors in exc.error_dict.items():
        name = _POST_FIELD_FOR.get(key, key)
        form.add_error(name if name in form.fields else None, errors)


def _show_media_errors(slot, exc: ValidationError) -> None:
    # An attached image shows no file input: its file errors go on top.
    attached = slot.media_obj is not None
    if not hasattr(exc, "error_dict"):
        slot.add_error(None if attached else "file", exc.messages)
        return
    for key, errors in exc.error_dict.items():
        name = _MEDIA_FIELD_FOR.get(key)
        if name == "file" and attached:
            name = None
        slot.add_error(name, errors)


def _carry_out(request, *, post: Post, action: str, publish_at):
    """Publish, schedule or just keep the saved post; the next page."""
    by = request.user
    if action == "publish" and post.state != Post.State.PUBLISHED:
        post = services.post_publish(post=post, by=by)
        messages.success(request, "Published. It is on its way to your followers.")
        return redirect("posts:detail", pk=post.pk)
    if action == "schedule":
        post = services.post_schedule(post=post, by=by, publish_at=publish_at)
        messages.success(request, f"{schedule_in_words(post)}.")
        return redirect("posts:queue", handle=post.creator.handle)
    if action == "approval":
        post = services.post_submit_for_approval(
            post=post, by=by, publish_at=publish_at
        )
        messages.success(
            request,
            f"Sent to @{post.creator.handle} for approval. They are told in "
            "their dashboard and by e-mail.",
        )
        return redirect("posts:detail", pk=post.pk)
    if post.state == Post.State.PUBLISHED:
        messages.success(request, "Changes saved. Servers that have it get the update.")
        return redirect("posts:detail", pk=post.pk)
    if post.state == Post.State.SCHEDULED:
        messages.success(request, f"Changes saved. {schedule_in_words(post)}.")
        return redirect("posts:queue", handle=post.creator.handle)
    messages.success(request, "Draft saved.")
    return redirect(reverse("posts:edit", kwargs={"pk": post.pk}))


def _nudge_alt_text(request, post: Post) -> None:
    missing = sum(1 for m in post.media.all() if not m.alt_text.strip())
    if missing:
        images = "image has" if missing == 1 else "images have"
        messages.warning(
            request,
            f"{missing} {images} no description. People using screen readers "
            "will not know what is in it: add alt text.",
        )
