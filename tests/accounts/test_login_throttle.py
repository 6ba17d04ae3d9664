"""Log-in throttling (django-axes, accounts.throttle): a few failed log-ins
pause the account, the page says so, and an admin can lift it."""

import re
from io import StringIO

import pytest
from axes.models import AccessAttempt
from django.core import mail
from django.core.management import call_command
from django.db.models import F
from django.urls import reverse

from moderation.models import AuditEntry
from tests import factories
from tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db

PAUSED = "Too many failed log-ins for this account"


def page_text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def log_in(client, username: str, password: str, **extra):
    return client.post(
        reverse("login"), {"username": username, "password": password}, **extra
    )


def fail_until_locked(client, username: str, settings):
    responses = [
        log_in(client, username, "not-the-password")
        for _ in range(settings.AXES_FAILURE_LIMIT)
    ]
    return responses


def test_failed_log_ins_past_the_limit_pause_the_account(client, creator, settings):
    """Each wrong password says so, until the limit: then the page explains
    that log-in is paused, for how long, and the ways out."""
    responses = fail_until_locked(client, "alice", settings)
    for response in responses[:-1]:
        assert response.status_code == 200
        assert "enter a correct username and password" in page_text(response)
        assert PAUSED not in page_text(response)

    locked = responses[-1]
    assert locked.status_code == 429
    text = page_text(locked)
    assert PAUSED in text
    assert "Try again in 15 minutes" in text
    assert "reset your password" in text
    # The styled log-in page, with the username kept, not axes' plain text.
    assert "<h1>Log in</h1>" in text
    assert 'value="alice"' in text


def test_the_right_password_is_refused_while_locked(client, creator, settings):
    """A locked account stays locked whatever password is typed."""
    fail_until_locked(client, "alice", settings)

    response = log_in(client, "alice", DEFAULT_PASSWORD)

    assert response.status_code == 429
    assert PAUSED in page_text(response)
    assert client.get(reverse("dashboard")).status_code == 302


def test_other_accounts_still_log_in(client, creator, other_creator, settings):
    """The lock holds one account, not everyone at the same address."""
    fail_until_locked(client, "alice", settings)

    response = log_in(client, "bob", DEFAULT_PASSWORD)

    assert response.status_code == 302
    assert response.url == reverse("dashboard")


def test_the_lock_ends_after_the_cool_off(client, creator, settings):
    """After the cool-off the right password works again."""
    fail_until_locked(client, "alice", settings)
    # As if the cool-off had passed since the last failure.
    AccessAttempt.objects.update(
        attempt_time=F("attempt_time") - settings.AXES_COOLOFF_TIME
    )

    response = log_in(client, "alice", DEFAULT_PASSWORD)

    assert response.status_code == 302


def test_an_admin_unlocks_from_the_admin(client, creator, admin_user, settings):
    """The admin's "Unlock log-in" action lets the person in at once, and
    the audit log shows the lock-out and who lifted it."""
    fail_until_locked(client, "alice", settings)
    admin_client = client.__class__()
    admin_client.force_login(admin_user)

    response = admin_client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "unlock_login", "_selected_action": [creator.user.pk]},
        follow=True,
    )
    assert "Log-in unlocked for 1 of 1 selected users" in page_text(response)

    assert log_in(client, "alice", DEFAULT_PASSWORD).status_code == 302
    unlock = AuditEntry.objects.get(action=AuditEntry.Action.LOGIN_UNLOCK)
    assert unlock.by == admin_user
    assert unlock.target_id == "alice"
    assert unlock.details == {"via": "admin"}


def test_each_lock_out_is_in_the_audit_log_once(client, creator, admin_user, settings):
    """A lock-out is one audit entry with the address, however many tries
    follow while it lasts; admins read it on the moderation log."""
    fail_until_locked(client, "alice", settings)
    for _ in range(3):
        log_in(client, "alice", "still-wrong")

    entry = AuditEntry.objects.get(action=AuditEntry.Action.LOGIN_LOCKOUT)
    assert entry.target_type == AuditEntry.Target.USER
    assert entry.target_id == "alice"
    assert entry.by is None
    assert entry.by_label == "log-in throttle"
    assert entry.details["ip_address"] == "127.0.0.1"

    client.force_login(admin_user)
    page = page_text(client.get(reverse("moderation:audit")))
    assert "Log-in locked after failed attempts" in page
    assert "alice (last try from 127.0.0.1)" in page


def test_the_unlock_command(client, creator, settings):
    """manage.py unlock_login ends a lock-out from the command line."""
    fail_until_locked(client, "alice", settings)
    out = StringIO()

    call_command("unlock_login", "alice", stdout=out)

    assert "alice can log in again" in out.getvalue()
    assert log_in(client, "alice", DEFAULT_PASSWORD).status_code == 302
    entry = AuditEntry.objects.get(action=AuditEntry.Action.LOGIN_UNLOCK)
    assert entry.by_label == "command line"


def test_a_password_reset_ends_the_lock(client, creator, settings):
    """The way out the page offers: choosing a new password by email lets
    the person log in with it at once."""
    fail_until_locked(client, "alice", settings)
    client.post(reverse("password_reset"), {"email": creator.user.email})
    link = re.search(r"http://testserver(/\S+)", mail.outbox[0].body).group(1)
    response = client.get(link, follow=True)
    client.post(
        response.redirect_chain[-1][0],
        {"new_password1": "fresh-pass-88231", "new_password2": "fresh-pass-88231"},
    )

    assert log_in(client, "alice", "fresh-pass-88231").status_code == 302


def test_the_admin_log_in_is_the_throttled_one(client, admin_user, settings):
    """The admin site's log-in page sends to the site's log-in, so it is
    throttled (and asks for the second step) like every other."""
    response = client.get(reverse("admin:login") + "?next=/admin/")

    assert response.status_code == 302
    assert response.url == reverse("login") + "?next=/admin/"
    fail_until_locked(client, "admin", settings)
    assert log_in(client, "admin", DEFAULT_PASSWORD).status_code == 429


def test_the_address_behind_a_proxy(rf, settings):
    """Behind CREATORHUB_PROXY_COUNT proxies the address is the one the
    outermost proxy saw; what the client put in front is not trusted."""
    from accounts.throttle import client_ip_address

    request = rf.get(
        "/",
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9",
    )
    settings.CREATORHUB_PROXY_COUNT = 0
    assert client_ip_address(request) == "10.0.0.2"
    settings.CREATORHUB_PROXY_COUNT = 1
    assert client_ip_address(request) == "203.0.113.9"


def test_the_api_takes_no_passwords(client, creator):
    """The API accepts tokens (and the browser's session), never a username
    and password, so there is nothing there to guess passwords against."""
    response = client.get(
        reverse("api-me"),
        HTTP_AUTHORIZATION="Basic YWxpY2U6Y29ycmVjdC1ob3JzZS1iYXR0ZXJ5",
    )

    assert response.status_code == 401


def test_password_reset_does_not_tell_whether_an_address_exists(client, creator):
    """Asking for a reset answers the same page for a known and an unknown
    address; only the known one gets an email."""
    known = client.post(
        reverse("password_reset"), {"email": creator.user.email}, follow=True
    )
    unknown = client.post(
        reverse("password_reset"), {"email": "nobody@example.org"}, follow=True
    )

    assert known.status_code == unknown.status_code == 200
    assert known.redirect_chain == unknown.redirect_chain
    strip = re.compile(
        r'name="csrfmiddlewaretoken" value="[^"]+"|"X-CSRFToken": "[^"]+"'
    )
    assert strip.sub("", page_text(known)) == strip.sub("", page_text(unknown))
    assert "If an account uses that address" in page_text(unknown)
    assert len(mail.outbox) == 1


def test_factories_still_log_in_with_force_login(client):
    """Tests that log in with force_login are not held up by the throttle."""
    user = factories.UserFactory(username="plain")
    client.force_login(user)

    assert client.get(reverse("dashboard")).status_code == 200
