"""Fixtures shared by the whole suite."""

from urllib.parse import urlsplit

import pytest

from federation.inbound import inbox, verification
from federation.protocol import keys
from tests import factories
from tests.chromium import launch_browser


@pytest.fixture(scope="session")
def browser():
    """Chromium driven by Playwright (tests/chromium.py)."""
    yield from launch_browser()


@pytest.fixture(autouse=True)
def forget_verified_keys():
    """Each test starts without keys another test verified: row ids repeat
    between tests, so a cached key or "heard from" could name another row."""
    verification.forget_cached_keys()


@pytest.fixture
def creator(db):
    """A creator sharing to the fediverse, with a user that can log in."""
    return factories.CreatorFactory(handle="alice", user__username="alice")


@pytest.fixture
def other_creator(db):
    """A second tenant: a creator with no relation to `creator`."""
    return factories.CreatorFactory(handle="bob", user__username="bob")


@pytest.fixture
def manager(db, creator):
    """An agency manager `creator` allowed to manage their posts."""
    return factories.agency_member_with_access(
        creator,
        role="manager",
        may_manage_posts=True,
        agency=factories.AgencyFactory(name="Posting Agency", slug="posting"),
        username="manager",
    )


@pytest.fixture
def admin_user(db):
    """An instance admin (staff)."""
    return factories.UserFactory(username="admin", admin=True)


@pytest.fixture
def agency_with_analyst(db, creator):
    """An agency `creator` granted access to, with an analyst member."""
    agency = factories.AgencyFactory(name="Bright Agency", slug="bright")
    analyst = factories.MembershipFactory(
        agency=agency, user__username="analyst", role="analyst"
    ).user
    factories.AgencyAccessFactory(creator=creator, agency=agency)
    return agency, analyst


def pytest_terminal_summary(terminalreporter):
    """Say how many tests against real services and a real browser passed.

    Skips of those are easy to miss in a long run; CI logs and closing
    notes quote this line.
    """
    passed = terminalreporter.stats.get("passed", [])
    counts = {
        marker: sum(1 for report in passed if marker in report.keywords)
        for marker in ("integration", "browser")
    }
    terminalreporter.write_line(
        f"real services: {counts['integration']} integration tests passed, "
        f"{counts['browser']} browser tests passed"
    )


# Our server on loopback, for tests with remote peers (tests/federation/peer.py)


@pytest.fixture
def loopback(settings):
    """Peers run on 127.0.0.1 over plain http: allow both, explicitly."""
    settings.CREATORHUB_SCHEME = "http"
    settings.FEDERATION_ALLOW_HTTP = True
    settings.FEDERATION_ALLOW_PRIVATE_ADDRESSES = True
    settings.FEDERATION_WEBFINGER_SCHEME = "http"
    return settings


@pytest.fixture
def hub(live_server, transactional_db, loopback):
    """Our side, reachable by the peer: the live server is CREATORHUB_DOMAIN."""
    loopback.CREATORHUB_DOMAIN = urlsplit(live_server.url).netloc
    # Made here, not lazily inside a request the live server is serving.
    keys.key_for_instance()
    return live_server


@pytest.fixture
def live_inbox(hub, settings):
    """The live server's inboxes, for tests to process what peers POST
    in-process with inbox_support.process_queued; no key verified by
    another test."""
    inbox.forget_cached_keys()
    yield hub
    inbox.forget_cached_keys()
