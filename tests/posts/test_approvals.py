"""Drafts for approval and what agency members may do for a creator."""

import datetime

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from accounts.models import AgencyAccess
from moderation.models import AuditEntry
from posts import services
from posts.models import Post, PostAction
from tests import factories


@pytest.fixture
def agency(db):
    return factories.AgencyFactory(name="Northwind", slug="northwind")


@pytest.fixture
def drafter(db, creator, agency):
    """Sam, a manager whose agency may draft for Alice but not publish."""
    user = factories.MembershipFactory(
        agency=agency,
        role="manager",
        user__username="sam",
        user__first_name="Sam",
    ).user
    factories.AgencyAccessFactory(creator=creator, agency=agency, draft_posts=True)
    return user


def write(creator, by, body="Spring collection drop on Friday"):
    return services.post_save_draft(
        creator=creator, by=by, data=services.PostInput(body=body)
    )


def test_a_manager_without_the_publish_scope_cannot_publish(creator, drafter):
    """Refused, and nothing goes out: the post stays a draft."""
    post = write(creator, drafter)
    with pytest.raises(PermissionDenied):
        services.post_publish(post=post, by=drafter)
    with pytest.raises(PermissionDenied):
        services.post_schedule(
            post=post,
            by=drafter,
            publish_at=timezone.now() + datetime.timedelta(hours=2),
        )
    post.refresh_from_db()
    assert post.state == Post.State.DRAFT
    assert not Post.objects.filter(state=Post.State.PUBLISHED).exists()


def test_an_analyst_neither_drafts_nor_answers(creator, agency):
    """An analyst only reads, even when the creator granted every scope."""
    analyst = factories.MembershipFactory(agency=agency, role="analyst").user
    factories.AgencyAccessFactory(creator=creator, agency=agency, all_scopes=True)
    with pytest.raises(PermissionDenied):
        write(creator, analyst)
    with pytest.raises(PermissionDenied):
        services.post_answer_reply(
            creator=creator,
            by=analyst,
            in_reply_to_uri="https://remote.example/notes/1",
            reply_author_handle="eve@remote.example",
            body="Thanks!",
        )
    assert not Post.objects.exists()


def test_a_revoked_scope_stops_the_next_action(creator, drafter, agency):
    """Scopes are read on every call: taking one back applies at once."""
    post = write(creator, drafter)
    AgencyAccess.objects.filter(agency=agency).update(draft_posts=False)
    with pytest.raises(PermissionDenied):
        services.post_submit_for_approval(post=post, by=drafter)
    post.refresh_from_db()
    assert post.state == Post.State.DRAFT


def test_approval_end_to_end(creator, drafter, django_capture_on_commit_callbacks):
    """Submitted → creator e-mailed → approved → goes out at its time."""
    post = write(creator, drafter)
    publish_at = timezone.now() + datetime.timedelta(hours=3)
    with django_capture_on_commit_callbacks(execute=True):
        post = services.post_submit_for_approval(
            post=post, by=drafter, publish_at=publish_at
        )
    assert post.state == Post.State.PENDING_APPROVAL
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [creator.user.email]
    assert "Sam at Northwind wrote a post for your approval" in message.subject
    assert "Spring collection drop on Friday" in message.body

    with pytest.raises(PermissionDenied):
        services.post_approve(post=post, by=drafter, version=post.version)

    post = services.post_approve(post=post, by=creator.user, version=post.version)
    assert post.state == Post.State.SCHEDULED
    assert post.scheduled_at == publish_at
    assert services.publish_due_posts(now=publish_at - datetime.timedelta(1)) == 0
    assert services.publish_due_posts(now=publish_at) == 1
    post.refresh_from_db()
    assert post.state == Post.State.PUBLISHED
    assert post.author == drafter
    assert post.last_actor == creator.user


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_the_approval_mail_links_to_the_post_on_this_site(
    creator, drafter, settings, scheme, django_capture_on_commit_callbacks
):
    """Under `make run` (http) the link opens; it is not forced to https."""
    settings.CREATORHUB_SCHEME = scheme
    settings.CREATORHUB_DOMAIN = "127.0.0.1:8000"
    post = write(creator, drafter)
    with django_capture_on_commit_callbacks(execute=True):
        services.post_submit_for_approval(post=post, by=drafter)
    link = f"{scheme}://127.0.0.1:8000/posts/{post.pk}/"
    assert f"send it back with a comment: {link}\n" in mail.outbox[0].body


def test_approving_a_version_that_changed_since_is_refused(creator, drafter):
    """The creator approves what they read, never a later edit unseen."""
    post = services.post_submit_for_approval(post=write(creator, drafter), by=drafter)
    shown = post.version
    services.post_save_draft(
        creator=creator,
        by=drafter,
        data=services.PostInput(body="Spring drop moved to Saturday"),
        post=post,
    )
    with pytest.raises(ValidationError) as refused:
        services.post_approve(post=post, by=creator.user, version=shown)
    assert services.CHANGED_SINCE_SHOWN in refused.value.messages
    post.refresh_from_db()
    assert post.state == Post.State.PENDING_APPROVAL
    assert post.body == "Spring drop moved to Saturday"

    post = services.post_approve(post=post, by=creator.user, version=post.version)
    assert post.state == Post.State.PUBLISHED


def test_sent_back_with_a_comment_then_resubmitted(creator, drafter):
    post = services.post_submit_for_approval(post=write(creator, drafter), by=drafter)
    post = services.post_send_back(
        post=post, by=creator.user, comment="Say Saturday, not Friday."
    )
    assert post.state == Post.State.DRAFT
    assert post.approval_comment == "Say Saturday, not Friday."
    post = services.post_save_draft(
        creator=creator,
        by=drafter,
        data=services.PostInput(body="Spring drop on Saturday"),
        post=post,
    )
    post = services.post_submit_for_approval(post=post, by=drafter)
    assert post.state == Post.State.PENDING_APPROVAL
    assert post.approval_comment == ""


def test_actions_on_behalf_are_recorded_and_audited(creator, drafter):
    """Each thing Sam does for Alice is kept in words and in the audit log."""
    post = write(creator, drafter)
    services.post_submit_for_approval(post=post, by=drafter)
    actions = list(PostAction.objects.order_by("pk"))
    assert [a.in_words for a in actions] == [
        "drafted by Sam at Northwind for @alice",
        "sent for approval by Sam at Northwind for @alice",
    ]
    audit = AuditEntry.objects.filter(action=AuditEntry.Action.AGENCY_ACTION)
    assert audit.count() == 2
    assert {entry.by for entry in audit} == {drafter}
    assert all(entry.creator == creator for entry in audit)


def test_the_creators_own_actions_are_not_team_actions(creator):
    post = write(creator, creator.user)
    services.post_publish(post=post, by=creator.user)
    assert not PostAction.objects.exists()
    post.refresh_from_db()
    assert post.author == post.last_actor == creator.user
