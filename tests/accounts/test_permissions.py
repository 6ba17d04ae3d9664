import pytest

from accounts import permissions
from accounts.services import revoke_agency_access
from tests import factories

pytestmark = pytest.mark.django_db


def test_creator_sees_only_themself(creator, other_creator):
    visible = permissions.creators_visible_to(creator.user)
    assert list(visible) == [creator]


def test_analyst_sees_creators_who_granted_their_agency(
    creator, other_creator, agency_with_analyst
):
    _, analyst = agency_with_analyst
    assert list(permissions.creators_visible_to(analyst)) == [creator]
    assert not permissions.can_view_creator(analyst, other_creator)


def test_revoked_access_hides_the_creator_at_once(creator, agency_with_analyst):
    agency, analyst = agency_with_analyst
    access = creator.agency_grants.get(agency=agency)
    revoke_agency_access(access=access, revoked_by=creator.user)
    assert not permissions.can_view_creator(analyst, creator)


def test_only_owners_and_managers_act_and_only_within_the_creators_scopes(creator):
    agency = factories.AgencyFactory()
    manager = factories.MembershipFactory(agency=agency, role="manager").user
    analyst = factories.MembershipFactory(agency=agency, role="analyst").user
    access = factories.AgencyAccessFactory(creator=creator, agency=agency)
    assert permissions.can_read_analytics_for(manager, creator)
    assert not permissions.can_draft_for(manager, creator)
    assert not permissions.can_publish_for(manager, creator)

    access.draft_posts = True
    access.save()
    assert permissions.can_draft_for(manager, creator)
    assert not permissions.can_publish_for(manager, creator)
    assert not permissions.can_answer_for(manager, creator)

    access.publish_posts = access.answer_replies = access.moderate_replies = True
    access.save()
    assert permissions.can_publish_for(manager, creator)
    assert permissions.can_answer_for(manager, creator)
    assert permissions.can_moderate_replies_for(manager, creator)
    # An analyst only ever reads, whatever the creator granted.
    assert permissions.can_read_analytics_for(analyst, creator)
    for may in (
        permissions.can_draft_for,
        permissions.can_publish_for,
        permissions.can_answer_for,
        permissions.can_moderate_replies_for,
    ):
        assert not may(analyst, creator)
        assert may(creator.user, creator)


def test_moderation_is_for_staff_only(creator):
    admin = factories.UserFactory(admin=True)
    assert permissions.can_moderate(admin)
    assert not permissions.can_moderate(creator.user)
