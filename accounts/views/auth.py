"""Sign-up, log-in and password pages: what an anonymous visitor sees."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from accounts import services
from accounts.forms import AgencySignUpForm, CreatorSignUpForm, add_service_errors

SIGN_UP_FORMS = {"creator": CreatorSignUpForm, "agency": AgencySignUpForm}


class LoginView(auth_views.LoginView):
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["open_registrations"] = settings.OPEN_REGISTRATIONS
        # Django's LoginView names the site after the host it was asked on
        # ("127.0.0.1:8000"); the pages name the product, as everywhere else.
        context["site_name"] = settings.CREATORHUB_NAME
        return context


class PasswordResetView(auth_views.PasswordResetView):
    def form_valid(self, form):
        # Name the product in the email, not the host it was requested on.
        self.extra_email_context = {"site_name": settings.CREATORHUB_NAME}
        return super().form_valid(form)


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
