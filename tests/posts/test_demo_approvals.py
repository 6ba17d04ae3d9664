"""manage.py demo_approvals: Nova opens the dashboard to posts to approve."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from posts.models import Post, PostAction

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _debug_on(settings):
    settings.DEBUG = True


def test_the_manager_has_posts_waiting_for_novas_approval_once():
    call_command("demo", stdout=StringIO())
    call_command("demo_approvals", stdout=StringIO())
    waiting = Post.objects.filter(
        creator__handle="nova", state=Post.State.PENDING_APPROVAL
    )
    assert waiting.count() == 2
    assert {post.author.username for post in waiting} == {"manager"}
    # The language compose would start in, never none (issue 15, item 20).
    assert {post.language for post in waiting} == {"en"}
    assert PostAction.objects.filter(creator__handle="nova").count() == 4

    call_command("demo", stdout=StringIO())
    call_command("demo_approvals", stdout=StringIO())
    assert waiting.count() == 2


def test_it_needs_the_demo_logins_first():
    with pytest.raises(CommandError, match="run `manage.py demo` first"):
        call_command("demo_approvals", stdout=StringIO())
