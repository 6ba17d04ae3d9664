"""Who may write a creator's posts: the creator and allowed agency managers."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from accounts.services import revoke_agency_access
from posts import services
from posts.models import Post
from posts.services import PostInput
from tests import factories
from tests.posts.conftest import image_upload

pytestmark = pytest.mark.django_db


def every_service(post, by):
    """Each service that changes `post`, called as `by`."""
    item = post.media.first()
    return {
        "save_draft": lambda: services.post_save_draft(
            creator=post.creator, by=by, data=PostInput(body="x"), post=post
        ),
        "edit": lambda: services.post_edit(post=post, by=by, data=PostInput(body="x")),
        "publish": lambda: services.post_publish(post=post, by=by),
        "schedule": lambda: services.post_schedule(
            post=post, by=by, publish_at=timezone.now() + timedelta(hours=1)
        ),
        "unschedule": lambda: services.post_unschedule(post=post, by=by),
        "delete": lambda: services.post_delete(post=post, by=by),
        "pin": lambda: services.post_pin(post=post, by=by),
        "unpin": lambda: services.post_unpin(post=post, by=by),
        "attach": lambda: services.post_attach_media(
            post=post, by=by, upload=image_upload()
        ),
        "describe": lambda: services.post_describe_media(
            media=item, by=by, alt_text="x"
        ),
        "remove_media": lambda: services.post_remove_media(media=item, by=by),
        "new_draft": lambda: services.post_save_draft(
            creator=post.creator, by=by, data=PostInput(body="x")
        ),
        "answer": lambda: services.post_answer_reply(
            creator=post.creator,
            by=by,
            in_reply_to_uri="https://m.example/notes/1",
            reply_author_handle="bob@m.example",
            body="hi",
        ),
    }


SERVICES = [
    "save_draft",
    "edit",
    "publish",
    "schedule",
    "unschedule",
    "delete",
    "pin",
    "unpin",
    "attach",
    "describe",
    "remove_media",
    "new_draft",
    "answer",
]


def test_every_service_is_checked():
    post = factories.PostFactory()
    assert list(every_service(post, None)) == SERVICES


@pytest.fixture
def post(creator):
    post = factories.PostFactory(creator=creator)
    factories.PostMediaFactory(post=post, position=0)
    return post


def snapshot():
    return list(Post.objects.order_by("pk").values()), Post.objects.count()


@pytest.mark.parametrize("name", SERVICES)
def test_an_analyst_may_read_but_never_write(post, analyst, name):
    before = snapshot()
    with pytest.raises(PermissionDenied):
        every_service(post, analyst)[name]()
    assert snapshot() == before


@pytest.mark.parametrize("name", SERVICES)
def test_another_creator_may_not_write(post, other_creator, name):
    before = snapshot()
    with pytest.raises(PermissionDenied):
        every_service(post, other_creator.user)[name]()
    assert snapshot() == before


def test_an_allowed_agency_manager_writes_schedules_and_publishes(creator, manager):
    post = services.post_save_draft(
        creator=creator, by=manager, data=PostInput(body="From the agency")
    )
    services.post_attach_media(post=post, by=manager, upload=image_upload())
    post = services.post_schedule(
        post=post, by=manager, publish_at=timezone.now() + timedelta(hours=2)
    )
    post = services.post_publish(post=post, by=manager)
    post = services.post_edit(post=post, by=manager, data=PostInput(body="Fixed"))
    post = services.post_pin(post=post, by=manager)
    services.post_delete(post=post, by=manager)
    post.refresh_from_db()
    assert post.state == Post.State.DELETED
    assert post.edited_at is not None


def test_a_manager_without_the_creators_permission_may_not(creator):
    manager = factories.agency_member_with_access(
        creator, role="manager", may_manage_posts=False
    )
    with pytest.raises(PermissionDenied):
        services.post_save_draft(creator=creator, by=manager, data=PostInput(body="x"))


def test_revoking_access_stops_the_manager_at_once(creator, manager):
    post = factories.PostFactory(creator=creator)
    access = creator.agency_grants.get(agency__slug="posting")
    revoke_agency_access(access=access, revoked_by=creator.user)
    with pytest.raises(PermissionDenied):
        services.post_publish(post=post, by=manager)
    post.refresh_from_db()
    assert post.state == Post.State.DRAFT


def test_a_deactivated_creator_cannot_post(creator):
    creator.user.is_active = False
    creator.user.save()
    with pytest.raises(PermissionDenied):
        services.post_save_draft(
            creator=creator, by=creator.user, data=PostInput(body="x")
        )
