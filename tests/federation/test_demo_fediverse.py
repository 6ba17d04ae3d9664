"""manage.py demo_fediverse: a laptop install has something to look at."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone

from analytics.models import Campaign, Interaction, Reply
from federation.models import Delivery
from followers.models import Follow
from posts.models import Post
from tests import factories


@pytest.fixture
def demo(db, settings):
    settings.DEBUG = True
    return factories.CreatorFactory(handle="demo")


def test_it_gives_the_creator_posts_followers_and_engagement(demo, client):
    call_command("demo_fediverse", verbosity=0)

    states = set(demo.posts.values_list("state", flat=True))
    assert states == {Post.State.PUBLISHED, Post.State.SCHEDULED, Post.State.DRAFT}
    assert demo.follows.filter(state=Follow.State.ACCEPTED).count() > 5
    assert demo.follows.filter(state=Follow.State.PENDING).count() == 1
    platforms = set(
        Interaction.objects.filter(creator=demo).values_list("software", flat=True)
    )
    assert {"mastodon", "threads", "misskey", "pixelfed"} <= platforms
    # Every kind of engagement the reports draw, quotes and reactions too.
    kinds = set(
        Interaction.objects.filter(creator=demo, post__isnull=False).values_list(
            "kind", flat=True
        )
    )
    assert kinds == {"like", "boost", "reply", "reaction", "quote"}
    assert Reply.objects.filter(creator=demo, is_quote=True).count() == 1
    # Nothing happened in the future (the feed would say "just now" beside
    # a time still to come).
    latest = Interaction.objects.filter(creator=demo).latest("occurred_at")
    assert latest.occurred_at <= timezone.now()
    assert Reply.objects.filter(creator=demo, parent__isnull=False).exists()
    # The moderation queue has something to show: spam the rules held.
    held = Reply.objects.filter(creator=demo, status="held")
    assert sorted(held.values_list("hold_reason", flat=True)) == [
        "Matches the filter list: “crypto”",
        "Only a link, with no words of its own",
    ]
    # Made-up servers are never contacted: each published post comes with
    # a history of deliveries, all done, nothing left for a worker to send.
    assert set(Delivery.objects.values_list("state", flat=True)) == {"delivered"}
    post = demo.posts.filter(state=Post.State.PUBLISHED).first()
    client.force_login(demo.user)
    progress = client.get(reverse("post-delivery", kwargs={"pk": post.pk}))
    assert "Delivered to 4 of 4 servers" in progress.content.decode()

    client.force_login(demo.user)
    feed = client.get(f"/dashboard/@{demo.handle}/notifications/")
    assert feed.status_code == 200
    assert "Threads" in feed.content.decode()
    report = client.get(reverse("analytics:creator", kwargs={"handle": "demo"}))
    assert report.status_code == 200
    for kind in ("Likes", "Boosts", "Replies", "Reactions", "Quotes"):
        assert f'"></span>{kind}</li>' in report.content.decode()


def test_two_demo_creators_each_count_their_followers(demo, client):
    """@demo and @nova share their made-up followers: each creator's
    analytics counts every accepted follow, as the Followers tab does, not
    0 for the second because the first took the follows' activity ids."""
    nova = factories.CreatorFactory(handle="nova")
    call_command("demo_fediverse", verbosity=0)
    call_command("demo_fediverse", handle="nova", verbosity=0)

    for creator in (demo, nova):
        accepted = creator.follows.filter(state=Follow.State.ACCEPTED).count()
        assert accepted > 5
        follows = Interaction.objects.filter(creator=creator, kind="follow")
        assert follows.count() == accepted
        client.force_login(creator.user)
        report = client.get(
            reverse("analytics:creator", kwargs={"handle": creator.handle})
        ).content.decode()
        assert f"+{accepted} / −0" in report, creator.handle


def test_a_second_run_leaves_the_demo_alone(demo):
    call_command("demo_fediverse", verbosity=0)
    before = Interaction.objects.count(), Reply.objects.count()
    call_command("demo_fediverse", verbosity=0)
    assert (Interaction.objects.count(), Reply.objects.count()) == before
    assert Reply.objects.filter(creator=demo, post__isnull=True).count() == 2


def test_it_refuses_to_run_in_production(demo, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("demo_fediverse")
    assert not demo.posts.exists()


def test_a_new_user_sees_a_campaign_report_at_once(demo, client):
    """The painting series is a campaign with a report; a second run brings
    it back without a duplicate."""
    call_command("demo_fediverse", verbosity=0)
    call_command("demo_fediverse", verbosity=0)

    campaign = Campaign.objects.get(creator=demo)
    assert campaign.posts.count() == 2  # the two #painting posts
    client.force_login(demo.user)
    page = client.get(reverse("analytics:campaign", kwargs={"pk": campaign.pk}))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Ten paintings in ten days" in text
    assert "followers of yours on the" in text
