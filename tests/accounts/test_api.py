"""The REST API under /api/v1/: auth, visibility, edits and error shape."""

import hashlib
import re

import pytest
from rest_framework.test import APIClient

from accounts import services
from accounts.models import ProfileLink
from tests import factories

pytestmark = pytest.mark.django_db


def token_client(user, *, scope: str = "write") -> APIClient:
    client = APIClient()
    token, secret = services.create_api_token(user=user, name="Tests", scope=scope)
    client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    client.api_token = token
    return client


def assert_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"error"}
    assert {"code", "message"} <= set(body["error"])
    if code is not None:
        assert body["error"]["code"] == code
    return body["error"]


# Authentication --------------------------------------------------------------


def test_no_credentials_answer_401_in_the_error_shape(creator):
    response = APIClient().get("/api/v1/me")
    error = assert_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == "Token"
    assert "fields" not in error


def test_an_invalid_token_answers_401(creator):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-key")
    assert_error(client.get("/api/v1/creators"), 401, "authentication_failed")


def test_a_revoked_token_stops_working(creator):
    client = token_client(creator.user)
    assert client.get("/api/v1/me").status_code == 200
    services.revoke_api_token(token=client.api_token)
    assert_error(client.get("/api/v1/me"), 401)


def test_session_authentication_works_too(client, creator):
    client.force_login(creator.user)
    response = client.get("/api/v1/me")
    assert response.status_code == 200
    assert response.json()["user"]["username"] == "alice"


def test_an_inactive_users_token_is_refused(creator):
    client = token_client(creator.user)
    creator.user.is_active = False
    creator.user.save()
    assert_error(client.get("/api/v1/me"), 401)


# /me -----------------------------------------------------------------------


def test_me_shows_the_creator_profile_and_memberships(creator):
    agency = factories.AgencyFactory(name="Zeta", slug="zeta")
    factories.MembershipFactory(agency=agency, user=creator.user, role="manager")
    ProfileLink.objects.create(creator=creator, label="Site", url="https://a.example")
    creator.avatar = "avatars/2025/01/alice.jpg"
    creator.save()

    body = token_client(creator.user).get("/api/v1/me").json()

    assert body["user"] == {
        "id": creator.user.pk,
        "username": "alice",
        "email": "alice@example.com",
        "is_admin": False,
    }
    profile = body["creator"]
    assert profile["handle"] == "alice"
    assert profile["fediverse_address"] == "@alice@hub.test"
    assert profile["display_name"] == creator.display_name
    assert profile["time_zone"] == "UTC"
    assert profile["share_to_fediverse"] is True
    assert profile["links"] == [{"label": "Site", "url": "https://a.example"}]
    assert profile["avatar_url"] == "http://testserver/media/avatars/2025/01/alice.jpg"
    assert profile["header_url"] is None
    assert body["agencies"] == [
        {
            "slug": "zeta",
            "name": "Zeta",
            "role": "manager",
            "created_at": pytest.approx(body["agencies"][0]["created_at"]),
        }
    ]


def test_me_for_an_agency_member_without_a_creator_profile(agency_with_analyst):
    _, analyst = agency_with_analyst
    body = token_client(analyst).get("/api/v1/me").json()
    assert body["creator"] is None
    assert [(a["slug"], a["role"]) for a in body["agencies"]] == [("bright", "analyst")]


def test_post_to_me_answers_405_in_the_error_shape(creator):
    response = token_client(creator.user).post("/api/v1/me", {}, format="json")
    assert_error(response, 405, "method_not_allowed")


# PATCH /me/profile -----------------------------------------------------------


def test_patch_profile_changes_only_the_given_fields(creator):
    client = token_client(creator.user)
    response = client.patch(
        "/api/v1/me/profile",
        {
            "display_name": "Alice A.",
            "time_zone": "Europe/Paris",
            "links": [{"label": "Shop", "url": "https://shop.example"}],
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["display_name"] == "Alice A."
    creator.refresh_from_db()
    assert creator.display_name == "Alice A."
    assert creator.time_zone == "Europe/Paris"
    assert creator.share_to_fediverse is True  # untouched
    assert [(link.label, link.url) for link in creator.links.all()] == [
        ("Shop", "https://shop.example")
    ]


def test_patch_profile_with_an_unknown_time_zone_answers_400_with_fields(creator):
    response = token_client(creator.user).patch(
        "/api/v1/me/profile", {"time_zone": "Mars/Olympus"}, format="json"
    )
    error = assert_error(response, 400, "invalid")
    assert error["message"] == "Some fields are not valid."
    assert list(error["fields"]) == ["time_zone"]
    creator.refresh_from_db()
    assert creator.time_zone == "UTC"


def test_patch_profile_refuses_too_many_links_and_bad_urls(creator):
    client = token_client(creator.user)
    links = [{"label": f"L{n}", "url": f"https://{n}.example"} for n in range(5)]
    response = client.patch("/api/v1/me/profile", {"links": links}, format="json")
    assert "links" in assert_error(response, 400)["fields"]

    response = client.patch(
        "/api/v1/me/profile",
        {"links": [{"label": "x", "url": "javascript:alert(1)"}]},
        format="json",
    )
    assert "links" in assert_error(response, 400)["fields"]


def test_patch_profile_with_a_too_long_bio_is_refused_by_the_service(creator):
    response = token_client(creator.user).patch(
        "/api/v1/me/profile", {"bio": "x" * 501}, format="json"
    )
    assert list(assert_error(response, 400)["fields"]) == ["bio"]


def test_patch_profile_without_a_creator_profile_answers_404(agency_with_analyst):
    _, analyst = agency_with_analyst
    response = token_client(analyst).patch(
        "/api/v1/me/profile", {"bio": "hi"}, format="json"
    )
    assert_error(response, 404, "not_found")


def test_patch_profile_cannot_change_the_handle(creator):
    response = token_client(creator.user).patch(
        "/api/v1/me/profile", {"handle": "mallory"}, format="json"
    )
    assert response.status_code == 200
    creator.refresh_from_db()
    assert creator.handle == "alice"


def test_patch_with_a_session_needs_the_csrf_token(creator):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(creator.user)
    response = client.patch("/api/v1/me/profile", {"bio": "hi"}, format="json")
    assert_error(response, 403, "permission_denied")


# Creators ---------------------------------------------------------------------


def test_a_creator_lists_only_themself(creator, other_creator):
    body = token_client(creator.user).get("/api/v1/creators").json()
    assert body["count"] == 1
    assert [c["handle"] for c in body["results"]] == ["alice"]


def test_an_analyst_lists_creators_who_granted_access(
    creator, other_creator, agency_with_analyst
):
    _, analyst = agency_with_analyst
    client = token_client(analyst)
    body = client.get("/api/v1/creators").json()
    assert [c["handle"] for c in body["results"]] == ["alice"]
    assert client.get("/api/v1/creators/alice").status_code == 200
    assert client.get("/api/v1/creators/ALICE").status_code == 200
    assert_error(client.get("/api/v1/creators/bob"), 404, "not_found")


def test_a_creator_cannot_read_another_creator(creator, other_creator):
    response = token_client(creator.user).get("/api/v1/creators/bob")
    assert_error(response, 404, "not_found")


def test_the_creator_list_is_paginated(creator):
    agency = factories.AgencyFactory()
    analyst = factories.MembershipFactory(agency=agency).user
    for n in range(3):
        factories.AgencyAccessFactory(
            agency=agency, creator=factories.CreatorFactory(handle=f"c{n}")
        )
    client = token_client(analyst)
    body = client.get("/api/v1/creators?limit=2").json()
    assert body["count"] == 3
    assert [c["handle"] for c in body["results"]] == ["c0", "c1"]
    assert body["next"].endswith("limit=2&offset=2")
    body = client.get("/api/v1/creators?limit=2&offset=2").json()
    assert [c["handle"] for c in body["results"]] == ["c2"]


def test_the_creator_list_query_count_does_not_grow_with_creators(
    creator, django_assert_max_num_queries
):
    agency = factories.AgencyFactory()
    analyst = factories.MembershipFactory(agency=agency).user
    for n in range(10):
        c = factories.CreatorFactory(handle=f"c{n}")
        ProfileLink.objects.create(creator=c, label="l", url="https://x.example")
        factories.AgencyAccessFactory(agency=agency, creator=c)
    client = token_client(analyst)
    # token lookup, count, page, prefetched links
    with django_assert_max_num_queries(5):
        response = client.get("/api/v1/creators")
    assert response.json()["count"] == 10


# Agencies -------------------------------------------------------------------


def test_agencies_list_the_users_memberships_with_their_role(agency_with_analyst):
    agency, analyst = agency_with_analyst
    factories.AgencyFactory(slug="unrelated")
    body = token_client(analyst).get("/api/v1/agencies").json()
    assert body["count"] == 1
    assert body["results"][0]["slug"] == "bright"
    assert body["results"][0]["role"] == "analyst"


def test_agency_detail_and_creators_are_for_members_only(
    creator, other_creator, agency_with_analyst
):
    agency, analyst = agency_with_analyst
    other_agency = factories.AgencyFactory(slug="other-agency")
    factories.AgencyAccessFactory(creator=other_creator, agency=other_agency)

    client = token_client(analyst)
    detail = client.get("/api/v1/agencies/bright")
    assert detail.status_code == 200
    assert detail.json()["role"] == "analyst"
    creators = client.get("/api/v1/agencies/bright/creators").json()
    assert [c["handle"] for c in creators["results"]] == ["alice"]

    assert_error(client.get("/api/v1/agencies/other-agency"), 404, "not_found")
    assert_error(client.get("/api/v1/agencies/other-agency/creators"), 404)
    # The creator granted access but is not a member of the agency.
    creator_client = token_client(creator.user)
    assert_error(creator_client.get("/api/v1/agencies/bright"), 404)
    assert_error(creator_client.get("/api/v1/agencies/bright/creators"), 404)


def test_revoked_grants_disappear_from_the_agency_creator_list(
    creator, agency_with_analyst
):
    agency, analyst = agency_with_analyst
    access = creator.agency_grants.get(agency=agency)
    services.revoke_agency_access(access=access, revoked_by=creator.user)
    client = token_client(analyst)
    assert client.get("/api/v1/agencies/bright/creators").json()["count"] == 0
    assert_error(client.get("/api/v1/creators/alice"), 404)


def test_unknown_agency_answers_404(creator):
    assert_error(token_client(creator.user).get("/api/v1/agencies/nope"), 404)


# Schema and docs ------------------------------------------------------------


def test_the_schema_and_docs_are_public_and_self_hosted(client, db):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    text = schema.content.decode()
    for path in ("/api/v1/me", "/api/v1/me/profile", "/api/v1/creators/{handle}"):
        assert path in text
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "swagger-ui" in html
    # Every script and stylesheet comes from this server (the page also holds
    # a random CSRF token, so a bare "cdn" search would fail now and then).
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets
    assert all(asset.startswith("/") and not asset.startswith("//") for asset in assets)


def test_a_token_is_stored_as_a_hash_only(creator):
    client = token_client(creator.user)
    secret = client._credentials["HTTP_AUTHORIZATION"].split()[1]
    stored = creator.user.api_tokens.values().get()
    assert secret not in str(stored)
    assert client.api_token.key_hash == hashlib.sha256(secret.encode()).hexdigest()
