"""A creator's own settings: profile, agency access and API tokens."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_http_methods, require_POST

from accounts import permissions, selectors, services
from accounts.forms import (
    AgencyScopesForm,
    ApiTokenForm,
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
    for grant in grants:
        grant.scopes_form = AgencyScopesForm(
            initial={"scopes": grant.scopes}, auto_id=f"id_grant{grant.pk}_%s"
        )
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
            scopes=form.cleaned_data["scopes"],
            granted_by=request.user,
        )
        messages.success(request, f"{agency.name} now has access to your data.")
        if not request.htmx:
            return redirect("agency_access")
        form = None
    context = _agency_access_context(creator, form)
    return _render_agency_access(request, context)


@require_POST
def agency_access_scopes(request, pk: int):
    """Change what one agency may do; it applies at once."""
    creator = _creator_or_404(request.user)
    access = permissions.get_own_agency_access_or_404(request.user, pk)
    form = AgencyScopesForm(request.POST)
    if form.is_valid() and access.is_active:
        access = services.change_agency_scopes(
            access=access, scopes=form.cleaned_data["scopes"], changed_by=request.user
        )
        allowed = ", ".join(access.scope_labels).lower() or "nothing"
        messages.success(request, f"{access.agency.name} may now: {allowed}.")
    else:
        messages.error(request, "Nothing changed: that access was taken back.")
    if not request.htmx:
        return redirect("agency_access")
    return _render_agency_access(request, _agency_access_context(creator))


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
    """List the user's API tokens; POST makes one and shows its secret once.

    The secret is in this one answer only (never stored, never redirected
    through the session); reloading the list does not show it again.
    """
    new_token = secret = None
    if request.method == "POST":
        form = ApiTokenForm(request.POST)
        if form.is_valid():
            try:
                new_token, secret = services.create_api_token(
                    user=request.user, **form.cleaned_data
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                form = ApiTokenForm()
    else:
        form = ApiTokenForm()
    context = {
        "form": form,
        "tokens": selectors.api_token_list_of(user=request.user),
        "revoked_tokens": selectors.api_token_revoked_list_of(user=request.user),
        "new_token": new_token,
        "secret": secret,
    }
    response = render(request, "accounts/api_token.html", context)
    if secret:
        # Keep the page holding the secret out of every cache.
        add_never_cache_headers(response)
    return response


@require_http_methods(["GET", "POST"])
def api_token_revoke(request, pk: int):
    """GET asks to confirm; POST revokes the token at once."""
    token = permissions.get_own_api_token_or_404(request.user, pk)
    if request.method == "POST":
        services.revoke_api_token(token=token)
        messages.success(
            request, f"“{token.name}” is revoked: anything using it gets 401 now."
        )
        return redirect("api_token")
    return render(request, "accounts/api_token_revoke.html", {"token": token})
