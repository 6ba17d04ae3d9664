"""The creator's answers to followers: approve, turn down, remove.

Each sends the answer Mastodon expects (an Accept or Reject embedding the
Follow) to the follower's own inbox through queue_activity, and records
the change of followers for analytics.
"""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from analytics.models import Interaction
from federation.models import Delivery, OutboundActivity
from federation.outbound.services import follower_inboxes
from followers import services as followers
from followers.models import Follow
from tests import factories
from tests.federation.conftest import make_follower

pytestmark = pytest.mark.django_db


@pytest.fixture
def request_(creator):
    follow = make_follower(creator)
    follow.state = Follow.State.PENDING
    follow.save()
    return follow


def sent(kind: str) -> OutboundActivity:
    return OutboundActivity.objects.get(activity_type=kind)


def test_approving_a_request_accepts_it_and_tells_the_follower(creator, request_):
    follow = followers.follow_approve(follow=request_, by=creator.user)

    assert follow.state == Follow.State.ACCEPTED
    assert follow.accepted_at is not None
    accept = sent("Accept")
    assert accept.payload == {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": accept.ap_id,
        "type": "Accept",
        "actor": "https://hub.test/users/alice",
        "object": {
            "id": "https://mastodon.example/bob#follows/1",
            "type": "Follow",
            "actor": "https://mastodon.example/users/bob",
            "object": "https://hub.test/users/alice",
        },
    }
    assert accept.ap_id.startswith("https://hub.test/users/alice#accepts/follows/")
    [delivery] = Delivery.objects.all()
    assert delivery.inbox_url == "https://mastodon.example/users/bob/inbox"
    assert follower_inboxes(creator) == {"https://mastodon.example/inbox"}
    follow_event = Interaction.objects.get()
    assert follow_event.kind == Interaction.Kind.FOLLOW
    assert follow_event.actor_handle == "@bob@mastodon.example"


def test_approving_twice_sends_one_accept(creator, request_):
    followers.follow_approve(follow=request_, by=creator.user)
    followers.follow_approve(follow=request_, by=creator.user)

    assert OutboundActivity.objects.filter(activity_type="Accept").count() == 1
    assert Interaction.objects.count() == 1


def test_turning_a_request_down_rejects_it(creator, request_):
    follow = followers.follow_reject(follow=request_, by=creator.user)

    assert follow.state == Follow.State.REJECTED
    reject = sent("Reject")
    assert reject.payload["object"]["id"] == request_.follow_activity_id
    assert follower_inboxes(creator) == set()
    assert not Interaction.objects.exists()


def test_a_turned_down_request_cannot_be_approved(creator, request_):
    followers.follow_reject(follow=request_, by=creator.user)

    with pytest.raises(ValidationError):
        followers.follow_approve(follow=request_, by=creator.user)


def test_removing_a_follower_rejects_the_follow_and_counts_an_unfollow(creator):
    follow = make_follower(creator)

    followers.follower_remove(follow=follow, by=creator.user)

    assert not Follow.objects.exists()
    reject = sent("Reject")
    assert reject.payload["object"]["actor"] == "https://mastodon.example/users/bob"
    assert (
        Delivery.objects.get().inbox_url == "https://mastodon.example/users/bob/inbox"
    )
    assert Interaction.objects.get().kind == Interaction.Kind.UNFOLLOW


def test_a_pending_request_is_not_removed_but_turned_down(creator, request_):
    with pytest.raises(ValidationError):
        followers.follower_remove(follow=request_, by=creator.user)
    assert Follow.objects.get().state == Follow.State.PENDING


def test_someone_else_may_not_answer(creator, other_creator, request_):
    for action in (followers.follow_approve, followers.follow_reject):
        with pytest.raises(PermissionDenied):
            action(follow=request_, by=other_creator.user)
    with pytest.raises(PermissionDenied):
        followers.follower_remove(
            follow=make_follower(creator, username="carol"), by=other_creator.user
        )
    assert not OutboundActivity.objects.exists()


def test_an_agency_allowed_to_manage_posts_may_answer(creator, request_):
    manager = factories.agency_member_with_access(
        creator, role="manager", may_manage_posts=True
    )

    followers.follow_approve(follow=request_, by=manager)

    assert Follow.objects.get().state == Follow.State.ACCEPTED


def test_an_analyst_may_not_answer(creator, request_, agency_with_analyst):
    _, analyst = agency_with_analyst

    with pytest.raises(PermissionDenied):
        followers.follow_approve(follow=request_, by=analyst)
