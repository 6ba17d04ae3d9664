"""The reply queue and the moderation log: who sees what, and the filters."""

import pytest

from analytics.models import Reply
from moderation import selectors, services
from tests import factories
from tests.moderation.conftest import make_reply, published

pytestmark = pytest.mark.django_db

Status = Reply.Status


@pytest.fixture
def replies(creator, other_creator, post):
    theirs = published(other_creator)
    return {
        "held_spam": make_reply(post, "cheap pills", status=Status.HELD),
        "held_sub": make_reply(
            post, "hello", domain="social.spam.example", status=Status.HELD
        ),
        "shown": make_reply(post, "lovely", domain="fine.example"),
        "hidden": make_reply(post, "rude", domain="fine.example", status=Status.HIDDEN),
        "theirs": make_reply(theirs, "cheap pills", status=Status.HELD),
    }


def pks(queryset) -> set[int]:
    return {reply.pk for reply in queryset}


def test_the_creator_and_their_manager_see_the_creators_held_replies(
    creator, manager, replies
):
    expected = {replies["held_spam"].pk, replies["held_sub"].pk}
    assert pks(selectors.reply_queue(user=creator.user)) == expected
    assert pks(selectors.reply_queue(user=manager, creator=creator)) == expected


def test_admins_see_every_creators_queue(admin_user, replies):
    assert pks(selectors.reply_queue(user=admin_user)) == {
        replies["held_spam"].pk,
        replies["held_sub"].pk,
        replies["theirs"].pk,
    }


def test_an_analyst_or_another_tenant_sees_no_queue(
    creator, analyst, other_creator, replies
):
    assert not selectors.reply_queue(user=analyst).exists()
    assert not selectors.reply_queue(user=analyst, creator=creator).exists()
    assert not selectors.reply_queue(user=other_creator.user, creator=creator).exists()
    assert selectors.reply_status_counts(user=analyst, creator=creator) == {
        "visible": 0,
        "held": 0,
        "hidden": 0,
        "removed": 0,
    }


def test_the_queue_filters_by_status_server_and_keyword(creator, replies):
    user = creator.user
    every = list(Status.values)

    assert pks(selectors.reply_queue(user=user, statuses=[Status.HIDDEN])) == {
        replies["hidden"].pk
    }
    assert pks(selectors.reply_queue(user=user, server="spam.example")) == {
        replies["held_spam"].pk,
        replies["held_sub"].pk,
    }
    assert pks(
        selectors.reply_queue(user=user, statuses=every, server="fine.example")
    ) == {replies["shown"].pk, replies["hidden"].pk}
    assert pks(selectors.reply_queue(user=user, keyword="PILLS")) == {
        replies["held_spam"].pk
    }
    assert pks(selectors.reply_queue(user=user, keyword="@eve@social")) == {
        replies["held_sub"].pk
    }


def test_counts_by_status_follow_the_filters(creator, admin_user, replies):
    assert selectors.reply_status_counts(user=creator.user, creator=creator) == {
        "visible": 1,
        "held": 2,
        "hidden": 1,
        "removed": 0,
    }
    assert selectors.reply_status_counts(user=admin_user, keyword="pills") == {
        "visible": 0,
        "held": 2,
        "hidden": 0,
        "removed": 0,
    }


def test_a_bulk_selection_keeps_only_replies_the_user_may_moderate(creator, replies):
    chosen = selectors.replies_by_pk(
        user=creator.user, pks=[replies["held_spam"].pk, replies["theirs"].pk]
    )
    assert [reply.pk for reply in chosen] == [replies["held_spam"].pk]


def test_the_log_is_instance_wide_for_admins_and_per_creator_otherwise(
    creator, other_creator, admin_user, analyst, replies
):
    services.reply_approve(reply=replies["held_spam"], by=creator.user)
    services.reply_approve(reply=replies["theirs"], by=other_creator.user)
    services.domain_policy_save(domain="spam.example", by=admin_user)

    assert selectors.audit_log(user=admin_user).count() == 3
    assert [
        e.creator for e in selectors.audit_log(user=creator.user, creator=creator)
    ] == [creator]
    assert not selectors.audit_log(user=creator.user).exists()
    assert not selectors.audit_log(user=analyst, creator=creator).exists()


def test_a_creators_moderators_are_them_their_managers_and_admins(
    creator, manager, analyst, admin_user
):
    outsider = factories.UserFactory()
    allowed = {
        user.username: selectors.may_moderate_creator(user, creator)
        for user in (creator.user, manager, analyst, admin_user, outsider)
    }
    assert allowed == {
        "alice": True,
        "manager": True,
        "analyst": False,
        "admin": True,
        outsider.username: False,
    }
