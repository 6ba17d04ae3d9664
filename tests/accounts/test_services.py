"""accounts.services: sign-up, agency access, members and profiles."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts import services
from accounts.models import (
    AgencyAccess,
    AgencyMembership,
    AgencyRole,
    CreatorProfile,
    User,
)
from tests import factories

pytestmark = pytest.mark.django_db


def sign_up(**overrides):
    kwargs = {
        "username": "carol",
        "email": "carol@example.com",
        "password": "correct-horse-battery",
        "handle": "carol",
    }
    return services.sign_up_creator(**{**kwargs, **overrides})


def error_fields(excinfo) -> set[str]:
    return set(excinfo.value.message_dict)


# Sign-up ----------------------------------------------------------------------


def test_sign_up_stores_the_handle_in_lower_case():
    user = sign_up(handle="  @Carol_X ")
    assert user.creator.handle == "carol_x"
    assert user.check_password("correct-horse-battery")
    assert user.creator.share_to_fediverse is False


@pytest.mark.parametrize("handle", ["admin", "Admin", "healthz", "webfinger"])
def test_reserved_handles_are_refused(handle):
    with pytest.raises(ValidationError) as excinfo:
        sign_up(handle=handle)
    assert error_fields(excinfo) == {"handle"}
    assert not User.objects.exists()


@pytest.mark.parametrize("handle", ["", "with space", "dash-ed", "x" * 31, "émile"])
def test_malformed_handles_are_refused(handle):
    with pytest.raises(ValidationError) as excinfo:
        sign_up(handle=handle)
    assert error_fields(excinfo) == {"handle"}


def test_a_taken_handle_is_refused_in_any_case():
    sign_up()
    with pytest.raises(ValidationError) as excinfo:
        sign_up(username="carol2", email="c2@example.com", handle="CAROL")
    assert error_fields(excinfo) == {"handle"}
    assert CreatorProfile.objects.count() == 1


def test_a_duplicate_email_is_refused_case_insensitively():
    sign_up()
    with pytest.raises(ValidationError) as excinfo:
        sign_up(username="carol2", email="Carol@Example.COM", handle="carol2")
    assert error_fields(excinfo) == {"email"}
    assert User.objects.count() == 1


def test_a_duplicate_username_is_refused_case_insensitively():
    sign_up()
    with pytest.raises(ValidationError) as excinfo:
        sign_up(username="CAROL", email="c2@example.com", handle="carol2")
    assert error_fields(excinfo) == {"username"}


def test_agency_sign_up_makes_the_user_its_owner():
    user = services.sign_up_agency(
        username="dana",
        email="dana@example.com",
        password="correct-horse-battery",
        agency_name="Dana & Co",
    )
    membership = AgencyMembership.objects.get(user=user)
    assert membership.role == AgencyRole.OWNER
    assert membership.agency.slug == "dana-co"


def test_agency_slugs_stay_unique():
    owner = factories.UserFactory()
    first = services.create_agency(name="Same Name", owner=owner)
    second = services.create_agency(name="Same Name", owner=owner)
    assert first.slug == "same-name"
    assert second.slug.startswith("same-name-")


def test_an_agency_needs_a_name():
    with pytest.raises(ValidationError):
        services.create_agency(name="   ", owner=factories.UserFactory())


# Agency access -----------------------------------------------------------------


def test_grant_revoke_and_grant_again_keeps_one_row(creator):
    agency = factories.AgencyFactory()
    access = services.grant_agency_access(
        creator=creator, agency=agency, granted_by=creator.user
    )
    assert access.is_active

    services.revoke_agency_access(access=access, revoked_by=creator.user)
    access.refresh_from_db()
    assert access.revoked_at is not None
    first_granted_at = access.granted_at

    again = services.grant_agency_access(
        creator=creator,
        agency=agency,
        scopes=["read_analytics", "publish_posts"],
        granted_by=creator.user,
    )
    assert again.pk == access.pk
    assert again.is_active
    assert again.scopes == ["read_analytics", "publish_posts"]
    assert again.granted_at > first_granted_at
    assert AgencyAccess.objects.count() == 1


def test_revoking_twice_keeps_the_first_revocation_time(creator):
    access = factories.AgencyAccessFactory(creator=creator)
    services.revoke_agency_access(access=access, revoked_by=creator.user)
    revoked_at = access.revoked_at
    services.revoke_agency_access(access=access, revoked_by=creator.user)
    access.refresh_from_db()
    assert access.revoked_at == revoked_at


def test_only_the_creator_grants_and_revokes(creator, other_creator):
    agency = factories.AgencyFactory()
    owner = factories.MembershipFactory(agency=agency, role="owner").user
    with pytest.raises(PermissionDenied):
        services.grant_agency_access(creator=creator, agency=agency, granted_by=owner)
    access = factories.AgencyAccessFactory(creator=creator, agency=agency)
    for stranger in (owner, other_creator.user):
        with pytest.raises(PermissionDenied):
            services.revoke_agency_access(access=access, revoked_by=stranger)
    access.refresh_from_db()
    assert access.is_active


# Members ------------------------------------------------------------------------


@pytest.fixture
def team():
    agency = factories.AgencyFactory()
    owner = factories.MembershipFactory(agency=agency, role="owner")
    manager = factories.MembershipFactory(agency=agency, role="manager")
    analyst = factories.MembershipFactory(agency=agency, role="analyst")
    return agency, owner, manager, analyst


def test_owners_add_members_by_username_or_email(team):
    agency, owner, _, _ = team
    erin = factories.UserFactory(username="erin", email="erin@example.com")
    frank = factories.UserFactory(username="frank", email="frank@example.com")
    services.add_agency_member(
        agency=agency, username_or_email="ERIN", role="analyst", added_by=owner.user
    )
    services.add_agency_member(
        agency=agency,
        username_or_email="Frank@Example.com",
        role="manager",
        added_by=owner.user,
    )
    roles = dict(agency.memberships.values_list("user__username", "role"))
    assert roles["erin"] == "analyst"
    assert roles["frank"] == "manager"
    assert frank.agency_memberships.count() == 1
    assert erin.agency_memberships.count() == 1


def test_adding_refuses_unknown_users_bad_roles_and_duplicates(team):
    agency, owner, manager, _ = team
    factories.UserFactory(username="gina")
    inactive = factories.UserFactory(username="hank", is_active=False)
    cases = [
        ("nobody", "analyst", "username_or_email"),
        (inactive.username, "analyst", "username_or_email"),
        ("gina", "boss", "role"),
        (manager.user.username, "analyst", "username_or_email"),
    ]
    for needle, role, field in cases:
        with pytest.raises(ValidationError) as excinfo:
            services.add_agency_member(
                agency=agency, username_or_email=needle, role=role, added_by=owner.user
            )
        assert error_fields(excinfo) == {field}, needle


@pytest.mark.parametrize("actor", ["manager", "analyst", "stranger"])
def test_only_owners_manage_members(team, actor):
    agency, owner, manager, analyst = team
    user = {
        "manager": manager.user,
        "analyst": analyst.user,
        "stranger": factories.UserFactory(),
    }[actor]
    factories.UserFactory(username="ivy")
    with pytest.raises(PermissionDenied):
        services.add_agency_member(
            agency=agency, username_or_email="ivy", role="analyst", added_by=user
        )
    with pytest.raises(PermissionDenied):
        services.change_agency_member_role(
            membership=analyst, role="owner", changed_by=user
        )
    with pytest.raises(PermissionDenied):
        services.remove_agency_member(membership=owner, removed_by=user)
    assert agency.memberships.count() == 3


def test_an_owner_of_another_agency_cannot_manage_this_one(team):
    agency, _, _, analyst = team
    other_owner = factories.MembershipFactory(role="owner").user
    with pytest.raises(PermissionDenied):
        services.remove_agency_member(membership=analyst, removed_by=other_owner)


def test_the_last_owner_can_be_neither_removed_nor_demoted(team):
    _, owner, _, _ = team
    with pytest.raises(ValidationError):
        services.remove_agency_member(membership=owner, removed_by=owner.user)
    with pytest.raises(ValidationError):
        services.change_agency_member_role(
            membership=owner, role="analyst", changed_by=owner.user
        )
    owner.refresh_from_db()
    assert owner.role == "owner"


def test_with_a_second_owner_the_first_may_leave(team):
    agency, owner, manager, _ = team
    services.change_agency_member_role(
        membership=manager, role="owner", changed_by=owner.user
    )
    services.remove_agency_member(membership=owner, removed_by=owner.user)
    assert list(agency.memberships.filter(role="owner")) == [manager]


def test_owners_change_roles(team):
    _, owner, _, analyst = team
    services.change_agency_member_role(
        membership=analyst, role="manager", changed_by=owner.user
    )
    analyst.refresh_from_db()
    assert analyst.role == "manager"
    with pytest.raises(ValidationError):
        services.change_agency_member_role(
            membership=analyst, role="boss", changed_by=owner.user
        )


# Profiles -------------------------------------------------------------------------


def test_update_profile_replaces_links_in_order(creator):
    services.update_creator_profile(
        creator=creator,
        links=[("One", "https://one.example"), ("Two", "https://two.example")],
    )
    services.update_creator_profile(
        creator=creator,
        display_name="Alice",
        links=[("Three", "https://three.example"), ("", "")],
    )
    creator.refresh_from_db()
    assert creator.display_name == "Alice"
    assert [(link.label, link.position) for link in creator.links.all()] == [
        ("Three", 0)
    ]


def test_update_profile_without_links_keeps_them(creator):
    services.update_creator_profile(creator=creator, links=[("A", "https://a.example")])
    services.update_creator_profile(creator=creator, bio="new bio")
    assert creator.links.count() == 1


def test_more_than_four_links_are_refused_and_nothing_changes(creator):
    services.update_creator_profile(creator=creator, links=[("A", "https://a.example")])
    links = [(f"L{n}", f"https://{n}.example") for n in range(5)]
    with pytest.raises(ValidationError, match="At most 4"):
        services.update_creator_profile(
            creator=creator, display_name="Changed", links=links
        )
    creator.refresh_from_db()
    assert creator.display_name != "Changed"
    assert list(creator.links.values_list("label", flat=True)) == ["A"]


def test_an_invalid_link_url_is_refused(creator):
    with pytest.raises(ValidationError):
        services.update_creator_profile(
            creator=creator, links=[("Bad", "javascript:alert(1)")]
        )
    assert creator.links.count() == 0


def test_an_unknown_time_zone_is_refused(creator):
    with pytest.raises(ValidationError) as excinfo:
        services.update_creator_profile(creator=creator, time_zone="Mars/Olympus")
    assert error_fields(excinfo) == {"time_zone"}
    creator.refresh_from_db()
    assert creator.time_zone == "UTC"


def test_a_known_time_zone_is_stored(creator):
    services.update_creator_profile(creator=creator, time_zone="America/Sao_Paulo")
    creator.refresh_from_db()
    assert creator.time_zone == "America/Sao_Paulo"


def test_a_too_long_bio_is_refused(creator):
    with pytest.raises(ValidationError) as excinfo:
        services.update_creator_profile(creator=creator, bio="x" * 501)
    assert error_fields(excinfo) == {"bio"}


def test_the_handle_cannot_be_changed_through_the_profile(creator):
    with pytest.raises(ValueError, match="handle"):
        services.update_creator_profile(creator=creator, handle="mallory")


# API tokens -------------------------------------------------------------------------


def test_a_user_may_hold_several_api_tokens(creator):
    """A new token leaves the others working; revoking one leaves the rest."""
    first, first_secret = services.create_api_token(user=creator.user, name="One")
    second, second_secret = services.create_api_token(
        user=creator.user, name="Two", scope="write"
    )
    assert first_secret != second_secret
    assert first.prefix == first_secret[:11] and first_secret.startswith("chub_")
    services.revoke_api_token(token=first)
    assert list(creator.user.api_tokens.active()) == [second]


def test_an_api_token_needs_a_name_and_a_known_scope(creator):
    with pytest.raises(ValidationError) as caught:
        services.create_api_token(user=creator.user, name="  ")
    assert "name" in caught.value.error_dict
    with pytest.raises(ValidationError) as caught:
        services.create_api_token(user=creator.user, name="x", scope="admin")
    assert "scope" in caught.value.error_dict
    assert not creator.user.api_tokens.exists()


def test_active_api_tokens_are_capped(creator):
    for n in range(services.MAX_API_TOKENS):
        services.create_api_token(user=creator.user, name=f"t{n}")
    with pytest.raises(ValidationError, match="Revoke one"):
        services.create_api_token(user=creator.user, name="one more")
    services.revoke_api_token(token=creator.user.api_tokens.first())
    services.create_api_token(user=creator.user, name="one more")


def test_an_unreadable_image_is_reported_against_its_field(creator):
    upload = SimpleUploadedFile("me.png", b"not an image", content_type="image/png")
    with pytest.raises(ValidationError) as caught:
        services.update_creator_profile(creator=creator, header=upload)
    assert list(caught.value.error_dict) == ["header"]
    creator.refresh_from_db()
    assert not creator.header
