"""The inbox pages as people use them: notifications, followers, requests,
threads and answers; who may see and who may act."""

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import CreatorProfile
from analytics.models import Reply
from followers.models import Follow
from posts.models import Post
from tests import factories
from tests.inbox_ui.conftest import (
    NOW,
    make_follow,
    make_interaction,
    make_post,
    make_reply,
)

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def text_of(response) -> str:
    html = re.sub(r"<[^>]+>", " ", response.content.decode())
    return re.sub(r"\s+", " ", html)


def url(name, **kwargs):
    return reverse(f"inbox:{name}", kwargs=kwargs)


@pytest.fixture
def alice(creator):
    creator.time_zone = "Asia/Tokyo"
    creator.approve_followers_manually = True
    creator.save()
    return creator


@pytest.fixture
def manager(alice):
    """An agency owner alice allowed to manage her posts."""
    return factories.agency_member_with_access(
        alice,
        role="owner",
        may_manage_posts=True,
        agency=factories.AgencyFactory(slug="managers"),
    )


@pytest.fixture
def analyst(alice, agency_with_analyst):
    return agency_with_analyst[1]


# Notifications ------------------------------------------------------------------


def test_notifications_say_who_from_where_what_and_when(client, alice, post):
    # "5 min ago" is measured from the clock at request time, not NOW (set
    # when the suite started).
    now = timezone.now()
    make_interaction(alice, "follow", "zoe", at=now - timedelta(days=1))
    make_interaction(alice, "like", "bob", post=post, at=now - timedelta(minutes=5))
    make_interaction(alice, "reaction", "kai", post=post, emoji="🎉", at=now)
    client.force_login(alice.user)

    response = client.get(url("notifications", handle="alice"))

    text = text_of(response)
    assert response.status_code == 200
    assert (
        "Bob Builder (@bob@mastodon.social) liked your post “My new mural is up”"
        in (text)
    )
    assert "Kai 🌱 (@kai@misskey.io) reacted 🎉 to your post" in text
    assert "Zoë (@zoe@threads.net) followed you" in text
    for platform in ("Mastodon", "Threads", "Misskey"):
        assert f">{platform}</span>" in response.content.decode()
    assert "Today" in text and "Yesterday" in text
    # Exact times are on the creator's clock (Tokyo), next to "5 min ago".
    tokyo = (now - timedelta(minutes=5)).astimezone(ZoneInfo("Asia/Tokyo"))
    assert f"5 min ago · {tokyo.day} {tokyo:%b, %H:%M}" in text
    assert text.index("reacted") < text.index("liked") < text.index("followed you")


def test_a_reply_shows_when_it_was_written_in_notifications_and_thread_alike(
    client, alice, post
):
    # Written yesterday, delivered two minutes ago (a slow or catching-up
    # server): both pages show the time of writing and say so.
    now = timezone.now()
    written = now - timedelta(days=1, hours=2)
    reply = make_reply(alice, post, "bob", "Late but lovely", at=written)
    Reply.objects.filter(pk=reply.pk).update(received_at=now - timedelta(minutes=2))
    client.force_login(alice.user)
    tokyo = written.astimezone(ZoneInfo("Asia/Tokyo"))
    shown = f"1 day ago · {tokyo.day} {tokyo:%b, %H:%M}"
    title = f'title="Written {tokyo.day} {tokyo:%b, %H:%M} (Asia/Tokyo)"'

    feed = client.get(url("notifications", handle="alice"))
    thread = client.get(url("post-replies", pk=post.pk))

    assert shown in text_of(feed)
    assert shown in text_of(thread)
    assert title in feed.content.decode()
    assert title in thread.content.decode()
    assert "2 min ago" not in text_of(feed)


def test_replies_show_their_text_with_an_answer_button(client, alice, post):
    make_reply(alice, post, "bob", "What paint do you use?")
    make_reply(alice, post, "zoe", "spoiler", summary="Ending of the film")
    client.force_login(alice.user)

    response = client.get(url("notifications", handle="alice"))

    html = response.content.decode()
    assert "<p>What paint do you use?</p>" in html
    assert "replied to your post" in text_of(response)
    assert re.search(r"<details class=\"inbox-cw\">\s*<summary>", html)
    assert "Ending of the film" in html
    assert html.count(">Answer<") == 2


def test_likes_of_one_post_are_one_line_naming_two_and_counting_the_rest(
    client, alice, post
):
    noon = NOW.replace(hour=12, minute=0, second=0)
    people = ["bob", "zoe", "kai", "ana", "lou", "max"]
    for i, who in enumerate(people):
        make_interaction(
            alice, "like", who, post=post, at=noon + i * timedelta(minutes=1)
        )
    make_interaction(alice, "boost", "zoe", post=post, at=noon)
    client.force_login(alice.user)

    response = client.get(url("notifications", handle="alice"))

    text = text_of(response).replace(" ,", ",")
    html = response.content.decode()
    assert "Max Mustermann, Lou and 4 others liked your post “My new mural is up”" in (
        text
    )
    assert "Zoë (@zoe@threads.net) boosted your post" in text
    assert text.count("liked your post") == 1
    # Who: every one of them, newest first, behind "See all 6".
    assert re.search(r"<summary[^>]*>\s*See all 6\s*</summary>", html)
    listed = re.findall(r'class="inbox-person-name" href="([^"]+)"', html)
    assert listed == [
        f"https://{d}/@{who}"
        for who, d in [
            ("max", "gts.example"),
            ("lou", "akkoma.example"),
            ("ana", "pixelfed.social"),
            ("kai", "misskey.io"),
            ("zoe", "threads.net"),
            ("bob", "mastodon.social"),
        ]
    ]


def test_two_likes_name_both(client, alice, post):
    make_interaction(alice, "like", "bob", post=post, at=NOW - timedelta(minutes=1))
    make_interaction(alice, "like", "zoe", post=post, at=NOW)
    client.force_login(alice.user)
    text = text_of(client.get(url("notifications", handle="alice")))
    assert "Zoë and Bob Builder liked your post" in text


def test_kind_filter_narrows_the_feed(client, alice, post):
    make_interaction(alice, "like", "bob", post=post)
    make_interaction(alice, "boost", "zoe", post=post)
    client.force_login(alice.user)

    text = text_of(client.get(url("notifications", handle="alice"), {"kind": "boost"}))

    assert "boosted your post" in text
    assert "liked your post" not in text


def test_load_more_returns_the_next_page_only(client, alice, post, settings):
    # Noon on the creator's clock today, so that all 35 fall on one day.
    noon = NOW.astimezone(ZoneInfo("Asia/Tokyo")).replace(hour=12, minute=0)
    # Reactions: likes and boosts of one post would be one grouped line.
    for i in range(35):
        make_interaction(
            alice,
            "reaction",
            f"fan{i}",
            post=post,
            emoji="🎉",
            at=noon - timedelta(minutes=i),
        )
    client.force_login(alice.user)

    first = client.get(url("notifications", handle="alice"))
    match = re.search(r'hx-get="([^"]+before=[^"]+)"', first.content.decode())
    assert match, "a Load more button"
    more = match.group(1).replace("&amp;", "&")
    second = client.get(more, **HTMX)

    assert first.content.decode().count("to your post") == 30
    page = second.content.decode()
    assert page.count("to your post") == 5
    assert "<html" not in page
    assert "Load more" not in page
    assert "@fan34@" in page and "@fan0@" not in page
    # The same day continues: no second "Today" heading.
    assert "inbox-day-title" not in page
    assert "is-continued" in page


def test_a_forged_cursor_is_a_bad_request(client, alice):
    client.force_login(alice.user)
    response = client.get(url("notifications", handle="alice"), {"before": "x~9~1"})
    assert response.status_code == 400


def test_pending_follow_requests_come_first_with_approve_and_reject(
    client, alice, post
):
    request = make_follow(alice, "kai", state=Follow.State.PENDING)
    make_interaction(alice, "follow", "kai")
    client.force_login(alice.user)

    response = client.get(url("notifications", handle="alice"))

    html = response.content.decode()
    assert "Waiting for your approval" in html
    assert url("follow-approve", pk=request.pk) in html
    assert url("follow-reject", pk=request.pk) in html
    assert "requested to follow you" in text_of(response)


def setting_line(response) -> str:
    html = response.content.decode()
    line = re.search(r'id="requests-setting">(.*?)</span>', html, flags=re.S)[1]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", line)).strip()


def test_the_requests_tab_says_how_followers_are_approved(client, alice):
    client.force_login(alice.user)
    page = url("follow-requests", handle="alice")

    assert setting_line(client.get(page)) == "You approve each new follower. Change"
    make_follow(alice, "kai", state=Follow.State.PENDING)
    assert setting_line(client.get(page)) == (
        "You approve each new follower: 1 waiting. Change"
    )

    # Turned off with a request still waiting: it is not accepted by itself.
    alice.approve_followers_manually = False
    alice.save()
    assert setting_line(client.get(page)) == (
        "New followers are accepted automatically now; this request came in "
        "while followers were approved by hand, so it waits for a decision. Change"
    )
    Follow.objects.filter(creator=alice).delete()
    assert setting_line(client.get(page)) == (
        "New followers are accepted automatically. Change"
    )


def test_an_agency_reads_the_setting_in_the_creators_name(client, alice, analyst):
    client.force_login(analyst)
    response = client.get(url("follow-requests", handle="alice"))
    assert setting_line(response) == f"{alice.name} approves each new follower."


def test_opening_notifications_clears_the_unread_badge(client, alice, post, analyst):
    make_interaction(alice, "like", "bob", post=post)
    make_reply(alice, post, "zoe")
    client.force_login(alice.user)
    badge = re.compile(r'class="nav-count"[^>]*>(\d+)')

    assert badge.search(client.get(reverse("dashboard")).content.decode())[1] == "2"
    # An agency analyst looking does not mark them read for the creator.
    client.force_login(analyst)
    client.get(url("notifications", handle="alice"))
    alice.refresh_from_db()
    assert alice.last_seen_notifications_at is None

    client.force_login(alice.user)
    client.get(url("notifications", handle="alice"))
    assert not badge.search(client.get(reverse("dashboard")).content.decode())
    later = timezone.now() + timedelta(minutes=1)
    make_interaction(alice, "boost", "kai", post=post, at=later)
    assert badge.search(client.get(reverse("dashboard")).content.decode())[1] == "1"


def test_notifications_page_reads_in_a_bounded_number_of_queries(
    client, alice, post, django_assert_max_num_queries
):
    for i in range(20):
        make_interaction(alice, "like", f"fan{i}", post=make_post(alice, f"post {i}"))
        make_reply(alice, post, f"fan{i}", parent=None)
        make_interaction(alice, "follow", f"fol{i}")
    client.force_login(alice.user)
    # Grouping likes and boosts costs two queries, whatever the page holds;
    # the header's creator switcher one, posts waiting for approval one.
    with django_assert_max_num_queries(18):
        response = client.get(url("notifications", handle="alice"))
    assert response.content.decode().count('<li class="inbox-item') == 30


def test_inbox_index_sends_creators_to_their_own_feed(client, alice, analyst):
    client.force_login(alice.user)
    assert client.get(url("index"))["Location"] == url("notifications", handle="alice")
    client.force_login(analyst)
    assert client.get(url("index"))["Location"] == url("notifications", handle="alice")


# Who may see and do what ----------------------------------------------------------


def test_another_creators_inbox_is_not_found(client, alice, other_creator):
    theirs = make_post(other_creator, "Bob's post")
    reply = make_reply(other_creator, theirs, "zoe")
    follow = make_follow(other_creator, "kai", state=Follow.State.PENDING)
    client.force_login(alice.user)

    for page in (
        url("notifications", handle="bob"),
        url("followers", handle="bob"),
        url("follow-requests", handle="bob"),
        url("post-replies", pk=theirs.pk),
        url("reply-answer", pk=reply.pk),
    ):
        assert client.get(page).status_code == 404, page
    for action in ("follow-approve", "follow-reject", "follower-remove"):
        assert client.post(url(action, pk=follow.pk)).status_code == 404
    assert (
        client.post(url("reply-answer", pk=reply.pk), {"body": "hi"}).status_code == 404
    )
    follow.refresh_from_db()
    assert follow.state == Follow.State.PENDING
    assert not Post.objects.filter(in_reply_to_uri=reply.ap_id).exists()


def test_an_analyst_reads_but_cannot_approve_remove_or_answer(
    client, alice, post, analyst
):
    request = make_follow(alice, "kai", state=Follow.State.PENDING)
    follower = make_follow(alice, "bob")
    reply = make_reply(alice, post, "zoe")
    client.force_login(analyst)

    for page in (
        url("notifications", handle="alice"),
        url("followers", handle="alice"),
        url("follow-requests", handle="alice"),
        url("post-replies", pk=post.pk),
    ):
        response = client.get(page)
        assert response.status_code == 200, page
        html = response.content.decode()
        assert "read only" in html
        assert ">Approve<" not in html
        assert ">Remove<" not in html
        assert ">Answer<" not in html

    assert client.post(url("follow-approve", pk=request.pk)).status_code == 403
    assert client.post(url("follower-remove", pk=follower.pk)).status_code == 403
    assert client.get(url("reply-answer", pk=reply.pk)).status_code == 403
    response = client.post(url("reply-answer", pk=reply.pk), {"body": "hi"})
    assert response.status_code == 403
    request.refresh_from_db()
    follower.refresh_from_db()
    assert (request.state, follower.state) == ("pending", "accepted")
    assert not Post.objects.filter(in_reply_to_uri=reply.ap_id).exists()


def test_hidden_replies_cannot_be_answered(client, alice, post):
    hidden = make_reply(alice, post, "zoe", status=Reply.Status.HIDDEN)
    client.force_login(alice.user)
    assert client.get(url("reply-answer", pk=hidden.pk)).status_code == 404


# Follow requests and followers ----------------------------------------------------


def test_approving_a_request_makes_a_follower_and_sends_accept(
    client, alice, django_capture_on_commit_callbacks
):
    from federation.models import OutboundActivity

    request = make_follow(alice, "kai", state=Follow.State.PENDING)
    client.force_login(alice.user)

    with django_capture_on_commit_callbacks():
        response = client.post(url("follow-approve", pk=request.pk), **HTMX)

    assert response.status_code == 200
    request.refresh_from_db()
    assert request.state == Follow.State.ACCEPTED
    assert "Now follows you" in response.content.decode()
    assert 'id="pending-count" hx-swap-oob="true">0<' in response.content.decode()
    accept = OutboundActivity.objects.get(activity_type="Accept")
    assert accept.payload["object"]["id"] == request.follow_activity_id
    # Mastodon sends answers to follows to the follower's own inbox.
    assert list(accept.deliveries.values_list("inbox_url", flat=True)) == [
        "https://misskey.io/users/kai/inbox"
    ]


def test_rejecting_a_request_sends_reject_and_goes_back(client, alice, manager):
    from federation.models import OutboundActivity

    request = make_follow(alice, "zoe", state=Follow.State.PENDING)
    client.force_login(manager)
    back = url("notifications", handle="alice")

    response = client.post(url("follow-reject", pk=request.pk), {"next": back})

    assert response["Location"] == back
    request.refresh_from_db()
    assert request.state == Follow.State.REJECTED
    assert OutboundActivity.objects.filter(activity_type="Reject").count() == 1


def test_removing_a_follower_stops_them_following(client, alice):
    follower = make_follow(alice, "bob")
    client.force_login(alice.user)

    response = client.post(url("follower-remove", pk=follower.pk), **HTMX)

    assert response.status_code == 200
    assert "No longer follows you" in response.content.decode()
    assert not Follow.objects.filter(
        pk=follower.pk, state=Follow.State.ACCEPTED
    ).exists()


def test_followers_list_servers_platforms_and_counts(client, alice):
    for who in ("bob", "zoe", "kai", "ana"):
        make_follow(alice, who)
    make_follow(alice, "max", state=Follow.State.PENDING)
    client.force_login(alice.user)

    response = client.get(url("followers", handle="alice"))

    text = text_of(response)
    assert "4 followers" in text
    assert "Bob Builder (@bob@mastodon.social)" in text
    assert "@max@" not in text  # pending: not a follower
    counts = re.findall(
        r'inbox-platform-number">(\d+)</span>\s*<span class="platform platform-(\w+)"',
        response.content.decode(),
    )
    assert sorted(counts) == [
        ("1", "mastodon"),
        ("1", "misskey"),
        ("1", "pixelfed"),
        ("1", "threads"),
    ]


def test_followers_filter_by_platform_search_and_sort(client, alice):
    for who in ("bob", "zoe", "kai", "ana"):
        make_follow(alice, who)
    client.force_login(alice.user)
    page = url("followers", handle="alice")

    def handles(**params):
        html = client.get(page, params).content.decode()
        return re.findall(r'class="inbox-handle">\((@[^)]+)\)', html)

    assert handles(platform="threads") == ["@zoe@threads.net"]
    assert handles(q="misskey") == ["@kai@misskey.io"]
    assert handles(q="@bob@mastodon.social") == ["@bob@mastodon.social"]
    assert handles(q="Builder") == ["@bob@mastodon.social"]
    assert handles(sort="name") == [
        "@ana@pixelfed.social",
        "@bob@mastodon.social",
        "@kai@misskey.io",
        "@zoe@threads.net",
    ]
    assert handles(sort="platform")[0] == "@bob@mastodon.social"
    fragment = client.get(page, {"q": "zoe"}, HTTP_HX_TARGET="follower-list", **HTMX)
    assert "<html" not in fragment.content.decode()
    assert "@zoe@threads.net" in fragment.content.decode()


# Threads and answers ----------------------------------------------------------------


def test_thread_page_nests_replies_marks_held_and_keeps_warnings_folded(
    client, alice, post
):
    bob = make_reply(alice, post, "bob", "First!", at=NOW - timedelta(hours=3))
    make_reply(
        alice,
        post,
        "kai",
        'Agreed <a href="https://misskey.io/@bob" class="mention">@bob</a>',
        parent=bob,
        at=NOW - timedelta(hours=2),
    )
    make_reply(
        alice,
        post,
        "zoe",
        "buy my course",
        status=Reply.Status.HELD,
        at=NOW - timedelta(hours=1),
    )
    make_reply(alice, post, "ana", "plot twist", summary="Spoilers", sensitive=True)
    make_interaction(alice, "like", "bob", post=post)
    client.force_login(alice.user)

    response = client.get(url("post-replies", pk=post.pk))

    html = response.content.decode()
    assert response.status_code == 200
    assert "My new mural is up" in html
    # Stored HTML is rendered as stored (it was sanitised on arrival).
    agreed = Reply.objects.get(content_html__contains="Agreed")
    assert 'class="mention"' in agreed.content_html
    assert agreed.content_html in html
    order = [html.index(s) for s in ("First!", "Agreed", "buy my course", "plot")]
    assert order == sorted(order)
    assert re.search(r'id="reply-\d+" style="--depth: 1"', html)
    assert re.search(r'<span class="badge badge-held"[^>]*>Held</span>', html)
    assert re.search(
        r"<details class=\"inbox-cw\">\s*<summary>.*Spoilers.*</summary>", html
    )
    assert '<details class="inbox-cw" open' not in html
    assert "1 held for review" in text_of(response)
    assert "1 like" in text_of(response)
    assert html.count(">Answer<") == 4


def test_answer_form_is_prefilled_with_the_authors_address(client, alice, post):
    reply = make_reply(
        alice,
        post,
        "bob",
        mentions=[
            {"href": "https://hub.test/users/alice", "name": "@alice@hub.test"},
            {"href": "https://misskey.io/users/kai", "name": "@kai@misskey.io"},
        ],
    )
    client.force_login(alice.user)

    response = client.get(url("reply-answer", pk=reply.pk), **HTMX)

    html = response.content.decode()
    assert "<html" not in html
    assert re.search(r"<textarea[^>]*>\s*@bob@mastodon.social @kai@misskey.io </", html)
    assert f'hx-target="#answer-slot-{reply.pk}"' in html


def test_answering_publishes_a_post_in_reply_to_the_reply(client, alice, post):
    reply = make_reply(alice, post, "bob", "What paint do you use?")
    client.force_login(alice.user)

    response = client.post(
        url("reply-answer", pk=reply.pk),
        {"body": "@bob@mastodon.social Acrylics, mostly!", "visibility": "public"},
        **HTMX,
    )

    assert response.status_code == 200
    answer = Post.objects.get(in_reply_to_uri=reply.ap_id)
    assert answer.creator == alice
    assert answer.state == Post.State.PUBLISHED
    assert list(answer.mentions.values_list("handle", flat=True)) == [
        "bob@mastodon.social"
    ]
    html = response.content.decode()
    assert "Acrylics, mostly!" in html
    assert f'id="answer-{answer.pk}"' in html
    assert "Your answer" in html

    thread = client.get(url("post-replies", pk=post.pk)).content.decode()
    assert thread.index("What paint") < thread.index("Acrylics, mostly!")
    assert re.search(rf'id="answer-{answer.pk}" style="--depth: 1"', thread)


def test_answer_without_the_mention_still_addresses_the_author(client, alice, post):
    reply = make_reply(alice, post, "zoe", visibility="unlisted")
    client.force_login(alice.user)

    response = client.post(
        url("reply-answer", pk=reply.pk),
        {"body": "Thank you!", "visibility": "unlisted"},
    )

    answer = Post.objects.get(in_reply_to_uri=reply.ap_id)
    assert response["Location"] == (
        url("post-replies", pk=post.pk) + f"#answer-{answer.pk}"
    )
    assert answer.visibility == Post.Visibility.UNLISTED
    assert list(answer.mentions.values_list("handle", flat=True)) == ["zoe@threads.net"]


def test_an_empty_or_too_long_answer_is_refused_and_nothing_is_sent(
    client, alice, post
):
    reply = make_reply(alice, post, "bob")
    client.force_login(alice.user)

    empty = client.post(url("reply-answer", pk=reply.pk), {"body": "  "}, **HTMX)
    long = client.post(
        url("reply-answer", pk=reply.pk),
        {"body": "x" * 600, "visibility": "public"},
        **HTMX,
    )

    assert "Write something to answer with." in empty.content.decode()
    assert 'class="errorlist' in long.content.decode()
    assert not Post.objects.filter(in_reply_to_uri=reply.ap_id).exists()


def test_a_manager_may_answer_for_the_creator(client, alice, post, manager):
    reply = make_reply(alice, post, "bob")
    client.force_login(manager)

    client.post(
        url("reply-answer", pk=reply.pk), {"body": "Thanks", "visibility": "public"}
    )

    assert Post.objects.get(in_reply_to_uri=reply.ap_id).creator == alice


def test_an_answers_page_links_back_to_the_conversation(client, alice, post):
    reply = make_reply(alice, post, "bob")
    client.force_login(alice.user)
    client.post(
        url("reply-answer", pk=reply.pk), {"body": "Hi", "visibility": "public"}
    )
    answer = Post.objects.get(in_reply_to_uri=reply.ap_id)

    html = client.get(url("post-replies", pk=answer.pk)).content.decode()

    assert f"{url('post-replies', pk=post.pk)}#reply-{reply.pk}" in html


def test_creator_profile_keeps_last_seen_out_of_forms():
    assert not CreatorProfile._meta.get_field("last_seen_notifications_at").editable


def test_without_javascript_answer_opens_a_page_of_its_own(client, alice, post):
    reply = make_reply(alice, post, "bob", "Where is it?")
    client.force_login(alice.user)

    response = client.get(url("reply-answer", pk=reply.pk))

    html = response.content.decode()
    assert "<html" in html
    assert "Where is it?" in html
    assert f'id="answer-slot-{reply.pk}"' in html  # where htmx puts the answer
    assert f"{url('post-replies', pk=post.pk)}#reply-{reply.pk}" in html


def test_quotes_link_to_the_quoting_post_not_to_the_thread(client, alice, post):
    quote = make_reply(alice, post, "ana", "Look at this", is_quote=True)
    client.force_login(alice.user)

    html = client.get(url("notifications", handle="alice")).content.decode()

    assert "quoted your post" in html
    assert f'href="{quote.url}"' in html
    assert f"#reply-{quote.pk}" not in html
    assert ">Answer<" not in html


def test_further_pages_mark_new_what_was_new_when_the_feed_opened(client, alice, post):
    for i in range(32):
        make_interaction(
            alice,
            "reaction",
            f"fan{i}",
            post=post,
            emoji="🎉",
            at=NOW - timedelta(minutes=i),
        )
    alice.last_seen_notifications_at = NOW - timedelta(minutes=30, seconds=30)
    alice.save()
    client.force_login(alice.user)

    first = client.get(url("notifications", handle="alice")).content.decode()
    more = re.search(r'hx-get="([^"]+before=[^"]+)"', first)[1].replace("&amp;", "&")
    second = client.get(more, **HTMX).content.decode()

    # fan30 arrived after the last visit, fan31 before it.
    assert re.search(r'inbox-item is-new"[^>]*>\s*<span class="inbox-avatar"', second)
    assert second.count("is-new") == 1
    for bad in ("nonsense", "2025-13-45T00:00:00", "2025-01-01T00:00:00"):
        broken = re.sub(r"seen=[^&]+", f"seen={bad}", more)
        assert client.get(broken, **HTMX).status_code == 200


def test_thread_page_reads_in_a_bounded_number_of_queries(
    client, alice, post, django_assert_max_num_queries
):
    parent = None
    for i in range(15):
        parent = make_reply(alice, post, f"fan{i}", parent=parent if i % 2 else None)
        Post.objects.create(
            creator=alice,
            body=f"answer {i}",
            content_html=f"<p>answer {i}</p>",
            state=Post.State.PUBLISHED,
            published_at=NOW,
            in_reply_to_uri=parent.ap_id,
        )
    client.force_login(alice.user)
    # One of them is the header's creator switcher.
    with django_assert_max_num_queries(13):
        response = client.get(url("post-replies", pk=post.pk))
    assert response.content.decode().count("Your answer") == 15
