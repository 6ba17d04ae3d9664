"""The Security page: two-factor sign-in and where the user is logged in.

Open to every user, creators or not. Setting up shows a QR code (inline
SVG, drawn on the server) and the secret as text, asks for the app's first
code, then shows ten recovery codes once.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import login_sessions, two_factor
from accounts.security_forms import TotpConfirmForm, TwoFactorCodeForm

# The recovery codes just made, kept in the session until the page showing
# them is opened once.
NEW_RECOVERY_CODES_KEY = "two_factor_new_recovery_codes"


def _security_context(request, **overrides) -> dict:
    user = request.user
    enabled = two_factor.has_two_factor(user)
    context = {
        "two_factor_on": enabled,
        "two_factor_required": two_factor.two_factor_required(user),
        "recovery_codes_left": two_factor.recovery_codes_left(user) if enabled else 0,
        "sessions": login_sessions.login_session_list(user=user, request=request),
        "disable_form": TwoFactorCodeForm(prefix="off"),
        "codes_form": TwoFactorCodeForm(prefix="codes"),
    }
    context.update(overrides)
    return context


@never_cache
@require_GET
def security(request):
    return render(request, "accounts/security.html", _security_context(request))


@never_cache
@sensitive_post_parameters("code")
@require_http_methods(["GET", "POST"])
def two_factor_setup(request):
    """Add an authenticator app: QR code and secret, then its first code."""
    if two_factor.has_two_factor(request.user):
        messages.info(request, "Two-factor sign-in is on already.")
        return redirect("security")
    device = two_factor.totp_setup_device(user=request.user)
    form = TotpConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = two_factor.totp_setup_confirm(
                user=request.user, code=form.cleaned_data["code"]
            )
        except ValidationError as exc:
            form.add_error("code", exc)
        else:
            request.session[NEW_RECOVERY_CODES_KEY] = codes
            messages.success(
                request,
                "Two-factor sign-in is on. From now on, log-in asks for a "
                "code from your app after your password.",
            )
            return redirect("two_factor_recovery_codes")
    context = {
        "form": form,
        "qr_svg": two_factor.otpauth_qr_svg(device),
        "secret": two_factor.totp_secret_text(device),
        "required": two_factor.two_factor_required(request.user),
    }
    # A form with errors is shown again with 200, as Django's FormView does:
    # the page says what is wrong, and the browser logs no failed request.
    return render(request, "accounts/two_factor_setup.html", context)


@never_cache
@sensitive_post_parameters("codes-code")
@require_http_methods(["GET", "POST"])
def two_factor_recovery_codes(request):
    """GET: the recovery codes just made, once. POST: make new ones, which
    asks for a current code."""
    if request.method == "POST":
        form = TwoFactorCodeForm(request.POST, prefix="codes")
        if form.is_valid():
            try:
                two_factor.two_factor_verify(
                    user=request.user, code=form.cleaned_data["code"]
                )
            except ValidationError as exc:
                form.add_error("code", exc)
            else:
                codes = two_factor.recovery_codes_generate(user=request.user)
                request.session[NEW_RECOVERY_CODES_KEY] = codes
                messages.success(
                    request,
                    "New recovery codes are ready; the old ones no longer work.",
                )
                return redirect("two_factor_recovery_codes")
        context = _security_context(request, codes_form=form)
        return render(request, "accounts/security.html", context)
    codes = request.session.pop(NEW_RECOVERY_CODES_KEY, None)
    if not codes:
        messages.info(
            request,
            "Recovery codes are shown only once, when they are made. Make new "
            "ones below if you lost them.",
        )
        return redirect("security")
    shown = [two_factor.format_recovery_code(code) for code in codes]
    return render(
        request,
        "accounts/recovery_codes.html",
        {"codes": shown, "codes_text": "\n".join(shown) + "\n"},
    )


@sensitive_post_parameters("off-code")
@require_POST
def two_factor_disable(request):
    """Turn two-factor sign-in off, with a current code."""
    form = TwoFactorCodeForm(request.POST, prefix="off")
    if form.is_valid():
        try:
            two_factor.two_factor_disable(
                user=request.user, code=form.cleaned_data["code"]
            )
        except ValidationError as exc:
            form.add_error("code", exc)
        else:
            messages.success(
                request,
                "Two-factor sign-in is off: log-in asks for your password only.",
            )
            return redirect("security")
    context = _security_context(request, disable_form=form)
    return render(request, "accounts/security.html", context)


@require_POST
def sessions_end_others(request):
    ended = login_sessions.login_sessions_end_others(user=request.user, request=request)
    if ended:
        noun = "browser" if ended == 1 else "browsers"
        messages.success(request, f"Logged out of {ended} other {noun}.")
    else:
        messages.info(request, "You were not logged in anywhere else.")
    return redirect("security")
