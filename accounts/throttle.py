"""Log-in throttling: django-axes' hooks and the unlock service.

Axes counts failed log-ins per account in the database (settings.py,
"Log-in throttling"); past CREATORHUB_LOGIN_FAILURE_LIMIT the account is
refused, the right password too, until the cool-off ends, an admin unlocks
it or its owner resets the password. Each lock-out is announced with axes'
`user_locked_out` signal and each unlock with accounts.events.login_unlocked;
moderation writes both to the audit log.
"""

import math
from datetime import datetime

from axes.models import AccessAttempt
from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from . import events
from .models import User


def client_ip_address(request: HttpRequest) -> str | None:
    """The visitor's address: REMOTE_ADDR, or behind CREATORHUB_PROXY_COUNT
    proxies the address the outermost proxy was reached from.

    Each proxy appends the address it was reached from to X-Forwarded-For,
    so the entries a client may have forged come first: the one to trust is
    the N-th from the end.
    """
    proxies = settings.CREATORHUB_PROXY_COUNT
    if proxies > 0:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR")


def lockout_ends_at(*, username: str) -> datetime | None:
    """When the account's lock-out ends, or None if it is not locked."""
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    attempts = AccessAttempt.objects.filter(username=username, attempt_time__gte=since)
    failures = sum(attempt.failures_since_start for attempt in attempts)
    if failures < settings.AXES_FAILURE_LIMIT:
        return None
    last = max(attempt.attempt_time for attempt in attempts)
    return last + settings.AXES_COOLOFF_TIME


def is_locked_out(*, username: str) -> bool:
    return lockout_ends_at(username=username) is not None


def lockout_message(*, username: str) -> str:
    """What the log-in page says while the account is locked."""
    ends_at = lockout_ends_at(username=username)
    if ends_at is None:
        minutes = math.ceil(settings.AXES_COOLOFF_TIME.total_seconds() / 60)
    else:
        minutes = math.ceil((ends_at - timezone.now()).total_seconds() / 60)
    minutes = max(minutes, 1)
    wait = "1 minute" if minutes == 1 else f"{minutes} minutes"
    return (
        f"Too many failed log-ins for this account, so log-in is paused for "
        f"it. Try again in {wait}, or reset your password by email to unlock "
        f"it now. An admin can unlock it too."
    )


def lockout_response(
    request: HttpRequest, original_response=None, credentials=None
) -> HttpResponse:
    """The log-in page with the lock-out explained (AXES_LOCKOUT_CALLABLE).

    Answered 429 in place of the page the log-in view rendered, whatever the
    password was.
    """
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    form = AuthenticationForm(request, initial={"username": username})
    context = {
        "form": form,
        "lockout_message": lockout_message(username=username),
        "next": request.POST.get("next", ""),
        "open_registrations": settings.OPEN_REGISTRATIONS,
        "site_name": settings.CREATORHUB_NAME,
    }
    return render(request, "registration/login.html", context, status=429)


def unlock_login(*, username: str, by: User | None, via: str) -> int:
    """Forget the account's failed log-ins, ending any lock-out.

    Returns how many attempt records were removed. `by` is the admin who
    unlocked it, None for the command line or the owner's password reset;
    `via` says which ("admin", "command line", "password reset").
    """
    was_locked = is_locked_out(username=username)
    removed = axes_reset(username=username)
    if was_locked:
        events.login_unlocked.send(sender=None, username=username, by=by, via=via)
    return removed
