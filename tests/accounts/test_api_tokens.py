"""Scoped API tokens: several per user, read-only or read-write, shown once,
revoked after a confirmation, last use recorded; and the migration of DRF's
old single tokens."""

import hashlib
import importlib
import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import services
from accounts.models import ApiToken, ApiTokenScope
from posts.models import Post
from tests import factories

pytestmark = pytest.mark.django_db


def client_with(secret: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    return client


def page_text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


# The API ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("patch", "/api/v1/me/profile"),
        ("post", "/api/v1/creators/alice/posts"),
        ("patch", "/api/v1/posts/{pk}"),
        ("delete", "/api/v1/posts/{pk}"),
        ("post", "/api/v1/posts/{pk}/pin"),
        ("put", "/api/v1/posts/{pk}"),
    ],
)
def test_a_read_only_token_cannot_write(creator, method, path):
    """Any unsafe method answers 403 with a clear message, changing nothing."""
    post = factories.PostFactory(creator=creator, body="Before", state="draft")
    _, secret = services.create_api_token(user=creator.user, name="Reader")
    before = (creator.bio, list(Post.objects.values()))
    response = getattr(client_with(secret), method)(
        path.format(pk=post.pk), {"body": "After", "bio": "After"}, format="json"
    )
    assert response.status_code == 403, response.content
    error = response.json()["error"]
    assert error["code"] == "read_only_token"
    assert "read-only" in error["message"]
    creator.refresh_from_db()
    assert (creator.bio, list(Post.objects.values())) == before


def test_a_read_only_token_reads(creator):
    _, secret = services.create_api_token(user=creator.user, name="Reader")
    client = client_with(secret)
    assert client.get("/api/v1/me").status_code == 200
    assert client.get("/api/v1/creators/alice/posts").status_code == 200
    assert client.head("/api/v1/me").status_code == 200


def test_a_read_write_token_writes(creator):
    _, secret = services.create_api_token(
        user=creator.user, name="Writer", scope=ApiTokenScope.WRITE
    )
    response = client_with(secret).patch(
        "/api/v1/me/profile", {"bio": "Written"}, format="json"
    )
    assert response.status_code == 200
    creator.refresh_from_db()
    assert creator.bio == "Written"


def test_a_revoked_token_answers_401_and_the_others_keep_working(creator):
    token, secret = services.create_api_token(user=creator.user, name="Old")
    _, other_secret = services.create_api_token(user=creator.user, name="Other")
    services.revoke_api_token(token=token)
    response = client_with(secret).get("/api/v1/me")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json()["error"]["message"] == "This token was revoked."
    assert client_with(other_secret).get("/api/v1/me").status_code == 200


def test_a_deactivated_users_token_answers_401(creator):
    _, secret = services.create_api_token(user=creator.user, name="Script")
    creator.user.is_active = False
    creator.user.save()
    assert client_with(secret).get("/api/v1/me").status_code == 401


def test_last_use_is_recorded_at_most_once_a_minute(creator):
    token, secret = services.create_api_token(user=creator.user, name="Script")
    assert token.last_used_at is None
    client = client_with(secret)
    client.get("/api/v1/me")
    token.refresh_from_db()
    first_use = token.last_used_at
    assert first_use is not None
    # Within the minute: no write, the stamp stays.
    client.get("/api/v1/me")
    token.refresh_from_db()
    assert token.last_used_at == first_use
    # A minute later it moves on.
    ApiToken.objects.filter(pk=token.pk).update(
        last_used_at=first_use - timedelta(minutes=2)
    )
    client.get("/api/v1/me")
    token.refresh_from_db()
    assert token.last_used_at > first_use - timedelta(minutes=1)


def test_recording_a_recent_use_writes_nothing(creator, django_assert_num_queries):
    token, _ = services.create_api_token(user=creator.user, name="Script")
    token.last_used_at = timezone.now()
    with django_assert_num_queries(0):
        services.record_api_token_use(token=token)


# The dashboard page ------------------------------------------------------------


def test_the_secret_is_shown_once_and_never_on_the_list(client, creator):
    client.force_login(creator.user)
    response = client.post(
        reverse("api_token"), {"name": "Newsletter", "scope": "write"}
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    secret = re.search(r'id="new-token">([^<]+)<', response.content.decode())[1]
    token = ApiToken.objects.get(user=creator.user)
    assert (token.name, token.scope) == ("Newsletter", "write")
    assert token.key_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(ApiToken.objects.values().get())
    listing = page_text(client.get(reverse("api_token")))
    assert secret not in listing
    assert "Newsletter" in listing
    assert f"{token.prefix}…" in listing
    assert "never used" in listing


def test_the_new_token_form_reports_a_missing_name(client, creator):
    client.force_login(creator.user)
    response = client.post(reverse("api_token"), {"name": "", "scope": "read"})
    assert "This field is required." in page_text(response)
    assert not ApiToken.objects.exists()


def test_revoking_asks_for_confirmation_first(client, creator):
    """GET shows a confirmation page and changes nothing; POST revokes."""
    token, secret = services.create_api_token(user=creator.user, name="Old script")
    client.force_login(creator.user)
    url = reverse("api_token_revoke", kwargs={"pk": token.pk})
    page = page_text(client.get(url))
    assert "Revoke “Old script”?" in page
    assert 'method="post"' in page
    token.refresh_from_db()
    assert token.revoked_at is None
    response = client.post(url, follow=True)
    assert "“Old script” is revoked" in page_text(response)
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert client_with(secret).get("/api/v1/me").status_code == 401
    # Gone from the list of working tokens, kept under "Revoked lately".
    assert client.get(url).status_code == 404


def test_nobody_else_can_revoke_a_token(client, creator, other_creator):
    token, _ = services.create_api_token(user=creator.user, name="Mine")
    client.force_login(other_creator.user)
    url = reverse("api_token_revoke", kwargs={"pk": token.pk})
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


# Migrating DRF's tokens ----------------------------------------------------------


@pytest.fixture
def old_authtoken_table():
    """rest_framework.authtoken's table as a database made before holds it."""
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, "
            "created timestamp NOT NULL, user_id bigint NOT NULL)"
        )
    yield
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE authtoken_token")


def test_old_drf_tokens_become_read_write_tokens_that_still_work(
    creator, old_authtoken_table
):
    key = "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b"
    created = timezone.now() - timedelta(days=30)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO authtoken_token (key, created, user_id) VALUES (%s, %s, %s)",
            [key, created, creator.user.pk],
        )
    migration = importlib.import_module(
        "accounts.migrations.0005_apitoken_from_authtoken"
    )
    # The function only reads schema_editor.connection; SQLite allows no
    # real schema editor inside the test's transaction.
    migration.copy_authtokens(apps, SimpleNamespace(connection=connection))

    token = ApiToken.objects.get(user=creator.user)
    assert (token.name, token.scope, token.prefix) == (
        "Token from before",
        "write",
        key[:8],
    )
    assert abs(token.created_at - created) < timedelta(seconds=1)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM authtoken_token")
        assert cursor.fetchone()[0] == 0  # no plaintext key left behind
    response = client_with(key).patch(
        "/api/v1/me/profile", {"bio": "Still works"}, format="json"
    )
    assert response.status_code == 200
