"""The reply inbox through the REST API: the same list, filters and rules
as the page; assigning, marking done and reopening."""

import pytest
from rest_framework.test import APIClient

from accounts.models import AgencyAccess
from accounts.services import create_api_token
from conversations.models import Conversation
from tests.inbox_ui.test_reply_inbox import world  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


def token_client(user) -> APIClient:
    client = APIClient()
    _, secret = create_api_token(user=user, name="Tests", scope="write")
    client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    return client


def ids_of(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["results"]]


def test_the_list_filters_like_the_page(world):  # noqa: F811
    r = world["replies"]
    api = token_client(world["sam"])

    assert ids_of(api.get("/api/v1/replies")) == [
        r["alice"].pk,
        r["nova"].pk,
        r["nova_quote"].pk,
        r["held"].pk,
    ]
    assert ids_of(api.get("/api/v1/replies?creator=nova&platform=misskey")) == [
        r["nova_quote"].pk
    ]
    item = api.get("/api/v1/replies?server=threads.net").json()["results"][0]
    assert item["creator"] == "nova"
    assert item["platform"] == "threads" and item["state"] == "unanswered"
    assert item["kind"] == "reply" and "Great song" in item["content_html"]


def test_assign_done_and_reopen(world):  # noqa: F811
    reply = world["replies"]["alice"]
    api = token_client(world["sam"])

    assigned = api.post(
        f"/api/v1/replies/{reply.pk}/assign", {"assigned_to": "tia"}, format="json"
    )
    assert assigned.status_code == 200, assigned.content
    assert assigned.json()["assigned_to"] == "tia"
    assert ids_of(token_client(world["tia"]).get("/api/v1/replies?mine=1")) == [
        reply.pk
    ]

    done = api.post(f"/api/v1/replies/{reply.pk}/done")
    assert done.json()["state"] == "done"
    reopened = api.post(f"/api/v1/replies/{reply.pk}/reopen")
    assert reopened.json()["state"] == "unanswered"


def test_assigning_outside_the_agency_is_a_400(world):  # noqa: F811
    reply = world["replies"]["alice"]
    api = token_client(world["sam"])

    for outsider in ("stranger", "bob", "ana", "nobody"):
        response = api.post(
            f"/api/v1/replies/{reply.pk}/assign",
            {"assigned_to": outsider},
            format="json",
        )
        assert response.status_code == 400, outsider
    assert not Conversation.objects.exists()


def test_same_permissions_as_the_pages(world):  # noqa: F811
    bob_reply = world["replies"]["bob"]
    nova_reply = world["replies"]["nova"]

    # Another agency's creator: not found.
    sam = token_client(world["sam"])
    assert sam.post(f"/api/v1/replies/{bob_reply.pk}/done").status_code == 404
    # An analyst reads but cannot act.
    ana = token_client(world["ana"])
    assert nova_reply.pk in ids_of(ana.get("/api/v1/replies"))
    assert ana.post(f"/api/v1/replies/{nova_reply.pk}/done").status_code == 403
    # A scope taken back stops the next request.
    AgencyAccess.objects.filter(creator=world["nova"]).update(
        answer_replies=False, moderate_replies=False
    )
    assert sam.post(f"/api/v1/replies/{nova_reply.pk}/done").status_code == 403
    assert not Conversation.objects.exists()
