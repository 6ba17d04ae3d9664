"""Fixtures shared by the whole suite."""

import pytest

from tests import factories


@pytest.fixture
def creator(db):
    """A creator sharing to the fediverse, with a user that can log in."""
    return factories.CreatorFactory(handle="alice", user__username="alice")


@pytest.fixture
def other_creator(db):
    """A second tenant: a creator with no relation to `creator`."""
    return factories.CreatorFactory(handle="bob", user__username="bob")


@pytest.fixture
def agency_with_analyst(db, creator):
    """An agency `creator` granted access to, with an analyst member."""
    agency = factories.AgencyFactory(name="Bright Agency", slug="bright")
    analyst = factories.MembershipFactory(
        agency=agency, user__username="analyst", role="analyst"
    ).user
    factories.AgencyAccessFactory(creator=creator, agency=agency)
    return agency, analyst
