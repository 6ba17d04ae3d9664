"""The dashboard home's sections: a creator's week and an admin's queues."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from analytics import services as analytics
from analytics.models import Reply
from analytics.services import Author
from federation import selectors
from federation.models import (
    Delivery,
    InboundActivity,
    OutboxJob,
    RemoteInstance,
)
from federation.protocol import notes
from moderation.models import Report
from tests import factories
from tests.federation.test_delivery_status import queue

pytestmark = pytest.mark.django_db


def interaction(creator, kind, who, *, post=None, ago=timedelta(hours=1)):
    analytics.interaction_record(
        creator=creator,
        kind=kind,
        activity_id=f"https://social.example/activities/{kind}/{who}/{ago}",
        author=Author(
            actor_uri=f"https://social.example/users/{who}",
            handle=f"@{who}@social.example",
            domain="social.example",
        ),
        post=post,
        occurred_at=timezone.now() - ago,
    )


def reply(post, number, *, status=Reply.Status.VISIBLE, received_ago=None):
    return Reply.objects.create(
        ap_id=f"https://social.example/users/fan{number}/statuses/{number}",
        creator=post.creator,
        post=post,
        in_reply_to_uri=notes.note_url(post),
        actor_uri=f"https://social.example/users/fan{number}",
        actor_name=f"Fan {number}",
        instance_domain="social.example",
        content_html=f"<p>Question number {number}</p>",
        status=status,
        received_at=timezone.now() - (received_ago or timedelta(minutes=number)),
    )


# A creator's home ---------------------------------------------------------------


def test_this_weeks_interactions_and_new_followers(alice):
    post = factories.PostFactory(creator=alice, published=True)
    interaction(alice, "like", "ann", post=post)
    interaction(alice, "boost", "ben", post=post)
    interaction(alice, "like", "old", post=post, ago=timedelta(days=10))
    interaction(alice, "follow", "cat")
    interaction(alice, "follow", "dan", ago=timedelta(days=2))
    interaction(alice, "follow", "eve", ago=timedelta(days=9))

    week = selectors.creator_home(alice).week

    assert week.interactions == 2
    assert week.follows == 2


def test_the_next_scheduled_posts_soonest_first(alice):
    now = timezone.now()
    for hours in (30, 2, 10, 50):
        factories.PostFactory(
            creator=alice,
            body=f"In {hours} hours",
            state="scheduled",
            scheduled_at=now + timedelta(hours=hours),
        )

    scheduled = selectors.creator_home(alice).scheduled

    assert [post.body for post in scheduled] == [
        "In 2 hours",
        "In 10 hours",
        "In 30 hours",
    ]


def test_replies_waiting_for_an_answer_leave_out_answered_and_held_ones(alice):
    post = factories.PostFactory(creator=alice, published=True)
    waiting = [reply(post, number) for number in range(1, 8)]
    answered = reply(post, 8)
    factories.PostFactory(creator=alice, published=True, in_reply_to_uri=answered.ap_id)
    reply(post, 9, status=Reply.Status.HELD)

    home = selectors.creator_home(alice)

    assert home.replies_waiting == 7
    assert home.replies == waiting[:5]  # newest first


def test_delivery_problems_list_recent_posts_not_delivered_everywhere(alice):
    done = factories.PostFactory(creator=alice, published=True, body="All there")
    activity = queue(done, ["https://a.example/inbox"], number=1)
    Delivery.objects.filter(activity=activity).update(state="delivered")
    failed = factories.PostFactory(creator=alice, published=True, body="Half there")
    activity = queue(
        failed, ["https://a.example/inbox", "https://b.example/inbox"], number=2
    )
    Delivery.objects.filter(activity=activity, host="a.example").update(
        state="delivered"
    )
    Delivery.objects.filter(activity=activity, host="b.example").update(
        state="gave_up", attempts=12
    )
    old = factories.PostFactory(
        creator=alice,
        published=True,
        published_at=timezone.now() - timedelta(days=30),
    )
    activity = queue(old, ["https://b.example/inbox"], number=3)
    Delivery.objects.filter(activity=activity).update(state="gave_up", attempts=12)

    problems = selectors.creator_home(alice).delivery_problems

    assert [(post.pk, badge.words) for post, badge in problems] == [
        (failed.pk, "Not everywhere")
    ]


def test_the_creator_fragment_shows_the_week_and_links_to_act(alice, client):
    post = factories.PostFactory(creator=alice, published=True, body="Half there")
    activity = queue(post, ["https://b.example/inbox"], number=1)
    Delivery.objects.filter(activity=activity).update(state="gave_up", attempts=12)
    waiting = reply(post, 1)
    interaction(alice, "follow", "cat")
    client.force_login(alice.user)

    page = client.get(reverse("home-creator")).content.decode()

    assert '<span class="stat-value" id="home-new-followers">1</span>' in page
    assert reverse("inbox:reply-answer", kwargs={"pk": waiting.pk}) in page
    assert "Question number 1" in page
    assert f"{reverse('posts:detail', kwargs={'pk': post.pk})}#delivery-heading" in page
    assert "Not everywhere" in page


def test_a_waiting_reply_shows_when_it_was_written_as_the_inbox_does(alice, client):
    """One time for a reply everywhere (issue 15, item 3): the home shows
    when it was written, as notifications and the thread do, not when it
    reached us."""
    post = factories.PostFactory(creator=alice, published=True, body="Hello")
    waiting = reply(post, 1, received_ago=timedelta(minutes=1))
    waiting.published_at = timezone.now() - timedelta(minutes=80)
    waiting.save(update_fields=["published_at"])
    client.force_login(alice.user)

    home = client.get(reverse("home-creator")).content.decode()
    notifications = client.get(
        reverse("inbox:notifications", kwargs={"handle": alice.handle}) + "?kind=reply"
    ).content.decode()

    written = re.search(r"<time [^>]*>1 h ago · [^<]+</time>", home)
    assert written, home
    assert written.group(0) in notifications
    assert "1 min ago" not in home


def test_the_creator_fragment_is_for_creators_only(client, agency_with_analyst):
    _, analyst = agency_with_analyst
    client.force_login(analyst)
    assert client.get(reverse("home-creator")).status_code == 404


# An admin's home ----------------------------------------------------------------


def test_held_replies_are_counted_for_the_moderation_queue(alice, admin_user):
    post = factories.PostFactory(creator=alice, published=True)
    reply(post, 1, status=Reply.Status.HELD)
    reply(post, 2, status=Reply.Status.HELD)
    reply(post, 3)
    assert selectors.admin_home(user=admin_user).held_replies == 2


def test_open_reports_are_counted(alice, admin_user):
    Report.objects.create(creator=alice, status=Report.Status.OPEN)
    Report.objects.create(creator=alice, status=Report.Status.RESOLVED)
    assert selectors.admin_home(user=admin_user).open_reports == 1


def test_servers_marked_unavailable_longest_first(admin_user):
    now = timezone.now()
    RemoteInstance.objects.create(domain="late.example", unavailable_since=now)
    RemoteInstance.objects.create(
        domain="long.example", unavailable_since=now - timedelta(days=3)
    )
    RemoteInstance.objects.create(domain="fine.example")

    home = selectors.admin_home(user=admin_user)

    assert [domain for domain, _ in home.unavailable] == [
        "long.example",
        "late.example",
    ]
    assert home.unavailable_total == 2


def test_servers_failing_lately_worst_first(alice, admin_user):
    post = factories.PostFactory(creator=alice, published=True)
    inboxes = [
        "https://bad.example/users/a/inbox",
        "https://bad.example/users/b/inbox",
        "https://flaky.example/inbox",
        "https://good.example/inbox",
        "https://old.example/inbox",
    ]
    activity = queue(post, inboxes, number=1)
    rows = Delivery.objects.filter(activity=activity)
    rows.filter(host="bad.example").update(state="gave_up", attempts=12)
    rows.filter(host="flaky.example").update(state="failed", attempts=2)
    rows.filter(host="good.example").update(state="delivered", attempts=1)
    rows.filter(host="old.example").update(
        state="gave_up", attempts=12, created_at=timezone.now() - timedelta(days=3)
    )

    home = selectors.admin_home(user=admin_user)

    assert home.failing == [("bad.example", 2), ("flaky.example", 1)]


def test_deliveries_due_and_the_lag_of_the_oldest(alice, admin_user):
    post = factories.PostFactory(creator=alice, published=True)
    activity = queue(post, [f"https://s{n}.example/inbox" for n in range(4)])
    now = timezone.now()
    rows = Delivery.objects.filter(activity=activity)
    rows.filter(host="s0.example").update(next_attempt_at=now - timedelta(minutes=30))
    rows.filter(host="s1.example").update(next_attempt_at=now - timedelta(minutes=5))
    rows.filter(host="s2.example").update(
        state="failed", next_attempt_at=now + timedelta(hours=1)
    )
    rows.filter(host="s3.example").update(
        state="delivered", next_attempt_at=now - timedelta(hours=5)
    )

    home = selectors.admin_home(user=admin_user, now=now)

    assert home.deliveries_due == 2
    assert home.delivery_lag == timedelta(minutes=30)


def test_no_deliveries_due_means_no_lag(admin_user):
    home = selectors.admin_home(user=admin_user)
    assert home.deliveries_due == 0
    assert home.delivery_lag is None


def test_outbox_jobs_that_never_reached_the_queue(alice, admin_user):
    OutboxJob.objects.create(action="post.create")
    OutboxJob.objects.create(action="post.create")
    OutboxJob.objects.create(action="post.create", enqueued_at=timezone.now())
    OutboxJob.objects.create(action="post.create", state=OutboxJob.State.DONE)
    assert selectors.admin_home(user=admin_user).outbox_waiting == 2


def test_inbox_activities_waiting_and_the_oldests_age(admin_user):
    now = timezone.now()
    for number, (state, age) in enumerate(
        [
            ("queued", timedelta(minutes=12)),
            ("queued", timedelta(minutes=1)),
            ("processed", timedelta(hours=2)),
        ]
    ):
        InboundActivity.objects.create(
            ap_id=f"https://social.example/activities/{number}",
            activity_type="Like",
            actor_uri="https://social.example/users/fan",
            payload={},
            state=state,
            received_at=now - age,
        )

    home = selectors.admin_home(user=admin_user, now=now)

    assert home.inbox_waiting == 2
    assert home.inbox_oldest == timedelta(minutes=12)


def test_recent_sign_ups_newest_first(admin_user):
    now = timezone.now()
    for days, name in [(3, "older"), (1, "newer")]:
        user = factories.UserFactory(username=name)
        user.date_joined = now - timedelta(days=days)
        user.save()
    admin_user.date_joined = now - timedelta(days=30)
    admin_user.save()

    signups = selectors.admin_home(user=admin_user).signups

    assert [user.username for user in signups] == ["newer", "older", "admin"]


def test_the_admin_fragment_links_to_act(alice, admin_user, client):
    post = factories.PostFactory(creator=alice, published=True)
    reply(post, 1, status=Reply.Status.HELD)
    client.force_login(admin_user)

    page = client.get(reverse("home-admin")).content.decode()

    assert '<span class="stat-value" id="admin-held">1</span>' in page
    assert reverse("moderation:instance-queue") in page
    assert reverse("moderation:reports") in page
    assert reverse("admin:accounts_user_change", args=[alice.user.pk]) in page


def test_the_admin_fragment_is_for_admins_only(alice, client):
    client.force_login(alice.user)
    assert client.get(reverse("home-admin")).status_code == 404
