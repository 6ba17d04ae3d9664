"""Agency pages: the team, and the creators who granted it access."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import (
    require_GET,
    require_http_methods,
    require_POST,
)
from django_htmx.http import HttpResponseClientRedirect

from accounts import permissions, services
from accounts.forms import (
    AgencyCreateForm,
    MemberAddForm,
    MemberRoleForm,
    add_service_errors,
)
from accounts.models import AgencyAccess, AgencyRole


@require_http_methods(["GET", "POST"])
def agency_create(request):
    form = AgencyCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            agency = services.create_agency(
                name=form.cleaned_data["agency_name"], owner=request.user
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                f"{agency.name} is ready. Creators grant it access with the "
                f"short name “{agency.slug}”.",
            )
            return redirect(agency)
    return render(request, "accounts/agency_create.html", {"form": form})


def _detail_context(request, agency, add_form=None):
    user = request.user
    role = permissions.role_in_agency(user, agency)
    visible = permissions.creators_of_agency_visible_to(user, agency)
    grants = (
        AgencyAccess.objects.active()
        .filter(agency=agency, creator__in=visible)
        .select_related("creator")
        .order_by("creator__handle")
    )
    return {
        "agency": agency,
        "role": role,
        "role_label": AgencyRole(role).label if role else "",
        "is_owner": role == AgencyRole.OWNER,
        "grants": grants,
        "memberships": agency.memberships.select_related("user").order_by(
            "user__username"
        ),
        "role_choices": AgencyRole.choices,
        "add_form": add_form or MemberAddForm(),
    }


def _render_members(request, agency, add_form=None):
    """The members section after a change: a fragment for htmx, else a redirect."""
    if not request.htmx:
        return redirect(agency)
    context = _detail_context(request, agency, add_form)
    return render(request, "accounts/agency_detail.html#members", context)


@require_GET
def agency_detail(request, slug: str):
    agency = permissions.get_agency_for_member_or_404(request.user, slug)
    return render(
        request, "accounts/agency_detail.html", _detail_context(request, agency)
    )


@require_POST
def agency_member_add(request, slug: str):
    agency = permissions.get_agency_for_member_or_404(request.user, slug)
    form = MemberAddForm(request.POST)
    if form.is_valid():
        try:
            membership = services.add_agency_member(
                agency=agency,
                username_or_email=form.cleaned_data["username_or_email"],
                role=form.cleaned_data["role"],
                added_by=request.user,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                f"{membership.user.username} joined as "
                f"{membership.get_role_display().lower()}.",
            )
            return _render_members(request, agency)
    if request.htmx:
        return _render_members(request, agency, add_form=form)
    context = _detail_context(request, agency, add_form=form)
    return render(request, "accounts/agency_detail.html", context)


@require_POST
def agency_member_update(request, pk: int):
    membership = permissions.get_membership_for_member_or_404(request.user, pk)
    agency = membership.agency
    form = MemberRoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose owner, manager or analyst.")
        return _render_members(request, agency)
    try:
        services.change_agency_member_role(
            membership=membership,
            role=form.cleaned_data["role"],
            changed_by=request.user,
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            f"{membership.user.username} is now "
            f"{membership.get_role_display().lower()}.",
        )
    return _render_members(request, agency)


@require_POST
def agency_member_remove(request, pk: int):
    membership = permissions.get_membership_for_member_or_404(request.user, pk)
    agency = membership.agency
    try:
        services.remove_agency_member(membership=membership, removed_by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return _render_members(request, agency)
    if membership.user_id == request.user.pk:
        messages.success(request, f"You left {agency.name}.")
        if request.htmx:
            return HttpResponseClientRedirect(reverse("dashboard"))
        return redirect("dashboard")
    messages.success(
        request, f"{membership.user.username} was removed from {agency.name}."
    )
    return _render_members(request, agency)


@require_GET
def agency_creator(request, slug: str, handle: str):
    """A creator's profile as an agency that has their consent sees it."""
    agency = permissions.get_agency_for_member_or_404(request.user, slug)
    creator = permissions.get_agency_creator_or_404(request.user, agency, handle)
    grant = AgencyAccess.objects.active().get(agency=agency, creator=creator)
    context = {
        "agency": agency,
        "creator": creator,
        "grant": grant,
        "links": creator.links.all(),
    }
    return render(request, "accounts/agency_creator.html", context)
