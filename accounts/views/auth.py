"""Sign-up, log-in and password pages: what an anonymous visitor sees.

Log-in takes two steps for users with two-factor sign-in: the password
(LoginView), then a code (login_two_factor). Between them the session holds
only who passed the password, for TWO_FACTOR_PENDING_SECONDS; Django's
login() runs after the code, so nothing is reachable before it.
"""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME, login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods

from accounts import login_sessions, services, throttle, two_factor
from accounts.forms import AgencySignUpForm, CreatorSignUpForm, add_service_errors
from accounts.models import User
from accounts.security_forms import TwoFactorCodeForm

SIGN_UP_FORMS = {"creator": CreatorSignUpForm, "agency": AgencySignUpForm}


TWO_FACTOR_PENDING_KEY = "two_factor_login"
# How long the code step waits after the password, and how many wrong codes
# it takes before the password is asked again (each also counts as a failed
# log-in towards the lock-out).
TWO_FACTOR_PENDING_SECONDS = 300
TWO_FACTOR_MAX_WRONG_CODES = 5


class LoginView(auth_views.LoginView):
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["open_registrations"] = settings.OPEN_REGISTRATIONS
        # Django's LoginView names the site after the host it was asked on
        # ("127.0.0.1:8000"); the pages name the product, as everywhere else.
        context["site_name"] = settings.CREATORHUB_NAME
        return context

    def form_valid(self, form):
        user = form.get_user()
        if not two_factor.has_two_factor(user):
            return super().form_valid(form)
        self.request.session[TWO_FACTOR_PENDING_KEY] = {
            "user_id": user.pk,
            "backend": user.backend,
            "since": time.time(),
            "next": self.get_success_url(),
            "wrong": 0,
        }
        return redirect("login_two_factor")


def _pending_login(request) -> tuple[User | None, dict]:
    """Who passed the password step in this session, if recently."""
    pending = request.session.get(TWO_FACTOR_PENDING_KEY)
    if not pending:
        return None, {}
    if time.time() - pending["since"] > TWO_FACTOR_PENDING_SECONDS:
        del request.session[TWO_FACTOR_PENDING_KEY]
        return None, {}
    user = User.objects.filter(pk=pending["user_id"], is_active=True).first()
    return user, pending


def _safe_next(request, url: str) -> str:
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return resolve_url(settings.LOGIN_REDIRECT_URL)


@login_not_required
@sensitive_post_parameters("code")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def login_two_factor(request):
    """The second log-in step: a code from the authenticator app, or a
    recovery code."""
    if request.user.is_authenticated:
        return redirect("dashboard")
    user, pending = _pending_login(request)
    if user is None:
        messages.info(request, "Log in again: the code step timed out.")
        return redirect("login")
    if throttle.is_locked_out(username=user.get_username()):
        del request.session[TWO_FACTOR_PENDING_KEY]
        return throttle.lockout_response(
            request, credentials={"username": user.get_username()}
        )
    form = TwoFactorCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = two_factor.two_factor_verify(
                user=user, code=form.cleaned_data["code"]
            )
        except ValidationError as exc:
            form.add_error("code", exc)
            if exc.code == "wrong_code":
                return _wrong_code(request, user, pending, form)
        else:
            del request.session[TWO_FACTOR_PENDING_KEY]
            login(request, user, backend=pending["backend"])
            if two_factor.recovery_code_used(device):
                left = two_factor.recovery_codes_left(user)
                messages.warning(
                    request,
                    f"You logged in with a recovery code; {left} left. Each "
                    "works once: make new ones on your Security page if "
                    "you are running low.",
                )
            return HttpResponseRedirect(_safe_next(request, pending.get("next", "")))
    return render(
        request,
        "registration/login_two_factor.html",
        {"form": form, "site_name": settings.CREATORHUB_NAME},
    )


def _wrong_code(request, user: User, pending: dict, form):
    # A wrong code is a failed log-in for the throttle: guessing codes locks
    # the account as guessing passwords does.
    user_login_failed.send(
        sender=__name__,
        credentials={"username": user.get_username()},
        request=request,
    )
    pending["wrong"] += 1
    if getattr(request, "axes_locked_out", False):
        del request.session[TWO_FACTOR_PENDING_KEY]
        # AxesMiddleware answers with the lock-out page.
        return render(request, "registration/login_two_factor.html", {"form": form})
    if pending["wrong"] >= TWO_FACTOR_MAX_WRONG_CODES:
        del request.session[TWO_FACTOR_PENDING_KEY]
        messages.error(request, "Too many wrong codes. Log in again.")
        return redirect("login")
    request.session[TWO_FACTOR_PENDING_KEY] = pending
    return render(
        request,
        "registration/login_two_factor.html",
        {"form": form, "site_name": settings.CREATORHUB_NAME},
    )


@login_not_required
def admin_login(request):
    """The admin's log-in page sends to the site's, which takes the second
    step and shows the throttle's page as well."""
    next_url = request.GET.get(REDIRECT_FIELD_NAME) or resolve_url("admin:index")
    if request.user.is_authenticated:
        if request.user.is_staff:
            return HttpResponseRedirect(_safe_next(request, next_url))
        messages.error(request, "Only this server's admins may open the admin.")
        return redirect("dashboard")
    return auth_views.redirect_to_login(next_url, resolve_url("login"))


class PasswordResetView(auth_views.PasswordResetView):
    def form_valid(self, form):
        # Name the product in the email, not the host it was requested on.
        self.extra_email_context = {"site_name": settings.CREATORHUB_NAME}
        return super().form_valid(form)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    def form_valid(self, form):
        # Whoever can read the account's email may set its password, so may
        # end a lock-out too: the lock-out page offers this way out.
        response = super().form_valid(form)
        throttle.unlock_login(
            username=form.user.get_username(), by=None, via="password reset"
        )
        return response


class PasswordChangeView(auth_views.PasswordChangeView):
    def form_valid(self, form):
        # Changing the password cycles the session's key; the Security page
        # must still find this session.
        response = super().form_valid(form)
        login_sessions.login_session_follow_key(request=self.request)
        return response


@login_not_required
@require_http_methods(["GET", "POST"])
def signup(request):
    """Pick creator or agency, then create the account and log in."""
    if request.user.is_authenticated:
        return redirect("dashboard")
    if not settings.OPEN_REGISTRATIONS:
        return render(request, "registration/signup_closed.html")

    kind = request.POST.get("kind") or request.GET.get("as")
    form_class = SIGN_UP_FORMS.get(kind)
    if form_class is None:
        return render(request, "registration/signup.html", {"kind": None})

    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        sign_up = (
            services.sign_up_creator if kind == "creator" else services.sign_up_agency
        )
        try:
            user = sign_up(**form.service_kwargs())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            if kind == "creator":
                messages.success(
                    request,
                    f"Welcome! Your fediverse address is "
                    f"{user.creator.fediverse_address}. Turn on sharing in your "
                    "profile when you are ready to be followed.",
                )
            else:
                messages.success(
                    request,
                    "Welcome! Your agency is ready. Give creators its short name "
                    "so they can grant you access.",
                )
            return redirect("dashboard")
    return render(request, "registration/signup.html", {"kind": kind, "form": form})


@login_not_required
@require_GET
def handle_check(request):
    """A line saying whether the typed handle is free, for the sign-up form."""
    typed = request.GET.get("handle", "")
    context = {"typed": typed.strip()}
    if typed.strip():
        try:
            context["handle"] = services.check_handle_available(typed)
            context["available"] = True
        except ValidationError as exc:
            context["reason"] = " ".join(exc.messages)
    return render(request, "registration/signup.html#handle-status", context)
