"""Campaigns, follower attribution, best times and reach through the API:
the pages' numbers, the pages' rules on who sees what."""

from datetime import date

import pytest

from analytics import campaigns
from analytics.models import Campaign
from tests import factories
from tests.accounts.test_api import token_client
from tests.analytics_ui.conftest import MARCH

pytestmark = pytest.mark.django_db


@pytest.fixture
def launch(creator, march):
    mural, _ = march
    return campaigns.campaign_create(
        by=creator.user,
        creator=creator,
        agency=None,
        name="Mural week",
        starts_on=date(2025, 3, 1),
        ends_on=date(2025, 3, 31),
        post_ids=[mural.pk],
    )


def test_a_campaigns_report_has_its_numbers(client, creator, launch, march):
    mural, _ = march
    client.force_login(creator.user)

    report = client.get(f"/api/v1/campaigns/{launch.pk}/report").json()

    assert report["campaign"]["name"] == "Mural week"
    assert report["campaign"]["post_ids"] == [mural.pk]
    assert report["counts"]["interactions"] == 5
    assert report["followers_earned"] == 1
    assert report["posts_that_earned_followers"][0]["servers"] == [
        {"domain": "threads.net", "followers": 1}
    ]
    assert report["reach"]["known"] is True
    assert report["reach"]["explanation"].startswith("An estimate:")
    assert {row["label"] for row in report["platforms"]} == {
        "Mastodon",
        "Threads",
        "Misskey",
    }


def test_a_creator_starts_a_campaign_through_the_api(creator, march):
    mural, sketch = march
    client = token_client(creator.user)

    response = client.post(
        "/api/v1/creators/alice/campaigns",
        {
            "name": "Spring",
            "starts_on": "2025-03-01",
            "ends_on": "2025-03-31",
            "post_ids": [mural.pk, sketch.pk],
        },
        format="json",
    )

    assert response.status_code == 201
    assert response.json()["post_ids"] == sorted([mural.pk, sketch.pk])
    listed = client.get("/api/v1/creators/alice/campaigns").json()
    assert [row["name"] for row in listed["results"]] == ["Spring"]


def test_a_read_only_token_or_an_analyst_cannot_start_one(
    creator, agency_with_analyst, march
):
    agency, analyst = agency_with_analyst
    body = {"name": "X", "starts_on": "2025-03-01", "ends_on": "2025-03-02"}
    read_only = token_client(creator.user, scope="read")
    assert (
        read_only.post(
            "/api/v1/creators/alice/campaigns", body, format="json"
        ).status_code
        == 403
    )
    as_analyst = token_client(analyst)
    response = as_analyst.post(
        "/api/v1/creators/alice/campaigns",
        {**body, "agency": agency.slug},
        format="json",
    )
    assert response.status_code == 403
    assert not Campaign.objects.exists()


def test_another_agencys_member_gets_404(creator, manager, march):
    [agency] = campaigns.agencies_running_for(manager, creator)
    campaign = campaigns.campaign_create(
        by=manager,
        creator=creator,
        agency=agency,
        name="Agency run",
        starts_on=date(2025, 3, 1),
        ends_on=date(2025, 3, 31),
    )
    rival = factories.AgencyFactory(slug="rival")
    outsider = factories.MembershipFactory(agency=rival, role="owner").user
    factories.AgencyAccessFactory(creator=creator, agency=rival)
    client = token_client(outsider)

    assert client.get(f"/api/v1/campaigns/{campaign.pk}/report").status_code == 404
    listed = client.get("/api/v1/creators/alice/campaigns").json()
    assert listed["results"] == []
    assert (
        token_client(manager).get(f"/api/v1/campaigns/{campaign.pk}/report").status_code
        == 200
    )


def test_an_agencys_campaigns_across_its_creators(creator, manager, launch, march):
    """The agency's campaigns page, through the API: the agency's own and the
    creators' own campaigns with their interactions; another agency's member
    learns nothing."""
    [agency] = campaigns.agencies_running_for(manager, creator)
    mural, sketch = march
    run = campaigns.campaign_create(
        by=manager,
        creator=creator,
        agency=agency,
        name="Agency run",
        starts_on=date(2025, 3, 1),
        ends_on=date(2025, 3, 31),
        post_ids=[sketch.pk],
    )
    report = campaigns.campaign_report(campaign=launch)

    listed = token_client(manager).get(f"/api/v1/agencies/{agency.slug}/campaigns")

    assert listed.status_code == 200
    rows = {row["name"]: row for row in listed.json()["results"]}
    assert set(rows) == {"Mural week", "Agency run"}
    assert rows["Agency run"]["agency"] == agency.slug
    assert rows["Mural week"]["agency"] is None
    assert rows["Mural week"]["post_count"] == 1
    assert rows["Mural week"]["interactions"] == report.counts.interactions == 5
    assert rows["Agency run"]["post_ids"] == [sketch.pk]
    assert run.pk in {row["id"] for row in listed.json()["results"]}

    rival = factories.AgencyFactory(slug="rival")
    outsider = factories.MembershipFactory(agency=rival, role="owner").user
    assert (
        token_client(outsider)
        .get(f"/api/v1/agencies/{agency.slug}/campaigns")
        .status_code
        == 404
    )


def test_insights_give_posts_that_earned_followers_and_best_times(
    client, creator, march
):
    mural, _ = march
    client.force_login(creator.user)

    data = client.get(f"/api/v1/creators/alice/insights?{MARCH}").json()

    assert data["attribution_days"] == 7
    assert data["posts_that_earned_followers"] == [
        {
            "post_id": mural.pk,
            "published_at": data["posts_that_earned_followers"][0]["published_at"],
            "followers": 1,
            "servers": [{"domain": "threads.net", "followers": 1}],
        }
    ]
    assert set(data["best_times"]) >= {"slots", "interactions", "confidence"}


def test_a_posts_report_carries_its_reach_estimate(client, creator, march):
    mural, _ = march
    client.force_login(creator.user)
    data = client.get(f"/api/v1/posts/{mural.pk}/analytics").json()
    assert data["reach"]["servers"] == 0
    assert data["reach"]["boosters"] == 1
    # Bob's server has not said how many follow him.
    assert (data["reach"]["boosters_known"], data["reach"]["booster_followers"]) == (
        0,
        0,
    )
    assert data["reach"]["total"] == 0


def test_the_schema_documents_the_new_endpoints(client):
    schema = client.get("/api/schema/").content.decode()
    for path in (
        "/api/v1/campaigns/{id}/report",
        "/api/v1/creators/{handle}/campaigns",
        "/api/v1/agencies/{slug}/campaigns",
        "/api/v1/creators/{handle}/insights",
        "ReachEstimate",
        "booster_followers",
        "boosters_known",
    ):
        assert path in schema
