"""The posts API: create, publish, schedule, edit, pin, media, errors."""

import io
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone
from PIL import Image
from rest_framework.test import APIClient

from accounts.services import create_api_token
from posts import services
from posts.models import Mention, Post
from tests import factories
from tests.posts.conftest import jpeg_with_gps

pytestmark = pytest.mark.django_db


def token_client(user) -> APIClient:
    client = APIClient()
    _, secret = create_api_token(user=user, name="Tests", scope="write")
    client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    return client


def assert_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"}
    assert {"code", "message"} <= set(body["error"])
    if code is not None:
        assert body["error"]["code"] == code
    return body["error"]


@pytest.fixture
def api(creator):
    return token_client(creator.user)


def create(api, handle="alice", **data):
    return api.post(f"/api/v1/creators/{handle}/posts", data, format="json")


def jpeg_file(name="photo.jpg", data=None):
    file = io.BytesIO(data or jpeg_with_gps((300, 200)))
    file.name = name
    return file


# Authentication and visibility -------------------------------------------------


def test_no_credentials_answer_401_in_the_error_shape(creator):
    response = APIClient().get("/api/v1/creators/alice/posts")
    assert_error(response, 401, "not_authenticated")


def test_another_creators_posts_answer_404(api, other_creator):
    post = factories.PostFactory(creator=other_creator)
    assert_error(api.get("/api/v1/creators/bob/posts"), 404, "not_found")
    assert_error(create(api, "bob", body="hi"), 404, "not_found")
    assert_error(api.get(f"/api/v1/posts/{post.pk}"), 404, "not_found")
    assert_error(api.post(f"/api/v1/posts/{post.pk}/publish"), 404)
    post.refresh_from_db()
    assert post.state == Post.State.DRAFT


def test_an_analyst_reads_but_gets_403_for_writes(creator, analyst):
    post = factories.PostFactory(creator=creator)
    client = token_client(analyst)
    assert client.get("/api/v1/creators/alice/posts").status_code == 200
    assert client.get(f"/api/v1/posts/{post.pk}").status_code == 200
    error = assert_error(create(client, body="hi"), 403, "permission_denied")
    assert error["message"] == "You may not write posts for this creator."
    assert_error(client.post(f"/api/v1/posts/{post.pk}/publish"), 403)
    assert_error(client.delete(f"/api/v1/posts/{post.pk}"), 403)
    assert Post.objects.count() == 1


def test_an_allowed_manager_creates_and_publishes(creator, manager):
    response = create(token_client(manager), body="From the agency", publish=True)
    assert response.status_code == 201, response.content
    assert response.json()["state"] == "published"


# Creating ----------------------------------------------------------------------


def test_creating_a_draft(api, sent_events, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = create(
            api,
            body="Hi @Bob@M.example #Art https://example.com",
            summary="cw",
            language="en",
            visibility="unlisted",
            extra_mentions=["carol@n.example"],
        )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["state"] == "draft"
    assert body["creator"] == "alice"
    assert body["visibility"] == "unlisted"
    assert body["sensitive"] is True
    assert body["mentions"] == ["bob@m.example", "carol@n.example"]
    assert body["hashtags"] == ["art"]
    assert 'class="u-url mention"' in body["content_html"]
    assert body["media"] == []
    assert body["published_at"] is None
    assert sent_events.sent == []


def test_creating_and_publishing_at_once(
    api, sent_events, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = create(api, body="Now!", publish=True)
    assert response.status_code == 201
    body = response.json()
    assert body["state"] == "published"
    assert body["published_at"] is not None
    assert sent_events.sent == [("published", body["id"], "published")]


def test_creating_and_scheduling_at_once(api):
    at = (timezone.now() + timedelta(days=2)).replace(microsecond=0)
    response = create(api, body="Later", publish_at=at.isoformat())
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["state"] == "scheduled"
    assert datetime.fromisoformat(body["scheduled_at"]) == at


def test_a_time_without_offset_is_read_in_the_creators_time_zone(api, creator):
    creator.time_zone = "Europe/Paris"
    creator.save()
    response = create(api, body="Paris time", publish_at="2099-07-01T09:30:00")
    assert response.status_code == 201, response.content
    post = Post.objects.get()
    assert post.scheduled_at == datetime(2099, 7, 1, 7, 30, tzinfo=UTC)  # CEST


def test_a_past_time_is_refused_and_nothing_is_kept(api):
    response = create(api, body="Too late", publish_at="2001-01-01T00:00:00Z")
    error = assert_error(response, 400, "invalid")
    assert error["fields"]["publish_at"] == [
        "That time has already passed. Pick a time in the future, or publish now."
    ]
    assert not Post.objects.exists()


def test_an_empty_post_cannot_be_published_and_is_not_kept(api):
    error = assert_error(create(api, body="", publish=True), 400)
    assert "body" in error["fields"]
    assert not Post.objects.exists()


@pytest.mark.parametrize("data", [{}, {"body": "   "}, {"summary": "cw only"}])
def test_an_empty_draft_is_refused_in_words_and_not_kept(api, data):
    error = assert_error(create(api, **data), 400, "invalid")
    assert error["fields"]["body"] == ["Write something or add an image first."]
    assert not Post.objects.exists()


def test_an_image_only_post_is_a_draft_with_text_emptied_after_the_image(api, creator):
    """Images are attached to a saved post; its text may go afterwards."""
    post_id = create(api, body="Photo").json()["id"]
    url = f"/api/v1/posts/{post_id}"
    api.post(f"{url}/media", {"file": jpeg_file()}, format="multipart")
    assert api.patch(url, {"body": ""}, format="json").status_code == 200
    assert api.post(f"{url}/publish").json()["state"] == "published"


def test_the_language_defaults_as_in_the_compose_form(api, creator):
    """Left out: the browser's (here the client's) language, else English,
    and from then on the creator's latest; given, even empty, it is kept."""
    assert create(api, body="Hi").json()["language"] == "en"
    german = api.post(
        "/api/v1/creators/alice/posts",
        {"body": "Hallo"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9",
    )
    assert german.json()["language"] == "en"  # the latest post's wins
    Post.objects.all().delete()
    assert create(api, body="Hallo", language="de").json()["language"] == "de"
    assert create(api, body="Noch mal").json()["language"] == "de"
    assert create(api, body="?", language="").json()["language"] == ""


def test_the_client_language_is_the_first_default(api):
    response = api.post(
        "/api/v1/creators/alice/posts",
        {"body": "Bonjour"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="fr-CA,fr;q=0.9",
    )
    assert response.json()["language"] == "fr"


def test_a_resolved_mention_links_to_the_profile_its_server_gave(api, creator):
    """As the federated Note does: not the guessed https://host/@user."""
    post_id = create(api, body="Hi @bob@pleroma.example and @ann@m.example").json()[
        "id"
    ]
    Mention.objects.filter(handle="bob@pleroma.example").update(
        actor_uri="https://pleroma.example/users/bob",
        profile_url="https://pleroma.example/users/bob",
    )
    html = api.get(f"/api/v1/posts/{post_id}").json()["content_html"]
    assert 'href="https://pleroma.example/users/bob" class="u-url mention"' in html
    assert "pleroma.example/@bob" not in html
    # Not resolved yet: the usual guess.
    assert 'href="https://m.example/@ann" class="u-url mention"' in html


def test_publish_and_publish_at_together_are_refused(api):
    error = assert_error(
        create(api, body="x", publish=True, publish_at="2099-01-01T00:00:00Z"), 400
    )
    assert "non_field_errors" in error["fields"]


def test_too_long_a_body_is_a_field_error(api):
    error = assert_error(create(api, body="x" * 501), 400, "invalid")
    assert error["message"] == "Some fields are not valid."
    assert error["fields"]["body"][0].startswith("At most 500 characters")
    assert not Post.objects.exists()


def test_an_unknown_visibility_is_refused(api):
    error = assert_error(create(api, body="x", visibility="direct"), 400)
    assert "visibility" in error["fields"]


# Listing -------------------------------------------------------------------


def test_listing_with_a_state_filter_and_pagination(
    api, creator, django_assert_max_num_queries
):
    factories.PostFactory(creator=creator)
    scheduled = factories.PostFactory(creator=creator, scheduled=True)
    published = factories.PostFactory(creator=creator, published=True)
    factories.PostFactory(creator=creator, state="deleted")
    for post in (scheduled, published):
        factories.PostMediaFactory(post=post)

    body = api.get("/api/v1/creators/alice/posts").json()
    assert body["count"] == 3  # deleted left out

    with django_assert_max_num_queries(12):
        body = api.get(
            "/api/v1/creators/alice/posts?state=scheduled,published&limit=1"
        ).json()
    assert body["count"] == 2
    assert len(body["results"]) == 1
    assert body["next"] is not None

    body = api.get("/api/v1/creators/alice/posts?state=published").json()
    assert [p["id"] for p in body["results"]] == [published.pk]
    assert body["results"][0]["media"][0]["url"].startswith("http://testserver/")


def test_the_list_query_count_does_not_grow_with_posts(
    api, creator, django_assert_max_num_queries
):
    for _ in range(10):
        post = factories.PostFactory(creator=creator, body="@a@b.example #t")
        factories.PostMediaFactory(post=post)
    # auth (token+user), creator lookup, count, posts, media, mentions, tags
    with django_assert_max_num_queries(9):
        response = api.get("/api/v1/creators/alice/posts")
    assert len(response.json()["results"]) == 10


def test_an_unknown_state_is_a_400(api):
    error = assert_error(api.get("/api/v1/creators/alice/posts?state=lost"), 400)
    assert error["fields"]["state"] == ["Unknown state: lost."]


# One post ------------------------------------------------------------------


def test_editing_a_published_post(
    api, creator, sent_events, django_capture_on_commit_callbacks
):
    post = factories.PostFactory(creator=creator, published=True, body="old")
    with django_capture_on_commit_callbacks(execute=True):
        response = api.patch(
            f"/api/v1/posts/{post.pk}", {"body": "new #Tag"}, format="json"
        )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["body"] == "new #Tag"
    assert body["hashtags"] == ["tag"]
    assert body["edited_at"] is not None
    assert sent_events.names() == ["edited"]


def test_patch_leaves_fields_not_given_alone(api, creator):
    post = services.post_save_draft(
        creator=creator,
        by=creator.user,
        data=services.PostInput(
            body="hi", summary="cw", extra_mentions=("eve@x.example",)
        ),
    )
    response = api.patch(f"/api/v1/posts/{post.pk}", {"language": "fr"}, format="json")
    body = response.json()
    assert (body["body"], body["summary"], body["language"]) == ("hi", "cw", "fr")
    assert body["mentions"] == ["eve@x.example"]


def test_the_visibility_of_a_published_post_cannot_change(api, creator):
    post = factories.PostFactory(creator=creator, published=True)
    response = api.patch(
        f"/api/v1/posts/{post.pk}", {"visibility": "followers"}, format="json"
    )
    error = assert_error(response, 400)
    assert "visibility" in error["fields"]


def test_deleting(api, creator):
    draft = factories.PostFactory(creator=creator)
    published = factories.PostFactory(creator=creator, published=True)
    assert api.delete(f"/api/v1/posts/{draft.pk}").status_code == 204
    assert api.delete(f"/api/v1/posts/{published.pk}").status_code == 204
    assert_error(api.get(f"/api/v1/posts/{draft.pk}"), 404)
    body = api.get(f"/api/v1/posts/{published.pk}").json()
    assert body["state"] == "deleted"
    assert body["deleted_at"] is not None


def test_publish_schedule_unschedule_pin_unpin(api, creator):
    post = factories.PostFactory(creator=creator)
    url = f"/api/v1/posts/{post.pk}"
    at = "2099-05-01T12:00:00+00:00"

    body = api.post(f"{url}/schedule", {"publish_at": at}, format="json").json()
    assert (body["state"], body["scheduled_at"]) == (
        "scheduled",
        "2099-05-01T12:00:00Z",
    )
    assert api.post(f"{url}/unschedule").json()["state"] == "draft"
    assert api.post(f"{url}/publish").json()["state"] == "published"
    assert api.post(f"{url}/pin").json()["pinned_at"] is not None
    assert api.post(f"{url}/unpin").json()["pinned_at"] is None


def test_action_errors_are_400_with_a_reason(api, creator):
    post = factories.PostFactory(creator=creator, published=True)
    url = f"/api/v1/posts/{post.pk}"
    error = assert_error(api.post(f"{url}/publish"), 400)
    assert error["fields"]["non_field_errors"] == ["This post is already published."]
    error = assert_error(api.post(f"{url}/schedule", {}, format="json"), 400)
    assert "publish_at" in error["fields"]
    error = assert_error(
        api.post(f"{url}/schedule", {"publish_at": "tomorrow"}, format="json"), 400
    )
    assert "publish_at" in error["fields"]


def test_other_methods_answer_405(api, creator):
    post = factories.PostFactory(creator=creator)
    assert_error(api.get(f"/api/v1/posts/{post.pk}/publish"), 405, "method_not_allowed")
    assert_error(api.put(f"/api/v1/posts/{post.pk}", {}), 405)


# Media -----------------------------------------------------------------------


def test_uploading_describing_and_removing_an_image(api, creator):
    post = factories.PostFactory(creator=creator)
    url = f"/api/v1/posts/{post.pk}/media"
    response = api.post(
        url,
        {
            "file": jpeg_file(),
            "alt_text": "A red square",
            "focal_x": 0.5,
            "focal_y": -1,
        },
        format="multipart",
    )
    assert response.status_code == 201, response.content
    item = response.json()
    assert item["alt_text"] == "A red square"
    assert (item["width"], item["height"]) == (300, 200)
    assert item["mime_type"] == "image/jpeg"
    assert len(item["blurhash"]) == 36
    assert item["focal_point"] == [0.5, -1.0]
    assert item["url"].startswith("http://testserver/media/")

    response = api.patch(
        f"{url}/{item['id']}", {"alt_text": "A square, red"}, format="json"
    )
    assert response.json()["alt_text"] == "A square, red"
    assert response.json()["focal_point"] == [0.5, -1.0]

    assert api.get(f"/api/v1/posts/{post.pk}").json()["media"][0]["id"] == item["id"]
    assert api.delete(f"{url}/{item['id']}").status_code == 204
    assert post.media.count() == 0


def test_a_fifth_image_is_refused(api, creator):
    post = factories.PostFactory(creator=creator)
    url = f"/api/v1/posts/{post.pk}/media"
    for _ in range(4):
        assert (
            api.post(url, {"file": jpeg_file()}, format="multipart").status_code == 201
        )
    error = assert_error(api.post(url, {"file": jpeg_file()}, format="multipart"), 400)
    assert error["fields"]["file"] == ["A post has at most 4 images."]


def test_a_file_that_is_not_an_image_is_refused(api, creator):
    post = factories.PostFactory(creator=creator)
    response = api.post(
        f"/api/v1/posts/{post.pk}/media",
        {"file": jpeg_file("x.jpg", b"GIF89a not really")},
        format="multipart",
    )
    error = assert_error(response, 400)
    assert error["fields"]["file"] == ["That file is not an image we can read."]
    assert post.media.count() == 0


def test_half_a_focal_point_is_refused(api, creator):
    post = factories.PostFactory(creator=creator)
    response = api.post(
        f"/api/v1/posts/{post.pk}/media",
        {"file": jpeg_file(), "focal_x": 0.5},
        format="multipart",
    )
    assert_error(response, 400)
    assert post.media.count() == 0


def test_an_image_of_another_post_answers_404(api, creator):
    post = factories.PostFactory(creator=creator)
    other = factories.PostMediaFactory(post=factories.PostFactory(creator=creator))
    response = api.patch(
        f"/api/v1/posts/{post.pk}/media/{other.pk}", {"alt_text": "x"}, format="json"
    )
    assert_error(response, 404)


def test_json_is_refused_for_uploads(api, creator):
    post = factories.PostFactory(creator=creator)
    response = api.post(f"/api/v1/posts/{post.pk}/media", {"file": "x"}, format="json")
    assert_error(response, 415, "unsupported_media_type")


def test_uploaded_images_have_no_exif(api, creator):
    post = factories.PostFactory(creator=creator)
    item = api.post(
        f"/api/v1/posts/{post.pk}/media", {"file": jpeg_file()}, format="multipart"
    ).json()
    stored = post.media.get(pk=item["id"])
    with Image.open(stored.file.path) as image:
        assert not image.getexif()


def test_the_openapi_schema_documents_the_posts_endpoints(client):
    schema = client.get("/api/schema/?format=json").json()
    paths = schema["paths"]
    assert set(paths["/api/v1/creators/{handle}/posts"]) == {"get", "post"}
    assert set(paths["/api/v1/posts/{id}"]) == {"get", "patch", "delete"}
    upload = paths["/api/v1/posts/{id}/media"]["post"]["requestBody"]["content"]
    assert list(upload) == ["multipart/form-data"]
    for action in ("publish", "schedule", "unschedule", "pin", "unpin"):
        assert "post" in paths[f"/api/v1/posts/{{id}}/{action}"]


# Quote and reply policies ------------------------------------------------------


def test_a_post_takes_the_creators_policies_unless_it_names_its_own(api, creator):
    creator.default_quote_policy = "followers"
    creator.default_reply_policy = "mentioned"
    creator.save()

    defaulted = create(api, body="Defaults").json()
    own = create(
        api, body="Own", quote_policy="nobody", reply_policy="followers"
    ).json()

    assert (defaulted["quote_policy"], defaulted["reply_policy"]) == (
        "followers",
        "mentioned",
    )
    assert (own["quote_policy"], own["reply_policy"]) == ("nobody", "followers")
    post = Post.objects.get(pk=own["id"])
    assert (post.quote_policy, post.reply_policy) == ("nobody", "followers")


def test_a_policy_changes_by_patch_and_an_unknown_one_is_refused(api):
    post = create(api, body="Hello").json()
    url = f"/api/v1/posts/{post['id']}"

    changed = api.patch(url, {"quote_policy": "approval"}, format="json")
    refused = api.patch(url, {"reply_policy": "everyone"}, format="json")

    assert changed.status_code == 200
    assert changed.json()["quote_policy"] == "approval"
    assert_error(refused, 400)
    assert Post.objects.get(pk=post["id"]).reply_policy == post["reply_policy"]
