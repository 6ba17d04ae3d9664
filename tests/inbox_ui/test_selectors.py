"""analytics.selectors: the notifications feed and reply threads."""

from datetime import timedelta

import pytest

from analytics import selectors
from analytics.models import Interaction, Reply
from moderation import services as moderation
from posts.models import Post
from tests.inbox_ui.conftest import NOW, make_interaction, make_post, make_reply

pytestmark = pytest.mark.django_db

MIN = timedelta(minutes=1)


def kinds_and_people(page):
    return [(n.kind, n.handle) for n in page.items]


# The feed -------------------------------------------------------------------


def test_feed_merges_interactions_and_replies_newest_first(creator, post):
    make_interaction(creator, "follow", "zoe", at=NOW - 5 * MIN)
    make_interaction(creator, "like", "bob", post=post, at=NOW - 4 * MIN)
    make_reply(creator, post, "kai", "Love it", at=NOW - 3 * MIN)
    make_interaction(
        creator, "reaction", "kai", post=post, emoji="🎉", at=NOW - 2 * MIN
    )
    make_interaction(creator, "boost", "ana", post=post, at=NOW - 1 * MIN)

    page = selectors.notifications_for(creator=creator)

    assert kinds_and_people(page) == [
        ("boost", "@ana@pixelfed.social"),
        ("reaction", "@kai@misskey.io"),
        ("reply", "@kai@misskey.io"),
        ("like", "@bob@mastodon.social"),
        ("follow", "@zoe@threads.net"),
    ]
    assert page.next_cursor is None
    reaction = page.items[1]
    assert reaction.emoji == "🎉"
    assert reaction.post == post
    assert (reaction.domain, reaction.software_label) == ("misskey.io", "Misskey")
    assert page.items[2].reply.content_html == "<p>Love it</p>"
    assert page.items[4].post is None


def test_replies_deeper_in_a_thread_are_mentions_and_quotes_are_quotes(creator, post):
    direct = make_reply(creator, post, "bob", at=NOW - 3 * MIN)
    make_reply(
        creator, post, "zoe", "@bob @alice agreed", parent=direct, at=NOW - 2 * MIN
    )
    make_reply(creator, post, "kai", "Look at this", is_quote=True, at=NOW - MIN)

    page = selectors.notifications_for(creator=creator)

    assert [n.kind for n in page.items] == ["quote", "mention", "reply"]


def test_a_reply_recorded_as_interaction_and_note_is_listed_once(creator, post):
    reply = make_reply(creator, post, "bob", at=NOW - MIN)
    assert Interaction.objects.filter(activity_id=reply.ap_id, kind="reply").exists()
    # A quote known only as an interaction (its Note was not kept) still shows.
    make_interaction(creator, "quote", "zoe", post=post, at=NOW)

    page = selectors.notifications_for(creator=creator)

    assert [(n.kind, n.reply) for n in page.items] == [
        ("quote", None),
        ("reply", reply),
    ]
    assert selectors.notifications_since(creator=creator, since=None) == 2


def test_unfollows_held_hidden_removed_replies_and_deleted_posts_stay_out(
    creator, post, admin_user
):
    make_interaction(creator, "unfollow", "bob")
    make_reply(creator, post, "zoe", status=Reply.Status.HIDDEN)
    make_reply(creator, post, "kai", status=Reply.Status.REMOVED)
    gone = make_post(creator, "Deleted one", state=Post.State.DELETED)
    make_interaction(creator, "like", "ana", post=gone)
    make_reply(creator, gone, "ana")
    held = make_reply(creator, post, "ana", "buy followers", status=Reply.Status.HELD)

    assert selectors.notifications_for(creator=creator).items == []
    assert selectors.notifications_since(creator=creator, since=None) == 0

    # Approved, the held reply becomes a notification.
    moderation.reply_approve(reply=held, by=admin_user)
    page = selectors.notifications_for(creator=creator)
    assert [n.reply for n in page.items] == [held]
    assert selectors.notifications_since(creator=creator, since=None) == 1


def test_kinds_narrow_the_feed(creator, post):
    make_interaction(creator, "follow", "zoe", at=NOW - 4 * MIN)
    make_interaction(creator, "like", "bob", post=post, at=NOW - 3 * MIN)
    make_interaction(creator, "like", "kai", post=post, at=NOW - 2 * MIN)
    direct = make_reply(creator, post, "ana", at=NOW - MIN)
    make_reply(creator, post, "bob", parent=direct, at=NOW)

    def only(*kinds):
        page = selectors.notifications_for(creator=creator, kinds=kinds)
        return kinds_and_people(page)

    # Two likes of one post on one day: one notification, newest first.
    assert only("like") == [("like", "@kai@misskey.io")]
    assert only("follow") == [("follow", "@zoe@threads.net")]
    assert only("reply") == [("reply", "@ana@pixelfed.social")]
    assert only("mention") == [("mention", "@bob@mastodon.social")]
    assert only("follow", "mention") == [
        ("mention", "@bob@mastodon.social"),
        ("follow", "@zoe@threads.net"),
    ]
    assert only() == []
    with pytest.raises(ValueError, match="unknown"):
        selectors.notifications_for(creator=creator, kinds=["unfollow"])


def test_pages_cover_everything_once_even_with_ties(creator, post):
    """Items received at the same instant in both tables split across pages
    without being skipped or repeated."""
    expected = set()
    for i, who in enumerate(["bob", "zoe", "kai", "ana"]):
        at = NOW - (i // 2) * MIN  # pairs share a timestamp
        reaction = make_interaction(creator, "reaction", who, post=post, at=at)
        expected.add(("i", reaction.pk))
        expected.add(("r", make_reply(creator, post, who, at=at).pk))
    seen = []
    before = None
    pages = 0
    while True:
        page = selectors.notifications_for(creator=creator, before=before, limit=3)
        pages += 1
        seen += [("r" if n.reply else "i", n.pk) for n in page.items]
        if page.next_cursor is None:
            break
        before = page.next_cursor
    assert pages == 3
    assert len(seen) == len(set(seen)) == 8
    assert set(seen) == expected
    whens = [
        selectors.parse_cursor(c)[0]
        for c in [n.cursor for n in selectors.notifications_for(creator=creator).items]
    ]
    assert whens == sorted(whens, reverse=True)


def test_a_page_ending_exactly_at_the_last_item_says_so(creator, post):
    for who in ("bob", "zoe"):
        make_interaction(creator, "reaction", who, post=post)
    page = selectors.notifications_for(creator=creator, limit=2)
    assert len(page.items) == 2
    assert page.next_cursor is None


def test_another_creators_notifications_are_not_in_the_feed(
    creator, other_creator, post
):
    theirs = make_post(other_creator, "Bob's post")
    make_interaction(other_creator, "like", "zoe", post=theirs)
    make_interaction(other_creator, "follow", "kai")
    make_reply(other_creator, theirs, "ana")
    mine = make_interaction(creator, "like", "bob", post=post)

    page = selectors.notifications_for(creator=creator)

    assert [n.pk for n in page.items] == [mine.pk]
    assert selectors.notifications_since(creator=creator, since=None) == 1


@pytest.mark.parametrize(
    "cursor", ["nonsense", "2024-01-01T00:00:00~1", "2024-01-01T00:00:00~1~2", "x~1~2"]
)
def test_a_malformed_cursor_is_refused(creator, cursor):
    with pytest.raises(ValueError):
        selectors.notifications_for(creator=creator, before=cursor)


def test_unread_count_counts_what_arrived_since(creator, post):
    make_interaction(creator, "like", "bob", post=post, at=NOW - 10 * MIN)
    make_interaction(creator, "boost", "bob", post=post, at=NOW - MIN)
    make_reply(creator, post, "zoe", at=NOW)
    make_interaction(creator, "unfollow", "kai", at=NOW)

    since = NOW - 5 * MIN
    assert selectors.notifications_since(creator=creator, since=since) == 2
    assert selectors.notifications_since(creator=creator, since=None) == 3


# Threads --------------------------------------------------------------------


def answer(creator, reply, body="Thanks!", *, at=NOW):
    return Post.objects.create(
        creator=creator,
        body=body,
        content_html=f"<p>{body}</p>",
        state=Post.State.PUBLISHED,
        published_at=at,
        in_reply_to_uri=reply.ap_id,
    )


def answer_uri(post):
    return f"https://hub.test/users/alice/statuses/{post.pk}"


def shape(roots):
    """[(label, depth)] in reading order."""
    return [
        (f"answer:{n.answer.body}" if n.is_answer else n.reply.actor_handle, n.depth)
        for n in selectors.thread_in_order(roots)
    ]


def test_thread_nests_replies_and_interleaves_the_creators_answers(creator, post):
    bob = make_reply(creator, post, "bob", at=NOW - 10 * MIN)
    zoe = make_reply(creator, post, "zoe", at=NOW - 9 * MIN)
    kai = make_reply(creator, post, "kai", parent=bob, at=NOW - 8 * MIN)
    thanks = answer(creator, bob, "Thanks Bob", at=NOW - 7 * MIN)
    # Ana answers the creator's answer: nested under it once its id is known.
    make_reply(
        creator,
        post,
        "ana",
        in_reply_to_uri=answer_uri(thanks),
        at=NOW - 6 * MIN,
    )
    answer(creator, kai, "And you Kai", at=NOW - 5 * MIN)

    roots = selectors.replies_thread(post=post, answer_uri=answer_uri)

    assert [r.reply for r in roots] == [bob, zoe]
    assert shape(roots) == [
        ("@bob@mastodon.social", 0),
        ("@kai@misskey.io", 1),
        ("answer:And you Kai", 2),
        ("answer:Thanks Bob", 1),
        ("@ana@pixelfed.social", 2),
        ("@zoe@threads.net", 0),
    ]
    assert kai.parent == bob
    # Without federation's ids, the reply to the answer starts its own branch.
    flat = shape(selectors.replies_thread(post=post))
    assert ("@ana@pixelfed.social", 0) in flat


def test_thread_shows_held_replies_and_leaves_out_hidden_ones_and_quotes(creator, post):
    hidden = make_reply(
        creator, post, "bob", status=Reply.Status.HIDDEN, at=NOW - 3 * MIN
    )
    make_reply(creator, post, "zoe", parent=hidden, at=NOW - 2 * MIN)
    make_reply(creator, post, "kai", status=Reply.Status.HELD, at=NOW - MIN)
    make_reply(creator, post, "ana", is_quote=True)
    answer(creator, hidden, "Answer to a hidden reply")

    roots = selectors.replies_thread(post=post)

    assert shape(roots) == [("@zoe@threads.net", 0), ("@kai@misskey.io", 0)]
    assert roots[1].reply.status == Reply.Status.HELD


def test_thread_holds_only_this_posts_replies_and_this_creators_answers(
    creator, other_creator, post
):
    mine = make_reply(creator, post, "bob")
    other_post = make_post(creator, "Another post")
    make_reply(creator, other_post, "zoe")
    # Another creator "answering" the same remote reply is not part of it.
    answer(other_creator, mine, "Not yours")

    roots = selectors.replies_thread(post=post)

    assert shape(roots) == [("@bob@mastodon.social", 0)]


def test_a_reply_loop_is_cut_and_nothing_is_lost(creator, post):
    a = make_reply(creator, post, "bob", at=NOW - 2 * MIN)
    b = make_reply(creator, post, "zoe", parent=a, at=NOW - MIN)
    Reply.objects.filter(pk=a.pk).update(parent=b, in_reply_to_uri=b.ap_id)

    nodes = list(selectors.thread_in_order(selectors.replies_thread(post=post)))

    assert sorted(n.reply.pk for n in nodes) == sorted([a.pk, b.pk])
    assert [n.depth for n in nodes] == [0, 1]


def test_a_very_deep_thread_is_read_without_recursion(creator, post):
    parent = None
    for i in range(1500):
        parent = make_reply(
            creator, post, "bob", f"reply {i}", parent=parent, at=NOW + i * MIN
        )

    nodes = list(selectors.thread_in_order(selectors.replies_thread(post=post)))

    assert len(nodes) == 1500
    assert nodes[-1].depth == 1499


def test_likes_and_boosts_are_grouped_per_post_and_day_newest_first(creator, post):
    other = make_post(creator, "Another one")
    today = NOW.replace(hour=12, minute=0, second=0)
    people = ["bob", "zoe", "kai", "ana", "max", "lou"]
    for i, who in enumerate(people):
        make_interaction(creator, "like", who, post=post, at=today + i * MIN)
    make_interaction(creator, "boost", "bob", post=post, at=today + 10 * MIN)
    make_interaction(creator, "like", "bob", post=other, at=today + 20 * MIN)
    for who in ("old1", "old2"):
        make_interaction(creator, "like", who, post=post, at=today - timedelta(days=2))

    items = selectors.notifications_for(creator=creator).items

    assert [(n.kind, n.post.pk, n.count) for n in items] == [
        ("like", other.pk, 1),
        ("boost", post.pk, 1),
        ("like", post.pk, 6),
        ("like", post.pk, 2),
    ]
    group = items[2]
    assert group.is_group and group.others == 4
    assert group.handle == "@lou@akkoma.example"  # the newest
    assert group.when == today + 5 * MIN
    assert [p.handle.split("@")[1] for p in group.people] == list(reversed(people))
    assert group.people_not_listed == 0


def test_grouped_pages_cover_every_group_once(creator, post):
    posts = [make_post(creator, f"Post {n}") for n in range(5)]
    for n, each in enumerate(posts):
        for who in ("bob", "zoe", "kai"):
            make_interaction(creator, "like", who, post=each, at=NOW - n * MIN)
    seen, before = [], None
    while True:
        page = selectors.notifications_for(creator=creator, before=before, limit=2)
        seen += [(n.post.pk, n.count) for n in page.items]
        if page.next_cursor is None:
            break
        before = page.next_cursor
    assert seen == [(each.pk, 3) for each in posts]


def test_a_group_lists_at_most_so_many_people_and_counts_the_rest(
    creator, post, settings, monkeypatch
):
    monkeypatch.setattr(selectors, "GROUP_PEOPLE_SHOWN", 3)
    for n in range(5):
        make_interaction(creator, "boost", f"fan{n}", post=post, at=NOW - n * MIN)
    (group,) = selectors.notifications_for(creator=creator).items
    assert group.count == 5
    assert [p.handle.split("@")[1] for p in group.people] == ["fan0", "fan1", "fan2"]
    assert group.people_not_listed == 2
