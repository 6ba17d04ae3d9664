"""Scopes and approvals through the REST API, under the pages' rules."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from posts.models import Post
from tests import factories
from tests.posts.test_api import assert_error, create, token_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def agency(db):
    return factories.AgencyFactory(name="Northwind", slug="northwind")


@pytest.fixture
def grant(creator, agency):
    return factories.AgencyAccessFactory(
        creator=creator, agency=agency, draft_posts=True
    )


@pytest.fixture
def sam(agency, grant):
    return factories.MembershipFactory(
        agency=agency, role="manager", user__username="sam"
    ).user


def test_a_manager_drafts_and_submits_but_cannot_publish(
    creator, sam, django_capture_on_commit_callbacks
):
    api = token_client(sam)
    post = create(api, body="Spring drop").json()
    assert post["state"] == "draft"
    assert post["author"] == "sam"
    assert_error(api.post(f"/api/v1/posts/{post['id']}/publish"), 403)
    publish_at = (timezone.now() + timedelta(hours=5)).isoformat()
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            f"/api/v1/posts/{post['id']}/submit",
            {"publish_at": publish_at},
            format="json",
        )
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "pending_approval"
    assert len(mail.outbox) == 1
    # Only the creator approves.
    assert_error(
        api.post(
            f"/api/v1/posts/{post['id']}/approve",
            {"version": response.json()["version"]},
            format="json",
        ),
        403,
    )


def test_the_creator_approves_the_version_read_or_sends_it_back(creator, sam):
    writer, owner = token_client(sam), token_client(creator.user)
    post = create(writer, body="Spring drop").json()
    writer.post(f"/api/v1/posts/{post['id']}/submit", {}, format="json")
    read = owner.get(f"/api/v1/posts/{post['id']}").json()
    writer.patch(f"/api/v1/posts/{post['id']}", {"body": "Changed"}, format="json")

    stale = owner.post(
        f"/api/v1/posts/{post['id']}/approve",
        {"version": read["version"]},
        format="json",
    )
    error = assert_error(stale, 400)
    assert "changed after you opened it" in str(error)
    assert Post.objects.get(pk=post["id"]).state == Post.State.PENDING_APPROVAL

    back = owner.post(
        f"/api/v1/posts/{post['id']}/send-back", {"comment": "Not yet"}, format="json"
    )
    assert back.json()["state"] == "draft"
    assert back.json()["approval_comment"] == "Not yet"
    writer.post(f"/api/v1/posts/{post['id']}/submit", {}, format="json")
    latest = owner.get(f"/api/v1/posts/{post['id']}").json()
    approved = owner.post(
        f"/api/v1/posts/{post['id']}/approve",
        {"version": latest["version"]},
        format="json",
    )
    assert approved.status_code == 200
    assert approved.json()["state"] == "published"


def test_the_creator_changes_scopes_through_the_api_and_they_apply_at_once(
    creator, sam, grant
):
    owner, writer = token_client(creator.user), token_client(sam)
    listed = owner.get("/api/v1/me/agency-access").json()["results"]
    assert listed[0]["scopes"] == ["read_analytics", "draft_posts"]
    changed = owner.patch(
        f"/api/v1/me/agency-access/{grant.pk}",
        {"scopes": ["read_analytics"]},
        format="json",
    )
    assert changed.json()["scopes"] == ["read_analytics"]
    assert_error(create(writer, body="hi"), 403)
    assert not Post.objects.exists()
    # Sam may not change Alice's grant; another creator gets 404.
    assert_error(
        writer.patch(
            f"/api/v1/me/agency-access/{grant.pk}", {"scopes": []}, format="json"
        ),
        404,
    )


def test_a_member_of_another_agency_gets_404(creator, sam, other_creator):
    rival = factories.AgencyFactory(slug="rival")
    factories.AgencyAccessFactory(creator=other_creator, agency=rival, all_scopes=True)
    eve = factories.MembershipFactory(agency=rival, role="owner").user
    post = create(token_client(sam), body="Spring drop").json()
    api = token_client(eve)
    for action in ("submit", "approve", "send-back"):
        response = api.post(f"/api/v1/posts/{post['id']}/{action}", {}, format="json")
        assert_error(response, 404)
