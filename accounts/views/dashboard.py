from django.contrib.auth.decorators import login_not_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from accounts import permissions


@login_not_required
@require_GET
def home(request):
    if request.user.is_authenticated:
        return redirect("dashboard")
    return render(request, "accounts/home.html")


@require_GET
def dashboard(request):
    user = request.user
    context = {
        "creator": getattr(user, "creator", None),
        "agencies": permissions.agencies_of(user),
    }
    return render(request, "accounts/dashboard.html", context)
