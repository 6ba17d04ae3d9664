"""Quote posts with consent (FEP-044f as Mastodon 4.5 does it) and reply
controls, as a quoting server and a creator notice them.

The quoter is a real loopback server: its QuoteRequest is signed with its
key and POSTed through our inbox (inbox_support.Remote), and our answer is
delivered to its inbox over HTTP, where the DeliverySink verifies our
signature with the independent httpsig library. Nothing of ours is patched.
"""

import pytest

from accounts.models import QuotePolicy, ReplyPolicy
from analytics.models import Interaction, Reply
from federation.models import OutboundActivity
from federation.outbound import delivery
from federation.protocol import ids, keys
from followers.models import Follow
from posts import quotes
from posts.models import Post, QuoteRequest
from posts.services import PostInput, post_edit, post_publish, post_save_draft
from tests import factories
from tests.federation.conftest import run_outbox_jobs
from tests.federation.delivery_sink import DeliverySink
from tests.federation.inbox_support import Remote, process_queued

pytestmark = pytest.mark.django_db

AS2 = "application/activity+json"
QUOTE_CONTEXT = [
    "https://www.w3.org/ns/activitystreams",
    {
        "QuoteRequest": "https://w3id.org/fep/044f#QuoteRequest",
        "quote": {"@id": "https://w3id.org/fep/044f#quote", "@type": "@id"},
    },
]


@pytest.fixture
def server(creator, loopback):
    """The quoters' server: verifies that our answers are signed by alice."""
    key = keys.key_for_creator(creator)
    with DeliverySink(keys={ids.key_id("alice"): key.public_key_pem}) as sink:
        yield sink


@pytest.fixture
def bob(server):
    return Remote(server.url("/users/bob"))


def published(creator, **fields) -> Post:
    return factories.PostFactory(creator=creator, published=True, **fields)


def quote_note(quoter: Remote, post: Post, number: int = 1, **extra) -> dict:
    return {
        "id": f"{quoter.actor_id}/statuses/{number}",
        "type": "Note",
        "attributedTo": quoter.actor_id,
        "content": "<p>This, exactly.</p>",
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "quote": ids.note_id(post),
        **extra,
    }


def ask_to_quote(client, quoter: Remote, post: Post, number: int = 1) -> None:
    """The quoter's server asks, as Mastodon 4.5 does (instrument inlined)."""
    quoter.post(
        client,
        {
            "@context": QUOTE_CONTEXT,
            "id": f"{quoter.actor_id}#quote_requests/{number}",
            "type": "QuoteRequest",
            "actor": quoter.actor_id,
            "object": ids.note_id(post),
            "instrument": quote_note(quoter, post, number),
        },
    )
    process_queued()


def deliver_everything() -> None:
    for pk in OutboundActivity.objects.order_by("pk").values_list("pk", flat=True):
        delivery.deliver_due(activity_id=pk)


def answers_at(server, path: str = "/users/bob/inbox") -> list[dict]:
    """What arrived at the quoter's inbox, each verified as alice's."""
    arrivals = server.posts(path)
    assert all(a.verified for a in arrivals), [a.error for a in arrivals]
    return [a.json() for a in arrivals]


def stamp_path(url: str) -> str:
    return url.split(ids.absolute(""), 1)[1]


def test_nobody_may_quote_the_quoter_gets_a_reject_and_nothing_is_authorized(
    client, creator, server, bob
):
    post = published(creator, quote_policy=QuotePolicy.NOBODY)

    ask_to_quote(client, bob, post)
    deliver_everything()

    [reject] = answers_at(server)
    assert reject["type"] == "Reject"
    assert reject["actor"] == ids.actor_id("alice")
    assert reject["object"]["type"] == "QuoteRequest"
    assert reject["object"]["id"] == f"{bob.actor_id}#quote_requests/1"
    assert reject["object"]["instrument"] == f"{bob.actor_id}/statuses/1"
    assert "result" not in reject
    request = QuoteRequest.objects.get()
    assert request.state == QuoteRequest.State.REFUSED
    assert "nobody but you" in request.reason
    assert quotes.authorized_quote_uris(post) == set()


def test_anyone_may_quote_the_quoter_gets_an_accept_with_a_stamp_that_resolves(
    client, creator, server, bob
):
    post = published(creator, quote_policy=QuotePolicy.ANYONE)

    ask_to_quote(client, bob, post)
    deliver_everything()

    [accept] = answers_at(server)
    assert accept["type"] == "Accept"
    assert accept["object"]["id"] == f"{bob.actor_id}#quote_requests/1"
    assert accept["id"].startswith(f"{ids.actor_id('alice')}#accepts/quote_requests/")
    stamp_url = accept["result"]
    request = QuoteRequest.objects.get()
    assert stamp_url == ids.absolute(f"/users/alice/quote_authorizations/{request.pk}")
    response = client.get(stamp_path(stamp_url), HTTP_ACCEPT=AS2)
    assert response.status_code == 200
    stamp = response.json()
    assert stamp["id"] == stamp_url
    assert stamp["type"] == "QuoteAuthorization"
    assert stamp["attributedTo"] == ids.actor_id("alice")
    assert stamp["interactingObject"] == f"{bob.actor_id}/statuses/1"
    assert stamp["interactionTarget"] == ids.note_id(post)
    assert quotes.authorized_quote_uris(post) == {f"{bob.actor_id}/statuses/1"}


def test_the_same_request_twice_is_answered_once(client, creator, server, bob):
    post = published(creator)

    ask_to_quote(client, bob, post)
    ask_to_quote(client, bob, post)  # a retried delivery, same id
    deliver_everything()

    assert [a["type"] for a in answers_at(server)] == ["Accept"]


def test_followers_may_quote_a_follower_is_accepted_a_stranger_refused(
    client, creator, server, bob
):
    carol = Remote(server.url("/users/carol"))
    Follow.objects.create(
        creator=creator,
        actor=bob.actor,
        follow_activity_id=f"{bob.actor_id}#follows/1",
        state=Follow.State.ACCEPTED,
    )
    post = published(creator, quote_policy=QuotePolicy.FOLLOWERS)

    ask_to_quote(client, bob, post)
    ask_to_quote(client, carol, post)
    deliver_everything()

    [to_bob] = answers_at(server, "/users/bob/inbox")
    [to_carol] = answers_at(server, "/users/carol/inbox")
    assert to_bob["type"] == "Accept"
    assert to_carol["type"] == "Reject"
    refused = QuoteRequest.objects.get(actor_uri=carol.actor_id)
    assert refused.reason == "refused: only your followers may quote this post"
    assert quotes.authorized_quote_uris(post) == {f"{bob.actor_id}/statuses/1"}


def test_a_followers_only_post_is_never_quoted_by_others(client, creator, server, bob):
    post = published(
        creator, visibility=Post.Visibility.FOLLOWERS, quote_policy=QuotePolicy.ANYONE
    )

    ask_to_quote(client, bob, post)
    deliver_everything()

    assert [a["type"] for a in answers_at(server)] == ["Reject"]


def test_manual_approval_holds_the_request_until_the_creator_approves(
    client, creator, server, bob
):
    post = published(creator, quote_policy=QuotePolicy.APPROVAL)

    ask_to_quote(client, bob, post)
    deliver_everything()

    assert answers_at(server) == []
    request = QuoteRequest.objects.get()
    assert request.state == QuoteRequest.State.PENDING
    assert quotes.quote_requests_of(post) == [request]

    quotes.quote_request_approve(quote_request=request, by=creator.user)
    deliver_everything()

    [accept] = answers_at(server)
    assert accept["type"] == "Accept"
    assert client.get(stamp_path(accept["result"]), HTTP_ACCEPT=AS2).status_code == 200


def test_a_held_request_refused_by_the_creator_gets_a_reject(
    client, creator, server, bob
):
    post = published(creator, quote_policy=QuotePolicy.APPROVAL)
    ask_to_quote(client, bob, post)

    quotes.quote_request_refuse(
        quote_request=QuoteRequest.objects.get(), by=creator.user
    )
    deliver_everything()

    assert [a["type"] for a in answers_at(server)] == ["Reject"]


def test_only_the_creator_answers_quote_requests(client, creator, other_creator, bob):
    post = published(creator, quote_policy=QuotePolicy.APPROVAL)
    ask_to_quote(client, bob, post)

    with pytest.raises(quotes.PermissionDenied):
        quotes.quote_request_approve(
            quote_request=QuoteRequest.objects.get(), by=other_creator.user
        )
    assert QuoteRequest.objects.get().state == QuoteRequest.State.PENDING


def test_withdrawing_a_permission_deletes_the_stamp_and_tells_servers(
    client, creator, server, bob
):
    post = published(creator)
    ask_to_quote(client, bob, post)
    request = QuoteRequest.objects.get()
    stamp_url = ids.absolute(f"/users/alice/quote_authorizations/{request.pk}")

    quotes.quote_authorization_revoke(quote_request=request, by=creator.user)
    deliver_everything()

    response = client.get(stamp_path(stamp_url), HTTP_ACCEPT=AS2)
    assert response.status_code == 410
    assert response.json()["type"] == "Tombstone"
    answers = {answer["type"]: answer for answer in answers_at(server)}
    assert set(answers) == {"Accept", "Delete"}
    assert answers["Delete"] == {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{stamp_url}#delete",
        "type": "Delete",
        "actor": ids.actor_id("alice"),
        "object": stamp_url,
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
    }
    assert quotes.authorized_quote_uris(post) == set()


def test_a_stamp_never_given_is_not_found(client, creator, bob):
    post = published(creator, quote_policy=QuotePolicy.APPROVAL)
    ask_to_quote(client, bob, post)  # held: not given yet
    request = QuoteRequest.objects.get()

    for pk in (request.pk, request.pk + 1000):
        path = f"/users/alice/quote_authorizations/{pk}"
        assert client.get(path, HTTP_ACCEPT=AS2).status_code == 404


def test_a_request_whose_quote_post_quotes_something_else_is_not_answered(
    client, creator, server, bob
):
    post = published(creator)
    other = published(creator)
    bob.post(
        client,
        {
            "@context": QUOTE_CONTEXT,
            "id": f"{bob.actor_id}#quote_requests/9",
            "type": "QuoteRequest",
            "actor": bob.actor_id,
            "object": ids.note_id(post),
            "instrument": quote_note(bob, other, 9),
        },
    )
    process_queued()
    deliver_everything()

    assert not QuoteRequest.objects.exists()
    assert answers_at(server) == []


def test_a_request_to_quote_a_draft_or_a_creator_not_sharing_is_not_answered(
    client, creator, server, bob
):
    draft = factories.PostFactory(creator=creator)
    ask_to_quote(client, bob, draft, 1)
    post = published(creator)
    creator.share_to_fediverse = False
    creator.save()
    ask_to_quote(client, bob, post, 2)
    deliver_everything()

    assert not QuoteRequest.objects.exists()
    assert answers_at(server) == []


# Quotes arriving: a claimed permission must be one in force -----------------


def create_quote(client, quoter: Remote, post: Post, number: int, **extra) -> None:
    note = quote_note(quoter, post, number, **extra)
    quoter.post(
        client,
        {
            "@context": QUOTE_CONTEXT,
            "id": f"{note['id']}/activity",
            "type": "Create",
            "actor": quoter.actor_id,
            "to": note["to"],
            "object": note,
        },
    )
    process_queued()


def quotes_counted(post: Post) -> int:
    return Interaction.objects.filter(post=post, kind=Interaction.Kind.QUOTE).count()


def test_a_quote_with_the_permission_the_creator_gave_is_shown_and_counted(
    client, creator, bob
):
    post = published(creator)
    ask_to_quote(client, bob, post, 1)
    request = QuoteRequest.objects.get()

    create_quote(
        client,
        bob,
        post,
        1,
        quoteAuthorization=ids.absolute(
            f"/users/alice/quote_authorizations/{request.pk}"
        ),
    )

    reply = Reply.objects.get()
    assert reply.is_quote
    assert reply.status == Reply.Status.VISIBLE
    assert quotes_counted(post) == 1


def test_a_quote_claiming_a_permission_never_given_is_held_and_not_counted(
    client, creator, bob
):
    post = published(creator, quote_policy=QuotePolicy.NOBODY)

    create_quote(
        client,
        bob,
        post,
        2,
        quoteAuthorization=ids.absolute("/users/alice/quote_authorizations/4242"),
    )

    reply = Reply.objects.get()
    assert reply.is_quote
    assert reply.status == Reply.Status.HELD
    assert reply.hold_reason == (
        "it claims your permission to quote, which you never gave"
    )
    assert quotes_counted(post) == 0
    assert quotes.authorized_quote_uris(post) == set()


def test_a_quote_claiming_a_withdrawn_permission_is_held_and_not_counted(
    client, creator, bob
):
    post = published(creator)
    ask_to_quote(client, bob, post, 3)
    request = QuoteRequest.objects.get()
    quotes.quote_authorization_revoke(quote_request=request, by=creator.user)

    create_quote(
        client,
        bob,
        post,
        3,
        quoteAuthorization=ids.absolute(
            f"/users/alice/quote_authorizations/{request.pk}"
        ),
    )

    reply = Reply.objects.get()
    assert reply.status == Reply.Status.HELD
    assert "which you withdrew" in reply.hold_reason
    assert quotes_counted(post) == 0


def test_a_stamp_given_for_one_quote_does_not_cover_another(client, creator, bob):
    post = published(creator)
    ask_to_quote(client, bob, post, 4)
    request = QuoteRequest.objects.get()

    create_quote(
        client,
        bob,
        post,
        5,  # a different quote post, same stamp
        quoteAuthorization=ids.absolute(
            f"/users/alice/quote_authorizations/{request.pk}"
        ),
    )

    assert Reply.objects.get().status == Reply.Status.HELD
    assert quotes_counted(post) == 0


# Reply controls ----------------------------------------------------------------


def reply_to(client, replier: Remote, post: Post, number: int) -> Reply:
    note = {
        "id": f"{replier.actor_id}/statuses/r{number}",
        "type": "Note",
        "attributedTo": replier.actor_id,
        "inReplyTo": ids.note_id(post),
        "content": "<p>Love it</p>",
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
    }
    replier.post(
        client,
        {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": f"{note['id']}/activity",
            "type": "Create",
            "actor": replier.actor_id,
            "to": note["to"],
            "object": note,
        },
    )
    process_queued()
    return Reply.objects.get(ap_id=note["id"])


def replies_counted(post: Post) -> int:
    return Interaction.objects.filter(post=post, kind=Interaction.Kind.REPLY).count()


def test_a_stranger_replying_to_a_followers_only_replies_post_is_held_with_why(
    client, creator, bob
):
    post = published(creator, reply_policy=ReplyPolicy.FOLLOWERS)

    reply = reply_to(client, bob, post, 1)

    assert reply.status == Reply.Status.HELD
    assert reply.hold_reason == "this post only takes replies from followers"
    assert replies_counted(post) == 0


def test_a_follower_replying_to_a_followers_only_replies_post_is_shown(
    client, creator, bob
):
    Follow.objects.create(
        creator=creator,
        actor=bob.actor,
        follow_activity_id=f"{bob.actor_id}#follows/1",
        state=Follow.State.ACCEPTED,
    )
    post = published(creator, reply_policy=ReplyPolicy.FOLLOWERS)

    reply = reply_to(client, bob, post, 2)

    assert reply.status == Reply.Status.VISIBLE
    assert replies_counted(post) == 1


def test_on_a_mentioned_only_post_only_mentioned_accounts_replies_show(
    client, creator, server, bob
):
    carol = Remote(server.url("/users/carol"))
    post = published(creator, reply_policy=ReplyPolicy.MENTIONED)
    post.mentions.create(handle=f"carol@{server.host}", actor_uri=carol.actor_id)

    from_bob = reply_to(client, bob, post, 3)
    from_carol = reply_to(client, carol, post, 4)

    assert from_bob.status == Reply.Status.HELD
    assert from_bob.hold_reason == (
        "this post only takes replies from people it mentions"
    )
    assert from_carol.status == Reply.Status.VISIBLE
    assert replies_counted(post) == 1


# What the Note says ------------------------------------------------------------


@pytest.mark.parametrize(
    ("quote_policy", "expected"),
    [
        (QuotePolicy.ANYONE, {"automaticApproval": [ids.PUBLIC]}),
        (
            QuotePolicy.FOLLOWERS,
            {"automaticApproval": ["https://hub.test/users/alice/followers"]},
        ),
        (QuotePolicy.NOBODY, {"automaticApproval": ["https://hub.test/users/alice"]}),
        (
            QuotePolicy.APPROVAL,
            {
                "automaticApproval": ["https://hub.test/users/alice"],
                "manualApproval": [ids.PUBLIC],
            },
        ),
    ],
)
def test_the_note_publishes_its_interaction_policy(
    client, creator, quote_policy, expected
):
    post = published(
        creator, quote_policy=quote_policy, reply_policy=ReplyPolicy.FOLLOWERS
    )

    note = client.get(f"/users/alice/statuses/{post.pk}", HTTP_ACCEPT=AS2).json()

    assert note["interactionPolicy"] == {
        "canQuote": expected,
        "canReply": {"automaticApproval": ["https://hub.test/users/alice/followers"]},
    }
    terms = note["@context"][1]
    assert terms["interactionPolicy"] == {
        "@id": "gts:interactionPolicy",
        "@type": "@id",
    }
    assert terms["gts"] == "https://gotosocial.org/ns#"
    assert terms["canQuote"] == {"@id": "gts:canQuote", "@type": "@id"}
    assert terms["quoteAuthorization"]["@id"] == (
        "https://w3id.org/fep/044f#quoteAuthorization"
    )


# Choosing the policies ---------------------------------------------------------


def test_a_new_post_starts_from_the_creators_defaults(creator):
    creator.default_quote_policy = QuotePolicy.FOLLOWERS
    creator.default_reply_policy = ReplyPolicy.MENTIONED
    creator.save()

    post = post_save_draft(creator=creator, by=creator.user, data=PostInput(body="Hi"))

    assert post.quote_policy == QuotePolicy.FOLLOWERS
    assert post.reply_policy == ReplyPolicy.MENTIONED


def test_changing_a_published_posts_quote_policy_tells_servers_with_an_update(
    creator,
):
    """Peers learn the new policy from an Update, but the post reads the
    same, so it is not an edit (as on Mastodon): no "Edited" mark, and the
    Note's `updated` is when the policy changed."""
    post = post_save_draft(creator=creator, by=creator.user, data=PostInput(body="Hi"))
    post = post_publish(post=post, by=creator.user)
    run_outbox_jobs()

    post = post_edit(
        post=post,
        by=creator.user,
        data=PostInput(body="Hi", quote_policy=QuotePolicy.NOBODY),
    )
    run_outbox_jobs()

    post.refresh_from_db()
    assert post.edited_at is None
    update = OutboundActivity.objects.get(activity_type="Update")
    assert "#policies/" in update.ap_id
    assert update.payload["object"]["updated"]
    policy = update.payload["object"]["interactionPolicy"]
    assert policy["canQuote"] == {"automaticApproval": [ids.actor_id("alice")]}

    post_edit(
        post=post,
        by=creator.user,
        data=PostInput(body="Hi", quote_policy=QuotePolicy.ANYONE),
    )
    run_outbox_jobs()

    second = OutboundActivity.objects.filter(activity_type="Update").exclude(
        pk=update.pk
    )
    assert second.count() == 1  # a change of its own, under an id of its own
    assert second.get().payload["object"]["interactionPolicy"]["canQuote"][
        "automaticApproval"
    ] == [ids.PUBLIC]


def test_the_same_policy_again_sends_nothing(creator):
    post = post_save_draft(creator=creator, by=creator.user, data=PostInput(body="Hi"))
    post = post_publish(post=post, by=creator.user)
    run_outbox_jobs()

    post_edit(post=post, by=creator.user, data=PostInput(body="Hi"))
    run_outbox_jobs()

    assert not OutboundActivity.objects.filter(activity_type="Update").exists()
