"""A post's permanent URL: the Note for servers, a page for people, 410 once deleted.

Also the collections around it (replies, likes, shares), the outbox, the
featured collection, tag pages and the profile's recent posts.
"""

from datetime import UTC, datetime

import pytest
import requests

from analytics.models import Interaction, Reply
from federation.protocol import notes, remote
from followers.models import Follow
from posts.models import Post
from posts.services import (
    PostInput,
    post_delete,
    post_pin,
    post_publish,
    post_save_draft,
    post_schedule,
)
from tests import factories
from tests.federation.conftest import AS2
from tests.federation.peer import MastodonPeer

LD_JSON = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'


def publish(creator, body="Hello", **fields) -> Post:
    post = post_save_draft(
        creator=creator, by=creator.user, data=PostInput(body=body, **fields)
    )
    return post_publish(post=post, by=creator.user)


def path_of(post) -> str:
    return f"/users/{post.creator.handle}/statuses/{post.pk}"


def as2(client, path, accept=AS2):
    return client.get(path, HTTP_ACCEPT=accept)


def reply(post, number, *, status=Reply.Status.VISIBLE, parent=None, **fields):
    fields.setdefault("content_html", f"<p>reply number {number}</p>")
    fields.setdefault("actor_name", f"Fan {number}")
    return Reply.objects.create(
        ap_id=f"https://social.example/users/fan{number}/statuses/{number}",
        url=f"https://social.example/@fan{number}/{number}",
        creator=post.creator,
        post=post,
        parent=parent,
        in_reply_to_uri=parent.ap_id if parent else notes.note_url(post),
        actor_uri=f"https://social.example/users/fan{number}",
        actor_handle=f"@fan{number}@social.example",
        instance_domain="social.example",
        status=status,
        published_at=datetime(2026, 1, 1, 12, number, tzinfo=UTC),
        **fields,
    )


# Content negotiation ------------------------------------------------------------


BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "accept",
    [
        AS2,
        LD_JSON,
        "application/ld+json",  # no profile
        "application/json",
        "application/json, text/html;q=0.5",
    ],
)
def test_servers_get_the_note(client, alice, accept):
    post = publish(alice, "Hello #fediverse")
    response = as2(client, path_of(post), accept)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/activity+json")
    assert "Accept" in response["Vary"]
    note = response.json()
    assert note == notes.note_document(Post.objects.get(pk=post.pk))
    assert note["id"] == f"https://hub.test{path_of(post)}"
    assert note["type"] == "Note"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "accept", [BROWSER, "*/*", "text/html, application/json;q=0.9", ""]
)
def test_a_browser_or_anything_else_gets_the_page(client, alice, accept):
    post = publish(alice, "Hello")
    response = client.get(path_of(post), HTTP_ACCEPT=accept)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.django_db
def test_people_get_a_page_that_points_servers_at_the_note(client, alice):
    post = publish(alice, "Hello *people*")
    response = client.get(path_of(post), HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert "Accept" in response["Vary"]
    note_id = f"https://hub.test{path_of(post)}"
    assert response["Link"] == (
        f'<{note_id}>; rel="alternate"; type="application/activity+json"'
    )
    html = response.content.decode()
    assert (
        f'<link rel="alternate" type="application/activity+json" href="{note_id}">'
        in html
    )
    assert "Hello <em>people</em>" in html
    assert "Alice Example" in html and "@alice@hub.test" in html
    assert "No replies yet" in html


@pytest.mark.django_db
def test_drafts_and_scheduled_posts_do_not_exist_outside(client, alice):
    draft = post_save_draft(creator=alice, by=alice.user, data=PostInput(body="Hi"))
    scheduled = post_save_draft(
        creator=alice, by=alice.user, data=PostInput(body="Later")
    )
    post_schedule(
        post=scheduled,
        by=alice.user,
        publish_at=datetime(2030, 1, 1, tzinfo=UTC),
    )
    for post in (draft, scheduled):
        assert as2(client, path_of(post)).status_code == 404
        assert client.get(path_of(post)).status_code == 404
        assert as2(client, f"{path_of(post)}/replies").status_code == 404


@pytest.mark.django_db
def test_a_post_is_only_found_under_its_own_creator(client, alice, other_creator):
    post = publish(alice)
    assert as2(client, f"/users/bob/statuses/{post.pk}").status_code == 404
    assert client.get(f"/users/bob/statuses/{post.pk}").status_code == 404


@pytest.mark.django_db
def test_the_create_is_served_where_its_id_points(client, alice):
    post = publish(alice, "Hello *world*")
    note = as2(client, path_of(post)).json()

    response = client.get(f"{path_of(post)}/activity")  # any Accept: always AS2

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/activity+json")
    create = response.json()
    assert create["id"] == f"https://hub.test{path_of(post)}/activity"
    assert create["type"] == "Create"
    assert create["actor"] == "https://hub.test/users/alice"
    assert create["object"]["id"] == note["id"]
    assert create["object"]["content"] == note["content"]
    post_delete(post=post, by=alice.user)
    assert client.get(f"{path_of(post)}/activity").status_code == 410


# Deleted posts and creators who left ------------------------------------------------


@pytest.mark.django_db
def test_a_deleted_post_answers_410_with_a_tombstone(client, alice):
    post = publish(alice, "Regrets")
    post_delete(post=post, by=alice.user)
    response = as2(client, path_of(post))
    assert response.status_code == 410
    assert response.json() == {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"https://hub.test{path_of(post)}",
        "type": "Tombstone",
        "formerType": "Note",
    }
    page = client.get(path_of(post))
    assert page.status_code == 410
    html = page.content.decode()
    assert "This post was deleted" in html
    assert "Regrets" not in html


@pytest.mark.django_db
def test_posts_of_a_creator_who_stopped_sharing_are_gone(client, alice):
    post = publish(alice)
    alice.share_to_fediverse = False
    alice.save()
    response = as2(client, path_of(post))
    assert response.status_code == 410
    assert response.json()["type"] == "Tombstone"
    assert client.get(path_of(post)).status_code == 404


# Followers only -----------------------------------------------------------------


@pytest.mark.django_db
def test_followers_only_posts_are_hidden_from_anyone_unsigned(client, alice):
    post = publish(alice, "Just for followers", visibility="followers")
    for suffix in ("", "/activity", "/replies", "/likes"):
        assert as2(client, path_of(post) + suffix).status_code == 404
    assert client.get(path_of(post)).status_code == 404
    assert "Just for followers" not in client.get("/@alice").content.decode()


def test_followers_only_note_is_served_to_a_followers_server_only(hub, alice):
    """Signed fetches as Mastodon sends them: the follower's server reads it,
    another server (validly signed) gets 404."""
    post = publish(alice, "Just for followers", visibility="followers")
    url = f"{hub.url}{path_of(post)}"
    with MastodonPeer() as friend, MastodonPeer(username="eve") as stranger:
        follower = remote.fetch_actor(friend.actor_id)
        Follow.objects.create(
            creator=alice,
            actor=follower,
            follow_activity_id=f"{friend.actor_id}#follows/1",
            state=Follow.State.ACCEPTED,
        )
        served = friend.get(url)
        refused = stranger.get(url)
        unsigned = requests.get(url, headers={"Accept": AS2}, timeout=5)
    assert served.status_code == 200
    assert served.json()["to"] == [f"{hub.url}/users/alice/followers"]
    assert refused.status_code == 404
    assert unsigned.status_code == 404


@pytest.mark.django_db
def test_unlisted_posts_have_a_page_but_stay_out_of_listings(client, alice):
    """Out of the outbox and tag pages; on the author's profile, as on Mastodon."""
    post = publish(alice, "Quietly #unlisted", visibility="unlisted")
    assert as2(client, path_of(post)).status_code == 200
    assert client.get(path_of(post)).status_code == 200
    assert "Quietly" in client.get("/@alice").content.decode()
    assert "Quietly" not in client.get("/tags/unlisted").content.decode()
    page = as2(client, "/users/alice/outbox?page=1").json()
    assert page["orderedItems"] == []


@pytest.mark.django_db
def test_secure_mode_asks_servers_to_sign_but_people_still_read(
    client, alice, settings
):
    settings.FEDERATION_AUTHORIZED_FETCH = True
    post = publish(alice)
    response = as2(client, path_of(post))
    assert response.status_code == 401
    assert "error" in response.json()
    assert client.get(path_of(post)).status_code == 200


# The page -----------------------------------------------------------------------


@pytest.mark.django_db
def test_the_page_escapes_what_the_creator_typed(client, alice):
    post = publish(alice, "<script>alert(1)</script> & <b>bold</b>")
    html = client.get(path_of(post)).content.decode()
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>bold</b>" not in html


@pytest.mark.django_db
def test_a_content_warning_keeps_text_and_media_folded(client, alice):
    post = publish(alice, "The ending", summary="Film spoilers")
    factories.PostMediaFactory(post=post, alt_text="The last scene")
    html = client.get(path_of(post)).content.decode()
    start = html.index('<details class="status-cw">')
    end = html.index("</details>", start)
    folded = html[start:end]
    assert "Film spoilers" in folded
    assert "The ending" in folded
    assert 'alt="The last scene"' in folded


@pytest.mark.django_db
def test_media_shows_with_its_description(client, alice):
    post = publish(alice, "Look")
    media = factories.PostMediaFactory(post=post, alt_text='A "red" mural <3')
    factories.PostMediaFactory(post=post, alt_text="")
    html = client.get(path_of(post)).content.decode()
    assert f'src="{media.file.url}"' in html
    assert 'alt="A &quot;red&quot; mural &lt;3"' in html
    assert "No description" in html


@pytest.mark.django_db
def test_the_page_counts_likes_boosts_and_replies(client, alice):
    post = publish(alice, "Count me")
    for number, kind in enumerate(["like", "like", "like", "boost"]):
        Interaction.objects.create(
            activity_id=f"https://social.example/{kind}/{number}",
            kind=kind,
            creator=alice,
            post=post,
            actor_uri=f"https://social.example/users/fan{number}",
            instance_domain="social.example",
        )
    reply(post, 1)
    reply(post, 2, status=Reply.Status.HELD)
    counts = client.get(path_of(post)).context["card"]["counts"]
    assert (counts.likes, counts.shares, counts.replies) == (3, 1, 1)


@pytest.mark.django_db
def test_the_thread_shows_visible_replies_nested_with_the_creators_answers(
    client, alice
):
    post = publish(alice, "Ask me")
    first = reply(post, 1)
    nested = reply(post, 2, parent=first)
    held = reply(post, 3, status=Reply.Status.HELD)
    reply(post, 4, parent=held)  # under a held reply: held back with it
    reply(post, 5, status=Reply.Status.HIDDEN)
    answer = publish(alice, "Thanks for asking", in_reply_to_uri=first.ap_id)
    publish(alice, "Private word", in_reply_to_uri=nested.ap_id, visibility="followers")

    response = client.get(path_of(post))

    [top] = response.context["thread"]
    assert top.url == first.url
    assert [child.url for child in top.children] == [
        nested.url,
        notes.note_url(answer),
    ]
    assert top.children[1].is_answer
    html = response.content.decode()
    assert "reply number 1" in html and "reply number 2" in html
    assert "Thanks for asking" in html
    for hidden in (
        "reply number 3",
        "reply number 4",
        "reply number 5",
        "Private word",
    ):
        assert hidden not in html
    assert "@fan1@social.example" in html
    assert "social.example" in html


@pytest.mark.django_db
def test_hostile_reply_content_cannot_run_on_our_page(client, alice):
    post = publish(alice, "Hi")
    reply(
        post,
        1,
        content_html='<p>hi<script>alert(1)</script><img src=x onerror="alert(2)"></p>',
        actor_name="<b>Eve</b>",
        summary="<i>cw</i>",
    )
    html = client.get(path_of(post)).content.decode()
    assert "<script>alert(1)" not in html
    assert "onerror" not in html
    assert "&lt;b&gt;Eve&lt;/b&gt;" in html
    assert "&lt;i&gt;cw&lt;/i&gt;" in html


@pytest.mark.django_db
def test_deep_threads_stop_indenting(client, alice):
    post = publish(alice, "Deep")
    parent = None
    for number in range(1, 8):
        parent = reply(post, number, parent=parent)
    [top] = client.get(path_of(post)).context["thread"]
    depth, entry = 0, top
    while entry.children:
        depth += 1
        entry = entry.children[0]
    assert depth == 3  # four levels; replies deeper than that sit at the fourth
    assert len(top.children[0].children[0].children) == 4  # replies 4 to 7


# Collections --------------------------------------------------------------------


@pytest.mark.django_db
def test_replies_collection_is_paged_and_lists_visible_replies(client, alice):
    post = publish(alice, "Ask me")
    shown = reply(post, 1)
    reply(post, 2, status=Reply.Status.REMOVED)
    collection = as2(client, f"{path_of(post)}/replies").json()
    assert collection["type"] == "Collection"
    assert collection["totalItems"] == 1
    assert collection["first"]["items"] == [shown.ap_id]
    page = as2(client, f"{path_of(post)}/replies?page=1").json()
    assert page["type"] == "CollectionPage"
    assert page["items"] == [shown.ap_id]
    assert as2(client, f"{path_of(post)}/replies?page=x").status_code == 404


@pytest.mark.django_db
def test_likes_and_shares_collections_give_totals(client, alice):
    post = publish(alice, "Like me")
    Interaction.objects.create(
        activity_id="https://social.example/likes/1",
        kind="like",
        creator=alice,
        post=post,
        actor_uri="https://social.example/users/fan1",
        instance_domain="social.example",
    )
    likes = as2(client, f"{path_of(post)}/likes").json()
    assert likes["id"] == f"https://hub.test{path_of(post)}/likes"
    assert likes["totalItems"] == 1
    assert as2(client, f"{path_of(post)}/shares").json()["totalItems"] == 0


@pytest.mark.django_db
def test_outbox_serves_creates_of_public_posts_newest_first(client, alice):
    older = publish(alice, "Older")
    newer = publish(alice, "Newer")
    publish(alice, "Unlisted", visibility="unlisted")
    publish(alice, "Followers", visibility="followers")
    gone = publish(alice, "Gone")
    post_delete(post=gone, by=alice.user)
    post_save_draft(creator=alice, by=alice.user, data=PostInput(body="Draft"))
    factories.PostFactory(creator=factories.CreatorFactory(), published=True)

    collection = as2(client, "/users/alice/outbox").json()
    assert collection["totalItems"] == 2
    page = as2(client, "/users/alice/outbox?page=1").json()
    items = page["orderedItems"]
    assert [item["object"]["id"] for item in items] == [
        notes.note_url(newer),
        notes.note_url(older),
    ]
    assert items[0]["type"] == "Create"
    assert items[0]["id"] == f"{notes.note_url(newer)}/activity"
    assert "@context" not in items[0]


@pytest.mark.django_db
def test_outbox_pages_hold_twenty(client, alice):
    for number in range(21):
        publish(alice, f"Post {number}")
    first = as2(client, "/users/alice/outbox?page=1").json()
    assert len(first["orderedItems"]) == 20
    assert first["next"] == "https://hub.test/users/alice/outbox?page=2"
    second = as2(client, "/users/alice/outbox?page=2").json()
    assert [i["object"]["content"] for i in second["orderedItems"]] == ["<p>Post 0</p>"]


@pytest.mark.django_db
def test_featured_lists_pinned_posts_as_notes(client, alice):
    first = publish(alice, "Pinned first")
    second = publish(alice, "Pinned second", visibility="unlisted")
    publish(alice, "Not pinned")
    post_pin(post=first, by=alice.user)
    post_pin(post=second, by=alice.user)
    featured = as2(client, "/users/alice/collections/featured").json()
    assert featured["type"] == "OrderedCollection"
    assert featured["totalItems"] == 2
    assert [note["id"] for note in featured["orderedItems"]] == [
        notes.note_url(second),
        notes.note_url(first),
    ]
    assert featured["orderedItems"][0]["type"] == "Note"
    assert "https://www.w3.org/ns/activitystreams" in featured["@context"]


# Tag pages and the profile ------------------------------------------------------


@pytest.mark.django_db
def test_tag_page_lists_public_posts_with_the_tag(client, alice, other_creator):
    mine = publish(alice, "Painting a #Mural today")
    theirs = publish(other_creator, "Another #mural")
    publish(alice, "Private #mural", visibility="followers")
    publish(alice, "Other #topic")
    response = client.get("/tags/mural")
    assert response.status_code == 200
    html = response.content.decode()
    assert "#mural" in html
    assert "Painting a" in html and "Another" in html
    assert "Private" not in html and "Other" not in html
    assert f'href="{notes.note_url(mine)}"' in html
    assert f'href="{notes.note_url(theirs)}"' in html


@pytest.mark.django_db
def test_tag_pages_follow_the_hashtag_links_in_notes(client, alice):
    publish(alice, "Un #café")
    [tag] = notes.note_document(Post.objects.get())["tag"]
    path = tag["href"].removeprefix("https://hub.test")
    response = client.get(path)
    assert response.status_code == 200
    assert "Un " in response.content.decode()
    empty = client.get("/tags/nothinghere")
    assert empty.status_code == 200
    assert "No public posts with #nothinghere yet" in empty.content.decode()


@pytest.mark.django_db
def test_profile_lists_recent_public_posts_linking_to_their_pages(client, alice):
    post = publish(alice, "New mural", summary="Paint fumes")
    publish(alice, "Followers only", visibility="followers")
    html = client.get("/@alice").content.decode()
    assert "New mural" in html
    assert '<details class="status-cw">' in html
    assert f'href="{notes.note_url(post)}"' in html
    assert "Followers only" not in html


@pytest.mark.django_db
def test_nodeinfo_counts_published_posts(client, alice):
    publish(alice)
    publish(alice, visibility="followers")
    post_save_draft(creator=alice, by=alice.user, data=PostInput(body="Draft"))
    nodeinfo = client.get("/nodeinfo/2.1").json()
    assert nodeinfo["usage"]["localPosts"] == 2
