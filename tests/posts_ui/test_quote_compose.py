"""Quoting a post on another server from compose and from the API: what the
creator types, and what they are told.

The other server runs on loopback and serves the quoted post over HTTP
(tests.federation.test_quote_requests_out.QuotedServer); our SSRF-safe
client fetches it for real.
"""

import pytest
from django.urls import reverse

from federation.models import OutboundActivity
from federation.protocol import ids, keys
from posts.models import Post, QuoteState
from tests.federation.inbox_support import Remote
from tests.federation.test_quote_requests_out import QuotedServer, remote_post
from tests.posts.test_api import assert_error, token_client
from tests.posts_ui.conftest import compose_data, page_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def server(creator, loopback):
    key = keys.key_for_creator(creator)
    with QuotedServer(keys={ids.key_id("alice"): key.public_key_pem}) as sink:
        Remote(sink.url("/users/bob"))  # the quoted author, known to us
        yield sink


def compose(client, creator, **fields):
    url = reverse("posts:compose", kwargs={"handle": creator.handle})
    return client.post(url, compose_data(**fields), follow=True)


def test_compose_offers_a_quote_field(alice_client, creator):
    page = page_text(
        alice_client.get(reverse("posts:compose", kwargs={"handle": "alice"}))
    )
    assert "Quote a post" in page
    assert "if they refuse it goes out as a plain link" in page


def test_publishing_a_quote_shows_it_pending_and_asks_the_author(
    alice_client, creator, server
):
    address = remote_post(server, policy="manual")

    page = page_text(compose(alice_client, creator, quote_of=address, action="publish"))

    post = Post.objects.get()
    assert post.state == Post.State.PUBLISHED
    assert post.quote_state == QuoteState.PENDING
    assert "Quote pending" in page
    assert f"a post by @bob@{server.host}" in page
    assert "pending until they answer" in page
    assert OutboundActivity.objects.filter(activity_type="QuoteRequest").count() == 1
    queue = page_text(
        alice_client.get(reverse("posts:queue", kwargs={"handle": "alice"}))
    )
    assert "Quote pending" in queue


def test_a_draft_says_the_author_is_asked_when_it_goes_out(
    alice_client, creator, server
):
    page = page_text(
        compose(alice_client, creator, quote_of=remote_post(server), action="draft")
    )

    assert "Quotes a post" in page
    assert "its author is asked when this goes out" in page
    assert not OutboundActivity.objects.exists()


def test_a_server_that_does_not_ask_gets_a_link_and_the_creator_is_told(
    alice_client, creator, server
):
    page = page_text(
        compose(
            alice_client,
            creator,
            quote_of=remote_post(server, policy=None),
            action="publish",
        )
    )

    assert "Sent as a link" in page
    assert "does not ask for consent to quote" in page
    assert not OutboundActivity.objects.filter(activity_type="QuoteRequest").exists()


def test_a_post_whose_author_does_not_allow_quotes_is_refused_and_nothing_saved(
    alice_client, creator, server
):
    response = compose(
        alice_client,
        creator,
        quote_of=remote_post(server, policy="followers"),
        action="publish",
    )

    assert response.status_code == 200
    assert "does not allow you to quote this post" in page_text(response)
    assert not Post.objects.exists()


def test_an_internal_address_is_refused_and_nothing_saved(alice_client, creator):
    response = compose(
        alice_client,
        creator,
        quote_of="https://192.168.1.10/users/bob/statuses/1",
        action="publish",
    )

    assert response.status_code == 200
    assert "not one this server may fetch" in page_text(response)
    assert not Post.objects.exists()


# API ---------------------------------------------------------------------------


def test_the_api_takes_quote_of_and_shows_the_quote_state(creator, server):
    api = token_client(creator.user)
    address = remote_post(server, policy="manual")

    body = api.post(
        "/api/v1/creators/alice/posts",
        {"body": "Look.", "quote_of": address, "publish": True},
        format="json",
    ).json()

    assert body["quote_of"] == server.url("/users/bob/statuses/1")
    assert body["quote_url"] == address
    assert body["quote_author"] == f"@bob@{server.host}"
    assert body["quote_state"] == "pending"
    assert "pending until they answer" in body["quote_note"]
    again = api.get(f"/api/v1/posts/{body['id']}").json()
    assert again["quote_state"] == "pending"
    # What a published post quotes is fixed.
    other = remote_post(server, 2)
    refused = api.patch(
        f"/api/v1/posts/{body['id']}", {"quote_of": other}, format="json"
    )
    assert_error(refused, 400)


def test_the_api_refuses_a_quote_of_something_that_is_not_a_post(creator, server):
    api = token_client(creator.user)

    response = api.post(
        "/api/v1/creators/alice/posts",
        {"body": "Look.", "quote_of": remote_post(server, kind="Person")},
        format="json",
    )

    error = assert_error(response, 400)
    assert "not a post" in str(error)
    assert not Post.objects.exists()


def test_the_schema_documents_quote_of(client):
    schema = client.get("/api/schema/?format=json").json()
    components = schema["components"]["schemas"]
    assert "quote_of" in components["PostCreateRequest"]["properties"]
    assert "quote_of" in components["PatchedPostWriteRequest"]["properties"]
    assert "quote_state" in components["Post"]["properties"]
    assert components["QuoteStateEnum"]["enum"] == [
        "pending",
        "accepted",
        "refused",
        "revoked",
        "link",
    ]
