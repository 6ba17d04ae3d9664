"""The landing page and the signed-in home page."""

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.shortcuts import redirect, render
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


@require_GET
def dashboard(request):
    """A creator's profile card and grants; each agency the user works for."""
    user = request.user
    creator = getattr(user, "creator", None)
    grants = []
    if creator is not None:
        grants = creator.agency_grants.active().select_related("agency")
    agencies = []
    for membership in user.agency_memberships.select_related("agency"):
        creators = permissions.creators_of_agency_visible_to(user, membership.agency)
        agencies.append({"membership": membership, "creators": list(creators)})
    context = {"creator": creator, "grants": grants, "agencies": agencies}
    return render(request, "accounts/dashboard.html", context)
