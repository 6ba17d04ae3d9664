"""Read-only queries shared by the API and the dashboard.

Visibility is decided in accounts.permissions; these functions only shape
what it allows (related rows, ordering) so lists avoid N+1 queries.
"""

from django.db.models import QuerySet
from django.http import Http404

from . import permissions
from .models import Agency, AgencyMembership, ApiToken, CreatorProfile, User


def _with_profile_relations(
    queryset: QuerySet[CreatorProfile],
) -> QuerySet[CreatorProfile]:
    return queryset.select_related("user").prefetch_related("links")


def creator_list_visible_to(*, user: User) -> QuerySet[CreatorProfile]:
    """Creators the user may read, ready to serialize, ordered by handle."""
    creators = permissions.creators_visible_to(user).order_by("handle")
    return _with_profile_relations(creators)


def creator_get_visible(*, user: User, handle: str) -> CreatorProfile:
    """The creator with `handle` if the user may read it; Http404 otherwise."""
    return permissions.get_visible_creator_or_404(user, handle)


def creator_of_user(*, user: User) -> CreatorProfile | None:
    """The user's own creator profile, or None for agency-only accounts."""
    if not user.is_authenticated:
        return None
    queryset = _with_profile_relations(CreatorProfile.objects.filter(user=user))
    return queryset.first()


def membership_list_of(*, user: User) -> QuerySet[AgencyMembership]:
    """The user's agency memberships with their agency, by agency name."""
    if not user.is_authenticated:
        return AgencyMembership.objects.none()
    return (
        AgencyMembership.objects.filter(user=user)
        .select_related("agency")
        .order_by("agency__name", "agency__slug")
    )


def membership_get_for_member(*, user: User, slug: str) -> AgencyMembership:
    """The user's membership of the agency `slug`; Http404 if not a member."""
    agency = permissions.get_agency_for_member_or_404(user, slug)
    membership = membership_list_of(user=user).filter(agency=agency).first()
    if membership is None:
        raise Http404("No such agency.")
    return membership


def agency_creator_list(*, user: User, agency: Agency) -> QuerySet[CreatorProfile]:
    """Creators who granted `agency` access, if the user belongs to it."""
    creators = permissions.creators_of_agency_visible_to(user, agency)
    return _with_profile_relations(creators.order_by("handle").distinct())


def api_token_list_of(*, user: User) -> QuerySet[ApiToken]:
    """The user's tokens that still work, newest first."""
    return ApiToken.objects.active().filter(user=user)


def api_token_revoked_list_of(*, user: User, limit: int = 10) -> list[ApiToken]:
    """The user's most recently revoked tokens, for the record."""
    return list(
        ApiToken.objects.filter(user=user, revoked_at__isnull=False).order_by(
            "-revoked_at"
        )[:limit]
    )
