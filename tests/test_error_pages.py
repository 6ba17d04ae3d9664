"""Error pages in words with a way back, the favicon, and no debug page for
a mistyped address even with DEBUG on (`make run`)."""

import pytest
from django.core.exceptions import PermissionDenied
from django.template.loader import get_template
from django.test import RequestFactory, override_settings
from django.urls import reverse
from django.views import defaults

from tests import factories

pytestmark = pytest.mark.django_db


def test_an_unknown_address_is_the_styled_404_with_ways_back(client):
    response = client.get("/no/such/page")
    html = response.content.decode()
    assert response.status_code == 404
    assert "This page does not exist" in html
    assert "/no/such/page" in html
    assert f'href="{reverse("login")}?next=/no/such/page"' in html
    assert f'href="{reverse("home")}"' in html


def test_a_logged_in_person_is_led_back_to_their_dashboard(client):
    client.force_login(factories.CreatorFactory(handle="alice").user)
    response = client.get("/nothing-here/")
    assert response.status_code == 404
    assert f'href="{reverse("dashboard")}"' in response.content.decode()


@override_settings(DEBUG=True)
def test_with_debug_on_an_unknown_address_is_not_the_debug_page(client):
    response = client.get("/no/such/page")
    html = response.content.decode()
    assert response.status_code == 404
    assert "This page does not exist" in html
    assert "DEBUG = True" not in html
    assert "Using the URLconf" not in html


@override_settings(DEBUG=True)
def test_with_debug_on_a_view_that_finds_nothing_is_not_the_debug_page(client):
    """A post that is not there (Http404 from the view, not an unknown
    address) is the styled 404 in `make run` too (issue 15, item 7)."""
    client.force_login(factories.CreatorFactory(handle="alice").user)
    response = client.get(reverse("posts:detail", kwargs={"pk": 999999}))
    html = response.content.decode()
    assert response.status_code == 404
    assert "This page does not exist" in html
    assert f'href="{reverse("dashboard")}"' in html
    assert "Using the URLconf" not in html
    assert "DEBUG = True" not in html


def test_an_address_missing_its_slash_still_redirects(client):
    response = client.get("/login")
    assert response.status_code == 301
    assert response["Location"] == "/login/"


def test_403_says_why_in_words():
    request = RequestFactory().get("/somewhere/")
    request.user = factories.UserFactory(username="reader")
    response = defaults.permission_denied(
        request, PermissionDenied("Only the creator and the people they allowed may.")
    )
    html = response.content.decode()
    assert response.status_code == 403
    assert "You may not do this" in html
    assert "Only the creator and the people they allowed may." in html
    assert "logged in as <strong>reader</strong>" in html


def test_an_analyst_refused_a_change_sees_the_styled_403(client, creator):
    analyst = factories.agency_member_with_access(
        creator,
        role="analyst",
        may_manage_posts=False,
        agency=factories.AgencyFactory(slug="readers"),
        username="numbers",
    )
    client.force_login(analyst)
    response = client.get(reverse("posts:compose", kwargs={"handle": creator.handle}))
    assert response.status_code == 403
    assert "You may not do this" in response.content.decode()


def test_500_renders_without_a_request_or_the_database(django_assert_num_queries):
    with django_assert_num_queries(0):
        html = get_template("500.html").render()
    assert "Something went wrong on our side" in html
    assert 'href="/"' in html
    assert "/static/css/app.css" in html


def test_the_500_handler_answers_with_the_page():
    response = defaults.server_error(RequestFactory().get("/broken/"))
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.content.decode()


def test_favicon_is_linked_and_answered(client):
    home = client.get(reverse("home")).content.decode()
    assert 'href="/static/favicon.ico"' in home
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"] == "/static/favicon.ico"
    icon = client.get(response["Location"])
    assert icon.status_code == 200
    assert b"".join(icon.streaming_content)[:4] == b"\x00\x00\x01\x00"


def test_with_debug_on_images_are_served_to_visitors_who_are_not_logged_in(
    client, settings, tmp_path
):
    """`make run` serves MEDIA_ROOT itself: a public profile's images load
    for anyone, not a redirect to the log-in page."""
    import importlib

    from django.urls import clear_url_caches

    from creatorhub import urls

    (tmp_path / "media").mkdir()
    (tmp_path / "media" / "cat.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really")
    settings.MEDIA_ROOT = tmp_path
    settings.DEBUG = True
    try:
        importlib.reload(urls)
        clear_url_caches()
        response = client.get("/media/media/cat.jpg")
        assert response.status_code == 200
        assert b"".join(response.streaming_content).startswith(b"\xff\xd8")
    finally:
        settings.DEBUG = False
        importlib.reload(urls)
        clear_url_caches()
