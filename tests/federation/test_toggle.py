"""Turning "share to the fediverse" off withdraws the actor everywhere."""

import pytest
from django.db import transaction

from accounts.services import update_creator_profile
from analytics.models import Interaction
from federation.models import Delivery, OutboundActivity
from followers.models import Follow
from tests.federation.conftest import (
    AS2,
    fan_out_all,
    make_follower,
    run_outbox_jobs,
)

pytestmark = pytest.mark.django_db(transaction=True)


def test_turning_sharing_off_queues_a_delete_to_each_follower_server(client, alice):
    make_follower(alice, domain="a.example", username="one")
    make_follower(alice, domain="a.example", username="two")  # same shared inbox
    make_follower(alice, domain="b.example", shared=False)

    update_creator_profile(creator=alice, share_to_fediverse=False)
    assert run_outbox_jobs() == 1

    delete = OutboundActivity.objects.get(creator=alice, activity_type="Delete")
    assert delete.payload["actor"] == delete.payload["object"]
    assert delete.payload["object"] == "https://hub.test/users/alice"
    assert sorted(Delivery.objects.values_list("inbox_url", flat=True)) == [
        "https://a.example/inbox",
        "https://b.example/users/bob/inbox",
    ]
    assert not Follow.objects.filter(creator=alice).exists()
    assert Interaction.objects.filter(creator=alice, kind="unfollow").count() == 3
    assert client.get("/users/alice", HTTP_ACCEPT=AS2).status_code == 410
    assert (
        client.get("/.well-known/webfinger?resource=acct:alice@hub.test").status_code
        == 404
    )


def test_without_followers_nothing_is_queued(alice):
    update_creator_profile(creator=alice, share_to_fediverse=False)
    run_outbox_jobs()
    assert not OutboundActivity.objects.exists()


def test_a_rolled_back_change_queues_nothing(alice):
    make_follower(alice)
    with pytest.raises(RuntimeError), transaction.atomic():
        update_creator_profile(creator=alice, share_to_fediverse=False)
        raise RuntimeError("the request failed after the change")
    assert run_outbox_jobs() == 0
    assert not OutboundActivity.objects.exists()
    assert Follow.objects.filter(creator=alice).exists()


def test_a_public_profile_change_queues_an_update_for_followers(alice):
    make_follower(alice)
    update_creator_profile(creator=alice, display_name="Alice Renamed")
    assert run_outbox_jobs() == 1
    assert fan_out_all() == 1
    update = OutboundActivity.objects.get(activity_type="Update")
    assert update.payload["object"]["name"] == "Alice Renamed"
    assert update.deliveries.count() == 1


def test_a_private_setting_change_sends_nothing(alice):
    make_follower(alice)
    update_creator_profile(creator=alice, time_zone="Europe/Paris")
    assert run_outbox_jobs() == 0
    assert not OutboundActivity.objects.exists()
