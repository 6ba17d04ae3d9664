"""Mentions in the one reply inbox and around it: the Mention label and the
kind filter, who sees which, held ones, and the pages that show a mention
without a post of the creator's (notifications, moderation, home)."""

import pytest
from django.urls import reverse

from analytics import services as analytics
from analytics.models import Reply
from analytics.services import NoteInput
from tests import factories
from tests.inbox_ui.conftest import NOW, author, make_post, make_reply
from tests.inbox_ui.test_reply_inbox import INBOX, as_user, shown_ids, text_of

pytestmark = pytest.mark.django_db


def make_mention(creator, who="bob", text="What do you think?", **fields):
    """A mention stored as the inbox stores one: no post of the creator's."""
    details = author(who)
    ap_id = f"https://{details.domain}/users/{who}/statuses/m{creator.pk}{len(text)}"
    note = NoteInput(
        ap_id=ap_id,
        url=ap_id,
        in_reply_to_uri="https://elsewhere.example/notes/1",
        content=f"<p>@{creator.handle} {text}</p>",
        published_at=NOW,
    )
    mention = analytics.reply_store(
        creator=creator, post=None, note=note, author=details, **fields
    )
    Reply.objects.filter(pk=mention.pk).update(received_at=NOW)
    return mention


@pytest.fixture
def team(db):
    """Northwind (sam: manager, ana: analyst) works for alice; bob's creator
    account is Southside's."""
    alice = factories.CreatorFactory(handle="alice", user__username="alice")
    bob = factories.CreatorFactory(handle="bob", user__username="bob")
    northwind = factories.AgencyFactory(name="Northwind", slug="northwind")
    southside = factories.AgencyFactory(name="Southside", slug="southside")
    sam = factories.MembershipFactory(
        agency=northwind, role="manager", user__username="sam"
    ).user
    ana = factories.MembershipFactory(
        agency=northwind, role="analyst", user__username="ana"
    ).user
    factories.AgencyAccessFactory(
        creator=alice, agency=northwind, all_scopes=True, read_analytics=True
    )
    factories.AgencyAccessFactory(creator=bob, agency=southside, all_scopes=True)
    post = make_post(alice, "Alice's mural")
    return {
        "alice": alice,
        "sam": sam,
        "ana": ana,
        "reply": make_reply(alice, post, "zoe", "Lovely mural"),
        "quote": make_reply(alice, post, "kai", "Look", is_quote=True),
        "mention": make_mention(alice, "max", "Would you paint our wall?"),
        "other_agency": make_mention(bob, "lou", "Bread tips?"),
    }


def test_mentions_are_listed_labelled_and_filtered_by_kind(client, team):
    as_user(client, team["sam"])

    everything = client.get(INBOX)
    assert team["mention"].pk in shown_ids(everything)
    assert team["other_agency"].pk not in shown_ids(everything)
    assert "Mention Mentioned @alice" in text_of(everything)

    def kind(value):
        return set(shown_ids(client.get(INBOX, {"kind": value})))

    assert kind("mention") == {team["mention"].pk}
    assert kind("reply") == {team["reply"].pk}
    assert kind("quote") == {team["quote"].pk}
    assert len(kind("nonsense")) == 3  # an unknown kind filters nothing
    assert (
        'option value="mention" selected'
        in client.get(INBOX, {"kind": "mention"}).content.decode()
    )


def test_another_agencys_mention_answers_404_to_every_action(client, team):
    as_user(client, team["sam"])
    pk = team["other_agency"].pk

    assert (
        client.post(reverse("conversations:done", kwargs={"pk": pk})).status_code == 404
    )
    assert client.post(f"/api/v1/replies/{pk}/done").status_code == 404
    api = client.get("/api/v1/replies").json()["results"]
    assert pk not in {item["id"] for item in api}
    assert not hasattr(Reply.objects.get(pk=pk), "conversation")


def test_a_held_mention_is_for_moderators_only(client, team):
    held = make_mention(
        team["alice"],
        "ana",
        "Buy followers now",
        status=Reply.Status.HELD,
        hold_reason="every reply waits",
    )

    moderator_view = as_user(client, team["sam"]).get(INBOX, {"kind": "mention"})
    assert held.pk in shown_ids(moderator_view)
    assert "Held for review" in text_of(moderator_view)
    analyst_view = as_user(client, team["ana"]).get(INBOX, {"kind": "mention"})
    assert shown_ids(analyst_view) == [team["mention"].pk]


def test_the_pages_around_the_inbox_show_a_mention(client, team):
    alice = team["alice"]
    make_mention(alice, "ana", "Spam spam", status=Reply.Status.HELD)
    as_user(client, alice.user)

    notifications = client.get(
        reverse("inbox:notifications", kwargs={"handle": "alice"}),
        {"kind": "mention"},
    )
    assert notifications.status_code == 200
    text = text_of(notifications)
    assert "mentioned you" in text and "Would you paint our wall?" in text
    assert "Spam spam" not in text  # held: not a notification

    queue = client.get(reverse("moderation:queue", kwargs={"handle": "alice"}))
    assert queue.status_code == 200
    assert "A mention, outside their posts' threads" in text_of(queue)
    assert "Spam spam" in text_of(queue)

    # The creator's answer to a mention has a page of its own replies.
    answer = make_post(
        alice, "Yes, this spring!", in_reply_to_uri=team["mention"].ap_id
    )
    thread = client.get(reverse("inbox:post-replies", kwargs={"pk": answer.pk}))
    assert thread.status_code == 200
    assert "Yes, this spring!" in text_of(thread)

    # Home lists replies awaiting an answer under their post; a mention has
    # none, so it waits in the reply inbox instead of breaking the page.
    home = client.get(reverse("home-creator"))
    assert home.status_code == 200
    assert "Would you paint our wall?" not in text_of(home)
