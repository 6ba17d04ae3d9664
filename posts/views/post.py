"""One post: its page, and the buttons that move it along."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import permissions
from posts import quotes, services
from posts.forms import ScheduleForm
from posts.models import Post
from posts.views.common import (
    delivery_url,
    get_post_or_404,
    person_words,
    redirect_back,
    require_post_manager,
    safe_next,
    schedule_in_words,
    when_in_words,
    writing_context,
    zone_of,
)


@require_GET
def post_detail(request, pk: int):
    """The post as readers see it, its state and times, and its delivery."""
    post = get_post_or_404(request.user, pk, deleted=True)
    creator = post.creator
    reschedule_form = None
    if post.state == Post.State.SCHEDULED:
        local = post.scheduled_at.astimezone(zone_of(creator))
        reschedule_form = ScheduleForm(
            time_zone=creator.time_zone,
            initial={
                "schedule_date": local.date(),
                "schedule_time": local.strftime("%H:%M"),
            },
        )
    media = list(post.media.all())
    team_actions = list(
        post.team_actions.select_related("creator").order_by("-created_at", "-pk")[:20]
    )
    viewer = request.user
    context = {
        "post": post,
        "creator": creator,
        "media": media,
        "missing_alt": sum(1 for m in media if not m.alt_text.strip()),
        "can_manage": permissions.can_draft_for(request.user, creator),
        **writing_context(request.user, creator),
        "team_actions": team_actions,
        "on_behalf_words": (
            f"{team_actions[0].in_words}, "
            f"{when_in_words(team_actions[0].created_at, creator.time_zone)}"
            if team_actions
            else ""
        ),
        "author_words": person_words(post.author, creator, viewer=viewer),
        "last_actor_words": person_words(post.last_actor, creator, viewer=viewer),
        "requested_by_words": person_words(
            post.approval_requested_by, creator, viewer=viewer
        )
        or "someone",
        "changed_since_sent": post.state == Post.State.PENDING_APPROVAL
        and post.approval_version != post.version,
        "is_own": creator.user_id == request.user.pk,
        "time_zone": creator.time_zone,
        "delivery_url": delivery_url(post)
        if post.state in (Post.State.PUBLISHED, Post.State.DELETED)
        else "",
        "reschedule_form": reschedule_form,
        "quote_requests": quotes.quote_requests_of(post)
        if post.state == Post.State.PUBLISHED
        else [],
    }
    return render(request, "posts/detail.html", context)


def _managed_post(request, pk: int) -> Post:
    post = get_post_or_404(request.user, pk)
    require_post_manager(request.user, post.creator)
    return post


def _detail(post: Post) -> str:
    return reverse("posts:detail", kwargs={"pk": post.pk})


def _failed(request, post: Post, exc: ValidationError, what: str):
    messages.error(request, f"{what}: {' '.join(exc.messages)}")
    return redirect_back(request, _detail(post))


@require_POST
def post_publish_now(request, pk: int):
    post = _managed_post(request, pk)
    if post.state == Post.State.PUBLISHED:
        messages.info(request, "This post is already out.")
        return redirect_back(request, _detail(post))
    try:
        post = services.post_publish(post=post, by=request.user)
    except ValidationError as exc:
        return _failed(request, post, exc, "It was not published")
    messages.success(request, "Published. It is on its way to your followers.")
    return redirect(_detail(post))


@require_POST
def post_reschedule(request, pk: int):
    """Schedule a draft, or move a scheduled post to another time."""
    post = _managed_post(request, pk)
    form = ScheduleForm(request.POST, time_zone=post.creator.time_zone)
    if not form.is_valid():
        errors = [e for field_errors in form.errors.values() for e in field_errors]
        messages.error(request, "It was not scheduled: " + " ".join(errors))
        return redirect_back(request, _detail(post))
    try:
        post = services.post_schedule(
            post=post, by=request.user, publish_at=form.cleaned_data["publish_at"]
        )
    except ValidationError as exc:
        return _failed(request, post, exc, "It was not scheduled")
    messages.success(request, f"{schedule_in_words(post)}.")
    return redirect_back(request, _detail(post))


@require_POST
def post_unschedule(request, pk: int):
    """Cancel a scheduled post: it goes back to the drafts."""
    post = _managed_post(request, pk)
    try:
        services.post_unschedule(post=post, by=request.user)
    except ValidationError as exc:
        return _failed(request, post, exc, "It is still scheduled")
    messages.success(request, "Unscheduled: the post is a draft again.")
    return redirect_back(request, _detail(post))


@require_POST
def post_pin(request, pk: int):
    post = _managed_post(request, pk)
    try:
        services.post_pin(post=post, by=request.user)
    except ValidationError as exc:
        return _failed(request, post, exc, "It was not pinned")
    messages.success(request, "Pinned to your profile.")
    return redirect_back(request, _detail(post))


@require_POST
def post_unpin(request, pk: int):
    post = _managed_post(request, pk)
    try:
        services.post_unpin(post=post, by=request.user)
    except ValidationError as exc:
        return _failed(request, post, exc, "It is still pinned")
    messages.success(request, "Unpinned from your profile.")
    return redirect_back(request, _detail(post))


@require_http_methods(["GET", "POST"])
def post_delete(request, pk: int):
    """Ask first; then delete (published posts are withdrawn from servers)."""
    post = _managed_post(request, pk)
    if request.method == "GET":
        context = {
            "post": post,
            "creator": post.creator,
            "time_zone": post.creator.time_zone,
            "next": safe_next(request),
        }
        return render(request, "posts/delete.html", context)
    was_published = post.state == Post.State.PUBLISHED
    handle = post.creator.handle
    try:
        services.post_delete(post=post, by=request.user)
    except ValidationError as exc:
        return _failed(request, post, exc, "It was not deleted")
    if was_published:
        messages.success(
            request,
            "Deleted. Servers that have a copy are being asked to remove it.",
        )
        # Its page still shows how the deletion travels.
        return redirect(_detail(post))
    messages.success(request, "Deleted.")
    return redirect("posts:queue", handle=handle)


# Approval ----------------------------------------------------------------------


@require_POST
def post_submit(request, pk: int):
    """Send a draft (or a post sent back) to the creator for approval."""
    post = _managed_post(request, pk)
    try:
        post = services.post_submit_for_approval(
            post=post, by=request.user, publish_at=post.scheduled_at
        )
    except ValidationError as exc:
        return _failed(request, post, exc, "It was not sent for approval")
    messages.success(request, f"Sent to @{post.creator.handle} for approval.")
    return redirect(_detail(post))


@require_POST
def post_approve(request, pk: int):
    """The creator approves the version they were shown (`version`)."""
    post = get_post_or_404(request.user, pk)
    if not permissions.can_approve_posts_of(request.user, post.creator):
        raise PermissionDenied("Only the creator approves posts written for them.")
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        version = -1
    try:
        post = services.post_approve(post=post, by=request.user, version=version)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(f"{_detail(post)}#approval")
    if post.state == Post.State.SCHEDULED:
        messages.success(request, f"Approved. {schedule_in_words(post)}.")
    else:
        messages.success(request, "Approved and published. It is on its way.")
    return redirect(_detail(post))


@require_POST
def post_send_back(request, pk: int):
    """The creator returns a post to its writer with a comment."""
    post = get_post_or_404(request.user, pk)
    if not permissions.can_approve_posts_of(request.user, post.creator):
        raise PermissionDenied("Only the creator sends back posts written for them.")
    try:
        services.post_send_back(
            post=post, by=request.user, comment=request.POST.get("comment", "")
        )
    except ValidationError as exc:
        return _failed(request, post, exc, "It was not sent back")
    messages.success(request, "Sent back with your comment. It is a draft again.")
    return redirect(_detail(post))
