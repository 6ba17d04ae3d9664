"""What moderation decisions do on the network: Block and Undo(Block), the
follows and deliveries a server block ends, reports forwarded as Flag."""

import pytest

from analytics.models import Interaction
from federation import tasks
from federation.models import Delivery, OutboundActivity, OutboxJob
from federation.outbound import enforcement
from federation.outbound import services as federation_services
from followers.models import Follow
from moderation import services
from moderation.models import DomainPolicy
from tests import factories
from tests.moderation.conftest import make_follower, make_reply, remote_actor

pytestmark = pytest.mark.django_db

AS = "https://www.w3.org/ns/activitystreams"
EVE = "https://spam.example/users/eve"


def recorded_jobs(action, capture):
    """Run `action`; the outbox jobs it recorded, as (action, arguments), and
    run each once everything commits, as a worker would."""
    before = set(OutboxJob.objects.values_list("pk", flat=True))
    with capture(execute=False):
        result = action()
    jobs = list(OutboxJob.objects.exclude(pk__in=before).order_by("pk"))
    for job in jobs:
        tasks.run_outbox_job(job.pk)
    return result, [(job.action, job.arguments) for job in jobs]


def activities(kind: str) -> list[OutboundActivity]:
    return list(OutboundActivity.objects.filter(activity_type=kind))


def inboxes(activity: OutboundActivity) -> set[str]:
    return set(activity.deliveries.values_list("inbox_url", flat=True))


# Actor blocks ---------------------------------------------------------------------


def test_a_block_and_its_lifting_record_their_outbox_jobs(
    creator, post, django_capture_on_commit_callbacks
):
    reply = make_reply(post)
    block, recorded = recorded_jobs(
        lambda: services.reply_block_author(reply=reply, by=creator.user),
        django_capture_on_commit_callbacks,
    )
    assert recorded == [("actor.block", {"block_id": block.pk})]

    _, recorded = recorded_jobs(
        lambda: services.actor_unblock(block=block, by=creator.user),
        django_capture_on_commit_callbacks,
    )
    assert recorded == [
        (
            "actor.unblock",
            {"creator_id": creator.pk, "actor_uri": EVE, "block_id": block.pk},
        )
    ]


def test_the_blocked_account_gets_a_block_and_loses_its_follow(creator):
    make_follower(creator)
    other = make_follower(factories.CreatorFactory())  # eve follows someone else
    block = services.actor_block(creator=creator, actor_uri=EVE, by=creator.user)

    enforcement.actor_block_federate(block_id=block.pk)
    enforcement.actor_block_federate(block_id=block.pk)  # again: nothing more

    assert list(Follow.objects.all()) == [other]
    assert Interaction.objects.filter(kind="unfollow", creator=creator).count() == 1
    [sent] = activities("Block")
    assert sent.creator == creator  # signed by the creator
    assert sent.payload == {
        "@context": AS,
        "id": f"https://hub.test/users/alice#blocks/{block.pk}",
        "type": "Block",
        "actor": "https://hub.test/users/alice",
        "object": EVE,
    }
    # The personal inbox, as Mastodon delivers blocks.
    assert inboxes(sent) == {f"{EVE}/inbox"}


def test_unblocking_sends_undo_of_that_block(creator):
    remote_actor()
    block = services.actor_block(creator=creator, actor_uri=EVE, by=creator.user)
    enforcement.actor_block_federate(block_id=block.pk)
    services.actor_unblock(block=block, by=creator.user)

    enforcement.actor_unblock_federate(
        creator_id=creator.pk, actor_uri=EVE, block_id=block.pk
    )

    [undo] = activities("Undo")
    [original] = activities("Block")
    assert undo.payload["id"] == f"{original.ap_id}/undo"
    assert undo.payload["actor"] == "https://hub.test/users/alice"
    assert undo.payload["object"] == {
        k: v for k, v in original.payload.items() if k != "@context"
    }
    assert inboxes(undo) == {f"{EVE}/inbox"}


def test_nothing_is_undone_when_blocked_again_meanwhile(creator):
    remote_actor()
    block = services.actor_block(creator=creator, actor_uri=EVE, by=creator.user)
    services.actor_unblock(block=block, by=creator.user)
    services.actor_block(creator=creator, actor_uri=EVE, by=creator.user)

    enforcement.actor_unblock_federate(
        creator_id=creator.pk, actor_uri=EVE, block_id=block.pk
    )
    enforcement.actor_block_federate(block_id=block.pk)  # the lifted block: gone

    assert not activities("Undo") and not activities("Block")


# Domain blocks ---------------------------------------------------------------------


def _delivery(activity, inbox, state=Delivery.State.PENDING):
    return Delivery.objects.create(
        activity=activity,
        inbox_url=inbox,
        host=inbox.split("/")[2],
        state=state,
    )


def test_blocking_a_server_drops_its_followers_and_gives_up_deliveries(
    creator, admin_user, django_capture_on_commit_callbacks
):
    make_follower(creator, "eve", "spam.example")
    make_follower(creator, "sub", "social.spam.example")
    kept = [
        make_follower(creator, "ok", "ok.spam.example"),
        make_follower(creator, "fan", "fine.example"),
    ]
    DomainPolicy.objects.create(domain="ok.spam.example", severity="noop")
    activity = OutboundActivity.objects.create(
        ap_id="https://hub.test/users/alice#create/1",
        creator=creator,
        activity_type="Create",
        payload={},
    )
    owed = _delivery(activity, "https://spam.example/inbox")
    retrying = _delivery(
        activity, "https://social.spam.example/inbox", Delivery.State.FAILED
    )
    done = _delivery(
        activity, "https://spam.example/users/eve/inbox", Delivery.State.DELIVERED
    )
    elsewhere = _delivery(activity, "https://fine.example/inbox")

    _, recorded = recorded_jobs(
        lambda: services.domain_policy_save(domain="spam.example", by=admin_user),
        django_capture_on_commit_callbacks,
    )
    assert recorded == [("domain.block", {"domain": "spam.example"})]

    assert sorted(Follow.objects.all(), key=lambda f: f.pk) == kept
    assert Interaction.objects.filter(kind="unfollow").count() == 2
    states = {
        d.pk: Delivery.objects.get(pk=d.pk).state
        for d in (owed, retrying, done, elsewhere)
    }
    assert states == {
        owed.pk: Delivery.State.GAVE_UP,
        retrying.pk: Delivery.State.GAVE_UP,
        done.pk: Delivery.State.DELIVERED,
        elsewhere.pk: Delivery.State.PENDING,
    }
    assert "blocked" in Delivery.objects.get(pk=owed.pk).last_error


def test_nothing_new_is_queued_for_a_blocked_server(creator):
    DomainPolicy.objects.create(domain="spam.example")
    activity = federation_services.queue_activity(
        creator=creator,
        payload={"id": "https://hub.test/users/alice#x/1", "type": "Update"},
        inboxes={"https://spam.example/inbox", "https://fine.example/inbox"},
    )
    assert inboxes(activity) == {"https://fine.example/inbox"}


# Reports -------------------------------------------------------------------------


def test_a_forwarded_report_reaches_the_remote_admins_as_a_flag(
    creator, post, django_capture_on_commit_callbacks
):
    remote_actor()
    replies = [make_reply(post, "spam 1"), make_reply(post, "spam 2")]
    report, recorded = recorded_jobs(
        lambda: services.report_file(
            replies=replies, by=creator.user, comment="Spam", forward=True
        ),
        django_capture_on_commit_callbacks,
    )
    assert recorded == [("report.forward", {"report_id": report.pk})]
    enforcement.report_forward_federate(report_id=report.pk)  # again: nothing more

    [flag] = activities("Flag")
    assert flag.creator is None  # the instance actor signs
    assert flag.payload == {
        "@context": AS,
        "id": f"https://hub.test/actor#flags/{report.pk}",
        "type": "Flag",
        "actor": "https://hub.test/actor",
        "content": "Spam",
        "object": [EVE, *sorted(r.ap_id for r in replies)],
    }
    assert inboxes(flag) == {"https://spam.example/inbox"}  # the shared inbox


def test_a_report_not_forwarded_sends_nothing(creator, post):
    remote_actor()
    report = services.report_file(replies=[make_reply(post)], by=creator.user)
    assert enforcement.report_forward_federate(report_id=report.pk) is None
    assert not activities("Flag")
