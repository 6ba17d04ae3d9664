"""Lookups and wording shared by the posts dashboard pages."""

import datetime
import zoneinfo

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from accounts import permissions
from accounts.models import CreatorProfile
from posts import selectors
from posts.models import Post


def get_post_or_404(user, pk: int, *, deleted: bool = False) -> Post:
    """A post of a creator the user may see, or 404.

    Deleted posts only when `deleted` (their page still shows how the
    deletion travelled); nothing can be done to them any more.
    """
    post = selectors.post_get_visible(user=user, pk=pk)
    if post.state == Post.State.DELETED and not deleted:
        raise Http404("That post was deleted.")
    return post


def require_post_manager(user, creator: CreatorProfile) -> None:
    """403 for someone who may read this creator's posts but not change them.

    The creator is visible to them already (lookups 404 otherwise), so a
    403 leaks nothing and tells an analyst why the page is closed.
    """
    if not permissions.can_draft_for(user, creator):
        raise PermissionDenied("Only the creator and the people they allowed may.")


def writing_context(user, creator: CreatorProfile) -> dict:
    """Which buttons a writer sees: the creator and publishers put posts
    out; writers at an agency send them for approval (publishers may too)."""
    is_own = creator.user_id == user.pk
    return {
        "can_publish": permissions.can_publish_for(user, creator),
        "can_submit": not is_own and permissions.can_draft_for(user, creator),
        "can_approve": permissions.can_approve_posts_of(user, creator),
    }


def person_words(person, creator: CreatorProfile, *, viewer) -> str:
    """ "you", "@alice" or "sam at Northwind": who did something to a post."""
    if person is None:
        return ""
    if person.pk == viewer.pk:
        return "you"
    if person.pk == creator.user_id:
        return f"@{creator.handle}"
    name = person.get_full_name() or person.username
    agency = permissions.acting_agency(person, creator)
    return f"{name} at {agency.name}" if agency else name


def zone_of(creator: CreatorProfile) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(creator.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def today_of(creator: CreatorProfile) -> datetime.date:
    return timezone.now().astimezone(zone_of(creator)).date()


def when_in_words(moment: datetime.datetime | None, time_zone) -> str:
    """ "Tue 3 Dec, 14:05" on the clocks of `time_zone` (year if not this one)."""
    if moment is None:
        return ""
    zone = (
        time_zone
        if isinstance(time_zone, zoneinfo.ZoneInfo)
        else zoneinfo.ZoneInfo(time_zone)
    )
    local = moment.astimezone(zone)
    this_year = timezone.now().astimezone(zone).year
    day = f"{local:%a} {local.day} {local:%b}"
    if local.year != this_year:
        day += f" {local.year}"
    return f"{day}, {local:%H:%M}"


def duration_in_words(duration: datetime.timedelta | None) -> str:
    """ "14 min", "2 h 5 min", "3 days 2 h": how long, roughly, for people."""
    if duration is None:
        return ""
    minutes = int(abs(duration).total_seconds() // 60)
    if minutes < 1:
        return "less than a minute"
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        text = f"{days} day{'s' if days != 1 else ''}"
        return f"{text} {hours} h" if hours else text
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{minutes} min"


def relative_in_words(moment: datetime.datetime | None) -> str:
    """ "in 3 h", "5 min ago": how far `moment` is from now."""
    if moment is None:
        return ""
    delta = moment - timezone.now()
    if abs(delta) < datetime.timedelta(minutes=1):
        return "now"
    words = duration_in_words(delta)
    return f"in {words}" if delta.total_seconds() > 0 else f"{words} ago"


def schedule_in_words(post: Post) -> str:
    """ "Scheduled for Tue 3 Dec, 14:05 (Europe/Paris)"."""
    zone = post.creator.time_zone
    return f"Scheduled for {when_in_words(post.scheduled_at, zone)} ({zone})"


def delivery_url(post: Post) -> str:
    """The delivery-progress fragment of `post`, or "" while it does not exist.

    The federation app serves it; the posts pages only embed it.
    """
    for name in ("federation:post-delivery", "post-delivery"):
        try:
            return reverse(name, kwargs={"pk": post.pk})
        except NoReverseMatch:
            continue
    return ""


def safe_next(request) -> str:
    """The `next` page the request names, if it is one of ours, else ""."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target,
        allowed_hosts={request.get_host()},
        require_https=request.is_secure(),
    ):
        return target
    return ""


def redirect_back(request, fallback: str):
    """To the page the form came from (`next`), if it is one of ours."""
    return redirect(safe_next(request) or fallback)
