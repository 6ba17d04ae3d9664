"""Who may see and change a creator's posts in the dashboard.

Another creator gets 404 (nothing leaks); an agency analyst reads but gets
403 on anything that changes posts; a manager the creator allowed may do
what the creator does; every change needs the CSRF token.
"""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import AgencyAccess
from posts.models import Post
from tests import factories
from tests.posts_ui.conftest import compose_data, page_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def posts(creator):
    return {
        "draft": factories.PostFactory(creator=creator, body="Draft words"),
        "scheduled": factories.PostFactory(creator=creator, scheduled=True),
        "published": factories.PostFactory(creator=creator, published=True),
    }


def creator_pages(creator):
    handle = {"handle": creator.handle}
    return [
        reverse("posts:queue", kwargs=handle),
        reverse("posts:calendar", kwargs=handle),
    ]


def post_pages(post):
    return [reverse("posts:detail", kwargs={"pk": post.pk})]


def changing_urls(creator, posts):
    handle = {"handle": creator.handle}
    urls = [
        ("get", reverse("posts:compose", kwargs=handle)),
        ("post", reverse("posts:compose", kwargs=handle)),
        ("post", reverse("posts:preview", kwargs=handle)),
    ]
    for post in posts.values():
        pk = {"pk": post.pk}
        urls += [
            ("get", reverse("posts:edit", kwargs=pk)),
            ("post", reverse("posts:edit", kwargs=pk)),
            ("get", reverse("posts:delete", kwargs=pk)),
            ("post", reverse("posts:delete", kwargs=pk)),
            ("post", reverse("posts:publish", kwargs=pk)),
            ("post", reverse("posts:schedule", kwargs=pk)),
            ("post", reverse("posts:unschedule", kwargs=pk)),
            ("post", reverse("posts:pin", kwargs=pk)),
            ("post", reverse("posts:unpin", kwargs=pk)),
        ]
    return urls


def snapshot():
    return list(Post.objects.order_by("pk").values())


def test_another_creator_gets_404_everywhere(client, creator, other_creator, posts):
    client.force_login(other_creator.user)
    before = snapshot()
    for url in creator_pages(creator) + [
        u for p in posts.values() for u in post_pages(p)
    ]:
        assert client.get(url).status_code == 404, url
    for method, url in changing_urls(creator, posts):
        assert getattr(client, method)(url).status_code == 404, (method, url)
    assert snapshot() == before


def test_an_analyst_reads_but_cannot_compose(client, creator, analyst, posts):
    client.force_login(analyst)
    queue = client.get(reverse("posts:queue", kwargs={"handle": creator.handle}))
    text = page_text(queue)
    assert queue.status_code == 200
    assert "Draft words" in text
    assert "read only" in text
    assert "New post" not in text
    assert reverse("posts:publish", kwargs={"pk": posts["scheduled"].pk}) not in text
    detail = client.get(reverse("posts:detail", kwargs={"pk": posts["draft"].pk}))
    assert detail.status_code == 200
    assert reverse("posts:edit", kwargs={"pk": posts["draft"].pk}) not in page_text(
        detail
    )
    before = snapshot()
    for method, url in changing_urls(creator, posts):
        assert getattr(client, method)(url).status_code == 403, (method, url)
    assert snapshot() == before


def test_a_manager_without_the_creators_consent_cannot_compose(
    client, creator, reader_manager, posts
):
    client.force_login(reader_manager)
    queue = reverse("posts:queue", kwargs={"handle": creator.handle})
    assert client.get(queue).status_code == 200
    for method, url in changing_urls(creator, posts):
        assert getattr(client, method)(url).status_code == 403, (method, url)


def test_a_manager_the_creator_allowed_composes_for_them(client, creator, manager):
    client.force_login(manager)
    compose = reverse("posts:compose", kwargs={"handle": creator.handle})
    page = page_text(client.get(compose))
    assert "Publish now" in page
    response = client.post(compose, compose_data(action="publish"), follow=True)
    post = Post.objects.get()
    assert post.creator == creator
    assert post.state == Post.State.PUBLISHED
    text = page_text(response)
    assert "Posts of" in text and creator.name in text


def test_changes_need_the_csrf_token(creator, posts):
    client = Client(enforce_csrf_checks=True)
    client.force_login(creator.user)
    before = snapshot()
    for method, url in changing_urls(creator, posts):
        if method == "post":
            assert client.post(url, compose_data()).status_code == 403, url
    assert snapshot() == before


def test_anonymous_visitors_are_sent_to_log_in(client, creator, posts):
    for url in creator_pages(creator) + post_pages(posts["draft"]):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


# Who reads a draft: the words on its page name exactly those who may open it.
DRAFT_AUDIENCE_OWN = "only you and the agencies you granted access can see it here"


def draft_audience_of(creator):
    return f"only {creator.name} and the agencies they granted access can see it here"


def test_the_creator_reads_their_draft_and_is_told_who_else_may(client, creator, posts):
    client.force_login(creator.user)
    response = client.get(reverse("posts:detail", kwargs={"pk": posts["draft"].pk}))
    assert response.status_code == 200
    assert DRAFT_AUDIENCE_OWN in page_text(response)
    assert "only people who manage these posts" not in page_text(response)


def test_an_analyst_with_read_access_reads_a_draft_and_the_words_say_so(
    client, creator, posts
):
    analyst = factories.agency_member_with_access(
        creator,
        role="analyst",
        may_manage_posts=False,
        agency=factories.AgencyFactory(name="Reading Only", slug="reading-only"),
        username="reading-analyst",
    )
    client.force_login(analyst)
    response = client.get(reverse("posts:detail", kwargs={"pk": posts["draft"].pk}))
    assert response.status_code == 200
    assert draft_audience_of(creator) in page_text(response)


def test_a_manager_allowed_to_post_reads_a_draft_with_the_same_words(
    client, creator, manager, posts
):
    client.force_login(manager)
    response = client.get(reverse("posts:detail", kwargs={"pk": posts["draft"].pk}))
    assert response.status_code == 200
    assert draft_audience_of(creator) in page_text(response)


def test_an_analyst_whose_access_was_revoked_cannot_open_the_draft(
    client, creator, agency_with_analyst, posts
):
    agency, analyst = agency_with_analyst
    AgencyAccess.objects.filter(agency=agency, creator=creator).update(
        revoked_at=timezone.now()
    )
    client.force_login(analyst)
    response = client.get(reverse("posts:detail", kwargs={"pk": posts["draft"].pk}))
    assert response.status_code == 404


def test_an_admin_without_access_cannot_open_a_creators_draft(
    client, admin_user, posts
):
    client.force_login(admin_user)
    response = client.get(reverse("posts:detail", kwargs={"pk": posts["draft"].pk}))
    assert response.status_code == 404
