"""A creator quotes a post on another server (FEP-044f as Mastodon 4.5 does
it), as the quoted author's server and the creator notice it.

The other server is real and on loopback: it serves the quoted post over
HTTP (our SSRF-safe client fetches it), and its inboxes verify with the
independent httpsig library that what we deliver is signed by alice. Its
answers are signed with its key and POSTed through our inbox. Nothing of
ours is patched.
"""

import dataclasses
import json
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from federation.models import OutboundActivity
from federation.outbound import delivery
from federation.protocol import ids, keys
from posts.models import Post, QuoteState
from posts.services import (
    PostInput,
    post_edit,
    post_input_from,
    post_publish,
    post_save_draft,
    post_schedule,
    publish_due_posts,
)
from tests.federation import delivery_sink
from tests.federation.conftest import fan_out_all, run_outbox_jobs
from tests.federation.delivery_sink import DeliverySink, follower
from tests.federation.inbox_support import Remote, process_queued

pytestmark = pytest.mark.django_db

AS2 = "application/activity+json"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


class _Handler(delivery_sink._Handler):
    def do_GET(self):  # noqa: N802 (BaseHTTPRequestHandler's naming)
        document = self.server.sink.documents.get(self.path)
        body = json.dumps(document or {"error": "Record not found"}).encode()
        self.send_response(200 if document else 404)
        self.send_header("Content-Type", AS2 if document else "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class QuotedServer(DeliverySink):
    """A Mastodon-like server: serves its posts, verifies what we deliver."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.documents: dict[str, dict] = {}
        self._server.RequestHandlerClass = _Handler


@pytest.fixture
def server(creator, loopback):
    key = keys.key_for_creator(creator)
    with QuotedServer(keys={ids.key_id("alice"): key.public_key_pem}) as sink:
        yield sink


@pytest.fixture
def bob(server):
    """The quoted author, known to us (as after a first fetch)."""
    return Remote(server.url("/users/bob"))


@pytest.fixture
def carol(server):
    """Someone else on the same server."""
    return Remote(server.url("/users/carol"))


def remote_post(server, number=1, *, policy="public", kind="Note", **extra) -> str:
    """Put a post of bob's on the server; its page address, as people paste it."""
    note_id = server.url(f"/users/bob/statuses/{number}")
    document = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": note_id,
        "type": kind,
        "attributedTo": server.url("/users/bob"),
        "content": "<p>Worth quoting.</p>",
        "url": server.url(f"/@bob/{number}"),
        "to": [PUBLIC],
        "cc": [server.url("/users/bob/followers")],
        **extra,
    }
    if policy == "public":
        document["interactionPolicy"] = {
            "canQuote": {"automaticApproval": [PUBLIC]},
        }
    elif policy == "manual":
        document["interactionPolicy"] = {
            "canQuote": {
                "automaticApproval": [server.url("/users/bob")],
                "manualApproval": [PUBLIC],
            },
        }
    elif policy == "followers":
        document["interactionPolicy"] = {
            "canQuote": {"automaticApproval": [server.url("/users/bob/followers")]},
        }
    server.documents[f"/@bob/{number}"] = document
    server.documents[f"/users/bob/statuses/{number}"] = document
    return server.url(f"/@bob/{number}")


def quote(creator, address: str, *, publish=True, **fields) -> Post:
    post = post_save_draft(
        creator=creator,
        by=creator.user,
        data=PostInput(body="Look at this.", quote_of=address, **fields),
    )
    return post_publish(post=post, by=creator.user) if publish else post


def deliver_everything() -> None:
    run_outbox_jobs()
    fan_out_all()
    for pk in OutboundActivity.objects.order_by("pk").values_list("pk", flat=True):
        delivery.deliver_due(activity_id=pk)


def arrived(server, path: str) -> list[dict]:
    arrivals = server.posts(path)
    assert all(a.verified for a in arrivals), [a.error for a in arrivals]
    return [a.json() for a in arrivals]


def answer(client, who: Remote, post: Post, kind: str, **extra) -> None:
    """The quoted author's server answers our request, as Mastodon does
    (the request embedded, the stamp as `result` of an Accept)."""
    request_id = f"{ids.actor_id('alice')}/quote_requests/{post.pk}"
    who.post(
        client,
        {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": f"{who.actor_id}#{kind.lower()}s/quote_requests/{post.pk}",
            "type": kind,
            "actor": who.actor_id,
            "object": {
                "id": request_id,
                "type": "QuoteRequest",
                "actor": ids.actor_id("alice"),
                "object": post.quote_of,
                "instrument": ids.note_id(post),
            },
            **extra,
        },
    )
    process_queued()


# Asking ------------------------------------------------------------------------


def test_a_quote_goes_out_pending_and_the_author_is_asked_with_a_quote_request(
    client, creator, server, bob
):
    address = remote_post(server)
    post = quote(creator, address)

    assert post.quote_state == QuoteState.PENDING
    assert post.quote_of == server.url("/users/bob/statuses/1")
    assert post.quote_author_handle == f"@bob@{server.host}"
    follower(creator, host=server.host, username="dave")
    deliver_everything()

    [request] = arrived(server, "/users/bob/inbox")
    assert request["type"] == "QuoteRequest"
    assert request["id"] == f"{ids.actor_id('alice')}/quote_requests/{post.pk}"
    assert request["actor"] == ids.actor_id("alice")
    assert request["object"] == post.quote_of
    assert request["instrument"]["id"] == ids.note_id(post)
    assert request["instrument"]["quote"] == post.quote_of
    # The request's id is a URL of ours that serves it.
    served = client.get(
        reverse("quote-request", kwargs={"handle": "alice", "post_id": post.pk}),
        headers={"Accept": AS2},
    )
    assert served.status_code == 200
    assert served.json()["id"] == request["id"]
    assert served.json()["instrument"] == ids.note_id(post)

    [create] = arrived(server, "/users/dave/inbox")
    note = create["object"]
    assert note["quote"] == post.quote_of
    # Servers that show quotes without asking get the old properties only
    # once the author has allowed it.
    assert "quoteUri" not in note and "_misskey_quote" not in note
    assert f'RE: <a href="{address}">' in note["content"]

    client.force_login(creator.user)
    page = client.get(reverse("posts:detail", kwargs={"pk": post.pk}))
    assert "Quote pending" in page.content.decode()


def test_an_accept_from_the_author_marks_the_quote_accepted_and_updates_followers(
    client, creator, server, bob
):
    post = quote(creator, remote_post(server, policy="manual"))
    follower(creator, host=server.host, username="dave")
    deliver_everything()
    stamp = server.url(f"/users/bob/quote_authorizations/{post.pk}")

    answer(client, bob, post, "Accept", result=stamp)
    deliver_everything()

    post.refresh_from_db()
    assert post.quote_state == QuoteState.ACCEPTED
    assert post.quote_authorization == stamp
    [_create, update] = arrived(server, "/users/dave/inbox")
    assert update["type"] == "Update"
    assert update["object"]["quoteAuthorization"] == stamp
    assert update["object"]["quote"] == post.quote_of
    assert update["object"]["quoteUri"] == post.quote_of
    assert update["object"]["_misskey_quote"] == post.quote_of
    assert update["object"]["updated"]
    client.force_login(creator.user)
    page = client.get(reverse("posts:detail", kwargs={"pk": post.pk}))
    assert "Quote accepted" in page.content.decode()


def test_a_reject_sends_the_post_as_a_plain_link_and_tells_the_creator(
    client, creator, server, bob
):
    address = remote_post(server, policy="manual")
    post = quote(creator, address)
    follower(creator, host=server.host, username="dave")
    deliver_everything()

    answer(client, bob, post, "Reject")
    deliver_everything()

    post.refresh_from_db()
    assert post.quote_state == QuoteState.REFUSED
    [_create, update] = arrived(server, "/users/dave/inbox")
    note = update["object"]
    assert "quote" not in note and "quoteAuthorization" not in note
    assert f'<p>RE: <a href="{address}">{address}</a></p>' in note["content"]
    client.force_login(creator.user)
    detail = client.get(reverse("posts:detail", kwargs={"pk": post.pk})).content
    assert "Quote refused — sent as a link" in detail.decode()
    queue = client.get(reverse("posts:queue", kwargs={"handle": "alice"})).content
    assert "refused your quote" in queue.decode()


def delete_stamp(client, who: Remote, stamp: str, n: int = 1) -> None:
    """Mastodon's RevokeQuoteService: a Delete whose object is the stamp."""
    who.post(
        client,
        {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": f"{stamp}#delete/{n}",
            "type": "Delete",
            "actor": who.actor_id,
            "object": stamp,
            "to": [PUBLIC],
        },
    )
    process_queued()


def accepted_quote(client, creator, server, bob, address: str):
    """A post quoting bob's, accepted with a stamp, delivered to dave."""
    post = quote(creator, address)
    follower(creator, host=server.host, username="dave")
    deliver_everything()
    stamp = server.url(f"/users/bob/quote_authorizations/{post.pk}")
    answer(client, bob, post, "Accept", result=stamp)
    deliver_everything()
    post.refresh_from_db()
    assert post.quote_state == QuoteState.ACCEPTED
    return post, stamp


def test_the_author_withdrawing_permission_sends_the_post_as_a_plain_link(
    client, creator, server, bob
):
    address = remote_post(server, policy="manual")
    post, stamp = accepted_quote(client, creator, server, bob, address)

    delete_stamp(client, bob, stamp)
    deliver_everything()

    post.refresh_from_db()
    assert post.quote_state == QuoteState.REVOKED
    assert "the author withdrew permission; sent as a link" in post.quote_note.lower()
    [_create, _accepted, update] = arrived(server, "/users/dave/inbox")
    assert update["type"] == "Update"
    note = update["object"]
    for field in ("quote", "quoteAuthorization", "quoteUri", "_misskey_quote"):
        assert field not in note
    assert f'<p>RE: <a href="{address}">{address}</a></p>' in note["content"]
    # The quoted author is told too, as after their answer.
    assert arrived(server, "/users/bob/inbox")[-1]["id"] == update["id"]
    client.force_login(creator.user)
    detail = client.get(reverse("posts:detail", kwargs={"pk": post.pk})).content
    assert "Quote withdrawn — sent as a link" in detail.decode()
    assert "The author withdrew permission; sent as a link" in detail.decode()
    queue = client.get(reverse("posts:queue", kwargs={"handle": "alice"})).content
    assert "withdrew permission for your quote" in queue.decode()

    # Told twice, nothing more goes out.
    sent = OutboundActivity.objects.count()
    delete_stamp(client, bob, stamp, 2)
    assert OutboundActivity.objects.count() == sent


def test_a_delete_of_the_stamp_from_anyone_else_changes_nothing(
    client, creator, server, bob, carol
):
    post, stamp = accepted_quote(client, creator, server, bob, remote_post(server))
    sent = OutboundActivity.objects.count()

    delete_stamp(client, carol, stamp)
    # Nor does the author deleting a stamp this quote does not hold.
    delete_stamp(client, bob, server.url("/users/bob/quote_authorizations/999"))

    post.refresh_from_db()
    assert post.quote_state == QuoteState.ACCEPTED
    assert post.quote_authorization == stamp
    assert OutboundActivity.objects.count() == sent


# Answers that change nothing ----------------------------------------------------


def test_an_accept_from_someone_other_than_the_author_changes_nothing(
    client, creator, server, bob, carol
):
    post = quote(creator, remote_post(server, policy="manual"))
    deliver_everything()
    sent = OutboundActivity.objects.count()

    answer(client, carol, post, "Accept", result=server.url("/stamps/1"))
    answer(client, carol, post, "Reject")

    post.refresh_from_db()
    assert post.quote_state == QuoteState.PENDING
    assert post.quote_authorization == ""
    assert OutboundActivity.objects.count() == sent


def test_an_accept_whose_stamp_is_on_another_server_changes_nothing(
    client, creator, server, bob
):
    post = quote(creator, remote_post(server, policy="manual"))
    deliver_everything()

    answer(client, bob, post, "Accept", result="https://elsewhere.example/stamp/1")

    post.refresh_from_db()
    assert post.quote_state == QuoteState.PENDING
    assert post.quote_authorization == ""


def test_a_reject_of_an_unknown_request_changes_nothing(client, creator, server, bob):
    post = quote(creator, remote_post(server, policy="manual"))
    deliver_everything()
    sent = OutboundActivity.objects.count()
    unknown = Post(pk=post.pk + 100, creator=creator, quote_of=post.quote_of)

    answer(client, bob, unknown, "Reject")

    post.refresh_from_db()
    assert post.quote_state == QuoteState.PENDING
    assert OutboundActivity.objects.count() == sent


def test_a_second_answer_changes_nothing(client, creator, server, bob):
    post = quote(creator, remote_post(server, policy="manual"))
    deliver_everything()
    answer(client, bob, post, "Reject")
    sent = OutboundActivity.objects.count()

    answer(client, bob, post, "Accept", result=server.url("/stamps/1"))

    post.refresh_from_db()
    assert post.quote_state == QuoteState.REFUSED
    assert OutboundActivity.objects.count() == sent


# What cannot be quoted ------------------------------------------------------------


def test_a_server_without_a_quote_policy_gets_a_link_and_no_request(
    client, creator, server, bob
):
    address = remote_post(server, policy=None)
    post = quote(creator, address)
    follower(creator, host=server.host, username="dave")
    deliver_everything()

    assert post.quote_state == QuoteState.LINK
    assert "does not ask for consent" in post.quote_note
    assert arrived(server, "/users/bob/inbox") == []
    [create] = arrived(server, "/users/dave/inbox")
    assert "quote" not in create["object"]
    assert f'<p>RE: <a href="{address}">' in create["object"]["content"]


@pytest.mark.parametrize(
    ("policy", "fields", "words"),
    [
        ("followers", {}, "does not allow you to quote"),
        ("public", {"kind": "Person"}, "not a post"),
        ("public", {"to": [], "cc": []}, "Only public posts"),
        ("public", {"attributedTo": "https://elsewhere.example/users/x"}, "no author"),
    ],
)
def test_a_post_that_cannot_be_quoted_is_refused_and_nothing_is_stored(
    creator, server, bob, policy, fields, words
):
    address = remote_post(server, policy=policy, **fields)

    with pytest.raises(ValidationError) as refused:
        quote(creator, address, publish=False)

    assert words in str(refused.value.message_dict["quote_of"])
    assert not Post.objects.exists()
    assert not OutboundActivity.objects.exists()


@pytest.mark.parametrize(
    "address",
    [
        "https://10.0.0.7/users/bob/statuses/1",
        "https://127.0.0.1/users/bob/statuses/1",
        "https://[::1]/users/bob/statuses/1",
    ],
)
def test_an_address_inside_our_network_is_never_fetched_and_nothing_is_stored(
    creator, address
):
    with pytest.raises(ValidationError) as refused:
        quote(creator, address, publish=False)

    assert "may fetch" in str(refused.value.message_dict["quote_of"])
    assert not Post.objects.exists()


def test_a_published_post_cannot_change_what_it_quotes(creator, server, bob):
    post = quote(creator, remote_post(server))
    other = remote_post(server, 2)

    data = post_input_from(post)
    with pytest.raises(ValidationError) as refused:
        post_edit(
            post=post,
            by=creator.user,
            data=dataclasses.replace(data, quote_of=other),
        )

    assert "cannot change what it quotes" in str(refused.value)
    post.refresh_from_db()
    assert post.quote_of == server.url("/users/bob/statuses/1")


def test_an_accept_naming_the_request_by_id_alone_is_enough(
    client, creator, server, bob
):
    post = quote(creator, remote_post(server))
    deliver_everything()
    stamp = server.url("/users/bob/quote_authorizations/9")

    bob.post(
        client,
        {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": f"{bob.actor_id}#accepts/quote_requests/9",
            "type": "Accept",
            "actor": bob.actor_id,
            "object": f"{ids.actor_id('alice')}/quote_requests/{post.pk}",
            "result": stamp,
        },
    )
    process_queued()

    post.refresh_from_db()
    assert post.quote_state == QuoteState.ACCEPTED
    assert post.quote_authorization == stamp


def test_a_scheduled_quote_asks_the_author_when_it_goes_out(creator, server, bob):
    post = quote(creator, remote_post(server), publish=False)
    post_schedule(
        post=post, by=creator.user, publish_at=timezone.now() + timedelta(hours=1)
    )
    deliver_everything()
    assert arrived(server, "/users/bob/inbox") == []

    publish_due_posts(now=timezone.now() + timedelta(hours=2))
    deliver_everything()

    [request] = arrived(server, "/users/bob/inbox")
    assert request["type"] == "QuoteRequest"


def test_a_post_of_this_hub_is_not_quoted_as_a_remote_one(creator):
    address = ids.absolute("/users/alice/statuses/1")

    with pytest.raises(ValidationError) as refused:
        quote(creator, address, publish=False)

    assert "other servers" in str(refused.value.message_dict["quote_of"])
    assert not Post.objects.exists()


def test_a_page_that_names_a_post_on_another_server_is_refused(creator, server, bob):
    address = remote_post(server)
    server.documents["/@bob/1"] = {
        **server.documents["/@bob/1"],
        "id": "https://elsewhere.example/users/bob/statuses/1",
    }

    with pytest.raises(ValidationError) as refused:
        quote(creator, address, publish=False)

    assert "another server" in str(refused.value.message_dict["quote_of"])
    assert not Post.objects.exists()


def test_a_link_to_another_server_is_never_shown_as_the_quoted_post(
    creator, server, bob
):
    post = quote(
        creator,
        remote_post(server, url="https://phishing.example/login"),
        publish=False,
    )

    assert post.quote_url == server.url("/users/bob/statuses/1")
