"""Replies count in engagement only while shown: stored held, they are not
counted; counts that older versions kept for unshown replies are removed by
migration 0007, rollups recounted."""

import importlib

import pytest
from django.apps import apps
from django.utils import timezone

from analytics import services
from analytics.models import CreatorTotalRollup, Interaction, Reply
from analytics.services import NoteInput, ReplyInput
from tests.analytics.conftest import author, make_post

pytestmark = pytest.mark.django_db

migration = importlib.import_module("analytics.migrations.0007_uncount_unshown_replies")


def note(n: int) -> NoteInput:
    return NoteInput(
        ap_id=f"https://mastodon.social/users/bob/statuses/{n}",
        in_reply_to_uri="https://hub.test/statuses/1",
        content=f"<p>reply {n}</p>",
        published_at=timezone.now(),
    )


def replies_counted(creator) -> int:
    total = CreatorTotalRollup.objects.filter(creator=creator).first()
    return total.replies if total else 0


def test_held_replies_stored_in_a_batch_are_not_counted(creator):
    post = make_post(creator)
    services.replies_store_many(
        items=[
            ReplyInput(
                note=note(1),
                creator_id=creator.pk,
                post_id=post.pk,
                author=author("bob"),
            ),
            ReplyInput(
                note=note(2),
                creator_id=creator.pk,
                post_id=post.pk,
                author=author("bob"),
                status=Reply.Status.HELD,
                hold_reason="link only",
            ),
        ]
    )
    assert Reply.objects.count() == 2
    assert Interaction.objects.filter(kind="reply").count() == 1
    assert replies_counted(creator) == 1


def test_the_migration_uncounts_replies_that_are_not_shown(creator):
    post = make_post(creator)
    for n, status in enumerate(["visible", "held", "removed"]):
        services.reply_store(
            creator=creator, post=post, note=note(n), author=author("bob")
        )
        Reply.objects.filter(ap_id=note(n).ap_id).update(status=status)
    # As an older version left them: all three counted.
    assert replies_counted(creator) == 3

    migration.uncount_unshown_replies(apps, None)

    assert list(Interaction.objects.values_list("activity_id", flat=True)) == [
        note(0).ap_id
    ]
    assert replies_counted(creator) == 1
