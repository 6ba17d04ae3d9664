"""Campaigns: who sees and changes them, their report, sponsor links."""

from datetime import date, timedelta

import pytest
from django.core import signing
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from analytics import campaigns
from analytics.models import Reply
from federation.models import Delivery, OutboundActivity
from tests import factories
from tests.analytics.conftest import at, make_post, record
from tests.analytics.test_insights import _follower

pytestmark = pytest.mark.django_db


def _campaign(creator, posts, *, agency=None, by=None):
    return campaigns.campaign_create(
        by=by or creator.user,
        creator=creator,
        agency=agency,
        name="Spring launch",
        starts_on=date(2025, 3, 1),
        ends_on=date(2025, 3, 31),
        post_ids=[post.pk for post in posts],
    )


@pytest.fixture
def launch(creator):
    """Two campaign posts and one outside it, with March's engagement."""
    creator.time_zone = "UTC"
    creator.save()
    teaser = make_post(creator, published="2025-03-02 09:00")
    reveal = make_post(creator, published="2025-03-09 09:00")
    other = make_post(creator, published="2025-03-05 09:00")
    record(creator, "like", "bob", post=teaser, when="2025-03-02 10:00")
    record(creator, "like", "zoe", post=teaser, when="2025-03-02 11:00")
    record(creator, "boost", "kai", post=reveal, when="2025-03-09 10:00")
    record(creator, "reply", "ana", post=reveal, when="2025-03-09 12:00")
    record(creator, "like", "max", post=other, when="2025-03-05 10:00")
    record(creator, "like", "bob", post=reveal, when="2025-04-02 10:00")  # after
    record(creator, "follow", "kai", when="2025-03-10 10:00")  # for the reveal
    record(creator, "follow", "max", when="2025-03-06 10:00")  # for the other
    return _campaign(creator, [teaser, reveal]), teaser, reveal


def test_the_report_counts_the_campaigns_posts_during_its_days(launch):
    campaign, teaser, reveal = launch

    report = campaigns.campaign_report(campaign=campaign)

    assert report.counts.interactions == 4  # not the other post, not April
    assert (report.counts.likes, report.counts.boosts, report.counts.replies) == (
        2,
        1,
        1,
    )
    assert [(row.post, row.counts.interactions) for row in report.posts] == [
        (teaser, 2),
        (reveal, 2),
    ]
    assert [(row.label, row.counts.interactions) for row in report.platforms] == [
        ("Mastodon", 1),
        ("Misskey", 1),
        ("Pixelfed", 1),
        ("Threads", 1),
    ]


def test_the_report_attributes_followers_only_to_the_campaigns_posts(launch):
    campaign, _, reveal = launch

    report = campaigns.campaign_report(campaign=campaign)

    assert [(row.post, row.followers) for row in report.earned] == [(reveal, 1)]
    assert report.followers_earned == 1
    assert {row.post: row.followers_earned for row in report.posts}[reveal] == 1


def test_the_report_estimates_reach_over_all_the_posts(launch, creator):
    campaign, teaser, reveal = launch
    for n in range(3):
        _follower(creator, f"m{n}", "mastodon.social")
    _follower(creator, "t", "threads.net")
    for post, hosts in (
        (teaser, ["mastodon.social"]),
        (reveal, ["mastodon.social", "threads.net"]),
    ):
        activity = OutboundActivity.objects.create(
            ap_id=f"https://hub.example/{post.pk}",
            post=post,
            creator=creator,
            activity_type="Create",
            payload={},
        )
        for host in hosts:
            Delivery.objects.create(
                activity=activity,
                inbox_url=f"https://{host}/inbox",
                host=host,
                state=Delivery.State.DELIVERED,
            )

    report = campaigns.campaign_report(campaign=campaign)

    assert (report.reach.servers, report.reach.followers) == (2, 4)
    assert report.reach.boosters == 1
    assert [row.reach.followers for row in report.posts] == [3, 4]


def test_best_replies_are_the_shown_ones_with_the_most_answers(launch, creator):
    campaign, teaser, _ = launch

    def reply(n, *, status="visible", parent=None):
        return Reply.objects.create(
            ap_id=f"https://mastodon.social/notes/{n}",
            creator=creator,
            post=teaser,
            in_reply_to_uri="x",
            parent=parent,
            status=status,
            content_html=f"<p>reply {n}</p>",
            actor_uri=f"https://mastodon.social/users/u{n}",
            instance_domain="mastodon.social",
            published_at=at(f"2025-03-0{n} 12:00"),
        )

    quiet, talked_about, hidden = reply(3), reply(4), reply(5, status="held")
    reply(6, parent=talked_about)
    reply(7, parent=talked_about)

    best = campaigns.campaign_report(campaign=campaign).best_replies

    assert (best[0].reply, best[0].answers) == (talked_about, 2)
    assert hidden not in [row.reply for row in best]
    assert quiet in [row.reply for row in best]


def test_only_the_creators_own_posts_can_be_in_a_campaign(creator, other_creator):
    theirs = make_post(other_creator)
    with pytest.raises(Exception, match="own posts"):
        _campaign(creator, [theirs])


# Who sees and changes ------------------------------------------------------------


def test_an_agency_campaign_is_seen_by_its_members_and_the_creator_only(
    creator, manager
):
    [agency] = campaigns.agencies_running_for(manager, creator)
    campaign = _campaign(creator, [], agency=agency, by=manager)
    rival = factories.AgencyFactory(slug="rival")
    rival_analyst = factories.MembershipFactory(agency=rival, role="analyst").user
    factories.AgencyAccessFactory(creator=creator, agency=rival)

    assert campaigns.get_visible_campaign_or_404(creator.user, campaign.pk)
    assert campaigns.get_visible_campaign_or_404(manager, campaign.pk)
    with pytest.raises(Http404):
        campaigns.get_visible_campaign_or_404(rival_analyst, campaign.pk)


def test_analysts_read_campaigns_but_may_not_run_them(creator, agency_with_analyst):
    agency, analyst = agency_with_analyst
    assert campaigns.agencies_running_for(analyst, creator) == []
    with pytest.raises(PermissionError):
        _campaign(creator, [], agency=agency, by=analyst)
    campaign = _campaign(creator, [])
    assert campaigns.get_visible_campaign_or_404(analyst, campaign.pk) == campaign
    assert not campaigns.can_change_campaign(analyst, campaign)


# Sponsor links ---------------------------------------------------------------------


def test_a_sponsor_link_opens_until_it_expires(creator):
    campaign = _campaign(creator, [])
    link, token = campaigns.sponsor_link_create(
        by=creator.user, campaign=campaign, days=7
    )
    assert campaigns.sponsor_link_open(token) == link
    later = timezone.now() + timedelta(days=7, minutes=1)
    with pytest.raises(campaigns.SponsorLinkClosed, match="expired"):
        campaigns.sponsor_link_open(token, now=later)


def test_a_revoked_sponsor_link_no_longer_opens(creator):
    campaign = _campaign(creator, [])
    link, token = campaigns.sponsor_link_create(by=creator.user, campaign=campaign)
    campaigns.sponsor_link_revoke(by=creator.user, link=link)
    with pytest.raises(campaigns.SponsorLinkClosed, match="revoked"):
        campaigns.sponsor_link_open(token)


@pytest.mark.parametrize(
    "tamper",
    [
        lambda token: token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
        lambda token: signing.dumps({"link": 1}, salt="another-purpose"),
        lambda token: "not-a-token",
    ],
    ids=["changed", "signed-for-something-else", "made-up"],
)
def test_a_tampered_sponsor_link_is_not_found(creator, tamper):
    campaign = _campaign(creator, [])
    _, token = campaigns.sponsor_link_create(by=creator.user, campaign=campaign)
    with pytest.raises(Http404):
        campaigns.sponsor_link_open(tamper(token))


def test_the_report_takes_the_same_queries_for_two_posts_or_ten(creator):
    def queries_for(n: int) -> int:
        posts = [make_post(creator, published="2025-03-02 09:00") for _ in range(n)]
        for post in posts:
            record(creator, "like", "bob", post=post, when="2025-03-03 10:00")
            record(creator, "boost", "zoe", post=post, when="2025-03-03 10:00")
        campaign = _campaign(creator, posts)
        with CaptureQueriesContext(connection) as captured:
            campaigns.campaign_report(campaign=campaign)
        return len(captured)

    assert queries_for(2) == queries_for(10) <= 10
