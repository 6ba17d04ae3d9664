"""The reply queue page: what it shows, the actions one by one and in bulk
(htmx and plain POST), and who may use it."""

import re

import pytest
from django.urls import reverse

from analytics.models import Reply
from moderation.models import ActorBlock, AuditEntry, DomainPolicy, Report
from tests.moderation.conftest import make_reply, published
from tests.moderation_ui.conftest import HTMX

pytestmark = pytest.mark.django_db

Status = Reply.Status


def queue_url(handle="alice", **params):
    url = reverse("moderation:queue", kwargs={"handle": handle})
    if params:
        url += "?" + "&".join(f"{k}={v}" for k, v in params.items())
    return url


def act_url(reply):
    return reverse("moderation:reply-act", kwargs={"pk": reply.pk})


BULK = reverse("moderation:replies-bulk")


def text(response) -> str:
    return response.content.decode()


def shown(response) -> list[int]:
    """The replies listed, by pk, in order."""
    return [int(pk) for pk in re.findall(r'id="reply-(\d+)"', text(response))]


def counts(response) -> dict[str, int]:
    html = text(response)
    return {
        status: int(re.search(rf'id="count-{status}">(\d+)<', html).group(1))
        for status in Status.values
    }


def statuses(replies) -> dict[str, str]:
    return {
        name: Reply.objects.get(pk=reply.pk).status for name, reply in replies.items()
    }


# The page ----------------------------------------------------------------------


def test_the_queue_shows_held_replies_with_who_where_what_and_why(
    as_user, creator, replies
):
    response = as_user(creator.user).get(queue_url())

    assert response.status_code == 200
    # Newest first, held only.
    assert shown(response) == [
        replies["new"].pk,
        replies["flood"].pk,
        replies["spam"].pk,
    ]
    assert counts(response) == {"visible": 1, "held": 3, "hidden": 1, "removed": 0}
    html = text(response)
    assert "@eve@spam.example" in html and "spam.example" in html
    assert "Buy crypto now" in html
    assert "“Harbour at dusk”" in html  # the post it answers
    assert "matches the filter list: “crypto”" in html
    # Several reasons are listed one by one.
    assert "<li>a flood: 12 replies from this account in 10 minutes" in html
    assert "<li>only a link, with no words of its own</li>" in html
    # The keyboard hint and the key of each action.
    assert "data-keys-hint" in html and 'data-key="a"' in html


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": "visible"}, ["kind"]),
        ({"status": "hidden"}, ["rude"]),
        ({"status": "removed"}, []),
        ({"server": "spam.example"}, ["flood", "spam"]),
        ({"q": "first"}, ["new"]),
        ({"q": "eve"}, ["flood", "spam"]),  # the handle
        ({"status": "bogus"}, ["new", "flood", "spam"]),  # held by default
    ],
)
def test_the_queue_filters_by_status_server_and_keyword(
    as_user, creator, replies, params, expected
):
    response = as_user(creator.user).get(queue_url(**params))
    assert shown(response) == [replies[name].pk for name in expected]


def test_counts_follow_the_server_and_keyword_filters(as_user, creator, replies):
    response = as_user(creator.user).get(queue_url(server="mastodon.example"))
    assert counts(response) == {"visible": 1, "held": 0, "hidden": 1, "removed": 0}
    assert "No held replies match" in text(response)


def test_htmx_filtering_returns_only_the_queue(as_user, creator, replies):
    response = as_user(creator.user).get(
        queue_url(status="hidden"), HTTP_HX_REQUEST="true", HTTP_HX_TARGET="queue"
    )
    html = text(response)
    assert html.lstrip().startswith('<div id="queue"')
    assert "<header" not in html
    assert shown(response) == [replies["rude"].pk]


def test_an_empty_queue_says_so_in_words(as_user, creator, post):
    html = text(as_user(creator.user).get(queue_url()))
    assert "Nothing waits for review" in html
    assert reverse("moderation:rules", kwargs={"handle": "alice"}) in html


def test_long_queues_are_paged(as_user, creator, post):
    for n in range(27):
        make_reply(post, f"spam {n}", who=f"bot{n}", status=Status.HELD)
    client = as_user(creator.user)
    first = client.get(queue_url())
    second = client.get(queue_url(page=2))
    assert len(shown(first)) == 25 and len(shown(second)) == 2
    assert "Page 1 of 2" in text(first)
    assert not set(shown(first)) & set(shown(second))


def test_the_index_sends_each_person_to_their_queue(
    client, creator, manager, analyst, admin_user
):
    index = reverse("moderation:index")
    client.force_login(creator.user)
    assert client.get(index)["Location"] == queue_url()
    client.force_login(manager)  # moderates alice only
    assert client.get(index)["Location"] == queue_url()
    client.force_login(admin_user)
    assert client.get(index)["Location"] == reverse("moderation:instance-queue")
    client.force_login(analyst)
    response = client.get(index)
    assert response.status_code == 200
    assert "No replies for you to moderate" in text(response)


def test_the_nav_shows_moderation_to_those_who_moderate(
    client, creator, analyst, manager
):
    dashboard = reverse("inbox:index")
    client.force_login(analyst)
    assert reverse("moderation:index") not in text(client.get(dashboard, follow=True))
    for user in (creator.user, manager):
        client.force_login(user)
        assert reverse("moderation:index") in text(client.get(dashboard, follow=True))


# Actions one by one ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "status", "words"),
    [
        ("approve", Status.VISIBLE, "Approved the reply by @eve@spam.example"),
        ("hide", Status.HIDDEN, "Hid the reply by @eve@spam.example"),
        ("remove", Status.REMOVED, "Removed the reply by @eve@spam.example"),
    ],
)
def test_one_reply_without_javascript_redirects_back_with_a_message(
    as_user, creator, replies, action, status, words
):
    spam = replies["spam"]
    here = queue_url(server="spam.example")
    client = as_user(creator.user)

    response = client.post(act_url(spam), {"action": action, "next": here})

    assert response.status_code == 302 and response["Location"] == here
    assert Reply.objects.get(pk=spam.pk).status == status
    page = client.get(here)
    assert words in text(page)
    assert AuditEntry.objects.get().by == creator.user


def test_an_htmx_action_returns_the_list_with_the_counts_out_of_band(
    as_user, creator, replies
):
    response = as_user(creator.user).post(
        act_url(replies["spam"]),
        {"action": "approve", "creator": "alice", "status": "held"},
        **HTMX,
    )

    html = text(response)
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="queue-list"')
    assert shown(response) == [replies["new"].pk, replies["flood"].pk]
    assert re.search(r'<nav id="queue-counts"[^>]*hx-swap-oob="true"', html)
    assert counts(response) == {"visible": 2, "held": 2, "hidden": 1, "removed": 0}
    assert re.search(r'<div id="messages"[^>]*hx-swap-oob="true"', html)
    assert "Approved the reply by @eve@spam.example" in html


def test_an_htmx_action_keeps_the_filters_of_the_page(as_user, creator, replies):
    response = as_user(creator.user).post(
        act_url(replies["rude"]),
        {
            "action": "approve",
            "creator": "alice",
            "status": "hidden",
            "server": "mastodon.example",
        },
        **HTMX,
    )
    assert shown(response) == []
    assert counts(response) == {"visible": 2, "held": 0, "hidden": 0, "removed": 0}
    assert "No hidden replies match" in text(response)


def test_approving_twice_says_nothing_changed(as_user, creator, replies):
    client = as_user(creator.user)
    response = client.post(act_url(replies["kind"]), {"action": "approve"}, follow=True)
    assert "Nothing changed: that reply was shown already." in text(response)
    assert not AuditEntry.objects.exists()


def test_blocking_the_author_from_the_queue(as_user, creator, replies):
    response = as_user(creator.user).post(
        act_url(replies["spam"]), {"action": "block_author"}, follow=True
    )
    block = ActorBlock.objects.get()
    assert (block.creator, block.actor_uri) == (creator, replies["spam"].actor_uri)
    # Both of eve's replies are hidden.
    assert statuses(replies)["flood"] == statuses(replies)["spam"] == Status.HIDDEN
    assert "Blocked @eve@spam.example" in text(response)


def test_only_admins_block_a_server_from_the_queue(
    as_user, creator, admin_user, replies
):
    spam = replies["spam"]
    refused = as_user(creator.user).post(act_url(spam), {"action": "block_server"})
    assert refused.status_code == 403
    assert not DomainPolicy.objects.exists()
    assert "Block spam.example" not in text(as_user(creator.user).get(queue_url()))

    client = as_user(admin_user)
    assert "Block spam.example" in text(client.get(queue_url()))
    response = client.post(act_url(spam), {"action": "block_server"}, follow=True)
    policy = DomainPolicy.objects.get()
    assert (policy.domain, policy.severity) == ("spam.example", "suspend")
    assert "Blocked spam.example: everything from there is refused" in text(response)


def test_an_unknown_action_changes_nothing(as_user, creator, replies):
    response = as_user(creator.user).post(act_url(replies["spam"]), {"action": "eat"})
    assert response.status_code == 400
    assert statuses(replies)["spam"] == Status.HELD


def test_actions_take_post_only(as_user, creator, replies):
    assert as_user(creator.user).get(act_url(replies["spam"])).status_code == 405


# Bulk -------------------------------------------------------------------------------


def test_bulk_hide_changes_each_ticked_reply(as_user, creator, replies):
    ticked = [replies["spam"].pk, replies["new"].pk]
    response = as_user(creator.user).post(
        BULK,
        {"action": "hide", "reply": ticked, "creator": "alice", "status": "held"},
        **HTMX,
    )
    assert statuses(replies) == {
        "spam": Status.HIDDEN,
        "new": Status.HIDDEN,
        "flood": Status.HELD,
        "kind": Status.VISIBLE,
        "rude": Status.HIDDEN,
    }
    assert shown(response) == [replies["flood"].pk]
    assert counts(response)["hidden"] == 3
    assert "Hid 2 replies" in text(response)


def test_bulk_without_javascript_redirects_back(as_user, creator, replies):
    here = queue_url()
    response = as_user(creator.user).post(
        BULK,
        {"action": "approve", "reply": [replies["spam"].pk, replies["flood"].pk],
         "next": here, "creator": "alice"},
    )  # fmt: skip
    assert response.status_code == 302 and response["Location"] == here
    assert statuses(replies)["spam"] == statuses(replies)["flood"] == Status.VISIBLE


def test_bulk_with_nothing_ticked_says_so(as_user, creator, replies):
    response = as_user(creator.user).post(
        BULK, {"action": "hide", "creator": "alice"}, follow=True
    )
    assert "tick at least one reply first" in text(response)
    assert not AuditEntry.objects.exists()


def test_bulk_block_authors_blocks_each_account_once(as_user, creator, replies):
    as_user(creator.user).post(
        BULK,
        {"action": "block_author",
         "reply": [replies["spam"].pk, replies["flood"].pk, replies["new"].pk]},
    )  # fmt: skip
    assert sorted(ActorBlock.objects.values_list("actor_handle", flat=True)) == [
        "@ana@new.example",
        "@eve@spam.example",
    ]


def test_bulk_with_a_reply_of_another_tenant_changes_nothing(
    as_user, creator, other_creator, replies
):
    theirs = make_reply(published(other_creator, "Bob's"), status=Status.HELD)
    response = as_user(creator.user).post(
        BULK, {"action": "hide", "reply": [replies["spam"].pk, theirs.pk]}
    )
    assert response.status_code == 404
    assert statuses(replies)["spam"] == Status.HELD
    assert Reply.objects.get(pk=theirs.pk).status == Status.HELD


# Who may ------------------------------------------------------------------------------


def test_a_manager_the_creator_allowed_moderates_their_queue(
    as_user, creator, manager, replies
):
    client = as_user(manager)
    page = client.get(queue_url())
    assert page.status_code == 200 and "Moderation for" in text(page)
    client.post(act_url(replies["spam"]), {"action": "approve"})
    assert statuses(replies)["spam"] == Status.VISIBLE


def test_an_analyst_reads_nothing_here_and_changes_nothing(
    as_user, creator, analyst, replies
):
    client = as_user(analyst)
    assert client.get(queue_url()).status_code == 403
    for action in ("approve", "hide", "remove", "block_author"):
        assert (
            client.post(act_url(replies["spam"]), {"action": action}).status_code == 403
        )
    assert (
        client.post(BULK, {"action": "hide", "reply": [replies["spam"].pk]}).status_code
        == 403
    )
    report = reverse("moderation:reply-report", kwargs={"pk": replies["spam"].pk})
    assert client.post(report, {"replies": [replies["spam"].pk]}).status_code == 403
    assert statuses(replies)["spam"] == Status.HELD
    assert not AuditEntry.objects.exists() and not ActorBlock.objects.exists()
    assert not Report.objects.exists()


def test_another_tenant_gets_404_and_changes_nothing(
    as_user, creator, other_creator, replies
):
    client = as_user(other_creator.user)
    assert client.get(queue_url()).status_code == 404
    for action in ("approve", "hide", "remove", "block_author", "block_server"):
        assert (
            client.post(act_url(replies["spam"]), {"action": action}).status_code == 404
        )
    assert (
        client.post(
            BULK, {"action": "approve", "reply": [replies["spam"].pk]}
        ).status_code
        == 404
    )
    # Its own (empty) queue shows none of alice's replies.
    own = client.get(queue_url("bob"))
    assert shown(own) == [] and "Buy crypto now" not in text(own)
    assert statuses(replies)["spam"] == Status.HELD
    assert not AuditEntry.objects.exists()


def test_the_instance_queue_is_for_admins_only(
    as_user, creator, other_creator, admin_user, replies
):
    theirs = make_reply(
        published(other_creator, "Bob's"), "bob's spam", status=Status.HELD
    )
    url = reverse("moderation:instance-queue")
    assert as_user(creator.user).get(url).status_code == 403
    response = as_user(admin_user).get(url)
    assert set(shown(response)) == {
        replies["spam"].pk, replies["flood"].pk, replies["new"].pk, theirs.pk
    }  # fmt: skip
    assert "To <a href" in text(response)  # whose posts they answer


def test_an_admin_acting_in_the_instance_queue_gets_it_back(
    as_user, admin_user, replies
):
    response = as_user(admin_user).post(
        act_url(replies["spam"]), {"action": "remove", "creator": ""}, **HTMX
    )
    assert counts(response) == {"visible": 1, "held": 2, "hidden": 1, "removed": 1}


# Filing a report ---------------------------------------------------------------------


def test_a_creator_reports_replies_of_one_account(as_user, creator, replies):
    spam, flood = replies["spam"], replies["flood"]
    url = reverse("moderation:reply-report", kwargs={"pk": spam.pk})
    client = as_user(creator.user)
    page = text(client.get(url))
    # Every reply of that account to alice can be picked; the one chosen is.
    assert f'value="{spam.pk}" checked' in page and f'value="{flood.pk}"' in page
    assert "Also send a copy to the admins of spam.example" in page

    response = client.post(
        url,
        {"replies": [spam.pk, flood.pk], "comment": "Spam bot", "next": queue_url()},
    )

    assert response.status_code == 302 and response["Location"] == queue_url()
    report = Report.objects.get()
    assert report.reported_by == creator.user
    assert set(report.replies.all()) == {spam, flood}
    assert report.comment == "Spam bot" and report.forwarded_at is None
    assert "Reported 2 replies by @eve@spam.example" in text(client.get(queue_url()))


def test_a_report_forwarded_from_the_queue(as_user, creator, replies):
    url = reverse("moderation:reply-report", kwargs={"pk": replies["spam"].pk})
    as_user(creator.user).post(url, {"replies": [replies["spam"].pk], "forward": "on"})
    assert Report.objects.get().forwarded_at is not None


def test_a_report_needs_a_reply(as_user, creator, replies):
    url = reverse("moderation:reply-report", kwargs={"pk": replies["spam"].pk})
    response = as_user(creator.user).post(url, {"comment": "?"})
    assert response.status_code == 200
    assert "Choose at least one reply." in text(response)
    assert not Report.objects.exists()


def test_no_copy_goes_to_a_blocked_server(as_user, creator, replies):
    DomainPolicy.objects.create(domain="spam.example", severity="suspend")
    url = reverse("moderation:reply-report", kwargs={"pk": replies["spam"].pk})
    client = as_user(creator.user)
    assert "is blocked here: nothing is sent there" in text(client.get(url))
    client.post(url, {"replies": [replies["spam"].pk], "forward": "on"})
    assert Report.objects.get().forwarded_at is None
