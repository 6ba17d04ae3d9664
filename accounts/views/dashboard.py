"""The landing page and the signed-in home page."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, Resolver404, resolve, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from accounts import permissions, switching


@login_not_required
@require_GET
def home(request):
    if request.user.is_authenticated:
        return redirect("dashboard")
    return render(
        request,
        "accounts/home.html",
        {"open_registrations": settings.OPEN_REGISTRATIONS},
    )


def _section_url(name: str) -> str:
    """A home section served by an app above this one (by URL name), or ""."""
    try:
        return reverse(name)
    except NoReverseMatch:
        return ""


@require_GET
def dashboard(request):
    """A creator's profile card, grants and week; each agency the user works
    for; an admin's moderation and queues. The sections reading other apps
    load from their own URLs (home-creator, home-admin)."""
    user = request.user
    creator = getattr(user, "creator", None)
    grants = []
    if creator is not None:
        grants = creator.agency_grants.active().select_related("agency")
    agencies = []
    for membership in user.agency_memberships.select_related("agency"):
        creators = permissions.creators_of_agency_visible_to(user, membership.agency)
        agencies.append({"membership": membership, "creators": list(creators)})
    is_admin = permissions.can_moderate(user)
    context = {
        "creator": creator,
        "grants": grants,
        "agencies": agencies,
        "is_admin": is_admin,
        "creator_home_url": _section_url("home-creator") if creator else "",
        "team_url": _section_url("posts:team-activity") if creator else "",
        "admin_home_url": _section_url("home-admin") if is_admin else "",
    }
    return render(request, "accounts/dashboard.html", context)


@require_POST
def switch_creator(request):
    """The header's creator menu: work for another creator from now on.

    Back to the page it was sent from; a page about one creator (its URL
    names a handle) opens as the same page of the new one.
    """
    creator = switching.switch_creator(request, request.POST.get("handle", ""))
    if creator is None:
        raise Http404("No such creator.")
    messages.success(request, f"Now working for {creator.name} (@{creator.handle}).")
    return redirect(_same_page_for(request, creator.handle))


def _same_page_for(request, handle: str) -> str:
    target = request.POST.get("next", "")
    if not target or not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return reverse("dashboard")
    path = target.split("?", 1)[0]
    try:
        match = resolve(path)
    except Resolver404:
        return reverse("dashboard")
    if "handle" not in match.kwargs:
        return target
    try:
        return reverse(match.view_name, kwargs={**match.kwargs, "handle": handle})
    except NoReverseMatch:
        return reverse("dashboard")
