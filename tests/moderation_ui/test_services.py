"""What the pages added to moderation.services and selectors: the queue's
bulk blocks, blocking a server that has a policy already, and the reads
behind the reports, the log and the creator picker."""

import pytest
from django.core.exceptions import PermissionDenied

from analytics.models import Reply
from moderation import selectors, services
from moderation.models import ActorBlock, AuditEntry, DomainPolicy, Report
from tests.moderation.conftest import make_reply, published

pytestmark = pytest.mark.django_db

Status = Reply.Status


def test_bulk_blocking_authors_blocks_each_account_once_per_creator(
    creator, other_creator, admin_user, replies
):
    theirs = make_reply(published(other_creator), who="eve", domain="spam.example")
    picked = [replies["spam"], replies["flood"], replies["new"], theirs]

    blocks = services.replies_block_authors(replies=picked, by=admin_user)

    assert len(blocks) == 3
    assert set(ActorBlock.objects.values_list("creator__handle", "actor_handle")) == {
        ("alice", "@eve@spam.example"),
        ("alice", "@ana@new.example"),
        ("bob", "@eve@spam.example"),
    }


def test_bulk_blocking_authors_is_all_or_nothing(creator, other_creator, replies):
    theirs = make_reply(published(other_creator), who="mallory", domain="x.example")
    with pytest.raises(PermissionDenied):
        services.replies_block_authors(
            replies=[replies["spam"], theirs], by=creator.user
        )
    assert not ActorBlock.objects.exists()
    assert Reply.objects.get(pk=replies["spam"].pk).status == Status.HELD


def test_bulk_blocking_servers_is_for_admins_and_once_per_server(
    creator, admin_user, replies
):
    picked = [replies["spam"], replies["flood"], replies["kind"]]
    with pytest.raises(PermissionDenied):
        services.replies_block_servers(replies=picked, by=creator.user)
    assert not DomainPolicy.objects.exists()

    services.replies_block_servers(replies=picked, by=admin_user, reason="spam wave")

    assert sorted(DomainPolicy.objects.values_list("domain", "severity")) == [
        ("mastodon.example", "suspend"),
        ("spam.example", "suspend"),
    ]
    assert AuditEntry.objects.filter(reason="spam wave").count() == 2


def test_blocking_a_server_from_the_queue_keeps_its_other_settings(admin_user, replies):
    services.domain_policy_save(
        domain="spam.example",
        severity=DomainPolicy.Severity.SILENCE,
        reject_media=True,
        public_reason="Spam",
        private_note="watch them",
        by=admin_user,
    )

    services.reply_block_server(reply=replies["spam"], by=admin_user)

    policy = DomainPolicy.objects.get()
    assert policy.severity == DomainPolicy.Severity.BLOCK
    assert (policy.reject_media, policy.public_reason, policy.private_note) == (
        True,
        "Spam",
        "watch them",
    )


def test_reports_by_status_newest_first(creator, admin_user, replies):
    first = services.report_file(replies=[replies["spam"]], by=creator.user)
    second = services.report_file(replies=[replies["new"]], by=creator.user)
    assert list(selectors.reports_with_status(Report.Status.OPEN)) == [second, first]
    services.report_resolve(report=first, by=admin_user)
    assert list(selectors.reports_with_status(Report.Status.RESOLVED)) == [first]
    assert list(selectors.open_reports()) == [second]


def test_the_log_filters_by_who_and_what(creator, admin_user, replies):
    services.reply_hide(reply=replies["spam"], by=creator.user)
    services.reply_approve(reply=replies["new"], by=admin_user)

    assert selectors.audit_actors() == ["admin", "alice"]
    by_alice = selectors.audit_log(user=admin_user, actor="alice")
    assert [e.action for e in by_alice] == [AuditEntry.Action.REPLY_HIDE]
    approvals = selectors.audit_log(user=admin_user, action="reply_approve")
    assert [e.by_label for e in approvals] == ["admin"]
    # Filters never widen what someone may read.
    assert not selectors.audit_log(user=creator.user, actor="alice").exists()


def test_held_counts_per_creator_the_user_moderates(
    creator, other_creator, manager, admin_user, replies
):
    make_reply(published(other_creator), status=Status.HELD)
    assert selectors.held_counts(user=manager) == {creator.pk: 3}
    assert selectors.held_counts(user=admin_user) == {
        creator.pk: 3,
        other_creator.pk: 1,
    }
