"""manage.py demo: the described logins, idempotent, development only."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.http import HttpRequest
from rest_framework.test import APIClient

from accounts import permissions
from accounts.models import (
    Agency,
    AgencyAccess,
    AgencyMembership,
    CreatorProfile,
    ProfileLink,
    User,
)
from tests import factories

pytestmark = pytest.mark.django_db

DEMO_USERS = {"demo", "other", "nova", "owner", "analyst", "manager", "admin"}


def run_demo(**options) -> str:
    out = StringIO()
    call_command("demo", stdout=out, **options)
    return out.getvalue()


@pytest.fixture(autouse=True)
def _debug_on(settings):
    settings.DEBUG = True


def snapshot() -> dict:
    return {
        model.__name__: model.objects.count()
        for model in (
            User,
            CreatorProfile,
            ProfileLink,
            Agency,
            AgencyMembership,
            AgencyAccess,
        )
    }


def test_creates_exactly_the_described_logins_and_roles():
    output = run_demo()

    assert set(User.objects.values_list("username", flat=True)) == DEMO_USERS
    demo = CreatorProfile.objects.get(user__username="demo")
    assert demo.handle == "demo"
    assert demo.share_to_fediverse
    assert demo.display_name
    assert demo.bio
    assert demo.links.count() == 1
    other = CreatorProfile.objects.get(user__username="other")
    assert other.handle == "other"
    assert set(CreatorProfile.objects.values_list("handle", flat=True)) == {
        "demo",
        "other",
        "nova",
    }

    agency = Agency.objects.get()
    assert (agency.name, agency.slug) == ("Demo Agency", "demo-agency")
    roles = dict(agency.memberships.values_list("user__username", "role"))
    assert roles == {"owner": "owner", "analyst": "analyst", "manager": "manager"}
    grants = {g.creator.handle: g for g in AgencyAccess.objects.active()}
    assert set(grants) == {"demo", "nova"}
    assert grants["demo"].publish_posts
    # Nova's agency drafts for her approval and cannot publish.
    assert grants["nova"].scopes == ["read_analytics", "draft_posts", "answer_replies"]
    manager = User.objects.get(username="manager")
    assert {c.handle for c in permissions.creators_visible_to(manager)} == {
        "demo",
        "nova",
    }
    assert "manager" in output and "nova" in output

    admin = User.objects.get(username="admin")
    assert admin.is_staff and admin.is_superuser
    staff = set(User.objects.filter(is_staff=True).values_list("username", flat=True))
    assert staff == {"admin"}

    for username in DEMO_USERS:
        assert User.objects.get(username=username).check_password("demo-password")
    assert "DEMO DATA — do not use in production" in output
    assert "demo-password" in output


def test_running_twice_updates_and_never_duplicates():
    run_demo()
    counts = snapshot()
    demo = CreatorProfile.objects.get(handle="demo")
    demo.bio = "changed by hand"
    demo.save()
    User.objects.filter(username="analyst").update(is_active=False)
    AgencyMembership.objects.filter(user__username="analyst").update(role="owner")

    run_demo()

    assert snapshot() == counts
    demo.refresh_from_db()
    assert demo.bio != "changed by hand"
    analyst = User.objects.get(username="analyst")
    assert analyst.is_active
    assert analyst.agency_memberships.get().role == "analyst"


def test_a_second_run_hides_other_again_if_it_was_granted_access():
    run_demo()
    other = CreatorProfile.objects.get(handle="other")
    factories.AgencyAccessFactory(creator=other, agency=Agency.objects.get())
    run_demo()
    assert not AgencyAccess.objects.active().filter(creator=other).exists()


def test_the_password_option_replaces_the_well_known_one():
    output = run_demo(password="s3cret-for-my-laptop")
    user = User.objects.get(username="analyst")
    assert user.check_password("s3cret-for-my-laptop")
    assert not user.check_password("demo-password")
    assert "demo-password" not in output


def test_the_url_option_is_what_gets_printed(settings):
    settings.CREATORHUB_SCHEME = "https"
    settings.CREATORHUB_DOMAIN = "hub.test"
    assert "https://hub.test/login/" in run_demo()
    output = run_demo(url="http://127.0.0.1:8000/")
    assert "http://127.0.0.1:8000/login/" in output
    assert "https://hub.test" not in output


def test_the_analyst_sees_the_demo_creator_and_not_other():
    run_demo()
    analyst = User.objects.get(username="analyst")
    visible = permissions.creators_visible_to(analyst)
    assert list(visible.values_list("handle", flat=True)) == ["demo", "nova"]

    client = APIClient()
    assert client.login(
        request=HttpRequest(), username="analyst", password="demo-password"
    )
    body = client.get("/api/v1/creators").json()
    assert [c["handle"] for c in body["results"]] == ["demo", "nova"]
    assert client.get("/api/v1/creators/demo").status_code == 200
    assert client.get("/api/v1/creators/other").status_code == 404
    agency_creators = client.get("/api/v1/agencies/demo-agency/creators").json()
    assert [c["handle"] for c in agency_creators["results"]] == ["demo", "nova"]


def test_the_printed_api_token_works():
    output = run_demo()
    line = next(line for line in output.splitlines() if "curl" in line)
    key = line.split("Token ")[1].split("'")[0]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/v1/me").json()["user"]["username"] == "analyst"


def test_refuses_to_run_without_debug(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        run_demo()
    assert not User.objects.exists()


def test_force_runs_it_without_debug(settings):
    settings.DEBUG = False
    run_demo(force=True)
    assert set(User.objects.values_list("username", flat=True)) == DEMO_USERS


def test_a_taken_email_is_a_clear_command_error():
    factories.UserFactory(username="someone", email="demo@example.com")
    with pytest.raises(CommandError, match="email"):
        run_demo()
    assert not CreatorProfile.objects.exists()
