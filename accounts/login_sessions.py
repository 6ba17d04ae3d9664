"""Where a user is logged in: recorded at log-in, listed on the Security
page, ended from there ("Log out everywhere else").

The session itself stays Django's; a LoginSession row only remembers which
session key is whose, with the browser and address it came from. The key
is kept in step by accounts.middleware.LoginSessionMiddleware, and the row
id travels in the session, so a cycled key (a password change) is found.
"""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import import_module

from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils import timezone

from .models import LoginSession, User
from .throttle import client_ip_address

SESSION_ROW_KEY = "_login_session_id"
SESSION_SEEN_KEY = "_login_session_seen"
SESSION_KEY_KEY = "_login_session_key"
# How often "last seen" is written: often enough to tell which session is
# in use, rarely enough to cost nothing on most requests.
TOUCH_EVERY = timedelta(minutes=5)


def _session_store():
    return import_module(settings.SESSION_ENGINE).SessionStore


def login_session_record(*, request: HttpRequest, user: User) -> LoginSession | None:
    """Remember the session a log-in just started; None without a session."""
    session = getattr(request, "session", None)
    if session is None:
        return None
    if session.session_key is None:
        session.save()
    now = timezone.now()
    row, _ = LoginSession.objects.update_or_create(
        session_key=session.session_key,
        defaults={
            "user": user,
            "user_agent": request.META.get("HTTP_USER_AGENT", "")[:300],
            "ip_address": client_ip_address(request),
            "created_at": now,
            "last_seen_at": now,
        },
    )
    _remember(session, row_id=row.pk, now=now)
    return row


def login_session_touch(*, request: HttpRequest) -> None:
    """Bring the session's row up to date: its key at once when the session
    was cycled, "last seen" and the address every TOUCH_EVERY."""
    session = request.session
    row_id = session.get(SESSION_ROW_KEY)
    if row_id is None:
        # Logged in before sessions were recorded.
        login_session_record(request=request, user=request.user)
        return
    now = timezone.now()
    key_changed = session.get(SESSION_KEY_KEY) != session.session_key
    due = now.timestamp() - session.get(SESSION_SEEN_KEY, 0) >= (
        TOUCH_EVERY.total_seconds()
    )
    if not (key_changed or due):
        return
    updated = LoginSession.objects.filter(pk=row_id, user=request.user).update(
        session_key=session.session_key,
        last_seen_at=now,
        ip_address=client_ip_address(request),
    )
    if updated:
        _remember(session, row_id=row_id, now=now)
    else:
        login_session_record(request=request, user=request.user)


def login_session_follow_key(*, request: HttpRequest) -> None:
    """Move the row to the session's new key right after it was cycled (a
    password change), so "log out everywhere else" finds it even before
    this browser makes another request."""
    row_id = request.session.get(SESSION_ROW_KEY)
    if row_id is not None:
        LoginSession.objects.filter(pk=row_id, user=request.user).update(
            session_key=request.session.session_key
        )
        request.session[SESSION_KEY_KEY] = request.session.session_key


def _remember(session, *, row_id: int, now: datetime) -> None:
    session[SESSION_ROW_KEY] = row_id
    session[SESSION_KEY_KEY] = session.session_key
    session[SESSION_SEEN_KEY] = now.timestamp()


@dataclass(frozen=True)
class SessionView:
    """A session as the Security page lists it."""

    pk: int
    device: str
    ip_address: str | None
    created_at: datetime
    last_seen_at: datetime
    current: bool

    @property
    def seen_recently(self) -> bool:
        return timezone.now() - self.last_seen_at < timedelta(minutes=1)


def login_session_list(*, user: User, request: HttpRequest) -> list[SessionView]:
    """The user's sessions, this one first, then by last use. Rows whose
    session has ended (expired, or removed by a password change) are
    forgotten on the way."""
    store = _session_store()
    current_key = request.session.session_key
    rows = list(LoginSession.objects.filter(user=user))
    gone = [row.pk for row in rows if not store().exists(row.session_key)]
    if gone:
        LoginSession.objects.filter(pk__in=gone).delete()
    live = [row for row in rows if row.pk not in gone]
    views = [
        SessionView(
            pk=row.pk,
            device=describe_user_agent(row.user_agent),
            ip_address=row.ip_address,
            created_at=row.created_at,
            last_seen_at=row.last_seen_at,
            current=row.session_key == current_key,
        )
        for row in live
    ]
    views.sort(key=lambda view: (not view.current, -view.last_seen_at.timestamp()))
    return views


def login_sessions_end_others(*, user: User, request: HttpRequest) -> int:
    """Log the user out of every session but this one; returns how many."""
    others = LoginSession.objects.filter(user=user).exclude(
        session_key=request.session.session_key
    )
    return login_sessions_end(sessions=others)


def login_sessions_end(*, sessions) -> int:
    """Log out of these sessions (LoginSession rows); returns how many."""
    store = _session_store()
    rows = list(sessions)
    for row in rows:
        store(session_key=row.session_key).delete()
    LoginSession.objects.filter(pk__in=[row.pk for row in rows]).delete()
    return len(rows)


@receiver(user_logged_in, dispatch_uid="accounts-login-session-record")
def _record_on_login(sender, request, user, **kwargs) -> None:
    if request is not None:
        login_session_record(request=request, user=user)


@receiver(user_logged_out, dispatch_uid="accounts-login-session-forget")
def _forget_on_logout(sender, request, user, **kwargs) -> None:
    session = getattr(request, "session", None)
    if session is not None and session.session_key:
        LoginSession.objects.filter(session_key=session.session_key).delete()


# Describing a browser ----------------------------------------------------------

_BROWSERS = [
    ("Edge", re.compile(r"Edg(e|A|iOS)?/")),
    ("Opera", re.compile(r"OPR/|Opera")),
    ("Firefox", re.compile(r"Firefox/|FxiOS/")),
    ("Chrome", re.compile(r"Chrome/|CriOS/")),
    ("Safari", re.compile(r"Safari/")),
]
_SYSTEMS = [
    ("iPhone", re.compile(r"iPhone")),
    ("iPad", re.compile(r"iPad")),
    ("Android", re.compile(r"Android")),
    ("Windows", re.compile(r"Windows")),
    ("macOS", re.compile(r"Macintosh|Mac OS X")),
    ("ChromeOS", re.compile(r"CrOS")),
    ("Linux", re.compile(r"Linux")),
]


def describe_user_agent(user_agent: str) -> str:
    """ "Firefox on Windows", or what is known of it."""
    browser = next((name for name, rx in _BROWSERS if rx.search(user_agent)), "")
    system = next((name for name, rx in _SYSTEMS if rx.search(user_agent)), "")
    if browser and system:
        return f"{browser} on {system}"
    if browser or system:
        return browser or system
    return "Unknown browser" if user_agent else "Unknown device"
