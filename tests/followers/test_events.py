"""Followers are a domain concept: the followers app decides, announces the
decision as an event inside its transaction, and federation answers the
follower's server from that event. These tests hold the followers app to
that contract without looking at what federation sends (tests/federation/
test_inbox_follows.py checks the Accepts and Rejects themselves)."""

import pytest
from django.db import transaction

from analytics.models import Interaction
from federation.models import OutboundActivity
from followers import events
from followers import services as followers
from followers.models import Follow
from tests.federation.conftest import make_follower

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def heard():
    """What each follower event announced, and whether the Follow was still
    saved at that moment."""
    announced = []

    def listen(signal_name):
        def receiver(sender, *, follow, **kwargs):
            saved = follow.pk is not None and Follow.objects.filter(pk=follow.pk)
            announced.append((signal_name, follow.actor.ap_id, bool(saved)))

        return receiver

    receivers = {
        name: listen(name)
        for name in ("follow_approved", "follow_declined", "follower_removed")
    }
    for name, receiver in receivers.items():
        getattr(events, name).connect(receiver)
    yield announced
    for name, receiver in receivers.items():
        getattr(events, name).disconnect(receiver)


@pytest.fixture
def request_(creator):
    follow = make_follower(creator)
    follow.state = Follow.State.PENDING
    follow.save()
    return follow


def test_each_answer_is_announced_once(creator, request_, heard):
    followers.follow_approve(follow=request_, by=creator.user)
    followers.follow_approve(follow=request_, by=creator.user)  # nothing new
    followers.follower_remove(follow=request_, by=creator.user)

    bob = "https://mastodon.example/users/bob"
    # The removed follower is announced while still saved: the answer to
    # their server is built from the row before it goes.
    assert heard == [("follow_approved", bob, True), ("follower_removed", bob, True)]


def test_a_refused_request_is_announced_but_not_kept(creator, heard):
    creator.share_to_fediverse = False
    creator.save()
    actor = make_follower(creator).actor
    Follow.objects.all().delete()

    with transaction.atomic():
        outcome = followers.follow_request_receive(
            creator=creator, actor=actor, activity_id=f"{actor.ap_id}#follows/9"
        )

    assert outcome == "rejected: the creator does not share to the fediverse"
    assert heard == [("follow_declined", actor.ap_id, False)]
    assert not Follow.objects.exists()


def test_an_answer_that_cannot_be_recorded_undoes_the_decision(creator, request_):
    """The event runs inside the approval's transaction: if federation
    cannot record its Accept, the follower is not approved either (and is
    not counted), so the creator's page and the follower's server agree."""

    def broken(sender, **kwargs):
        raise RuntimeError("the outbox is unavailable")

    events.follow_approved.connect(broken)
    try:
        with pytest.raises(RuntimeError):
            followers.follow_approve(follow=request_, by=creator.user)
    finally:
        events.follow_approved.disconnect(broken)

    request_.refresh_from_db()
    assert request_.state == Follow.State.PENDING
    assert not Interaction.objects.exists()
    assert not OutboundActivity.objects.exists()
