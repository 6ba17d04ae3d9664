"""Per-request account security: sessions' "last seen", and two-factor
sign-in where it is required."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from . import login_sessions, two_factor

# Pages a user who must set up two-factor sign-in may still open.
TWO_FACTOR_SETUP_PAGES = {
    "security",
    "two_factor_setup",
    "two_factor_recovery_codes",
    "logout",
}


class LoginSessionMiddleware:
    """Keeps the LoginSession row of a logged-in session up to date
    (accounts.login_sessions): no query on most requests."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated and hasattr(request, "session"):
            login_sessions.login_session_touch(request=request)
        return self.get_response(request)


class TwoFactorRequiredMiddleware:
    """Sends admins and agency members without two-factor sign-in to set it
    up, when CREATORHUB_REQUIRE_TWO_FACTOR_FOR_STAFF is on.

    Pages open to anyone (login_not_required: public profiles, ActivityPub,
    the log-in pages; the API, which DRF exempts) stay open. API tokens are
    credentials of their own and are not affected.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = request.user
        if not user.is_authenticated:
            return None
        if not getattr(view_func, "login_required", True):
            return None
        match = request.resolver_match
        if match is not None and match.url_name in TWO_FACTOR_SETUP_PAGES:
            return None
        if not two_factor.two_factor_required(user):
            return None
        if two_factor.has_two_factor(user):
            return None
        setup_url = reverse("two_factor_setup")
        if getattr(request, "htmx", False):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = setup_url
            return response
        messages.warning(
            request,
            "This server asks admins and agency members to use two-factor "
            "sign-in. Set it up to continue.",
        )
        return redirect(setup_url)
