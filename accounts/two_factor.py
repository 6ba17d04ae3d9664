"""Two-factor sign-in: an authenticator app (TOTP) and recovery codes.

Devices are django-otp's: one confirmed TOTPDevice per user, and one
StaticDevice holding the unused recovery codes (each is deleted as it is
used). A TOTP code is refused once used: the device keeps the time step of
the last code it accepted (`last_t`) and only takes later ones. Both
devices slow down guessing on their own (django-otp's throttling), and the
log-in view counts each wrong code as a failed log-in for django-axes.

CREATORHUB_REQUIRE_TWO_FACTOR_FOR_STAFF makes it required for admins and
agency members (accounts.middleware sends them to set it up).
"""

import secrets
from base64 import b32encode

import django_otp
import segno
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import events
from .models import User

RECOVERY_CODE_COUNT = 10
RECOVERY_CODE_LENGTH = 10
# No 0/o, 1/l/i: codes are read off paper.
RECOVERY_CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
TOTP_DEVICE_NAME = "Authenticator app"
RECOVERY_DEVICE_NAME = "Recovery codes"

WRONG_CODE = (
    "That code is not right, or it was used already. Authenticator codes "
    "change every 30 seconds: type the one showing now."
)


# Reading ---------------------------------------------------------------------


def totp_device_of(user: User) -> TOTPDevice | None:
    """The user's confirmed authenticator app, if two-factor sign-in is on."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def has_two_factor(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def recovery_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def two_factor_required(user: User) -> bool:
    """Whether the user may not go without it: admins and agency members,
    when CREATORHUB_REQUIRE_TWO_FACTOR_FOR_STAFF is on."""
    if not settings.CREATORHUB_REQUIRE_TWO_FACTOR_FOR_STAFF:
        return False
    if user.is_staff or user.is_superuser:
        return True
    return user.agency_memberships.exists()


def format_recovery_code(code: str) -> str:
    """`abcdefghjk` as people read it: `abcde-fghjk`."""
    half = len(code) // 2
    return f"{code[:half]}-{code[half:]}"


def normalise_code(code: str) -> str:
    """What was typed, without spaces, hyphens or capitals."""
    return "".join(code.split()).replace("-", "").lower()


def otpauth_qr_svg(device: TOTPDevice) -> str:
    """The device's otpauth:// address as an inline SVG QR code."""
    qr = segno.make(device.config_url, error="m")
    return qr.svg_inline(
        scale=5,
        border=2,
        title="QR code for your authenticator app",
        svgclass="qr-code",
        lineclass=None,
        omitsize=True,
    )


def totp_secret_text(device: TOTPDevice) -> str:
    """The secret as apps ask for it when typed: base32, in groups of four."""
    secret = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


# Setting up and turning off ----------------------------------------------------


def totp_setup_device(*, user: User) -> TOTPDevice:
    """The authenticator the user is setting up: an unconfirmed device,
    the same one until it is confirmed so the QR code stays put."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(
            user=user, name=TOTP_DEVICE_NAME, confirmed=False
        )
    return device


@transaction.atomic
def totp_setup_confirm(*, user: User, code: str) -> list[str]:
    """Turn two-factor sign-in on once the app shows the right code.

    Returns the new recovery codes, which are shown once. Raises
    ValidationError if there is nothing to confirm or the code is wrong.
    """
    device = (
        TOTPDevice.objects.select_for_update()
        .filter(user=user, confirmed=False)
        .first()
    )
    if device is None:
        raise ValidationError("Start again: this set-up has ended.", code="no_setup")
    if not device.verify_token(normalise_code(code)):
        raise ValidationError(WRONG_CODE, code="wrong_code")
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return recovery_codes_generate(user=user)


@transaction.atomic
def recovery_codes_generate(*, user: User) -> list[str]:
    """Replace the user's recovery codes with new ones; returns them."""
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(
        user=user, name=RECOVERY_DEVICE_NAME, confirmed=True
    )
    codes = [
        "".join(
            secrets.choice(RECOVERY_CODE_ALPHABET) for _ in range(RECOVERY_CODE_LENGTH)
        )
        for _ in range(RECOVERY_CODE_COUNT)
    ]
    StaticToken.objects.bulk_create(
        StaticToken(device=device, token=code) for code in codes
    )
    return codes


def two_factor_verify(*, user: User, code: str) -> Device:
    """The device that accepts `code`: six digits from the authenticator
    app, or a recovery code (used up by this).

    Raises ValidationError when it is wrong, used already, or the device is
    refusing guesses for a while after several wrong ones.
    """
    code = normalise_code(code)
    if code.isdigit() and len(code) == 6:
        devices = TOTPDevice.objects.filter(user=user, confirmed=True)
    else:
        devices = StaticDevice.objects.filter(user=user, confirmed=True)
    for device in devices:
        allowed, _ = device.verify_is_allowed()
        if not allowed:
            raise ValidationError(
                "Too many wrong codes in a row. Wait a few seconds, then try again.",
                code="throttled",
            )
        verified = django_otp.verify_token(user, device.persistent_id, code)
        if verified is not None:
            return verified
    raise ValidationError(WRONG_CODE, code="wrong_code")


def two_factor_disable(*, user: User, code: str) -> None:
    """Turn two-factor sign-in off; asks for a current code first.

    The check is not inside the removal's transaction: a wrong code's count
    towards the device's throttling must stay when the error is raised.
    """
    two_factor_verify(user=user, code=code)
    with transaction.atomic():
        _delete_devices(user)


@transaction.atomic
def two_factor_reset(*, user: User, by: User | None) -> int:
    """Remove all of a user's devices for them (a lost phone).

    Their next log-in takes the password only. Returns how many devices
    were removed; announced for the audit log.
    """
    removed = _delete_devices(user)
    if removed:
        events.two_factor_reset.send(sender=None, user=user, by=by)
    return removed


def _delete_devices(user: User) -> int:
    totp, _ = TOTPDevice.objects.filter(user=user).delete()
    static = StaticDevice.objects.filter(user=user)
    static_count = static.count()
    static.delete()
    return totp + static_count


def recovery_code_used(device: Device) -> bool:
    return isinstance(device, StaticDevice)
