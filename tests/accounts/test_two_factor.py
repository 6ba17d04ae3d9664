"""Two-factor sign-in (accounts.two_factor, the Security page and the
log-in's second step), and where a user is logged in."""

import re
import time
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import two_factor
from accounts.models import LoginSession
from moderation.models import AuditEntry
from tests import factories
from tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db

WRONG = "not right, or it was used already"


def page_text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def code_now(device: TOTPDevice, steps: int = 0) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps * device.step
    return f"{totp.token():06d}"


def wrong_code(device: TOTPDevice) -> str:
    """Six digits that no nearby time step of the device accepts."""
    accepted = {code_now(device, steps) for steps in (-1, 0, 1)}
    return next(f"{n:06d}" for n in range(1000000) if f"{n:06d}" not in accepted)


def turn_on(user) -> tuple[TOTPDevice, list[str]]:
    """Two-factor sign-in on for `user`, as the set-up page does it."""
    device = two_factor.totp_setup_device(user=user)
    codes = two_factor.totp_setup_confirm(user=user, code=code_now(device))
    device.refresh_from_db()
    # The set-up used this time step's code; log-ins in the test take later
    # ones, as a person would 30 seconds later.
    device.last_t -= 2
    device.save()
    return device, codes


def log_in(client, username: str, password: str = DEFAULT_PASSWORD):
    return client.post(reverse("login"), {"username": username, "password": password})


def send_code(client, code: str):
    return client.post(reverse("login_two_factor"), {"code": code})


def is_logged_in(client) -> bool:
    return client.get(reverse("dashboard")).status_code == 200


@pytest.fixture
def alice(creator):
    return creator.user


# Setting up --------------------------------------------------------------------


def test_set_up_from_the_security_page(client, alice):
    """The Security page offers it; set-up shows a QR code drawn on the
    server and the secret in words, and the app's code turns it on; the ten
    recovery codes show once."""
    client.force_login(alice)
    security = page_text(client.get(reverse("security")))
    assert "Two-factor sign-in" in security
    assert "Set up two-factor sign-in" in security

    setup = client.get(reverse("two_factor_setup"))
    text = page_text(setup)
    assert re.search(r'<svg [^>]*class="qr-code"', text)
    assert "<script" not in re.sub(r'<script src="[^"]+"( defer)?></script>', "", text)
    device = TOTPDevice.objects.get(user=alice, confirmed=False)
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', text).group(1)
    assert secret.replace(" ", "") in device.config_url

    response = client.post(
        reverse("two_factor_setup"), {"code": code_now(device)}, follow=True
    )
    text = page_text(response)
    assert "Two-factor sign-in is on" in text
    codes = re.findall(r"<li><code>([a-z0-9]{5}-[a-z0-9]{5})</code></li>", text)
    assert len(codes) == 10
    assert "Download as text" in text

    again = client.get(reverse("two_factor_recovery_codes"), follow=True)
    assert codes[0] not in page_text(again)
    assert "shown only once" in page_text(again)
    assert "10 of 10" in page_text(client.get(reverse("security")))


def test_set_up_refuses_a_wrong_code(client, alice):
    """A wrong first code leaves it off and says why."""
    client.force_login(alice)
    client.get(reverse("two_factor_setup"))
    device = TOTPDevice.objects.get(user=alice)

    response = client.post(reverse("two_factor_setup"), {"code": wrong_code(device)})

    assert response.status_code == 200
    assert WRONG in page_text(response)
    assert not two_factor.has_two_factor(alice)


# Logging in -----------------------------------------------------------------------


def test_log_in_asks_for_the_code_after_the_password(client, alice):
    """The password alone opens nothing; the app's code finishes log-in."""
    device, _ = turn_on(alice)

    response = log_in(client, "alice")
    assert response.url == reverse("login_two_factor")
    assert not is_logged_in(client)
    assert "Enter your code" in page_text(client.get(reverse("login_two_factor")))

    response = send_code(client, code_now(device))
    assert response.status_code == 302
    assert response.url == reverse("dashboard")
    assert is_logged_in(client)


def test_a_wrong_code_is_refused(client, alice):
    """A wrong code keeps the person out, with a reason."""
    device, _ = turn_on(alice)
    log_in(client, "alice")

    response = send_code(client, wrong_code(device))

    assert response.status_code == 200
    assert WRONG in page_text(response)
    assert not is_logged_in(client)


def test_a_used_code_is_refused(client, alice):
    """A code that logged in once is refused the next time (django-otp keeps
    the last time step it accepted)."""
    device, _ = turn_on(alice)
    code = code_now(device)
    log_in(client, "alice")
    assert send_code(client, code).status_code == 302

    other = Client()
    log_in(other, "alice")
    response = send_code(other, code)

    assert response.status_code == 200
    assert WRONG in page_text(response)
    assert not is_logged_in(other)


def test_a_recovery_code_works_once(client, alice):
    """A recovery code stands in for the phone once, then is refused."""
    _, codes = turn_on(alice)
    shown = two_factor.format_recovery_code(codes[0])

    log_in(client, "alice")
    response = send_code(client, shown.upper())
    assert response.status_code == 302
    dashboard = page_text(client.get(response.url))
    assert "You logged in with a recovery code; 9 left" in dashboard
    assert "9 of 10" in page_text(client.get(reverse("security")))

    other = Client()
    log_in(other, "alice")
    response = send_code(other, shown)
    assert response.status_code == 200
    assert WRONG in page_text(response)
    assert not is_logged_in(other)


def test_guesses_in_a_row_are_slowed_down(client, alice):
    """Right after a wrong code even the right one must wait a moment."""
    device, _ = turn_on(alice)
    log_in(client, "alice")
    send_code(client, wrong_code(device))

    response = send_code(client, code_now(device))

    assert response.status_code == 200
    assert "Wait a few seconds, then try again" in page_text(response)
    assert not is_logged_in(client)


def test_wrong_codes_count_towards_the_lock_out(client, alice, settings):
    """Guessing codes pauses the account as guessing passwords does."""
    device, _ = turn_on(alice)
    settings.AXES_FAILURE_LIMIT = 2
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # no wait between guesses here
    log_in(client, "alice")
    send_code(client, wrong_code(device))

    response = send_code(client, wrong_code(device))

    assert response.status_code == 429
    assert "Too many failed log-ins for this account" in page_text(response)
    assert log_in(client, "alice").status_code == 429


def test_the_code_step_times_out(client, alice):
    """The code step waits a few minutes after the password, then asks for
    the password again."""
    device, _ = turn_on(alice)
    log_in(client, "alice")
    session = client.session
    session["two_factor_login"]["since"] -= 3600
    session.save()

    response = send_code(client, code_now(device))

    assert response.url == reverse("login")
    assert not is_logged_in(client)


# Turning it off, losing the phone ---------------------------------------------------


def test_turning_it_off_asks_for_a_current_code(client, alice, settings):
    """Without a right code it stays on; with one, log-in is the password
    again."""
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # no wait between the two tries
    device, _ = turn_on(alice)
    client.force_login(alice)

    response = client.post(
        reverse("two_factor_disable"), {"off-code": wrong_code(device)}
    )
    assert response.status_code == 200
    assert WRONG in page_text(response)
    assert two_factor.has_two_factor(alice)

    response = client.post(
        reverse("two_factor_disable"), {"off-code": code_now(device)}, follow=True
    )
    assert "Two-factor sign-in is off" in page_text(response)
    assert not two_factor.has_two_factor(alice)
    assert log_in(Client(), "alice").url == reverse("dashboard")


def test_new_recovery_codes_replace_the_old(client, alice, settings):
    """Making new recovery codes (with a current code) retires the old."""
    settings.OTP_STATIC_THROTTLE_FACTOR = 0  # no wait between the two tries
    device, old = turn_on(alice)
    client.force_login(alice)

    response = client.post(
        reverse("two_factor_recovery_codes"),
        {"codes-code": code_now(device)},
        follow=True,
    )

    new = re.findall(r"<li><code>([a-z0-9-]{11})</code></li>", page_text(response))
    assert len(new) == 10
    other = Client()
    log_in(other, "alice")
    refused = send_code(other, old[0])
    assert WRONG in page_text(refused)
    assert not is_logged_in(other)
    assert send_code(other, new[0]).status_code == 302


def test_the_reset_command_for_a_lost_phone(client, alice):
    """manage.py reset_two_factor removes the devices; the next log-in takes
    the password only, and the audit log says who did it."""
    turn_on(alice)
    out = StringIO()

    call_command("reset_two_factor", "alice", stdout=out)

    assert "Two-factor sign-in removed for alice" in out.getvalue()
    assert log_in(client, "alice").url == reverse("dashboard")
    entry = AuditEntry.objects.get(action=AuditEntry.Action.TWO_FACTOR_RESET)
    assert entry.target_label == "alice"
    assert entry.by_label == "command line"


def test_an_admin_removes_it_from_the_admin(client, alice, admin_user):
    """The admin's user list has the same way back."""
    turn_on(alice)
    client.force_login(admin_user)

    client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "remove_two_factor", "_selected_action": [alice.pk]},
    )

    assert not two_factor.has_two_factor(alice)
    entry = AuditEntry.objects.get(action=AuditEntry.Action.TWO_FACTOR_RESET)
    assert entry.by == admin_user


# Required for staff ----------------------------------------------------------------


def test_required_sends_an_admin_to_set_up(client, admin_user, settings):
    """With CREATORHUB_REQUIRE_TWO_FACTOR_FOR_STAFF an admin without it is
    sent to set it up after log-in, and nothing else opens until done."""
    settings.CREATORHUB_REQUIRE_TWO_FACTOR_FOR_STAFF = True

    response = client.post(
        reverse("login"),
        {"username": "admin", "password": DEFAULT_PASSWORD},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("two_factor_setup")
    assert "asks admins and agency members to use two-factor" in page_text(response)
    for blocked in (reverse("dashboard"), reverse("admin:index")):
        assert client.get(blocked).url == reverse("two_factor_setup")

    device = TOTPDevice.objects.get(user=admin_user)
    client.post(reverse("two_factor_setup"), {"code": code_now(device)})
    assert client.get(reverse("dashboard")).status_code == 200


def test_required_for_agency_members_not_creators(client, settings, creator):
    """Agency members are held to it too; a creator alone is not."""
    settings.CREATORHUB_REQUIRE_TWO_FACTOR_FOR_STAFF = True
    member = factories.MembershipFactory(user__username="agent").user

    client.force_login(member)
    assert client.get(reverse("dashboard")).url == reverse("two_factor_setup")
    client.force_login(creator.user)
    assert client.get(reverse("dashboard")).status_code == 200


def test_not_required_by_default(client, admin_user):
    client.force_login(admin_user)
    assert client.get(reverse("dashboard")).status_code == 200


# Sessions ----------------------------------------------------------------------------


def test_the_security_page_lists_where_the_user_is_logged_in(alice):
    """Each log-in is listed with its browser and address; this one first."""
    laptop = Client(
        HTTP_USER_AGENT="Mozilla/5.0 (Windows NT 10.0; Win64; x64) "
        "Gecko/20100101 Firefox/133.0"
    )
    phone = Client(
        HTTP_USER_AGENT="Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) "
        "AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 "
        "Safari/604.1",
        REMOTE_ADDR="203.0.113.7",
    )
    log_in(laptop, "alice")
    log_in(phone, "alice")

    text = page_text(laptop.get(reverse("security")))

    assert "Firefox on Windows" in text
    assert "Safari on iPhone" in text
    assert "From 203.0.113.7" in text
    assert text.index("Firefox on Windows") < text.index("Safari on iPhone")
    assert text.count("This browser") == 1


def test_log_out_everywhere_else(alice):
    """ "Log out everywhere else" ends every other session and keeps this one."""
    here, elsewhere, third = Client(), Client(), Client()
    for browser in (here, elsewhere, third):
        log_in(browser, "alice")
    assert is_logged_in(elsewhere)

    response = here.post(reverse("sessions_end_others"), follow=True)

    assert "Logged out of 2 other browsers" in page_text(response)
    assert is_logged_in(here)
    assert not is_logged_in(elsewhere)
    assert not is_logged_in(third)
    assert LoginSession.objects.filter(user=alice).count() == 1


def test_log_out_everywhere_else_after_a_password_change(alice):
    """A session whose key changed (a password change) is still found."""
    here, elsewhere = Client(), Client()
    log_in(elsewhere, "alice")
    elsewhere.post(
        reverse("password_change"),
        {
            "old_password": DEFAULT_PASSWORD,
            "new_password1": "another-long-pass-991",
            "new_password2": "another-long-pass-991",
        },
    )
    log_in(here, "alice", "another-long-pass-991")

    here.post(reverse("sessions_end_others"))

    assert is_logged_in(here)
    assert not is_logged_in(elsewhere)


def test_logging_out_forgets_the_session(client, alice):
    log_in(client, "alice")
    client.post(reverse("logout"))

    assert not LoginSession.objects.filter(user=alice).exists()


def test_an_admin_logs_a_session_out_from_the_admin(alice, admin_user):
    """The admin's list of sessions ends the ones selected."""
    browser, admin_browser = Client(), Client()
    log_in(browser, "alice")
    admin_browser.force_login(admin_user)
    row = LoginSession.objects.get(user=alice)

    admin_browser.post(
        reverse("admin:accounts_loginsession_changelist"),
        {"action": "log_out", "_selected_action": [row.pk]},
    )

    assert not is_logged_in(browser)
    assert not LoginSession.objects.filter(user=alice).exists()
