"""Everything that changes accounts, profiles and agencies goes through here."""

import logging
import secrets
from collections.abc import Iterable
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify

from . import events, images
from .handles import normalise_handle, validate_handle
from .models import (
    MAX_PROFILE_LINKS,
    Agency,
    AgencyAccess,
    AgencyMembership,
    AgencyRole,
    AgencyScope,
    ApiToken,
    ApiTokenScope,
    CreatorProfile,
    ProfileLink,
    User,
    hash_token_secret,
)
from .permissions import can_manage_agency

logger = logging.getLogger(__name__)


# Sign-up ------------------------------------------------------------------


def check_handle_available(handle: str) -> str:
    """Return the normalised handle, or raise ValidationError saying why not."""
    handle = normalise_handle(handle)
    validate_handle(handle)
    if CreatorProfile.objects.filter(handle=handle).exists():
        raise ValidationError("That handle is taken.", code="taken")
    return handle


def _create_user(*, username: str, email: str, password: str) -> User:
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": "That username is taken."})
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": "An account with that email exists."})
    return User.objects.create_user(username=username, email=email, password=password)


@transaction.atomic
def sign_up_creator(
    *,
    username: str,
    email: str,
    password: str,
    handle: str,
    display_name: str = "",
) -> User:
    """Create a user with a creator profile. Federation starts switched off."""
    try:
        handle = check_handle_available(handle)
    except ValidationError as exc:
        raise ValidationError({"handle": exc.messages}) from exc
    user = _create_user(username=username, email=email, password=password)
    try:
        with transaction.atomic():
            CreatorProfile.objects.create(
                user=user, handle=handle, display_name=display_name
            )
    except IntegrityError as exc:  # lost a race for the same handle
        raise ValidationError({"handle": "That handle is taken."}) from exc
    logger.info("creator signed up: %s", handle)
    return user


@transaction.atomic
def sign_up_agency(*, username: str, email: str, password: str, agency_name: str):
    """Create a user and a new agency they own."""
    user = _create_user(username=username, email=email, password=password)
    agency = create_agency(name=agency_name, owner=user)
    logger.info("agency signed up: %s", agency.slug)
    return user


def create_agency(*, name: str, owner: User) -> Agency:
    name = name.strip()
    if not name:
        raise ValidationError({"agency_name": "Give your agency a name."})
    agency = Agency.objects.create(name=name, slug=_unique_agency_slug(name))
    AgencyMembership.objects.create(agency=agency, user=owner, role=AgencyRole.OWNER)
    return agency


def _unique_agency_slug(name: str) -> str:
    base = slugify(name)[:50] or "agency"
    slug = base
    while Agency.objects.filter(slug=slug).exists():
        slug = f"{base}-{secrets.token_hex(2)}"
    return slug


# Profile --------------------------------------------------------------------


PROFILE_FIELDS = (
    "display_name",
    "bio",
    "time_zone",
    "share_to_fediverse",
    "approve_followers_manually",
    "show_follower_lists",
    "default_quote_policy",
    "default_reply_policy",
)


@transaction.atomic
def update_creator_profile(
    *,
    creator: CreatorProfile,
    links: list[tuple[str, str]] | None = None,
    avatar=None,
    header=None,
    remove_avatar: bool = False,
    remove_header: bool = False,
    **fields,
) -> CreatorProfile:
    """Change a creator's profile. The handle never changes.

    `links` replaces every profile link when given, as (label, url) pairs.
    Images are re-encoded before they are stored.
    """
    unknown = set(fields) - set(PROFILE_FIELDS)
    if unknown:
        raise ValueError(f"not profile fields: {sorted(unknown)}")
    was_sharing = creator.share_to_fediverse
    public_before = _public_profile_state(creator)
    for name, value in fields.items():
        setattr(creator, name, value)

    old_files = []
    if remove_avatar and creator.avatar:
        old_files.append(creator.avatar.name)
        creator.avatar = ""
    if remove_header and creator.header:
        old_files.append(creator.header.name)
        creator.header = ""
    if avatar is not None:
        prepared = _prepare_image("avatar", avatar, images.AVATAR, creator)
        if creator.avatar:
            old_files.append(creator.avatar.name)
        creator.avatar.save(prepared.name, prepared, save=False)
    if header is not None:
        prepared = _prepare_image("header", header, images.HEADER, creator)
        if creator.header:
            old_files.append(creator.header.name)
        creator.header.save(prepared.name, prepared, save=False)

    creator.full_clean(exclude=["avatar", "header"])
    # full_clean() does not enforce a TextField's max_length (only forms do),
    # and the API and the dashboard both end up here.
    bio_limit = CreatorProfile._meta.get_field("bio").max_length
    if len(creator.bio) > bio_limit:
        raise ValidationError({"bio": f"At most {bio_limit} characters."})
    creator.save()

    if links is not None:
        _replace_profile_links(creator=creator, links=links)

    storage = creator.avatar.storage
    transaction.on_commit(lambda: [storage.delete(name) for name in old_files])
    _announce_profile_changes(creator, was_sharing, public_before)
    return creator


def _prepare_image(field: str, upload, spec, creator: CreatorProfile):
    """The re-encoded upload; its errors are reported against `field`."""
    try:
        return images.prepare_profile_image(
            upload, spec, name=f"{creator.handle}-{field}"
        )
    except ValidationError as exc:
        raise ValidationError({field: exc.messages}) from exc


def _public_profile_state(creator: CreatorProfile) -> tuple:
    """What remote servers copy of a profile, to tell whether it changed."""
    if creator.pk is None:
        return ()
    return (
        creator.display_name,
        creator.bio,
        creator.avatar.name,
        creator.header.name,
        creator.approve_followers_manually,
        tuple(creator.links.values_list("label", "url")),
    )


def _announce_profile_changes(creator, was_sharing: bool, public_before) -> None:
    # Inside the transaction: receivers record the work it causes in it.
    if creator.share_to_fediverse != was_sharing:
        events.federation_toggled.send(
            sender=CreatorProfile, creator=creator, enabled=creator.share_to_fediverse
        )
    elif creator.share_to_fediverse and (
        _public_profile_state(creator) != public_before
    ):
        events.public_profile_changed.send(sender=CreatorProfile, creator=creator)


def _replace_profile_links(*, creator: CreatorProfile, links) -> None:
    links = [(label.strip(), url.strip()) for label, url in links if label or url]
    if len(links) > MAX_PROFILE_LINKS:
        raise ValidationError(f"At most {MAX_PROFILE_LINKS} profile links.")
    new_links = []
    for position, (label, url) in enumerate(links):
        link = ProfileLink(creator=creator, label=label, url=url, position=position)
        link.full_clean(exclude=["creator"])
        new_links.append(link)
    creator.links.all().delete()
    ProfileLink.objects.bulk_create(new_links)


# Agency access ---------------------------------------------------------------


@transaction.atomic
def grant_agency_access(
    *,
    creator: CreatorProfile,
    agency: Agency,
    scopes: Iterable[str] = (AgencyScope.READ_ANALYTICS,),
    granted_by: User,
) -> AgencyAccess:
    """Let `agency` in with `scopes` (AgencyScope values); granting again
    renews access and sets the scopes to exactly these."""
    if granted_by.pk != creator.user_id:
        raise PermissionDenied("Only the creator can grant access to their data.")
    access, _ = AgencyAccess.objects.select_for_update().get_or_create(
        creator=creator, agency=agency, defaults={"granted_by": granted_by}
    )
    _set_scopes(access, scopes)
    access.granted_by = granted_by
    if access.revoked_at is not None:
        access.revoked_at = None
        access.granted_at = timezone.now()
    access.save()
    logger.info("agency access granted: %s → %s", agency.slug, creator.handle)
    return access


def change_agency_scopes(
    *, access: AgencyAccess, scopes: Iterable[str], changed_by: User
) -> AgencyAccess:
    """Change what an agency may do for the creator; effective at once,
    including for its members' open sessions (permissions read the scopes
    on every request)."""
    if changed_by.pk != access.creator.user_id:
        raise PermissionDenied("Only the creator can change an agency's access.")
    with transaction.atomic():
        access = AgencyAccess.objects.select_for_update().get(pk=access.pk)
        _set_scopes(access, scopes)
        access.save(update_fields=list(AgencyScope.values))
    logger.info(
        "agency scopes changed: %s → %s: %s",
        access.agency.slug,
        access.creator.handle,
        ",".join(access.scopes) or "none",
    )
    return access


def _set_scopes(access: AgencyAccess, scopes: Iterable[str]) -> None:
    scopes = set(scopes)
    unknown = scopes - set(AgencyScope.values)
    if unknown:
        raise ValidationError(
            {"scopes": f"Unknown scope: {', '.join(sorted(unknown))}."}
        )
    for scope in AgencyScope.values:
        setattr(access, scope, scope in scopes)


def revoke_agency_access(*, access: AgencyAccess, revoked_by: User) -> AgencyAccess:
    """Take an agency's access away at once; the row stays as history."""
    if revoked_by.pk != access.creator.user_id:
        raise PermissionDenied("Only the creator can revoke an agency's access.")
    if access.revoked_at is None:
        access.revoked_at = timezone.now()
        access.save(update_fields=["revoked_at"])
        logger.info(
            "agency access revoked: %s → %s", access.agency.slug, access.creator.handle
        )
    return access


# Agency members --------------------------------------------------------------


def add_agency_member(
    *, agency: Agency, username_or_email: str, role: str, added_by: User
) -> AgencyMembership:
    """Add an existing user to the agency in `role`. Owners only."""
    if not can_manage_agency(added_by, agency):
        raise PermissionDenied("Only an agency owner can add members.")
    if role not in AgencyRole.values:
        raise ValidationError({"role": "Choose owner, manager or analyst."})
    needle = username_or_email.strip()
    user = User.objects.filter(username__iexact=needle).first() or (
        User.objects.filter(email__iexact=needle).first()
    )
    if user is None or not user.is_active:
        raise ValidationError(
            {"username_or_email": "No account with that username or email."}
        )
    membership, created = AgencyMembership.objects.get_or_create(
        agency=agency, user=user, defaults={"role": role}
    )
    if not created:
        raise ValidationError(
            {"username_or_email": f"{user.username} is already a member."}
        )
    return membership


@transaction.atomic
def change_agency_member_role(
    *, membership: AgencyMembership, role: str, changed_by: User
) -> AgencyMembership:
    if not can_manage_agency(changed_by, membership.agency):
        raise PermissionDenied("Only an agency owner can change roles.")
    if role not in AgencyRole.values:
        raise ValidationError({"role": "Choose owner, manager or analyst."})
    if membership.role == AgencyRole.OWNER and role != AgencyRole.OWNER:
        _ensure_another_owner(membership)
    membership.role = role
    membership.save(update_fields=["role"])
    return membership


@transaction.atomic
def remove_agency_member(*, membership: AgencyMembership, removed_by: User) -> None:
    if not can_manage_agency(removed_by, membership.agency):
        raise PermissionDenied("Only an agency owner can remove members.")
    if membership.role == AgencyRole.OWNER:
        _ensure_another_owner(membership)
    membership.delete()


def _ensure_another_owner(membership: AgencyMembership) -> None:
    owners = AgencyMembership.objects.select_for_update().filter(
        agency=membership.agency, role=AgencyRole.OWNER
    )
    if not owners.exclude(pk=membership.pk).exists():
        raise ValidationError("An agency needs at least one owner.")


# API tokens -----------------------------------------------------------------

# Active tokens a user may hold at once; each is a standing way in.
MAX_API_TOKENS = 20
# A token's last use is written at most this often, not once per request.
API_TOKEN_USE_RESOLUTION = timedelta(minutes=1)
API_TOKEN_SECRET_PREFIX = "chub_"  # noqa: S105 - marks a secret, is none


def create_api_token(
    *, user: User, name: str, scope: str = ApiTokenScope.READ
) -> tuple[ApiToken, str]:
    """Make a token; return it and its secret, which nothing stores.

    The secret is shown to the user once; the row keeps its SHA-256 and its
    first characters, so the user can tell their tokens apart.
    """
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Give the token a name."})
    if scope not in ApiTokenScope.values:
        raise ValidationError({"scope": "Choose read only or read and write."})
    with transaction.atomic():
        # Lock the user's row so two requests cannot both pass the cap.
        User.objects.select_for_update().filter(pk=user.pk).first()
        if ApiToken.objects.active().filter(user=user).count() >= MAX_API_TOKENS:
            raise ValidationError(
                f"You have {MAX_API_TOKENS} tokens already. Revoke one you no "
                "longer use first."
            )
        secret = API_TOKEN_SECRET_PREFIX + secrets.token_urlsafe(32)
        token = ApiToken.objects.create(
            user=user,
            name=name,
            scope=scope,
            prefix=secret[: len(API_TOKEN_SECRET_PREFIX) + 6],
            key_hash=hash_token_secret(secret),
        )
    logger.info("API token %s made for user %s", token.pk, user.pk)
    return token, secret


def revoke_api_token(*, token: ApiToken) -> ApiToken:
    """Stop the token working at once. Revoking twice changes nothing."""
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        logger.info("API token %s revoked", token.pk)
    return token


def record_api_token_use(*, token: ApiToken) -> None:
    """Stamp the token's last use, at most once a minute.

    The conditional UPDATE keeps a busy script from writing on every request,
    and concurrent requests from stamping the row more than once.
    """
    now = timezone.now()
    if token.last_used_at and now - token.last_used_at < API_TOKEN_USE_RESOLUTION:
        return
    stale = Q(last_used_at__isnull=True) | Q(
        last_used_at__lt=now - API_TOKEN_USE_RESOLUTION
    )
    ApiToken.objects.filter(stale, pk=token.pk).update(last_used_at=now)
    token.last_used_at = now
