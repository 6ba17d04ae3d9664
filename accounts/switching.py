"""The creator a person is working for right now, chosen in the header.

Someone who manages several creators (an agency member with access to
several, or a creator who also works at an agency) switches between them
without logging out. The choice lives in the session; a page whose URL
names a creator (/posts/@alice/) is about that creator whatever the
session says, and makes it the current one in the header.
"""

from django.db.models import Case, IntegerField, QuerySet, Value, When

from .models import CreatorProfile, User
from .permissions import creators_visible_to

SESSION_KEY = "current_creator"


def creators_managed_by(user: User) -> QuerySet[CreatorProfile]:
    """The creators the user may switch to: their own profile first."""
    return (
        creators_visible_to(user)
        .annotate(
            own=Case(
                When(user=user, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("own", "handle")
    )


def current_creator(request, choices=None, about=None) -> CreatorProfile | None:
    """The creator named by the URL (or `about`, the creator of the post or
    reply the URL names), else the one chosen in the session, else the
    user's own, else the first they may see; None for nobody."""
    user = request.user
    if not user.is_authenticated:
        return None
    choices = list(choices if choices is not None else creators_managed_by(user))
    if not choices:
        return None
    by_handle = {creator.handle: creator for creator in choices}
    match = getattr(request, "resolver_match", None)
    named = (match.kwargs.get("handle") if match else None) or ""
    named = named.lower()
    if named in by_handle:
        return by_handle[named]
    pages_about_one = match is not None and "pk" in match.kwargs
    if pages_about_one and about is not None and about.handle in by_handle:
        return by_handle[about.handle]
    chosen = request.session.get(SESSION_KEY, "")
    if chosen in by_handle:
        return by_handle[chosen]
    return choices[0]


def chosen_creator(request) -> CreatorProfile | None:
    """The creator chosen in the header's menu, if any and still visible."""
    chosen = request.session.get(SESSION_KEY, "")
    if not chosen or not request.user.is_authenticated:
        return None
    return creators_visible_to(request.user).filter(handle=chosen).first()


def switch_creator(request, handle: str) -> CreatorProfile | None:
    """Make `handle` the current creator, if the user may see them."""
    creator = creators_visible_to(request.user).filter(handle=handle.lower()).first()
    if creator is not None:
        request.session[SESSION_KEY] = creator.handle
    return creator
