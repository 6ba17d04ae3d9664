"""Fixtures for the moderation pages: a creator with replies in every
state, the people who may (or may not) moderate them, and admins."""

import pytest

from analytics.models import Reply
from tests import factories
from tests.moderation.conftest import make_reply, published

Status = Reply.Status
HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "queue-list"}


@pytest.fixture
def post(creator):
    return published(creator, "Harbour at dusk")


@pytest.fixture
def replies(post):
    """Three held, one shown, one hidden, from two servers."""
    return {
        "spam": make_reply(
            post,
            "Buy crypto now",
            who="eve",
            domain="spam.example",
            status=Status.HELD,
            hold_reason="Matches the filter list: “crypto”",
        ),
        "flood": make_reply(
            post,
            "Follow me follow me",
            who="eve",
            domain="spam.example",
            status=Status.HELD,
            hold_reason="A flood: 12 replies from this account in 10 minutes "
            "(more than 10); only a link, with no words of its own",
        ),
        "new": make_reply(
            post,
            "First time here, lovely",
            who="ana",
            domain="new.example",
            status=Status.HELD,
            hold_reason="First reply from an account that never interacted before",
        ),
        "kind": make_reply(post, "Lovely light", who="bob", domain="mastodon.example"),
        "rude": make_reply(
            post,
            "Rude words",
            who="max",
            domain="mastodon.example",
            status=Status.HIDDEN,
            hold_reason="off topic",
        ),
    }


@pytest.fixture
def analyst(creator):
    return factories.agency_member_with_access(
        creator, role="analyst", may_manage_posts=False, username="analyst"
    )


@pytest.fixture
def as_user(client):
    def login(user):
        client.force_login(user)
        return client

    return login
