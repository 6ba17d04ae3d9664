"""The landing page and the signed-in home page."""

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_GET

from accounts import permissions


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
        "admin_home_url": _section_url("home-admin") if is_admin else "",
    }
    return render(request, "accounts/dashboard.html", context)
