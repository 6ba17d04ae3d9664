"""The agency-wide campaign list: every campaign across the creators an
agency reads, for its owners, managers and analysts, and nobody else's."""

from datetime import date

import pytest
from django.urls import reverse

from analytics import campaigns
from analytics.models import Campaign
from tests import factories
from tests.analytics.conftest import record
from tests.analytics_ui.conftest import make_post

pytestmark = pytest.mark.django_db


def _campaign(creator, name, posts, *, agency=None, by=None):
    return campaigns.campaign_create(
        by=by or creator.user,
        creator=creator,
        agency=agency,
        name=name,
        starts_on=date(2025, 3, 1),
        ends_on=date(2025, 3, 31),
        post_ids=[post.pk for post in posts],
    )


@pytest.fixture
def bright(creator, agency, march):
    """Bright (analyst; owner olga, manager mia) reads alice and carol: alice
    runs "Mural week" herself, Bright runs "Carol's launch". Rival, also
    working for alice, runs "Rival push"; dan works with Rival only; erin
    lets Bright publish but not read her numbers."""
    bright, analyst = agency
    mural, sketch = march
    olga = factories.MembershipFactory(
        agency=bright, role="owner", user__username="olga"
    ).user
    mia = factories.MembershipFactory(
        agency=bright, role="manager", user__username="mia"
    ).user
    carol = bright.creator_grants.get(creator__handle="carol").creator
    carol_post = carol.posts.get()
    rival = factories.AgencyFactory(name="Rival", slug="rival")
    rival_manager = factories.MembershipFactory(
        agency=rival, role="manager", user__username="rick"
    ).user
    factories.AgencyAccessFactory(creator=creator, agency=rival)
    dan = factories.CreatorFactory(handle="dan", user__username="dan")
    factories.AgencyAccessFactory(creator=dan, agency=rival)
    erin = factories.CreatorFactory(handle="erin", user__username="erin")
    factories.AgencyAccessFactory(
        creator=erin, agency=bright, read_analytics=False, publish_posts=True
    )
    erin_post = make_post(erin, published="2025-03-12 10:00")
    return {
        "agency": bright,
        "analyst": analyst,
        "owner": olga,
        "manager": mia,
        "rival_manager": rival_manager,
        "mural_week": _campaign(creator, "Mural week", [mural, sketch]),
        "carol_launch": _campaign(
            carol, "Carol's launch", [carol_post], agency=bright, by=mia
        ),
        "rival_push": _campaign(
            creator, "Rival push", [mural], agency=rival, by=rival_manager
        ),
        "dan_own": _campaign(
            dan, "Dan's bakery week", [make_post(dan, published="2025-03-02 10:00")]
        ),
        "erin_own": _campaign(erin, "Erin's secret", [erin_post]),
    }


def url(agency) -> str:
    return reverse("analytics:agency-campaigns", kwargs={"slug": agency.slug})


@pytest.mark.parametrize("role", ["owner", "manager", "analyst"])
def test_every_member_sees_the_agencys_campaigns_and_no_other(client, bright, role):
    client.force_login(bright[role])

    page = client.get(url(bright["agency"]))

    assert page.status_code == 200
    text = page.content.decode()
    for name in ("Mural week", "Carol&#x27;s launch"):
        assert name in text
    for name in ("Rival push", "Dan&#x27;s bakery week", "Erin&#x27;s secret"):
        assert name not in text
    for key in ("mural_week", "carol_launch"):
        report = reverse("analytics:campaign", kwargs={"pk": bright[key].pk})
        assert f'href="{report}"' in text
        # The report the list links to opens for this member too.
        assert client.get(report).status_code == 200
    assert "@alice" in text and "@carol" in text
    assert "Run by Bright Agency" in text and "The creator's own" in text
    assert "1 Mar 2025" in text and "31 Mar 2025" in text


def test_posts_and_interactions_are_the_reports_own_numbers(client, bright):
    client.force_login(bright["analyst"])

    page = client.get(url(bright["agency"]))

    rows = {row["campaign"].name: row for row in page.context["rows"]}
    for key in ("mural_week", "carol_launch"):
        campaign = bright[key]
        report = campaigns.campaign_report(campaign=campaign)
        row = rows[campaign.name]
        assert row["interactions"] == report.counts.interactions
        assert row["campaign"].post_count == len(report.posts)
    # Mural week: the mural's 3 likes, boost and reply and the sketch's like
    # in March; February's like is outside its days.
    assert rows["Mural week"]["interactions"] == 6
    assert rows["Carol's launch"]["interactions"] == 5


def test_an_interaction_outside_a_campaigns_days_does_not_count(client, bright):
    carol_post = bright["carol_launch"].posts.get()
    record(carol_post.creator, "like", "max", post=carol_post, when="2025-04-01 00:30")
    client.force_login(bright["manager"])

    rows = client.get(url(bright["agency"])).context["rows"]

    assert {r["campaign"].name: r["interactions"] for r in rows}["Carol's launch"] == 5


def test_another_agencys_member_and_strangers_get_404(client, bright):
    client.force_login(bright["rival_manager"])
    assert client.get(url(bright["agency"])).status_code == 404
    # Their own agency's list has their campaign, not Bright's.
    own = client.get(url(bright["rival_manager"].agency_memberships.get().agency))
    assert "Rival push" in own.content.decode()
    assert "Carol&#x27;s launch" not in own.content.decode()

    client.force_login(factories.UserFactory(username="nobody"))
    assert client.get(url(bright["agency"])).status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(client, bright):
    response = client.get(url(bright["agency"]))
    assert response.status_code == 302
    assert "/login/" in response.url


def test_a_creator_who_takes_analytics_back_leaves_the_list(client, bright):
    grant = bright["agency"].creator_grants.get(creator__handle="carol")
    grant.read_analytics = False
    grant.save(update_fields=["read_analytics"])
    client.force_login(bright["manager"])

    text = client.get(url(bright["agency"])).content.decode()

    assert "Carol&#x27;s launch" not in text
    assert "Mural week" in text


def test_the_list_costs_the_same_few_queries_however_long(
    client, bright, creator, django_assert_max_num_queries
):
    mural = bright["mural_week"].posts.order_by("pk").first()
    for number in range(20):
        _campaign(creator, f"Extra {number}", [mural])
    client.force_login(bright["analyst"])

    with django_assert_max_num_queries(15):
        page = client.get(url(bright["agency"]))

    rows = page.context["rows"]
    assert len(rows) == 22
    # Campaigns sharing a post each count its interactions once.
    extras = {r["interactions"] for r in rows if r["campaign"].name[:5] == "Extra"}
    assert extras == {5}
    assert Campaign.objects.count() == 25


def test_the_agency_page_and_report_link_to_the_list(client, bright):
    client.force_login(bright["analyst"])
    agency = bright["agency"]

    detail = client.get(agency.get_absolute_url()).content.decode()
    report = client.get(reverse("analytics:agency", kwargs={"slug": agency.slug}))

    assert f'href="{url(agency)}"' in detail
    assert f'href="{url(agency)}"' in report.content.decode()
