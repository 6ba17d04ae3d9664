"""The one reply inbox across creators: what an agency member sees, the
filters, answering, assigning and marking done, new items, and who may do
what."""

import html
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts import permissions
from accounts.models import AgencyAccess, AgencyScope
from analytics.models import Reply
from conversations.models import Conversation
from posts.models import Post, PostAction
from tests import factories
from tests.inbox_ui.conftest import NOW, make_post, make_reply

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
INBOX = reverse("conversations:inbox")


def text_of(response) -> str:
    text = re.sub(r"<[^>]+>", " ", response.content.decode())
    return re.sub(r"\s+", " ", html.unescape(text))


def shown_ids(response) -> list[int]:
    return [
        int(pk)
        for pk in re.findall(r'id="conversation-(\d+)"', response.content.decode())
    ]


@pytest.fixture
def world(db):
    """Northwind works for alice and nova (answer and moderate scopes) with
    Sam and Tia (managers) and Ana (analyst); bob works with Southside."""
    alice = factories.CreatorFactory(handle="alice", user__username="alice")
    nova = factories.CreatorFactory(handle="nova", user__username="nova")
    bob = factories.CreatorFactory(handle="bob", user__username="bob")
    northwind = factories.AgencyFactory(name="Northwind", slug="northwind")
    southside = factories.AgencyFactory(name="Southside", slug="southside")
    sam = factories.MembershipFactory(
        agency=northwind,
        role="manager",
        user__username="sam",
        user__first_name="Sam",
    ).user
    tia = factories.MembershipFactory(
        agency=northwind, role="manager", user__username="tia"
    ).user
    ana = factories.MembershipFactory(
        agency=northwind, role="analyst", user__username="ana"
    ).user
    stranger = factories.MembershipFactory(
        agency=southside, role="owner", user__username="stranger"
    ).user
    for creator in (alice, nova):
        factories.AgencyAccessFactory(
            creator=creator, agency=northwind, all_scopes=True, read_analytics=True
        )
    factories.AgencyAccessFactory(creator=bob, agency=southside, all_scopes=True)
    alice_post = make_post(alice, "Alice's mural")
    nova_post = make_post(nova, "Nova's song")
    bob_post = make_post(bob, "Bob's bread")
    replies = {
        "alice": make_reply(alice, alice_post, "bob", "Lovely mural", at=NOW),
        "nova": make_reply(
            nova, nova_post, "zoe", "Great song", at=NOW - timedelta(minutes=5)
        ),
        "nova_quote": make_reply(
            nova,
            nova_post,
            "kai",
            "Look at this",
            at=NOW - timedelta(minutes=9),
            is_quote=True,
        ),
        "held": make_reply(
            alice,
            alice_post,
            "max",
            "Buy followers",
            at=NOW - timedelta(minutes=12),
            status=Reply.Status.HELD,
            hold_reason="a new account",
        ),
        "bob": make_reply(bob, bob_post, "ana", "Yum", at=NOW - timedelta(minutes=2)),
    }
    return {
        "alice": alice,
        "nova": nova,
        "bob": bob,
        "sam": sam,
        "tia": tia,
        "ana": ana,
        "stranger": stranger,
        "northwind": northwind,
        "replies": replies,
    }


def as_user(client, user):
    client.force_login(user)
    return client


def test_the_list_holds_every_creator_the_member_answers_for_and_no_other(
    client, world
):
    r = world["replies"]
    response = as_user(client, world["sam"]).get(INBOX)

    assert response.status_code == 200
    # Newest first; bob's reply (another agency's creator) is not there.
    assert shown_ids(response) == [
        r["alice"].pk,
        r["nova"].pk,
        r["nova_quote"].pk,
        r["held"].pk,
    ]
    text = text_of(response)
    assert "For @alice" in text and "For @nova" in text
    assert "@zoe@threads.net · threads.net · Threads" in text
    assert "Nova's song" in text
    assert "Quoted" in text and "Replied to" in text
    assert "Held for review" in text
    assert "Yum" not in text


def test_a_creator_sees_only_their_own_replies(client, world):
    response = as_user(client, world["nova"].user).get(INBOX)

    assert shown_ids(response) == [
        world["replies"]["nova"].pk,
        world["replies"]["nova_quote"].pk,
    ]


def test_filters_by_creator_platform_server_and_unanswered_are_in_the_url(
    client, world
):
    r = world["replies"]
    client = as_user(client, world["sam"])

    assert shown_ids(client.get(INBOX, {"creator": "nova"})) == [
        r["nova"].pk,
        r["nova_quote"].pk,
    ]
    assert shown_ids(client.get(INBOX, {"platform": "misskey"})) == [r["nova_quote"].pk]
    assert shown_ids(client.get(INBOX, {"server": "mastodon.social"})) == [
        r["alice"].pk
    ]
    assert shown_ids(client.get(INBOX, {"held": "1"})) == [r["held"].pk]
    Conversation.objects.create(reply=r["nova"], done_at=timezone.now())
    Post.objects.create(
        creator=world["alice"],
        body="Thanks!",
        state=Post.State.PUBLISHED,
        published_at=timezone.now(),
        in_reply_to_uri=r["alice"].ap_id,
    )
    assert shown_ids(client.get(INBOX, {"unanswered": "1"})) == [r["nova_quote"].pk]


def test_assigned_to_me_shows_only_conversations_assigned_to_the_reader(client, world):
    r = world["replies"]
    Conversation.objects.create(reply=r["nova"], assigned_to=world["tia"])
    Conversation.objects.create(reply=r["alice"], assigned_to=world["sam"])

    response = as_user(client, world["sam"]).get(INBOX, {"mine": "1"})

    assert shown_ids(response) == [r["alice"].pk]


def test_held_replies_need_the_moderate_scope(client, world):
    AgencyAccess.objects.filter(creator=world["alice"]).update(moderate_replies=False)

    response = as_user(client, world["sam"]).get(INBOX)

    assert world["replies"]["held"].pk not in shown_ids(response)
    assert world["replies"]["alice"].pk in shown_ids(response)


def test_the_list_is_paged_newest_first(client, world):
    post = make_post(world["alice"], "Busy post")
    for minute in range(30):
        make_reply(
            world["alice"],
            post,
            "lou",
            f"n{minute}",
            at=NOW + timedelta(minutes=minute),
        )
    client = as_user(client, world["alice"].user)

    first = shown_ids(client.get(INBOX))
    second = shown_ids(client.get(INBOX, {"page": 2}))

    assert len(first) == 25 and len(second) == 7
    assert first == sorted(first, reverse=True)
    assert not set(first) & set(second)


def test_an_analyst_reads_the_inbox_but_cannot_answer_assign_or_close(client, world):
    reply = world["replies"]["nova"]
    client = as_user(client, world["ana"])

    response = client.get(INBOX)

    assert reply.pk in shown_ids(response)
    assert world["replies"]["held"].pk not in shown_ids(response)
    page = response.content.decode()
    assert reverse("inbox:reply-answer", kwargs={"pk": reply.pk}) not in page
    assert reverse("conversations:assign", kwargs={"pk": reply.pk}) not in page
    assert reverse("conversations:done", kwargs={"pk": reply.pk}) not in page
    for name in ("done", "assign", "reopen"):
        denied = client.post(
            reverse(f"conversations:{name}", kwargs={"pk": reply.pk}),
            {"assigned_to": world["ana"].pk},
        )
        assert denied.status_code == 403
    answer = client.post(
        reverse("inbox:reply-answer", kwargs={"pk": reply.pk}),
        {"body": "hi", "visibility": "public"},
    )
    assert answer.status_code == 403
    assert not Conversation.objects.exists()


def test_another_agencys_creators_items_are_not_found(client, world):
    bob_reply = world["replies"]["bob"]
    client = as_user(client, world["sam"])

    for name in ("done", "assign", "reopen"):
        response = client.post(
            reverse(f"conversations:{name}", kwargs={"pk": bob_reply.pk})
        )
        assert response.status_code == 404
    assert client.get(INBOX, {"creator": "bob"}).status_code == 200
    assert shown_ids(client.get(INBOX, {"creator": "bob"})) == []
    assert not Conversation.objects.exists()


def test_a_revoked_answer_scope_takes_answering_away_from_an_open_session(
    client, world
):
    reply = world["replies"]["alice"]
    client = as_user(client, world["sam"])
    answer_url = reverse("inbox:reply-answer", kwargs={"pk": reply.pk})
    assert answer_url in client.get(INBOX).content.decode()

    AgencyAccess.objects.filter(creator=world["alice"]).update(
        answer_replies=False, moderate_replies=False
    )

    assert answer_url not in client.get(INBOX).content.decode()
    response = client.post(answer_url, {"body": "hi", "visibility": "public"})
    assert response.status_code == 403
    done = client.post(reverse("conversations:done", kwargs={"pk": reply.pk}))
    assert done.status_code == 403


def test_answering_from_the_list_records_who_answered_for_the_creator(client, world):
    reply = world["replies"]["nova"]
    client = as_user(client, world["sam"])

    response = client.post(
        reverse("inbox:reply-answer", kwargs={"pk": reply.pk}),
        {"body": "Thank you!", "visibility": "public"},
        **HTMX,
    )

    assert response.status_code == 200
    answer = Post.objects.get(in_reply_to_uri=reply.ap_id)
    assert answer.creator == world["nova"] and answer.author == world["sam"]
    action = PostAction.objects.get(post=answer)
    assert action.action == PostAction.Action.ANSWER
    assert action.agency == world["northwind"]
    item = text_of(client.get(INBOX, {"creator": "nova"}))
    assert "Answered by Sam at Northwind for @nova" in item


def test_assign_to_a_teammate_then_done_and_reopen(client, world):
    reply = world["replies"]["alice"]
    client = as_user(client, world["sam"])

    response = client.post(
        reverse("conversations:assign", kwargs={"pk": reply.pk}),
        {"assigned_to": world["tia"].pk},
        **HTMX,
    )
    assert response.status_code == 200
    assert "Assigned to tia" in text_of(response)
    conversation = Conversation.objects.get(reply=reply)
    assert conversation.assigned_to == world["tia"]
    assert conversation.assigned_by == world["sam"]

    response = client.post(
        reverse("conversations:done", kwargs={"pk": reply.pk}), **HTMX
    )
    assert "Done by Sam" in text_of(response)
    conversation.refresh_from_db()
    assert conversation.done_by == world["sam"]
    assert shown_ids(client.get(INBOX, {"unanswered": "1"})).count(reply.pk) == 0

    response = client.post(
        reverse("conversations:reopen", kwargs={"pk": reply.pk}), {"next": INBOX}
    )
    assert response.status_code == 302
    conversation.refresh_from_db()
    assert conversation.done_at is None
    assert reply.pk in shown_ids(client.get(INBOX, {"unanswered": "1"}))


def test_assigning_to_someone_outside_the_agency_is_refused(client, world):
    reply = world["replies"]["alice"]
    client = as_user(client, world["sam"])

    for outsider in (world["stranger"], world["bob"].user, world["ana"]):
        response = client.post(
            reverse("conversations:assign", kwargs={"pk": reply.pk}),
            {"assigned_to": outsider.pk},
        )
        assert response.status_code == 400
    assert not Conversation.objects.filter(assigned_to__isnull=False).exists()


def test_the_live_fragment_counts_and_inserts_only_newer_items(client, world):
    client = as_user(client, world["sam"])
    newest = world["replies"]["alice"]
    marker = {"after": newest.received_at.isoformat(), "after_pk": newest.pk}
    new_url = reverse("conversations:new")

    assert "new repl" not in text_of(client.get(new_url, marker, **HTMX))

    fresh = [
        make_reply(
            world["nova"],
            world["nova"].posts.first(),
            "lou",
            f"fresh {n}",
            at=NOW + timedelta(seconds=n + 1),
        )
        for n in range(3)
    ]
    make_reply(
        world["bob"],
        world["bob"].posts.first(),
        "lou",
        "not ours",
        at=NOW + timedelta(1),
    )

    bar = client.get(new_url, marker, **HTMX)
    assert "3 new replies" in text_of(bar)
    shown = client.get(new_url, {**marker, "show": "1"}, **HTMX)
    assert shown_ids(shown) == [r.pk for r in reversed(fresh)]
    assert "not ours" not in text_of(shown)
    # The bar comes back counting from the newest one inserted.
    assert f"after_pk={fresh[-1].pk}" in shown.content.decode()


def test_an_analyst_beside_a_manager_holds_no_acting_scope(world):
    """creators_with_scope matches the user's own role, not a colleague's."""
    for scope in (AgencyScope.ANSWER_REPLIES, AgencyScope.MODERATE_REPLIES):
        assert not permissions.creators_with_scope(world["ana"], scope).exists()
        assert set(permissions.creators_with_scope(world["sam"], scope)) == {
            world["alice"],
            world["nova"],
        }


def test_an_empty_inbox_still_listens_for_new_replies(client, db):
    creator = factories.CreatorFactory(handle="quiet", user__username="quiet")
    client.force_login(creator.user)

    page = client.get(INBOX).content.decode()

    assert reverse("conversations:new") in page
    assert "No replies yet" in page


def test_the_page_reads_a_fixed_number_of_queries(
    client, world, django_assert_max_num_queries
):
    client = as_user(client, world["sam"])
    client.get(INBOX)  # warm the session
    post = world["alice"].posts.first()
    for n in range(10):
        make_reply(world["alice"], post, "lou", f"more {n}", at=NOW + timedelta(n))

    with django_assert_max_num_queries(40):
        response = client.get(INBOX)
    assert len(shown_ids(response)) == 14


def test_an_item_shows_when_it_was_written_as_the_other_pages_do(client, world):
    """A reply written an hour ago that reached us just now reads "1 h ago ·
    <day, time>" here as in notifications, the thread and the dashboard
    home, not "Received just now"."""
    from analytics.templatetags.inbox_ui import exact

    alice = world["alice"]
    written = timezone.now() - timedelta(hours=1, minutes=5)
    reply = make_reply(alice, make_post(alice, "Late one"), "lea", "Hello", at=written)
    Reply.objects.filter(pk=reply.pk).update(received_at=timezone.now())

    text = text_of(as_user(client, world["sam"]).get(INBOX))

    item = text.split("Hello", 1)[1]
    assert f"1 h ago · {exact(written, alice.time_zone)}" in item
    assert "Received just now" not in text
    thread = as_user(client, alice.user).get(
        reverse("inbox:post-replies", kwargs={"pk": reply.post_id})
    )
    assert f"1 h ago · {exact(written, alice.time_zone)}" in text_of(thread)
