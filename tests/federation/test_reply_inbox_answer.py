"""Answering from the one reply inbox, as the replier's server sees it.

An agency manager answers a reply to nova's post from the reply inbox; the
answer is delivered over HTTP to the replier's loopback server, where the
DeliverySink verifies it is signed with nova's key (not the agency's, nor
the instance's), threaded under the reply. Nothing of ours is patched.
"""

import pytest
from django.urls import reverse

from analytics.models import Reply
from federation.models import OutboundActivity
from federation.outbound import delivery
from federation.protocol import ids, keys
from posts.models import PostAction
from tests import factories
from tests.federation.conftest import run_outbox_jobs
from tests.federation.delivery_sink import DeliverySink
from tests.federation.inbox_support import Remote, process_queued

pytestmark = pytest.mark.django_db


@pytest.fixture
def nova(db):
    return factories.CreatorFactory(handle="nova", user__username="nova")


@pytest.fixture
def sam(nova):
    agency = factories.AgencyFactory(name="Northwind", slug="northwind")
    return factories.agency_member_with_access(
        nova,
        role="manager",
        may_manage_posts=True,
        agency=agency,
        username="sam",
        first_name="Sam",
    )


@pytest.fixture
def server(nova, loopback):
    key = keys.key_for_creator(nova)
    with DeliverySink(keys={ids.key_id("nova"): key.public_key_pem}) as sink:
        yield sink


def test_an_answer_from_the_reply_inbox_goes_out_signed_by_the_creator(
    client, nova, sam, server
):
    bob = Remote(server.url("/users/bob"))
    post = factories.PostFactory(creator=nova, published=True)
    note = {
        "id": f"{bob.actor_id}/statuses/1",
        "type": "Note",
        "attributedTo": bob.actor_id,
        "inReplyTo": ids.note_id(post),
        "content": "<p>Which key is this in?</p>",
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
    }
    bob.post(
        client,
        {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": f"{note['id']}/activity",
            "type": "Create",
            "actor": bob.actor_id,
            "to": note["to"],
            "object": note,
        },
    )
    process_queued()
    reply = Reply.objects.get(ap_id=note["id"])
    client.force_login(sam)
    inbox = client.get(reverse("conversations:inbox"))
    answer_url = reverse("inbox:reply-answer", kwargs={"pk": reply.pk})
    assert answer_url in inbox.content.decode()

    client.post(answer_url, {"body": "D minor!", "visibility": "public"})
    run_outbox_jobs()
    for pk in OutboundActivity.objects.order_by("pk").values_list("pk", flat=True):
        delivery.deliver_due(activity_id=pk)

    # Delivered to the server's shared inbox, which the replier's actor names.
    arrivals = server.posts("/inbox")
    assert arrivals and all(a.verified for a in arrivals), [a.error for a in arrivals]
    create = arrivals[-1].json()
    assert create["type"] == "Create"
    assert create["actor"] == ids.actor_id("nova")
    assert create["object"]["inReplyTo"] == reply.ap_id
    assert "D minor!" in create["object"]["content"]
    action = PostAction.objects.get(action=PostAction.Action.ANSWER)
    assert (action.by, action.creator, action.agency_label) == (sam, nova, "Northwind")
    listed = client.get(reverse("conversations:inbox")).content.decode()
    assert "Answered by Sam at Northwind for @nova" in listed
