"""Who may see and do what: the one place tenant boundaries are decided.

Views, API endpoints and later reports call these instead of filtering on
their own, so a rule changes in one place. Anything a user may not see is
answered with 404 (not 403) so its existence does not leak.
"""

from django.db.models import Q, QuerySet
from django.http import Http404
from rest_framework.permissions import BasePermission

from .models import (
    Agency,
    AgencyAccess,
    AgencyMembership,
    AgencyRole,
    AgencyScope,
    ApiToken,
    CreatorProfile,
    User,
)

# Roles that may act for a creator beyond reading, within the creator's scopes.
ACTING_ROLES = (AgencyRole.OWNER, AgencyRole.MANAGER)


def agencies_of(user: User) -> QuerySet[Agency]:
    """Agencies the user is a member of, in any role."""
    if not user.is_authenticated:
        return Agency.objects.none()
    return Agency.objects.filter(memberships__user=user).distinct()


def role_in_agency(user: User, agency: Agency) -> str | None:
    if not user.is_authenticated:
        return None
    return (
        AgencyMembership.objects.filter(agency=agency, user=user)
        .values_list("role", flat=True)
        .first()
    )


def can_manage_agency(user: User, agency: Agency) -> bool:
    """Owners add and remove members and change their roles."""
    return role_in_agency(user, agency) == AgencyRole.OWNER


def creators_visible_to(user: User) -> QuerySet[CreatorProfile]:
    """The creators whose data the user may read.

    A creator sees themself; an agency member sees each creator who granted
    one of their agencies access and has not revoked it.
    """
    if not user.is_authenticated or not user.is_active:
        return CreatorProfile.objects.none()
    granted = AgencyAccess.objects.active().filter(agency__memberships__user=user)
    return CreatorProfile.objects.filter(
        Q(user=user) | Q(pk__in=granted.values("creator"))
    ).filter(user__is_active=True)


def creators_of_agency_visible_to(
    user: User, agency: Agency
) -> QuerySet[CreatorProfile]:
    """Creators who granted `agency` access, if the user belongs to it."""
    if role_in_agency(user, agency) is None:
        return CreatorProfile.objects.none()
    return CreatorProfile.objects.filter(
        agency_grants__agency=agency,
        agency_grants__revoked_at__isnull=True,
        user__is_active=True,
    )


def can_view_creator(user: User, creator: CreatorProfile) -> bool:
    return creators_visible_to(user).filter(pk=creator.pk).exists()


def scopes_for(user: User, creator: CreatorProfile) -> frozenset[str]:
    """What the user may do for `creator`, as AgencyScope values.

    The creator holds every scope. An agency owner or manager holds what the
    creator granted their agency (several agencies add up); an analyst only
    ever reads analytics. Read from the database on every call, so a scope
    the creator takes back stops an open session at once.
    """
    if not user.is_authenticated or not user.is_active:
        return frozenset()
    if creator.user_id == user.pk:
        return frozenset(AgencyScope.values)
    roles = dict(
        AgencyMembership.objects.filter(
            user=user,
            agency__creator_grants__creator=creator,
            agency__creator_grants__revoked_at__isnull=True,
        ).values_list("agency_id", "role")
    )
    held: set[str] = set()
    for grant in AgencyAccess.objects.active().filter(
        creator=creator, agency_id__in=roles
    ):
        if grant.read_analytics:
            held.add(AgencyScope.READ_ANALYTICS)
        if roles[grant.agency_id] in ACTING_ROLES:
            held.update(grant.scopes)
    return frozenset(held)


def _may(user: User, creator: CreatorProfile, *scopes: str) -> bool:
    return bool(scopes_for(user, creator) & set(scopes))


def can_read_analytics_for(user: User, creator: CreatorProfile) -> bool:
    """See the creator's followers, engagement and reports."""
    return _may(user, creator, AgencyScope.READ_ANALYTICS)


def can_draft_for(user: User, creator: CreatorProfile) -> bool:
    """Write posts for the creator: drafts, and posts sent for approval.

    Whoever may publish may write too.
    """
    return _may(user, creator, AgencyScope.DRAFT_POSTS, AgencyScope.PUBLISH_POSTS)


def can_publish_for(user: User, creator: CreatorProfile) -> bool:
    """Publish, schedule, edit published posts, pin and delete them."""
    return _may(user, creator, AgencyScope.PUBLISH_POSTS)


def can_answer_for(user: User, creator: CreatorProfile) -> bool:
    """Answer replies to the creator's posts, in the creator's name."""
    return _may(user, creator, AgencyScope.ANSWER_REPLIES)


def can_moderate_replies_for(user: User, creator: CreatorProfile) -> bool:
    """Approve, hide and remove replies; answer follow requests."""
    return _may(user, creator, AgencyScope.MODERATE_REPLIES)


def can_approve_posts_of(user: User, creator: CreatorProfile) -> bool:
    """Approve or send back posts written for approval: the creator alone."""
    return bool(user.is_authenticated and user.is_active and creator.user_id == user.pk)


def creators_with_scope(user: User, scope: str) -> QuerySet[CreatorProfile]:
    """The creators for whom the user holds `scope` (the creator included)."""
    if not user.is_authenticated or not user.is_active:
        return CreatorProfile.objects.none()
    # One filter() call, so the role is the user's own membership's: in a
    # second call it would join the agency's memberships again and match any
    # manager's, letting an analyst of that agency through.
    membership = {"agency__memberships__user": user}
    if scope != AgencyScope.READ_ANALYTICS:
        membership["agency__memberships__role__in"] = ACTING_ROLES
    granted = AgencyAccess.objects.active().filter(**{scope: True}, **membership)
    return CreatorProfile.objects.filter(
        Q(user=user) | Q(pk__in=granted.values("creator"))
    ).filter(user__is_active=True)


def acting_agency(user: User, creator: CreatorProfile) -> Agency | None:
    """The agency through which the user acts for `creator`; None for the
    creator themself (or someone with no access)."""
    if not user.is_authenticated or creator.user_id == user.pk:
        return None
    return (
        Agency.objects.filter(
            creator_grants__creator=creator,
            creator_grants__revoked_at__isnull=True,
            memberships__user=user,
            memberships__role__in=ACTING_ROLES,
        )
        .order_by("name", "pk")
        .first()
    )


def can_moderate(user: User) -> bool:
    """Instance admins (staff) moderate replies, reports and domains."""
    return bool(user.is_authenticated and user.is_active and user.is_staff)


def get_agency_for_member_or_404(user: User, slug: str) -> Agency:
    agency = agencies_of(user).filter(slug=slug).first()
    if agency is None:
        raise Http404("No such agency.")
    return agency


def get_creator_analytics_or_404(user: User, handle: str) -> CreatorProfile:
    """A creator whose analytics the user may read (the read analytics
    scope), or 404: an agency the creator let draft posts but not read
    their numbers does not learn they exist from the reports."""
    creator = (
        creators_with_scope(user, AgencyScope.READ_ANALYTICS)
        .filter(handle=handle.lower())
        .first()
    )
    if creator is None:
        raise Http404("No such creator.")
    return creator


def creators_of_agency_with_analytics(
    user: User, agency: Agency
) -> QuerySet[CreatorProfile]:
    """Creators who let `agency` read their analytics, if the user is in it."""
    return creators_of_agency_visible_to(user, agency).filter(
        pk__in=AgencyAccess.objects.active()
        .filter(agency=agency, read_analytics=True)
        .values("creator")
    )


def get_visible_creator_or_404(user: User, handle: str) -> CreatorProfile:
    creator = creators_visible_to(user).filter(handle=handle.lower()).first()
    if creator is None:
        raise Http404("No such creator.")
    return creator


class IsModerator(BasePermission):
    """DRF: only instance admins."""

    def has_permission(self, request, view) -> bool:
        return can_moderate(request.user)


def get_own_agency_access_or_404(user: User, pk: int) -> AgencyAccess:
    """One of the user's own grants (as a creator), or 404."""
    access = (
        AgencyAccess.objects.select_related("agency", "creator")
        .filter(pk=pk, creator__user=user)
        .first()
        if user.is_authenticated
        else None
    )
    if access is None:
        raise Http404("No such grant.")
    return access


def get_membership_for_member_or_404(user: User, pk: int) -> AgencyMembership:
    """A membership in one of the user's agencies, or 404.

    Whether the user may change it is the service's decision (owners only).
    """
    membership = (
        AgencyMembership.objects.select_related("agency", "user")
        .filter(pk=pk, agency__in=agencies_of(user))
        .first()
    )
    if membership is None:
        raise Http404("No such member.")
    return membership


def get_agency_creator_or_404(user: User, agency: Agency, handle: str):
    """A creator who granted `agency` access, as a member sees them, or 404."""
    creator = (
        creators_of_agency_visible_to(user, agency)
        .filter(handle=handle.lower())
        .first()
    )
    if creator is None:
        raise Http404("No such creator.")
    return creator


def get_own_api_token_or_404(user: User, pk: int) -> ApiToken:
    """One of the user's own tokens that still works, or 404."""
    token = (
        ApiToken.objects.active().filter(pk=pk, user=user).first()
        if user.is_authenticated
        else None
    )
    if token is None:
        raise Http404("No such token.")
    return token
