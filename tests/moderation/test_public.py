"""What moderation decides shows on the post's page and in its `replies`
collection, and nothing else does."""

import pytest

from analytics.models import Interaction, PostDailyRollup, Reply
from moderation import services
from moderation.models import DomainPolicy
from tests.moderation.conftest import make_reply

pytestmark = pytest.mark.django_db

AS2 = "application/activity+json"


def page(client, post) -> str:
    response = client.get(f"/users/{post.creator.handle}/statuses/{post.pk}")
    assert response.status_code == 200
    return response.content.decode()


def collection(client, post) -> dict:
    path = f"/users/{post.creator.handle}/statuses/{post.pk}/replies"
    return client.get(path, HTTP_ACCEPT=AS2).json()


def listed(client, post) -> list[str]:
    return collection(client, post)["first"]["items"]


def test_approving_a_held_reply_puts_it_on_the_page_and_in_the_collection(
    client, creator, post
):
    held = make_reply(post, "worth reading", status=Reply.Status.HELD)
    assert "worth reading" not in page(client, post)
    assert listed(client, post) == []

    services.reply_approve(reply=held, by=creator.user)

    assert "worth reading" in page(client, post)
    assert listed(client, post) == [held.ap_id]
    assert collection(client, post)["totalItems"] == 1


@pytest.mark.parametrize("action", [services.reply_hide, services.reply_remove])
def test_a_hidden_or_removed_reply_leaves_page_collection_and_counts(
    client, creator, post, action
):
    shown = make_reply(post, "a kind word")
    gone = make_reply(post, "an unkind word")
    assert "an unkind word" in page(client, post)

    action(reply=gone, by=creator.user, reason="rude")

    html = page(client, post)
    assert "an unkind word" not in html and "a kind word" in html
    assert listed(client, post) == [shown.ap_id]
    # Analytics counts only the reply still shown, and its rollups agree.
    assert Interaction.objects.filter(post=post, kind="reply").count() == 1
    assert PostDailyRollup.objects.get(post=post).replies == 1


def test_replies_of_a_server_whose_media_is_rejected_show_no_attachments(
    client, creator, post
):
    picture = {"url": "https://files.spam.example/x.jpg", "media_type": "image/jpeg"}
    make_reply(post, "see my picture", attachments=[picture])
    assert "files.spam.example/x.jpg" in page(client, post)

    services.domain_policy_save(
        domain="spam.example",
        severity=DomainPolicy.Severity.NOOP,
        reject_media=True,
        by=None,
    )

    html = page(client, post)
    assert "see my picture" in html
    assert "files.spam.example/x.jpg" not in html
