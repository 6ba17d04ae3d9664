"""Posts as Notes: every field Mastodon reads, addressed as Mastodon addresses."""

from datetime import UTC, datetime

import pytest

from analytics.models import Interaction, Reply
from federation.protocol import notes
from posts.models import Mention
from posts.services import PostInput, post_publish, post_save_draft
from tests import factories

pytestmark = pytest.mark.django_db

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
ALICE = "https://hub.test/users/alice"
FOLLOWERS = "https://hub.test/users/alice/followers"
BOB = "https://mastodon.example/users/bob"


def publish(creator, body="Hello", **fields):
    """A post written and published through the real posts services."""
    post = post_save_draft(
        creator=creator, by=creator.user, data=PostInput(body=body, **fields)
    )
    return post_publish(post=post, by=creator.user)


def resolve(post, handle, actor_uri, profile_url=""):
    """Record a mention as federation does once WebFinger has answered."""
    Mention.objects.filter(post=post, handle=handle).update(
        actor_uri=actor_uri, profile_url=profile_url or actor_uri
    )


def note_of(post):
    post.refresh_from_db()
    return notes.note_document(post)


# Addressing ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("visibility", "to", "cc"),
    [
        ("public", [PUBLIC], [FOLLOWERS, BOB]),
        ("unlisted", [FOLLOWERS], [PUBLIC, BOB]),
        ("followers", [FOLLOWERS], [BOB]),
    ],
)
def test_to_and_cc_follow_mastodon_for_each_visibility(alice, visibility, to, cc):
    post = publish(alice, "Hi @bob@mastodon.example", visibility=visibility)
    resolve(post, "bob@mastodon.example", BOB)
    note = note_of(post)
    assert note["to"] == to
    assert note["cc"] == cc
    create = notes.create_activity(post)
    assert (create["to"], create["cc"]) == (to, cc)


def test_an_unresolved_mention_is_neither_addressed_nor_tagged(alice):
    post = publish(alice, "Hi @ghost@nowhere.example")
    note = note_of(post)
    assert note["cc"] == [FOLLOWERS]
    assert [tag for tag in note["tag"] if tag["type"] == "Mention"] == []


def test_an_unresolved_mention_reads_as_plain_text(alice):
    post = publish(alice, "Hi @Ghost@nowhere.example!")
    content = note_of(post)["content"]
    assert "@Ghost@nowhere.example!" in content
    assert "nowhere.example/@ghost" not in content
    assert "h-card" not in content


def test_a_resolved_mention_links_to_the_profile_its_server_gave(alice):
    post = publish(alice, "Hi @bob@mastodon.example and @ghost@nowhere.example")
    resolve(
        post,
        "bob@mastodon.example",
        BOB,
        profile_url="https://mastodon.example/@bob-profile",
    )
    note = note_of(post)
    assert (
        '<span class="h-card"><a href="https://mastodon.example/@bob-profile" '
        'class="u-url mention">@<span>bob</span></a></span>'
    ) in note["content"]
    assert "@ghost@nowhere.example" in note["content"]
    assert {
        "type": "Mention",
        "href": BOB,
        "name": "@bob@mastodon.example",
    } in note["tag"]


def test_extra_mentions_are_addressed_even_when_not_in_the_text(alice):
    post = publish(alice, "Thanks!", extra_mentions=("bob@mastodon.example",))
    resolve(post, "bob@mastodon.example", BOB)
    assert note_of(post)["cc"] == [FOLLOWERS, BOB]


# Fields -------------------------------------------------------------------------


def test_note_has_the_fields_mastodon_reads(alice):
    post = publish(alice, "Plain *words*")
    note = note_of(post)
    assert note["@context"][0] == "https://www.w3.org/ns/activitystreams"
    terms = note["@context"][1]
    assert terms["sensitive"] == "as:sensitive"
    assert terms["blurhash"] == "toot:blurhash"
    assert terms["focalPoint"] == {"@container": "@list", "@id": "toot:focalPoint"}
    assert note["id"] == f"{ALICE}/statuses/{post.pk}"
    assert note["type"] == "Note"
    assert note["attributedTo"] == ALICE
    assert note["url"] == note["id"]
    assert note["content"] == "<p>Plain <em>words</em></p>"
    assert note["published"] == post.published_at.replace(microsecond=0).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )
    assert note["summary"] is None
    assert note["sensitive"] is False
    assert note["inReplyTo"] is None
    assert "updated" not in note
    assert "contentMap" not in note
    assert note["attachment"] == []


def test_content_warning_is_summary_and_makes_the_note_sensitive(alice):
    post = publish(alice, "Spoilers", summary="Film ending")
    note = note_of(post)
    assert note["summary"] == "Film ending"
    assert note["sensitive"] is True


def test_language_gives_a_content_map(alice):
    post = publish(alice, "Bonjour", language="fr")
    note = note_of(post)
    assert note["contentMap"] == {"fr": "<p>Bonjour</p>"}


def test_hashtags_are_tags_linking_to_the_tag_page(alice):
    """The name keeps the author's spelling (the first, if several), as
    Mastodon's does; the link is the lower-case tag."""
    post = publish(alice, "New #Mural and #café, #MURAL again, #Tag1 <#x&y>")
    tags = note_of(post)["tag"]
    assert tags == [
        {"type": "Hashtag", "href": "https://hub.test/tags/caf%C3%A9", "name": "#café"},
        {"type": "Hashtag", "href": "https://hub.test/tags/mural", "name": "#Mural"},
        {"type": "Hashtag", "href": "https://hub.test/tags/tag1", "name": "#Tag1"},
        {"type": "Hashtag", "href": "https://hub.test/tags/x", "name": "#x"},
    ]


def test_attachments_are_documents_with_alt_text_size_blurhash_and_focus(alice):
    post = publish(alice, "Two pictures")
    first = factories.PostMediaFactory(
        post=post,
        position=0,
        alt_text="A red mural on a brick wall",
        blurhash="LEHV6nWB2yk8pyo0adR*.7kCMdnj",
        focal_x=0.5,
        focal_y=-0.25,
    )
    factories.PostMediaFactory(post=post, position=1, mime_type="image/png")
    documents = note_of(post)["attachment"]
    assert documents[0] == {
        "type": "Document",
        "mediaType": "image/jpeg",
        "url": f"https://hub.test{first.file.url}",
        "name": "A red mural on a brick wall",
        "width": 40,
        "height": 30,
        "blurhash": "LEHV6nWB2yk8pyo0adR*.7kCMdnj",
        "focalPoint": [0.5, -0.25],
    }
    assert documents[1]["mediaType"] == "image/png"
    assert documents[1]["name"] is None  # no alt text: Mastodon's null
    assert "focalPoint" not in documents[1]


def test_answers_carry_in_reply_to(alice):
    post = publish(
        alice,
        "@bob@mastodon.example thank you",
        in_reply_to_uri="https://mastodon.example/users/bob/statuses/9",
    )
    assert note_of(post)["inReplyTo"] == "https://mastodon.example/users/bob/statuses/9"


# Collections --------------------------------------------------------------------


def _reply(post, number, *, status=Reply.Status.VISIBLE, in_reply_to=None, **fields):
    return Reply.objects.create(
        ap_id=f"https://mastodon.example/users/fan{number}/statuses/{number}",
        creator=post.creator,
        post=post,
        in_reply_to_uri=in_reply_to or notes.note_url(post),
        actor_uri=f"https://mastodon.example/users/fan{number}",
        actor_handle=f"@fan{number}@mastodon.example",
        instance_domain="mastodon.example",
        content_html=f"<p>reply {number}</p>",
        status=status,
        published_at=datetime(2026, 1, 1, 12, number, tzinfo=UTC),
        **fields,
    )


def _interact(post, kind, number):
    Interaction.objects.create(
        activity_id=f"https://mastodon.example/{kind}/{number}",
        kind=kind,
        creator=post.creator,
        post=post,
        actor_uri=f"https://mastodon.example/users/fan{number}",
        instance_domain="mastodon.example",
    )


def test_replies_collection_lists_only_visible_direct_replies(alice):
    post = publish(alice, "Ask me anything")
    shown = _reply(post, 1)
    _reply(post, 2, status=Reply.Status.HELD)
    _reply(post, 3, status=Reply.Status.HIDDEN)
    _reply(post, 4, status=Reply.Status.REMOVED)
    _reply(post, 5, in_reply_to=shown.ap_id, parent=shown)  # deeper: not direct
    _reply(post, 6, is_quote=True)
    replies = note_of(post)["replies"]
    assert replies["id"] == f"{notes.note_url(post)}/replies"
    assert replies["type"] == "Collection"
    assert replies["totalItems"] == 1
    assert replies["first"]["type"] == "CollectionPage"
    assert replies["first"]["partOf"] == replies["id"]
    assert replies["first"]["items"] == [shown.ap_id]


def test_replies_are_paged_twenty_at_a_time(alice):
    post = publish(alice, "Popular")
    for number in range(25):
        _reply(post, number)
    first = note_of(post)["replies"]["first"]
    assert len(first["items"]) == 20
    assert first["next"] == f"{notes.note_url(post)}/replies?page=2"
    second = notes.replies_collection(post, page=2)
    assert len(second["items"]) == 5
    assert "next" not in second


def test_likes_and_shares_give_counts(alice):
    post = publish(alice, "Like me")
    for number in range(3):
        _interact(post, Interaction.Kind.LIKE, number)
    _interact(post, Interaction.Kind.BOOST, 9)
    _interact(post, Interaction.Kind.REACTION, 10)  # an emoji is not a like
    note = note_of(post)
    assert note["likes"] == {
        "id": f"{notes.note_url(post)}/likes",
        "type": "Collection",
        "totalItems": 3,
    }
    assert note["shares"]["totalItems"] == 1


# Activities ---------------------------------------------------------------------


def test_create_wraps_the_note_under_mastodons_activity_id(alice):
    post = publish(alice, "Out it goes")
    create = notes.create_activity(post)
    assert create["id"] == f"{ALICE}/statuses/{post.pk}/activity"
    assert create["type"] == "Create"
    assert create["actor"] == ALICE
    assert create["object"]["id"] == notes.note_url(post)
    assert "@context" not in create["object"]
    assert "https://www.w3.org/ns/activitystreams" in create["@context"]


def test_update_has_an_id_per_edit_and_updated(alice):
    post = publish(alice, "First")
    post.edited_at = datetime(2026, 3, 1, 10, 0, 0, tzinfo=UTC)
    first = notes.update_activity(post)
    assert first["id"] == f"{notes.note_url(post)}#updates/1772359200000000"
    assert first["object"]["updated"] == "2026-03-01T10:00:00Z"
    post.edited_at = datetime(2026, 3, 1, 10, 0, 0, 1000, tzinfo=UTC)
    assert notes.update_activity(post)["id"] != first["id"]  # 1 ms later


def test_delete_carries_a_tombstone_and_the_notes_addressing(alice):
    post = publish(alice, "Soon gone", visibility="followers")
    delete = notes.delete_activity(post)
    assert delete["id"] == f"{notes.note_url(post)}#delete"
    assert delete["type"] == "Delete"
    assert delete["object"] == {
        "id": notes.note_url(post),
        "type": "Tombstone",
        "formerType": "Note",
    }
    assert delete["to"] == [FOLLOWERS]


def test_replies_collection_includes_the_creators_own_listed_answers(alice):
    post = publish(alice, "Thread, part one")
    remote = _reply(post, 1)  # 1 Jan 2026, before the answers below
    own = publish(alice, "Part two", in_reply_to_uri=notes.note_url(post))
    publish(
        alice,
        "For followers",
        in_reply_to_uri=notes.note_url(post),
        visibility="followers",
    )
    replies = note_of(post)["replies"]
    assert replies["totalItems"] == 2
    assert replies["first"]["items"] == [remote.ap_id, notes.note_url(own)]
