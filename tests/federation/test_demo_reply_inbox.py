"""The demo fills the reply inbox: the demo agency's manager opens it and
finds open questions, one assigned to them and one done, and mentions, at
once."""

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.models import User
from conversations.models import Conversation


@pytest.fixture
def demo_world(db, settings):
    settings.DEBUG = True
    call_command("demo", password="demo-pass-123", stdout=io.StringIO())
    call_command("demo_fediverse", verbosity=0)


def test_the_manager_finds_the_reply_inbox_full(demo_world, client):
    assigned = Conversation.objects.get(assigned_to__username="manager")
    done = Conversation.objects.get(done_at__isnull=False)
    assert assigned.reply.creator.handle == "demo"
    assert done.reply.is_quote and done.done_by.username == "manager"

    client.force_login(User.objects.get(username="manager"))
    page = client.get(reverse("conversations:inbox"))
    text = page.content.decode()
    assert page.status_code == 200
    assert "Unanswered" in text and "Done" in text
    assert "Assigned to Sam" in text
    unanswered = client.get(reverse("conversations:inbox"), {"unanswered": "1"})
    assert unanswered.content.decode().count('class="card replies-item') >= 3
    # Mentions outside @demo's threads wait there too, labelled as such.
    mentions = client.get(reverse("conversations:inbox"), {"kind": "mention"})
    listed = mentions.content.decode()
    assert listed.count('class="card replies-item') == 2
    assert "Mentioned @demo" in listed and "commissions this spring" in listed


def test_running_it_again_changes_nothing(demo_world):
    before = list(Conversation.objects.values_list("pk", "assigned_to", "done_at"))

    call_command("demo_fediverse", verbosity=0)

    after = list(Conversation.objects.values_list("pk", "assigned_to", "done_at"))
    assert after == before


def test_the_manager_answers_both_creators_from_the_one_inbox(db, settings, client):
    """With @nova's demo too (as `make run` seeds it), the manager's one
    inbox offers Answer on replies to @demo and to @nova."""
    settings.DEBUG = True
    call_command("demo", password="demo-pass-123", stdout=io.StringIO())
    call_command("demo_fediverse", verbosity=0)
    call_command("demo_fediverse", handle="nova", verbosity=0)

    client.force_login(User.objects.get(username="manager"))
    for handle in ("demo", "nova"):
        page = client.get(reverse("conversations:inbox"), {"creator": handle})
        text = page.content.decode()
        assert page.status_code == 200
        assert f"For @{handle}" in text
        assert ">Answer<" in text
