"""The report numbers through the API: same figures as the pages, same
periods, same rules on who may read them."""

import pytest

from tests.analytics_ui.conftest import MARCH

pytestmark = pytest.mark.django_db


def test_a_creators_report_has_the_periods_numbers(client, creator, march):
    mural, _ = march
    client.force_login(creator.user)

    report = client.get(f"/api/v1/creators/alice/analytics?{MARCH}").json()

    summary = report["summary"]
    assert summary["period"] == {
        "first": "2025-03-01",
        "last": "2025-03-31",
        "days": 31,
        "time_zone": "UTC",
    }
    assert summary["counts"]["interactions"] == 6
    assert summary["counts"]["likes"] == 4
    assert (summary["counts"]["follows"], summary["counts"]["unfollows"]) == (2, 1)
    assert summary["posts_published"] == 2
    # 3 interactions a post with 1 follower: 300%, as the pages say.
    assert summary["engagement_rate"] == 300.0
    assert report["previous"]["counts"]["likes"] == 1  # February's
    assert len(report["days"]) == 31
    assert report["days"][3] == {
        "day": "2025-03-04",
        "counts": {
            **dict.fromkeys(report["days"][3]["counts"], 0),
            "likes": 3,
            "boosts": 1,
            "interactions": 4,
        },  # fmt: skip
        "followers": report["days"][3]["followers"],
    }
    assert report["top_posts"][0]["post_id"] == mural.pk
    assert {p["name"] for p in report["platforms"]} >= {"mastodon", "threads"}
    assert len(report["heatmap"]) == 7 and len(report["heatmap"][0]) == 24


def test_a_period_that_makes_no_sense_is_a_400(client, creator):
    client.force_login(creator.user)
    response = client.get("/api/v1/creators/alice/analytics?start=2025-03-01")
    assert response.status_code == 400
    assert "both" in str(response.json())


def test_one_posts_report(client, creator, march):
    mural, _ = march
    client.force_login(creator.user)
    report = client.get(f"/api/v1/posts/{mural.pk}/analytics").json()
    assert report["counts"]["interactions"] == 6
    assert len(report["servers"]) == 4


def test_the_agency_report_sorted(client, agency):
    _, analyst = agency
    client.force_login(analyst)
    rows = client.get(f"/api/v1/agencies/bright/report?{MARCH}&sort=boosts").json()
    assert [row["handle"] for row in rows] == ["carol", "alice"]
    assert rows[0]["summary"]["counts"]["boosts"] == 3
    bad = client.get("/api/v1/agencies/bright/report?sort=password")
    assert bad.status_code == 400


def test_others_get_404(client, other_creator, agency, march):
    mural, _ = march
    client.force_login(other_creator.user)
    assert client.get("/api/v1/creators/alice/analytics").status_code == 404
    assert client.get(f"/api/v1/posts/{mural.pk}/analytics").status_code == 404
    assert client.get("/api/v1/agencies/bright/report").status_code == 404


def test_the_schema_documents_the_reports(client):
    paths = client.get("/api/schema/?format=json").json()["paths"]
    for path in (
        "/api/v1/creators/{handle}/analytics",
        "/api/v1/posts/{id}/analytics",
        "/api/v1/agencies/{slug}/report",
    ):
        assert "get" in paths[path]
