"""A creator's own settings: profile, agency access and the API token."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST
from rest_framework.authtoken.models import Token

from accounts import permissions, services
from accounts.forms import (
    GrantAccessForm,
    ProfileForm,
    add_service_errors,
    profile_link_formset,
)


def _creator_or_404(user):
    creator = getattr(user, "creator", None)
    if creator is None:
        raise Http404("Only creators have a profile.")
    return creator


@require_http_methods(["GET", "POST"])
def profile_settings(request):
    creator = _creator_or_404(request.user)
    if request.method == "POST":
        form = ProfileForm(request.POST, request.FILES, creator=creator)
        links = profile_link_formset(creator, request.POST)
        if form.is_valid() and links.is_valid():
            try:
                services.update_creator_profile(
                    creator=creator,
                    links=links.links(),
                    avatar=form.cleaned_data["avatar"],
                    header=form.cleaned_data["header"],
                    remove_avatar=form.cleaned_data["remove_avatar"],
                    remove_header=form.cleaned_data["remove_header"],
                    **form.profile_fields(),
                )
            except ValidationError as exc:
                # The service left the instance half-changed; show what is
                # stored, next to what was typed.
                creator.refresh_from_db()
                add_service_errors(form, exc)
            else:
                messages.success(request, "Your profile is saved.")
                return redirect("profile_settings")
        messages.error(request, "Your profile was not saved: see the notes below.")
    else:
        form = ProfileForm(creator=creator)
        links = profile_link_formset(creator)
    return render(
        request,
        "accounts/profile_settings.html",
        {"creator": creator, "form": form, "links": links},
    )


def _agency_access_context(creator, form=None):
    grants = list(creator.agency_grants.select_related("agency"))
    return {
        "creator": creator,
        "form": form or GrantAccessForm(),
        "active_grants": [g for g in grants if g.is_active],
        "revoked_grants": [g for g in grants if not g.is_active],
    }


def _render_agency_access(request, context, status=200):
    template = "accounts/agency_access.html"
    if request.htmx:
        template += "#grants"
    return render(request, template, context, status=status)


@require_http_methods(["GET", "POST"])
def agency_access(request):
    """List grants; POST grants an agency access by its short name."""
    creator = _creator_or_404(request.user)
    form = GrantAccessForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        agency = form.cleaned_data["agency"]
        services.grant_agency_access(
            creator=creator,
            agency=agency,
            allow_post_management=form.cleaned_data["allow_post_management"],
            granted_by=request.user,
        )
        messages.success(request, f"{agency.name} now has access to your data.")
        if not request.htmx:
            return redirect("agency_access")
        form = None
    context = _agency_access_context(creator, form)
    return _render_agency_access(request, context)


@require_POST
def revoke_agency_access(request, pk: int):
    creator = _creator_or_404(request.user)
    access = permissions.get_own_agency_access_or_404(request.user, pk)
    services.revoke_agency_access(access=access, revoked_by=request.user)
    messages.success(
        request, f"{access.agency.name} no longer has access to your data."
    )
    if not request.htmx:
        return redirect("agency_access")
    return _render_agency_access(request, _agency_access_context(creator))


@require_http_methods(["GET", "POST"])
def api_token(request):
    """Create, regenerate or revoke the user's API token."""
    new_key = None
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "create":
            new_key = services.create_api_token(user=request.user).key
            messages.success(
                request, "Your new token is below. Copy it now: it is shown only once."
            )
        elif action == "revoke":
            services.revoke_api_token(user=request.user)
            messages.success(request, "Your API token is revoked.")
            return redirect("api_token")
        else:
            messages.error(request, "Nothing was changed.")
    token = Token.objects.filter(user=request.user).first()
    return render(
        request, "accounts/api_token.html", {"token": token, "new_key": new_key}
    )
