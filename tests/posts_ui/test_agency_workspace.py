"""The agency workspace as people use it: scopes, approvals, what the team
did, switching creators and the agency calendar."""

import datetime
import html

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from posts import services
from posts.models import Post
from tests import factories
from tests.posts_ui.conftest import compose_data, page_text


@pytest.fixture
def northwind(db):
    return factories.AgencyFactory(name="Northwind", slug="northwind")


@pytest.fixture
def grant(db, creator, northwind):
    """Alice lets Northwind draft posts for her approval, nothing more."""
    return factories.AgencyAccessFactory(
        creator=creator, agency=northwind, draft_posts=True
    )


@pytest.fixture
def sam(db, northwind, grant):
    return factories.MembershipFactory(
        agency=northwind,
        role="manager",
        user__username="sam",
        user__first_name="Sam",
    ).user


@pytest.fixture
def sam_client(sam):
    client = Client()
    client.force_login(sam)
    return client


def a_draft(creator, by, body="Spring collection drop on Friday"):
    return services.post_save_draft(
        creator=creator, by=by, data=services.PostInput(body=body)
    )


def text_of(response) -> str:
    return html.unescape(page_text(response))


def detail(post) -> str:
    return reverse("posts:detail", kwargs={"pk": post.pk})


# Scopes -------------------------------------------------------------------------


def test_the_agency_access_page_says_what_each_scope_lets_the_agency_do(
    alice_client, grant
):
    text = text_of(alice_client.get(reverse("agency_access")))
    assert "Draft posts for my approval: write and schedule posts" in text
    assert "Publish and schedule: post, schedule, edit and delete posts" in text
    assert "Answer replies to my posts in my name." in text
    assert 'type="checkbox" name="scopes" value="draft_posts"' in text


def test_a_manager_without_the_publish_scope_is_refused_and_nothing_goes_out(
    creator, sam, sam_client
):
    post = a_draft(creator, sam)
    assert sam_client.post(reverse("posts:publish", args=[post.pk])).status_code == (
        403
    )
    response = sam_client.post(
        reverse("posts:compose", kwargs={"handle": "alice"}),
        compose_data(body="Out now!", action="publish"),
    )
    assert response.status_code == 403
    post.refresh_from_db()
    assert post.state == Post.State.DRAFT
    assert not Post.objects.filter(state=Post.State.PUBLISHED).exists()
    assert not Post.objects.filter(body="Out now!").exists()
    # The page offers what Sam may do: send it for approval, not publish.
    text = text_of(sam_client.get(detail(post)))
    assert "Send for approval" in text
    assert "Publish now" not in text


def test_an_analyst_cannot_draft_or_answer(creator, analyst):
    client = Client()
    client.force_login(analyst)
    compose = reverse("posts:compose", kwargs={"handle": "alice"})
    assert client.get(compose).status_code == 403
    assert client.post(compose, compose_data()).status_code == 403
    assert not Post.objects.exists()


def test_a_revoked_scope_stops_an_open_session_at_once(
    alice_client, creator, sam, sam_client, grant
):
    post = a_draft(creator, sam)
    edit = reverse("posts:edit", kwargs={"pk": post.pk})
    assert sam_client.get(edit).status_code == 200
    alice_client.post(
        reverse("agency_access_scopes", args=[grant.pk]),
        {"scopes": ["read_analytics"]},
    )
    # Sam's session is the same one; the next request is refused.
    assert sam_client.get(edit).status_code == 403
    assert sam_client.post(reverse("posts:submit", args=[post.pk])).status_code == (403)
    post.refresh_from_db()
    assert post.state == Post.State.DRAFT


def test_a_member_of_another_agency_gets_404(creator, sam, other_creator):
    """Rival's manager acting on Alice's post, or Alice's agency's calendar."""
    rival = factories.AgencyFactory(name="Rival", slug="rival")
    factories.AgencyAccessFactory(creator=other_creator, agency=rival, all_scopes=True)
    eve = factories.MembershipFactory(agency=rival, role="owner").user
    client = Client()
    client.force_login(eve)
    post = services.post_submit_for_approval(post=a_draft(creator, sam), by=sam)
    for url in (
        detail(post),
        reverse("posts:submit", args=[post.pk]),
        reverse("posts:approve", args=[post.pk]),
        reverse("posts:send-back", args=[post.pk]),
        reverse("posts:publish", args=[post.pk]),
    ):
        method = client.get if url == detail(post) else client.post
        assert method(url).status_code == 404, url
    assert (
        client.get(
            reverse("posts:agency-calendar", kwargs={"slug": "northwind"})
        ).status_code
        == 404
    )
    post.refresh_from_db()
    assert post.state == Post.State.PENDING_APPROVAL


# Approval -----------------------------------------------------------------------


def test_approval_end_to_end(
    alice_client, creator, sam, sam_client, django_capture_on_commit_callbacks
):
    """Sam sends a post for 10:00 tomorrow; Alice is told in her dashboard,
    her notifications and by e-mail; she approves; it goes out at 10:00."""
    post = a_draft(creator, sam)
    goes_out = timezone.now() + datetime.timedelta(days=1)
    Post.objects.filter(pk=post.pk).update(scheduled_at=goes_out)
    with django_capture_on_commit_callbacks(execute=True):
        response = sam_client.post(reverse("posts:submit", args=[post.pk]))
    assert response.status_code == 302
    post.refresh_from_db()
    assert post.state == Post.State.PENDING_APPROVAL
    assert [m.to for m in mail.outbox] == [[creator.user.email]]
    assert "Sam at Northwind wrote a post for your approval" in mail.outbox[0].subject

    team = text_of(alice_client.get(reverse("posts:team-activity")))
    assert "Waiting for your approval" in team
    assert "Spring collection drop on Friday" in team
    notes = text_of(
        alice_client.get(reverse("inbox:notifications", kwargs={"handle": "alice"}))
    )
    assert "Posts waiting for your approval" in notes
    queue = text_of(alice_client.get(reverse("posts:queue", args=["alice"])))
    assert "Waiting for approval" in queue
    assert "written for you by your agencies" in queue
    page = text_of(alice_client.get(detail(post)))
    assert "Waiting for your approval" in page
    assert "Sam at Northwind sent it" in page

    response = alice_client.post(
        reverse("posts:approve", args=[post.pk]),
        {"version": post.version},
        follow=True,
    )
    assert "Approved. Scheduled for" in text_of(response)
    post.refresh_from_db()
    assert post.state == Post.State.SCHEDULED
    assert services.publish_due_posts(now=goes_out) == 1
    post.refresh_from_db()
    assert post.state == Post.State.PUBLISHED
    assert post.published_at == goes_out


def test_approving_a_post_changed_since_it_was_shown_is_refused(
    alice_client, creator, sam
):
    post = services.post_submit_for_approval(post=a_draft(creator, sam), by=sam)
    shown = post.version
    services.post_save_draft(
        creator=creator,
        by=sam,
        data=services.PostInput(body="Spring drop moved to Saturday"),
        post=post,
    )
    response = alice_client.post(
        reverse("posts:approve", args=[post.pk]), {"version": shown}, follow=True
    )
    text = text_of(response)
    assert services.CHANGED_SINCE_SHOWN in text
    # What she sees now is the latest version, marked as changed.
    assert "Spring drop moved to Saturday" in text
    assert "Changed since it was sent for approval" in text
    post.refresh_from_db()
    assert post.state == Post.State.PENDING_APPROVAL


def test_sent_back_the_manager_reads_the_comment_and_resubmits(
    alice_client, creator, sam, sam_client
):
    post = services.post_submit_for_approval(post=a_draft(creator, sam), by=sam)
    alice_client.post(
        reverse("posts:send-back", args=[post.pk]),
        {"comment": "Say Saturday, not Friday."},
    )
    text = text_of(sam_client.get(detail(post)))
    assert "@alice sent this back:" in text
    assert "Say Saturday, not Friday." in text
    assert "Send for approval again" in text
    sam_client.post(reverse("posts:submit", args=[post.pk]))
    post.refresh_from_db()
    assert post.state == Post.State.PENDING_APPROVAL


def test_the_post_page_says_what_the_agency_did_for_the_creator(
    alice_client, creator, sam
):
    post = services.post_submit_for_approval(post=a_draft(creator, sam), by=sam)
    text = text_of(alice_client.get(detail(post)))
    assert "Sent for approval by Sam at Northwind for @alice, " in text
    assert "Drafted by Sam at Northwind for @alice, " in text
    assert "Written by</dt><dd>Sam at Northwind" in text
    team = text_of(alice_client.get(reverse("posts:team-activity")))
    assert "Team activity" in team
    assert "Sent for approval by Sam at Northwind for @alice" in team


# Switching creators ---------------------------------------------------------------


def test_switching_creators_from_the_header(creator, other_creator, northwind):
    """Alice also works at Northwind, which manages Bob: she switches to Bob
    without logging out, and pages named by a handle keep working."""
    factories.MembershipFactory(agency=northwind, user=creator.user, role="manager")
    factories.AgencyAccessFactory(
        creator=other_creator, agency=northwind, all_scopes=True
    )
    client = Client()
    client.force_login(creator.user)
    text = text_of(client.get(reverse("dashboard")))
    assert 'name="handle" id="id_current_creator"' in text
    assert f'<option value="alice" selected>{creator.name} (you)</option>' in text

    response = client.post(
        reverse("switch_creator"),
        {"handle": "bob", "next": reverse("posts:queue", kwargs={"handle": "alice"})},
    )
    assert response.url == reverse("posts:queue", kwargs={"handle": "bob"})
    assert client.get(reverse("posts:index")).url == reverse(
        "posts:queue", kwargs={"handle": "bob"}
    )
    text = text_of(client.get(reverse("dashboard")))
    assert '<option value="bob" selected>' in text
    # Notifications and analytics open on Bob too.
    assert client.get(reverse("inbox:index")).url == reverse(
        "inbox:notifications", kwargs={"handle": "bob"}
    )
    assert client.get(reverse("analytics:index")).url == reverse(
        "analytics:creator", kwargs={"handle": "bob"}
    )
    # A page about Alice is still about Alice, and says so in the header.
    response = client.get(reverse("posts:queue", kwargs={"handle": "alice"}))
    assert response.status_code == 200
    assert '<option value="alice" selected>' in text_of(response)
    alices = factories.PostFactory(creator=creator)
    response = client.get(detail(alices))
    assert '<option value="alice" selected>' in text_of(response)


def test_a_creator_without_agencies_has_no_team_section(alice_client):
    response = alice_client.get(reverse("posts:team-activity"))
    assert response.status_code == 200
    assert response.content == b""


def test_switching_to_a_creator_one_may_not_see_is_404(creator, other_creator):
    client = Client()
    client.force_login(creator.user)
    assert client.post(reverse("switch_creator"), {"handle": "bob"}).status_code == (
        404
    )


# The agency calendar --------------------------------------------------------------


def test_the_agency_calendar_shows_every_creators_posts_and_filters(
    creator, other_creator, northwind, sam, sam_client
):
    factories.AgencyAccessFactory(
        creator=other_creator, agency=northwind, all_scopes=True
    )
    when = timezone.now() + datetime.timedelta(hours=2)
    pending = a_draft(creator, sam, body="Alice's pending post")
    services.post_submit_for_approval(post=pending, by=sam, publish_at=when)
    scheduled = a_draft(other_creator, sam, body="Bob's scheduled post")
    services.post_schedule(post=scheduled, by=sam, publish_at=when)
    url = reverse("posts:agency-calendar", kwargs={"slug": "northwind"})

    text = text_of(sam_client.get(url, {"date": when.date().isoformat()}))
    assert "Alice's pending post" in text
    assert "Bob's scheduled post" in text
    assert "chip-pending_approval" in text
    text = text_of(
        sam_client.get(url, {"date": when.date().isoformat(), "creator": "bob"})
    )
    assert "Bob's scheduled post" in text
    assert "Alice's pending post" not in text


def test_without_the_read_analytics_scope_the_reports_are_closed(
    creator, sam, sam_client, grant
):
    """Alice lets Northwind draft, not read her numbers: Sam still writes
    for her, and her reports answer 404."""
    report = reverse("analytics:creator", kwargs={"handle": "alice"})
    assert sam_client.get(report).status_code == 200
    grant.read_analytics = False
    grant.save()
    assert sam_client.get(report).status_code == 404
    compose = reverse("posts:compose", kwargs={"handle": "alice"})
    assert sam_client.get(compose).status_code == 200


def test_answering_and_moderating_replies_show_in_team_activity(
    alice_client, creator, sam, grant
):
    """With those scopes Sam answers one reply and hides another; Alice reads
    both in her Team activity. Without them he is refused."""
    from django.core.exceptions import PermissionDenied

    from moderation import services as moderation
    from tests.moderation.conftest import make_reply, published

    post = published(creator, "New prints are up")
    question = make_reply(post, "Do you ship to Canada?", who="ann")
    spam = make_reply(post, "Buy followers now", who="eve")
    with pytest.raises(PermissionDenied):
        services.post_answer_reply(
            creator=creator,
            by=sam,
            in_reply_to_uri=question.ap_id,
            reply_author_handle="ann@spam.example",
            body="Yes!",
        )
    with pytest.raises(PermissionDenied):
        moderation.reply_hide(reply=spam, by=sam)

    grant.answer_replies = grant.moderate_replies = True
    grant.save()
    services.post_answer_reply(
        creator=creator,
        by=sam,
        in_reply_to_uri=question.ap_id,
        reply_author_handle="ann@spam.example",
        body="Yes, we ship worldwide!",
    )
    moderation.reply_hide(reply=spam, by=sam)

    team = text_of(alice_client.get(reverse("posts:team-activity")))
    assert "Answered a reply by Sam at Northwind for @alice" in team
    assert "Moderated a reply by Sam at Northwind for @alice" in team
    assert "hid a reply by @eve@spam.example" in team
