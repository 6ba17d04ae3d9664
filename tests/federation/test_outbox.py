"""The outbox: what a change calls for on the network commits with it, and
reaches the task queue however long the broker is away."""

from datetime import timedelta

import pytest
from celery import Celery
from django.urls import reverse
from django.utils import timezone

from accounts.services import update_creator_profile
from creatorhub.celery import app as celery_app
from federation import queue
from federation.models import Delivery, OutboundActivity, OutboxJob
from federation.outbound import outbox
from posts.models import Post
from posts.services import PostInput, post_publish, post_save_draft
from tests.federation.conftest import fan_out_all, make_follower

pytestmark = pytest.mark.django_db(transaction=True)

# Nothing listens there: a broker that is down.
UNREACHABLE_BROKER = "redis://127.0.0.1:1/0"


@pytest.fixture(autouse=True)
def _broker_believed_up():
    queue.forget_failures()
    yield
    queue.forget_failures()


@pytest.fixture
def broker_down(monkeypatch):
    """The task queue does not answer, as when Redis is restarting; call
    the fixture's value to bring it back."""
    # Celery reads CELERY_BROKER_URL from the environment before its config.
    monkeypatch.setenv("CELERY_BROKER_URL", UNREACHABLE_BROKER)
    down = Celery("broker-down", broker=UNREACHABLE_BROKER)
    down.conf.broker_connection_timeout = 1
    down.set_current()

    def come_back():
        monkeypatch.undo()
        celery_app.set_current()

    yield come_back
    come_back()


def publish(creator, body="Hello fediverse") -> Post:
    draft = post_save_draft(creator=creator, by=creator.user, data=PostInput(body=body))
    return post_publish(post=draft, by=creator.user)


def delivery_panel(client, post) -> str:
    client.force_login(post.creator.user)
    response = client.get(
        reverse("post-delivery", kwargs={"pk": post.pk}), headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    return " ".join(response.content.decode().split())


def test_a_publish_hands_its_job_to_the_queue_once_committed(alice):
    post = publish(alice)

    [job] = OutboxJob.objects.all()
    assert (job.action, job.post_id, job.state) == ("post.create", post.pk, "pending")
    assert job.enqueued_at is not None


def test_published_while_the_broker_is_down_it_waits_then_goes_out_once(
    alice, broker_down, client
):
    make_follower(alice, domain="a.example", username="one")
    make_follower(alice, domain="b.example", username="two", shared=False)

    post = publish(alice)

    post.refresh_from_db()
    assert post.state == Post.State.PUBLISHED  # the creator's action succeeded
    [job] = OutboxJob.objects.all()
    assert job.enqueued_at is None
    assert "Waiting for the queue" in delivery_panel(client, post)
    assert outbox.relay() == 0  # still down: nothing handed over, nothing lost

    broker_down()  # the broker is back
    assert outbox.relay() == 1
    job.refresh_from_db()
    assert job.enqueued_at is not None
    assert outbox.relay() == 0  # handed over: not again

    assert outbox.run(job.pk) is True
    assert outbox.run(job.pk) is False  # a second message does nothing
    [create] = OutboundActivity.objects.filter(activity_type="Create")
    assert fan_out_all() == 2
    assert sorted(Delivery.objects.values_list("inbox_url", flat=True)) == [
        "https://a.example/inbox",
        "https://b.example/users/two/inbox",
    ]
    job.refresh_from_db()
    assert job.state == OutboxJob.State.DONE
    panel = delivery_panel(client, post)
    assert "Waiting for the queue" not in panel
    assert "Delivered to 0 of 2 servers" in panel


def test_after_a_failed_hand_over_the_process_leaves_the_next_to_the_relay(
    alice, broker_down
):
    publish(alice, "first")
    publish(alice, "second")  # not tried: the broker was found down just now

    assert OutboxJob.objects.filter(enqueued_at__isnull=True).count() == 2
    broker_down()  # back
    assert outbox.relay() == 2  # the relay tries whatever this process believes


def test_a_message_presumed_lost_is_handed_over_again(alice):
    post = publish(alice)
    job = OutboxJob.objects.get(post=post)
    handed = timezone.now() - outbox.RESEND_AFTER

    OutboxJob.objects.filter(pk=job.pk).update(
        enqueued_at=handed + timedelta(minutes=1)
    )
    assert outbox.relay() == 0  # handed over recently: give it time

    OutboxJob.objects.filter(pk=job.pk).update(
        enqueued_at=handed - timedelta(minutes=1)
    )
    assert outbox.relay() == 1


def test_a_failing_job_is_tried_again_later_then_marked_failed(alice):
    # Arguments the action does not take: it raises, as a bug would.
    job = OutboxJob.objects.create(action="actor.block", arguments={"wrong": 1})

    assert outbox.run(job.pk) is False
    job.refresh_from_db()
    assert job.state == OutboxJob.State.PENDING
    assert job.attempts == 1
    assert job.enqueued_at is None
    assert job.next_attempt_at > timezone.now()
    assert "TypeError" in job.last_error
    assert outbox.relay() == 0  # not due yet
    assert outbox.run(job.pk) is False  # nor for a stray message

    OutboxJob.objects.filter(pk=job.pk).update(
        attempts=outbox.MAX_ATTEMPTS - 1, next_attempt_at=timezone.now()
    )
    assert outbox.relay() == 1
    outbox.run(job.pk)
    job.refresh_from_db()
    assert job.state == OutboxJob.State.FAILED


def test_a_job_held_by_a_live_worker_is_not_run_by_another(alice):
    post = publish(alice)
    job = OutboxJob.objects.get(post=post)
    OutboxJob.objects.filter(pk=job.pk).update(
        claimed_until=timezone.now() + outbox.LEASE
    )

    assert outbox.run(job.pk) is False
    assert outbox.relay() == 0

    # The worker died: once its claim runs out, the job is anyone's.
    OutboxJob.objects.filter(pk=job.pk).update(
        claimed_until=timezone.now() - timedelta(seconds=1), enqueued_at=None
    )
    assert outbox.relay() == 1
    assert outbox.run(job.pk) is True


def test_an_unknown_action_is_refused_when_recorded(alice):
    with pytest.raises(ValueError, match="unknown outbox action"):
        outbox.record("post.teleport", post_id=1)


def test_a_profile_update_job_run_twice_sends_one_update(alice):
    make_follower(alice, domain="a.example")
    update_creator_profile(creator=alice, display_name="Alice Renamed")
    job = OutboxJob.objects.get(action="profile.update")

    assert outbox.run(job.pk) is True
    # The worker died after the work and before recording it done.
    OutboxJob.objects.filter(pk=job.pk).update(state="pending", claimed_until=None)
    assert outbox.run(job.pk) is True

    assert OutboundActivity.objects.filter(activity_type="Update").count() == 1
