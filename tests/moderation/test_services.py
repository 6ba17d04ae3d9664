"""Moderation actions: what each does, who may do it, and the log it leaves."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from analytics import services as analytics
from analytics.models import CreatorTotalRollup, Interaction, Reply
from moderation import events, selectors, services
from moderation.models import (
    ActorBlock,
    AuditEntry,
    DomainPolicy,
    Report,
    ScreeningRules,
)
from tests import factories
from tests.moderation.conftest import make_reply, published

pytestmark = pytest.mark.django_db

Status = Reply.Status
Action = AuditEntry.Action


@pytest.fixture
def held(post):
    return make_reply(post, "buy now", status=Status.HELD, hold_reason="Flood")


SIGNALS = (
    events.actor_blocked,
    events.actor_unblocked,
    events.domain_blocked,
    events.report_forwarded,
)


@pytest.fixture
def caught():
    """Domain events sent: (signal, arguments)."""
    sent = []

    def receiver(sender, signal, **kwargs):
        sent.append((signal, kwargs))

    for signal in SIGNALS:
        signal.connect(receiver, dispatch_uid="test-caught")
    yield sent
    for signal in SIGNALS:
        signal.disconnect(dispatch_uid="test-caught")


# Replies ---------------------------------------------------------------------


def test_approving_a_held_reply_shows_it_and_logs_who_and_why(creator, held):
    services.reply_approve(reply=held, by=creator.user, reason="a fan, not spam")

    held.refresh_from_db()
    assert (held.status, held.hold_reason) == (Status.VISIBLE, "")
    entry = AuditEntry.objects.get()
    assert entry.action == Action.REPLY_APPROVE
    assert entry.by == creator.user and entry.by_label == "alice"
    assert entry.creator == creator
    assert entry.target_id == str(held.pk)
    assert entry.target_label == "reply by @eve@spam.example: buy now"
    assert entry.reason == "a fan, not spam"
    assert entry.details["from"] == "held"


def test_hiding_and_removing_keep_the_moderators_reason(creator, post):
    reply = make_reply(post)
    services.reply_hide(reply=reply, by=creator.user, reason="off topic")
    assert (reply.status, reply.hold_reason) == (Status.HIDDEN, "off topic")
    services.reply_remove(reply=reply, by=creator.user)
    assert (reply.status, reply.hold_reason) == (Status.REMOVED, "off topic")
    assert list(AuditEntry.objects.values_list("action", flat=True)) == [
        Action.REPLY_REMOVE,
        Action.REPLY_HIDE,
    ]


def test_only_shown_replies_count_in_analytics_and_approval_counts_them(creator, post):
    replies = [make_reply(post, f"r{n}") for n in range(3)]
    held = make_reply(post, "spam?", status=Status.HELD)
    services.reply_hide(reply=replies[0], by=creator.user)
    services.reply_remove(reply=replies[1], by=creator.user)

    assert Interaction.objects.filter(kind=Interaction.Kind.REPLY).count() == 1
    assert CreatorTotalRollup.objects.get(creator=creator).replies == 1
    counts = selectors.reply_status_counts(user=creator.user, creator=creator)
    assert counts == {"visible": 1, "held": 1, "hidden": 1, "removed": 1}

    services.reply_approve(reply=held, by=creator.user)
    assert Interaction.objects.filter(kind=Interaction.Kind.REPLY).count() == 2
    assert CreatorTotalRollup.objects.get(creator=creator).replies == 2
    # The rollups say what a rebuild from the interactions says.
    fields = ("creator_id", "likes", "replies", "quotes")
    before = list(CreatorTotalRollup.objects.values_list(*fields))
    analytics.rollups_rebuild()
    assert list(CreatorTotalRollup.objects.values_list(*fields)) == before


def test_a_bulk_action_changes_and_logs_each_reply_once(creator, post):
    replies = [make_reply(post, f"r{n}", status=Status.HELD) for n in range(4)]
    replies.append(make_reply(post, "already shown"))

    changed = services.replies_moderate(
        replies=replies, action=services.APPROVE, by=creator.user
    )

    assert changed == 4
    assert set(Reply.objects.values_list("status", flat=True)) == {Status.VISIBLE}
    assert AuditEntry.objects.filter(action=Action.REPLY_APPROVE).count() == 4


def test_the_creators_manager_and_admins_may_moderate(
    creator, manager, admin_user, held
):
    services.reply_hide(reply=held, by=manager)
    services.reply_approve(reply=held, by=admin_user)
    assert held.status == Status.VISIBLE


@pytest.mark.parametrize("who", ["analyst", "other_creator", "stranger"])
def test_nobody_else_may_moderate_a_creators_replies(
    who, request, analyst, other_creator, held
):
    """An analyst reads but does not moderate; another tenant's creator or
    an unrelated user may do nothing here (the pages answer 403/404)."""
    user = {
        "analyst": analyst,
        "other_creator": other_creator.user,
        "stranger": factories.UserFactory(),
    }[who]
    for action in (services.reply_approve, services.reply_hide, services.reply_remove):
        with pytest.raises(PermissionDenied):
            action(reply=held, by=user)
    with pytest.raises(PermissionDenied):
        services.reply_block_author(reply=held, by=user)
    with pytest.raises(PermissionDenied):
        services.report_file(replies=[held], by=user)
    held.refresh_from_db()
    assert held.status == Status.HELD
    assert not AuditEntry.objects.exists()
    assert not ActorBlock.objects.exists()


def test_a_bulk_action_with_one_foreign_reply_changes_nothing(
    creator, other_creator, post
):
    mine = make_reply(post, status=Status.HELD)
    theirs = make_reply(published(other_creator), status=Status.HELD)

    with pytest.raises(PermissionDenied):
        services.replies_moderate(
            replies=[mine, theirs], action=services.REMOVE, by=creator.user
        )
    assert set(Reply.objects.values_list("status", flat=True)) == {Status.HELD}


# Actor blocks ------------------------------------------------------------------


def test_blocking_the_author_hides_their_replies_and_announces_it(
    creator, post, held, caught, django_capture_on_commit_callbacks
):
    other = make_reply(post, "fine", who="eve")
    elsewhere = make_reply(published(factories.CreatorFactory()), who="eve")

    with django_capture_on_commit_callbacks(execute=True):
        block = services.reply_block_author(reply=held, by=creator.user, reason="spam")

    assert (block.actor_uri, block.actor_handle) == (held.actor_uri, held.actor_handle)
    assert block.domain == "spam.example"
    for reply in (held, other):
        reply.refresh_from_db()
        assert reply.status == Status.HIDDEN
    elsewhere.refresh_from_db()
    assert elsewhere.status == Status.VISIBLE  # another creator's thread
    assert caught == [(events.actor_blocked, {"block": block})]
    entry = AuditEntry.objects.get(action=Action.ACTOR_BLOCK)
    assert entry.details == {"replies_hidden": 2}
    assert entry.reason == "spam"


def test_blocking_twice_changes_nothing(creator, held):
    first = services.reply_block_author(reply=held, by=creator.user)
    assert services.reply_block_author(reply=held, by=creator.user) == first
    assert AuditEntry.objects.filter(action=Action.ACTOR_BLOCK).count() == 1


def test_our_own_accounts_cannot_be_blocked_as_remote(creator):
    with pytest.raises(ValidationError):
        services.actor_block(
            creator=creator, actor_uri="https://hub.test/users/bob", by=creator.user
        )


def test_unblocking_announces_the_block_it_lifts(
    creator, held, caught, django_capture_on_commit_callbacks
):
    block = services.reply_block_author(reply=held, by=creator.user)
    caught.clear()

    with django_capture_on_commit_callbacks(execute=True):
        services.actor_unblock(block=block, by=creator.user)

    assert not ActorBlock.objects.exists()
    assert caught == [
        (
            events.actor_unblocked,
            {"creator": creator, "actor_uri": held.actor_uri, "block_id": block.pk},
        )
    ]
    assert AuditEntry.objects.filter(action=Action.ACTOR_UNBLOCK).exists()


# Domain policies --------------------------------------------------------------


def test_only_admins_set_domain_policies(creator, manager, held):
    for user in (creator.user, manager):
        with pytest.raises(PermissionDenied):
            services.domain_policy_save(domain="spam.example", by=user)
        with pytest.raises(PermissionDenied):
            services.reply_block_server(reply=held, by=user)
    assert not DomainPolicy.objects.exists()


def test_blocking_a_server_hides_its_replies_and_announces_it(
    admin_user, post, caught, django_capture_on_commit_callbacks
):
    spam = make_reply(post, domain="spam.example")
    sub = make_reply(post, domain="social.spam.example")
    spared = make_reply(post, domain="ok.spam.example")
    DomainPolicy.objects.create(
        domain="ok.spam.example", severity=DomainPolicy.Severity.NOOP
    )
    fine = make_reply(post, domain="fine.example")

    with django_capture_on_commit_callbacks(execute=True):
        policy = services.domain_policy_save(
            domain=" Spam.Example. ",
            by=admin_user,
            public_reason="Spam",
            private_note="ticket 42",
            reason="a wave of spam",
        )

    assert policy.domain == "spam.example"
    assert policy.severity == DomainPolicy.Severity.BLOCK
    statuses = {
        r.instance_domain: Reply.objects.get(pk=r.pk).status
        for r in (spam, sub, spared, fine)
    }
    assert statuses == {
        "spam.example": Status.HIDDEN,
        "social.spam.example": Status.HIDDEN,
        "ok.spam.example": Status.VISIBLE,  # a more specific policy lifts it
        "fine.example": Status.VISIBLE,
    }
    assert caught == [(events.domain_blocked, {"domain": "spam.example"})]
    entry = AuditEntry.objects.get()
    assert entry.action == Action.DOMAIN_POLICY_SAVE
    assert entry.details["new"] is True
    assert entry.details["replies_hidden"] == 2
    assert entry.reason == "a wave of spam"


def test_changing_a_policy_logs_what_changed_and_blocks_only_once(
    admin_user, caught, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.domain_policy_save(
            domain="spam.example", by=admin_user, severity="silence"
        )
        services.domain_policy_save(
            domain="spam.example", by=admin_user, severity="suspend"
        )
        services.domain_policy_save(
            domain="spam.example", by=admin_user, severity="suspend", reject_media=True
        )

    assert [signal for signal, _ in caught] == [events.domain_blocked]
    changes = [e.details["changes"] for e in AuditEntry.objects.order_by("pk")]
    assert changes[1] == {"severity": ["silence", "suspend"]}
    assert changes[2] == {"reject_media": [False, True]}


@pytest.mark.parametrize(
    "domain", ["", "not a domain", "localhost", "exa_mple.com", "x.com:99999"]
)
def test_a_policy_needs_a_server_name(admin_user, domain):
    with pytest.raises(ValidationError):
        services.domain_policy_save(domain=domain, by=admin_user)


def test_names_are_filed_as_ascii(admin_user):
    policy = services.domain_policy_save(
        domain="https://bücher.example/about", by=admin_user
    )
    assert policy.domain == "xn--bcher-kva.example"


def test_lifting_a_policy_is_logged_with_what_it_was(admin_user):
    policy = services.domain_policy_save(
        domain="spam.example", by=admin_user, private_note="n"
    )
    services.domain_policy_delete(policy=policy, by=admin_user, reason="resolved")

    assert not DomainPolicy.objects.exists()
    entry = AuditEntry.objects.get(action=Action.DOMAIN_POLICY_DELETE)
    assert entry.details["was"]["severity"] == "suspend"
    assert entry.reason == "resolved"


def test_the_queue_blocks_a_server_for_admins(admin_user, held):
    policy = services.reply_block_server(reply=held, by=admin_user, reason="spam")
    assert policy.domain == "spam.example"
    held.refresh_from_db()
    assert held.status == Status.HIDDEN


# Screening rules ---------------------------------------------------------------------


def test_a_creator_sets_their_own_rules_and_admins_the_instances(creator, admin_user):
    own = services.screening_rules_update(
        creator=creator, by=creator.user, hold_first_time=True, keywords=" crypto \n"
    )
    assert own.hold_first_time and own.keywords == "crypto"
    instance = services.screening_rules_update(
        creator=None, by=admin_user, hold_link_only=True
    )
    assert instance.is_instance
    entries = AuditEntry.objects.filter(action=Action.RULES_UPDATE)
    assert entries.count() == 2
    assert entries.get(creator=creator).details["changes"]["hold_first_time"] == [
        False,
        True,
    ]


def test_only_admins_change_the_instance_rules(creator, analyst):
    with pytest.raises(PermissionDenied):
        services.screening_rules_update(creator=None, by=creator.user, hold_all=True)
    with pytest.raises(PermissionDenied):
        services.screening_rules_update(creator=creator, by=analyst, hold_all=True)
    assert not ScreeningRules.objects.exists()


def test_bad_rules_are_refused_with_the_field_named(creator):
    with pytest.raises(ValidationError) as error:
        services.screening_rules_update(
            creator=creator,
            by=creator.user,
            keywords="fine\n/[unclosed/",
            flood_limit=-1,
        )
    assert set(error.value.message_dict) == {"keywords", "flood_limit"}
    assert "[unclosed" in error.value.message_dict["keywords"][0]
    assert not ScreeningRules.objects.exists()


# Reports ----------------------------------------------------------------------


def test_a_creator_files_a_report_and_forwards_it(
    creator, held, caught, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        report = services.report_file(
            replies=[held], by=creator.user, comment="<b>spam</b> again", forward=True
        )

    assert report.source == Report.Source.CREATOR
    assert report.creator == creator and report.reported_by == creator.user
    assert (report.target_actor_uri, report.target_domain) == (
        held.actor_uri,
        "spam.example",
    )
    assert list(report.replies.all()) == [held]
    assert report.comment == "spam again"
    assert report.forwarded_at is not None
    assert caught == [(events.report_forwarded, {"report": report})]
    assert {e.action for e in AuditEntry.objects.all()} == {
        Action.REPORT_FILE,
        Action.REPORT_FORWARD,
    }


def test_a_report_is_about_one_account(creator, post):
    a = make_reply(post, who="eve")
    b = make_reply(post, who="mallory")
    with pytest.raises(ValidationError):
        services.report_file(replies=[a, b], by=creator.user)


def test_nothing_is_forwarded_to_a_blocked_server(creator, held):
    DomainPolicy.objects.create(domain="spam.example")
    report = services.report_file(replies=[held], by=creator.user)
    with pytest.raises(ValidationError):
        services.report_forward(report=report, by=creator.user)


@pytest.mark.parametrize(
    ("action", "status"),
    [
        (Report.Action.HIDE_REPLIES, Status.HIDDEN),
        (Report.Action.REMOVE_REPLIES, Status.REMOVED),
    ],
)
def test_resolving_a_report_carries_out_its_action(
    creator, admin_user, held, action, status
):
    report = services.report_file(replies=[held], by=creator.user)

    services.report_resolve(report=report, by=admin_user, action=action, note="spam")

    report.refresh_from_db()
    assert report.status == Report.Status.RESOLVED
    assert (report.action, report.resolved_by) == (action, admin_user)
    held.refresh_from_db()
    assert held.status == status
    assert held.hold_reason == f"report #{report.pk}: spam"
    assert AuditEntry.objects.filter(action=Action.REPORT_RESOLVE).exists()


def test_resolving_with_a_block_blocks_the_account_or_server(creator, admin_user, post):
    first = services.report_file(replies=[make_reply(post)], by=creator.user)
    second = services.report_file(
        replies=[make_reply(post, domain="bad.example")], by=creator.user
    )

    services.report_resolve(
        report=first, by=admin_user, action=Report.Action.BLOCK_ACCOUNT
    )
    services.report_resolve(
        report=second, by=admin_user, action=Report.Action.SILENCE_SERVER
    )

    assert ActorBlock.objects.get().actor_uri == "https://spam.example/users/eve"
    policy = DomainPolicy.objects.get()
    assert (policy.domain, policy.severity) == ("bad.example", "silence")


def test_only_admins_resolve_and_only_once(creator, admin_user, held):
    report = services.report_file(replies=[held], by=creator.user)
    with pytest.raises(PermissionDenied):
        services.report_resolve(report=report, by=creator.user)
    services.report_resolve(report=report, by=admin_user)
    with pytest.raises(ValidationError):
        services.report_resolve(report=report, by=admin_user)


def test_reports_from_a_server_whose_reports_are_rejected_are_dropped(creator):
    DomainPolicy.objects.create(
        domain="mastodon.example", severity="noop", reject_reports=True
    )
    assert (
        services.report_receive(
            activity_id="https://mastodon.example/flags/1",
            reporter_uri="https://mastodon.example/actor",
            reporter_domain="mastodon.example",
            creator=creator,
        )
        is None
    )
    assert not Report.objects.exists()
