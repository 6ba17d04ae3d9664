"""Actor documents and collections: every field Mastodon reads."""

import pytest
from cryptography.hazmat.primitives import serialization
from django.core.files.base import ContentFile

from followers.models import Follow
from tests import factories
from tests.federation.conftest import AS2, make_follower

pytestmark = pytest.mark.django_db


def get_as2(client, path, accept=AS2):
    return client.get(path, HTTP_ACCEPT=accept)


def test_actor_document_has_what_mastodon_requires(client, alice):
    response = get_as2(client, "/users/alice")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/activity+json")
    assert "Accept" in response["Vary"]
    actor = response.json()
    assert "https://www.w3.org/ns/activitystreams" in actor["@context"]
    assert actor["id"] == "https://hub.test/users/alice"
    assert actor["type"] == "Person"
    assert actor["preferredUsername"] == "alice"
    assert actor["name"] == "Alice Example"
    assert actor["inbox"] == "https://hub.test/users/alice/inbox"
    assert actor["outbox"] == "https://hub.test/users/alice/outbox"
    assert actor["followers"] == "https://hub.test/users/alice/followers"
    assert actor["following"] == "https://hub.test/users/alice/following"
    assert actor["featured"] == "https://hub.test/users/alice/collections/featured"
    assert actor["endpoints"] == {"sharedInbox": "https://hub.test/inbox"}
    assert actor["url"] == "https://hub.test/@alice"
    assert actor["manuallyApprovesFollowers"] is False
    assert actor["discoverable"] is True
    assert actor["published"].endswith("Z")
    key = actor["publicKey"]
    assert key["id"] == "https://hub.test/users/alice#main-key"
    assert key["owner"] == actor["id"]
    public_key = serialization.load_pem_public_key(key["publicKeyPem"].encode())
    assert public_key.key_size == 2048


@pytest.mark.parametrize(
    "accept", ["application/ld+json", "application/json", "application/json; q=1"]
)
def test_the_actor_is_served_for_any_json_a_server_asks_for(client, alice, accept):
    response = get_as2(client, "/users/alice", accept)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/activity+json")
    assert response.json()["id"] == "https://hub.test/users/alice"


def test_a_browser_is_sent_to_the_profile_page(client, alice):
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    response = get_as2(client, "/users/alice", browser)
    assert response.status_code == 302
    assert response["Location"].endswith("/@alice")


def test_bio_is_escaped_html_and_links_are_property_values(client, alice):
    actor = get_as2(client, "/users/alice").json()
    assert "&amp;" in actor["summary"] and "&lt;3" in actor["summary"]
    assert '<a href="https://alice.example"' in actor["summary"]
    assert actor["attachment"] == [
        {
            "type": "PropertyValue",
            "name": "Shop",
            "value": '<a href="https://shop.alice.example/" target="_blank" '
            'rel="nofollow noopener me">shop.alice.example</a>',
        }
    ]


def test_the_ld_json_profile_gets_as2_too(client, alice):
    accept = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
    assert get_as2(client, "/users/alice", accept).json()["type"] == "Person"


def test_the_key_is_stable_across_fetches(client, alice):
    first = get_as2(client, "/users/alice").json()["publicKey"]["publicKeyPem"]
    second = get_as2(client, "/users/alice").json()["publicKey"]["publicKeyPem"]
    assert first == second


def test_avatar_is_an_image_with_media_type(client, alice):
    alice.avatar.save("alice-avatar.png", ContentFile(b"\x89PNG fake"), save=True)
    actor = get_as2(client, "/users/alice").json()
    assert actor["icon"]["type"] == "Image"
    assert actor["icon"]["mediaType"] == "image/png"
    assert actor["icon"]["url"].startswith("https://hub.test/media/avatars/")


def test_browsers_are_sent_to_the_profile_page(client, alice):
    response = client.get("/users/alice", HTTP_ACCEPT="text/html")
    assert response.status_code == 302
    assert response["Location"] == "https://hub.test/@alice"


def test_profile_page_shows_the_address_to_follow(client, alice):
    make_follower(alice)
    response = client.get("/@alice")
    assert response.status_code == 200
    html = response.content.decode()
    assert "@alice@hub.test" in html
    assert "Alice Example" in html
    assert "shop.alice.example" in html
    assert 'rel="alternate"' in response["Link"]
    assert response.context["follower_count"] == 1


def test_unknown_actor_is_404(client, alice):
    assert get_as2(client, "/users/nobody").status_code == 404
    assert client.get("/@nobody").status_code == 404


def test_actor_is_gone_when_the_creator_stops_sharing(client, alice):
    alice.share_to_fediverse = False
    alice.save()
    response = get_as2(client, "/users/alice")
    assert response.status_code == 410
    assert response.json()["type"] == "Tombstone"
    assert client.get("/@alice").status_code == 404
    assert get_as2(client, "/users/alice/outbox").status_code == 410


def test_instance_actor_is_an_application_with_a_key(client):
    actor = get_as2(client, "/actor").json()
    assert actor["id"] == "https://hub.test/actor"
    assert actor["type"] == "Application"
    assert actor["publicKey"]["id"] == "https://hub.test/actor#main-key"
    assert actor["publicKey"]["owner"] == "https://hub.test/actor"


def test_every_url_of_the_instance_actor_answers(client):
    """Servers follow the actor's links: none may lead to a 404."""
    actor = get_as2(client, "/actor").json()
    assert actor["inbox"] == actor["endpoints"]["sharedInbox"]
    assert actor["inbox"] == "https://hub.test/inbox"
    outbox = get_as2(client, "/actor/outbox")
    assert outbox.status_code == 200
    assert outbox.json()["totalItems"] == 0
    assert client.get(actor["url"].removeprefix("https://hub.test")).status_code in (
        200,
        302,
    )


def test_followers_collection_counts_accepted_followers_only(client, alice):
    make_follower(alice, username="bob")
    pending = make_follower(alice, username="carol")
    pending.state = Follow.State.PENDING
    pending.save()
    collection = get_as2(client, "/users/alice/followers").json()
    assert collection["type"] == "OrderedCollection"
    assert collection["totalItems"] == 1
    page = get_as2(client, collection["first"].removeprefix("https://hub.test")).json()
    assert page["orderedItems"] == ["https://mastodon.example/users/bob"]


def test_hidden_follower_lists_still_show_the_count(client, alice):
    make_follower(alice)
    alice.show_follower_lists = False
    alice.save()
    collection = get_as2(client, "/users/alice/followers").json()
    assert collection["totalItems"] == 1
    assert "first" not in collection


def test_outbox_is_a_paged_ordered_collection(client, alice):
    collection = get_as2(client, "/users/alice/outbox").json()
    assert collection["type"] == "OrderedCollection"
    assert collection["totalItems"] == 0
    page = get_as2(client, "/users/alice/outbox?page=1").json()
    assert page["type"] == "OrderedCollectionPage"
    assert page["partOf"] == "https://hub.test/users/alice/outbox"
    assert page["orderedItems"] == []


def test_outbox_links_its_first_and_last_pages_and_pages_each_other(
    client, alice, monkeypatch
):
    monkeypatch.setattr("federation.views.actors.OUTBOX_PAGE_SIZE", 2)
    for _ in range(5):
        factories.PostFactory(creator=alice, published=True)
    outbox = "https://hub.test/users/alice/outbox"

    collection = get_as2(client, "/users/alice/outbox").json()

    assert collection["totalItems"] == 5
    assert (collection["first"], collection["last"]) == (
        f"{outbox}?page=1",
        f"{outbox}?page=3",
    )
    first = get_as2(client, "/users/alice/outbox?page=1").json()
    middle = get_as2(client, "/users/alice/outbox?page=2").json()
    last = get_as2(client, "/users/alice/outbox?page=3").json()
    assert (first["next"], "prev" in first) == (f"{outbox}?page=2", False)
    assert (middle["prev"], middle["next"]) == (f"{outbox}?page=1", f"{outbox}?page=3")
    assert (last["prev"], "next" in last) == (f"{outbox}?page=2", False)
    assert [len(p["orderedItems"]) for p in (first, middle, last)] == [2, 2, 1]


def test_an_empty_outbox_is_its_own_first_and_last_page(client, alice):
    collection = get_as2(client, "/users/alice/outbox").json()
    assert collection["first"] == collection["last"]
    assert collection["last"] == "https://hub.test/users/alice/outbox?page=1"


@pytest.mark.parametrize("page", ["0", "-1", "abc", "99999999"])
def test_bad_page_numbers_are_404(client, alice, page):
    assert get_as2(client, f"/users/alice/outbox?page={page}").status_code == 404


def test_following_and_featured_are_empty_collections(client, alice):
    assert get_as2(client, "/users/alice/following").json()["totalItems"] == 0
    featured = get_as2(client, "/users/alice/collections/featured").json()
    assert featured["totalItems"] == 0
    assert featured["orderedItems"] == []


def test_profile_page_renders_the_bio_as_paragraphs_not_markup(client, alice):
    alice.bio = "Hello <script>alert(1)</script>\nhttps://alice.example"
    alice.save()
    html = client.get("/@alice").content.decode()
    assert "&lt;script&gt;" in html
    assert "<script>alert" not in html
    assert "&lt;p&gt;" not in html
    assert '<a href="https://alice.example" rel="nofollow">' in html


def test_followers_are_paged_fifty_at_a_time(client, alice):
    for number in range(51):
        make_follower(alice, username=f"fan{number}")
    first = get_as2(client, "/users/alice/followers?page=1").json()
    assert len(first["orderedItems"]) == 50
    assert first["next"] == "https://hub.test/users/alice/followers?page=2"
    assert "prev" not in first
    second = get_as2(client, "/users/alice/followers?page=2").json()
    assert len(second["orderedItems"]) == 1
    assert second["prev"] == "https://hub.test/users/alice/followers?page=1"
    assert "next" not in second


def test_profile_page_lists_recent_public_posts_cleaned(client, alice):
    def create(content, *, visibility="public"):
        factories.PostFactory(
            creator=alice, published=True, content_html=content, visibility=visibility
        )

    create("<p>New mural <script>alert(1)</script><img src=x onerror=y></p>")
    create("<p>Followers only</p>", visibility="followers")
    html = client.get("/@alice").content.decode()
    assert "New mural" in html
    assert "<script>" not in html and "onerror" not in html
    assert "Followers only" not in html


def test_profile_page_lists_unlisted_posts_the_outbox_leaves_out(client, alice):
    public = factories.PostFactory(
        creator=alice, published=True, content_html="<p>Open studio</p>"
    )
    unlisted = factories.PostFactory(
        creator=alice,
        published=True,
        content_html="<p>Quiet sketch</p>",
        visibility="unlisted",
    )
    factories.PostFactory(
        creator=alice,
        published=True,
        content_html="<p>Followers only</p>",
        visibility="followers",
    )
    html = client.get("/@alice").content.decode()
    assert "Quiet sketch" in html
    assert "Open studio" in html
    assert "Followers only" not in html
    collection = get_as2(client, "/users/alice/outbox").json()
    assert collection["totalItems"] == 1
    items = get_as2(client, "/users/alice/outbox?page=1").json()["orderedItems"]
    objects = [item["object"]["id"] for item in items]
    assert objects == [f"https://hub.test/users/alice/statuses/{public.pk}"]
    assert f"https://hub.test/users/alice/statuses/{unlisted.pk}" not in objects


def test_profile_page_says_when_there_are_no_posts(client, alice):
    assert "No public posts yet" in client.get("/@alice").content.decode()
