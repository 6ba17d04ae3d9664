"""WebFinger, host-meta and NodeInfo, as Mastodon asks for them."""

import pytest

from tests import factories

pytestmark = pytest.mark.django_db


def webfinger(client, resource):
    return client.get("/.well-known/webfinger", {"resource": resource})


def test_webfinger_finds_a_sharing_creator(client, alice):
    response = webfinger(client, "acct:alice@hub.test")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/jrd+json"
    assert response["Access-Control-Allow-Origin"] == "*"
    body = response.json()
    assert body["subject"] == "acct:alice@hub.test"
    self_links = [link for link in body["links"] if link["rel"] == "self"]
    assert self_links == [
        {
            "rel": "self",
            "type": "application/activity+json",
            "href": "https://hub.test/users/alice",
        }
    ]
    assert "https://hub.test/@alice" in body["aliases"]


@pytest.mark.parametrize(
    "resource",
    [
        "acct:ALICE@hub.test",
        "acct:alice@HUB.TEST",
        "acct:@alice@hub.test",
        "https://hub.test/users/alice",
        "https://hub.test/@Alice",
    ],
)
def test_webfinger_is_case_insensitive_and_takes_actor_urls(client, alice, resource):
    response = webfinger(client, resource)
    assert response.status_code == 200
    assert response.json()["subject"] == "acct:alice@hub.test"


@pytest.mark.parametrize(
    "resource",
    [
        "acct:nobody@hub.test",
        "acct:alice@other.example",
        "https://other.example/users/alice",
        "https://hub.test/users/alice/outbox",
    ],
)
def test_webfinger_answers_404_for_what_is_not_ours(client, alice, resource):
    assert webfinger(client, resource).status_code == 404


def test_webfinger_hides_creators_who_do_not_share(client, alice):
    alice.share_to_fediverse = False
    alice.save()
    assert webfinger(client, "acct:alice@hub.test").status_code == 404


def test_webfinger_hides_disabled_accounts(client, alice):
    alice.user.is_active = False
    alice.user.save()
    assert webfinger(client, "acct:alice@hub.test").status_code == 404


@pytest.mark.parametrize("resource", ["", "alice", "mailto:alice@hub.test", "acct:"])
def test_webfinger_answers_400_for_a_malformed_resource(client, resource):
    response = webfinger(client, resource)
    assert response.status_code == 400
    assert "error" in response.json()


def test_host_meta_points_at_webfinger(client):
    response = client.get("/.well-known/host-meta")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/xrd+xml"
    assert (
        'template="https://hub.test/.well-known/webfinger?resource={uri}"'
        in response.content.decode()
    )


def test_nodeinfo_index_links_both_versions(client):
    links = client.get("/.well-known/nodeinfo").json()["links"]
    assert [link["href"] for link in links] == [
        "https://hub.test/nodeinfo/2.1",
        "https://hub.test/nodeinfo/2.0",
    ]


@pytest.mark.parametrize("version", ["2.0", "2.1"])
def test_nodeinfo_counts_sharing_creators(client, alice, settings, version):
    factories.CreatorFactory(share_to_fediverse=False)
    settings.OPEN_REGISTRATIONS = False
    response = client.get(f"/nodeinfo/{version}")
    assert response.status_code == 200
    assert "nodeinfo.diaspora.software/ns/schema/" + version in response["Content-Type"]
    body = response.json()
    assert body["version"] == version
    assert body["software"]["name"] == "creatorhub"
    assert body["software"]["version"] == "0.1.0"
    assert body["protocols"] == ["activitypub"]
    assert body["usage"]["users"]["total"] == 1
    assert body["usage"]["localPosts"] == 0
    assert body["openRegistrations"] is False
    software = set(body["software"]) - {"name", "version"}
    assert software == ({"homepage", "repository"} if version == "2.1" else set())


def test_nodeinfo_links_the_software_not_the_instance(client, settings):
    settings.CREATORHUB_SOURCE_URL = "https://git.example/hub/creatorhub"
    settings.CREATORHUB_HOMEPAGE_URL = "https://creatorhub.example"
    software = client.get("/nodeinfo/2.1").json()["software"]
    assert software["repository"] == "https://git.example/hub/creatorhub"
    assert software["homepage"] == "https://creatorhub.example"
