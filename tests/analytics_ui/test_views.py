"""The report pages as people use them: a creator's analytics, one post's,
an agency's side by side, its CSV and print versions; who may see them."""

import csv
import io
import re

import pytest
from django.urls import reverse

from tests import factories
from tests.analytics.conftest import record
from tests.analytics_ui.conftest import MARCH

pytestmark = pytest.mark.django_db


def text_of(response) -> str:
    html = re.sub(
        r"<(script|style)[^>]*>.*?</\1>", " ", response.content.decode(), flags=re.S
    )
    html = re.sub(r"<[^>]+>", " ", html)
    return re.sub(r"\s+", " ", html)


# Alice's March: 6 interactions on 2 posts, 3 a post, with 1 follower at its end.
# The row: followers, growth, posts, interactions, likes, boosts, replies,
# reactions, quotes, rate.
RATE, RATE_CSV, ALICE_ROW = "300%", "300.00", "1 +1 2 6 4 1 1 0 0 300%"


def creator_url(handle="alice", query=MARCH) -> str:
    return f"{reverse('analytics:creator', kwargs={'handle': handle})}?{query}"


def test_a_creator_sees_what_worked_in_the_period(client, creator, march):
    mural, _ = march
    client.force_login(creator.user)

    response = client.get(creator_url())

    assert response.status_code == 200
    text = text_of(response)
    assert "1 Mar 2025 – 31 Mar 2025" in text
    assert "Interactions 6 " in text  # 4 likes, 1 boost, 1 reply; not February's
    assert "Likes 4 " in text
    assert "Boosts 1 " in text
    assert "+2 / −1" in text  # followers gained and lost
    assert f"Engagement rate {RATE} interactions per post, as a % of followers" in text
    page = response.content.decode()
    for title in ("Interactions per day", "Followers", "Interactions by platform",
                  "Top servers", "When engagement arrives"):  # fmt: skip
        assert f'<span class="chart-title">{title}</span>' in page
    assert page.count('role="img"') >= 6
    # Top posts, busiest first, each leading to its own page.
    assert text.index("The mural") < text.index("A sketch")
    assert reverse("analytics:post", kwargs={"handle": "alice", "pk": mural.pk}) in page


def test_a_shorter_period_counts_only_its_days(client, creator, march):
    client.force_login(creator.user)
    text = text_of(client.get(creator_url(query="start=2025-03-20&end=2025-03-26")))
    assert "Interactions 1 " in text  # the sketch's like
    assert "Likes 1 " in text


def test_a_period_that_makes_no_sense_is_explained_and_replaced(client, creator):
    client.force_login(creator.user)
    text = text_of(client.get(creator_url(query="start=2025-03-10&end=2025-03-01")))
    assert "The last day comes before the first" in text
    assert "Showing the last 30 days instead" in text


def test_one_posts_page_shows_its_days_and_servers(client, creator, march):
    mural, _ = march
    client.force_login(creator.user)

    response = client.get(
        reverse("analytics:post", kwargs={"handle": "alice", "pk": mural.pk})
    )

    text = text_of(response)
    assert "Interactions 6 " in text  # February's like counts for the post
    assert "Servers 4 " in text
    for server in ("mastodon.social", "threads.net", "misskey.io", "pixelfed.social"):
        assert server in text
    assert "Engagement per day" in text


def test_all_five_kinds_of_engagement_are_drawn_on_both_pages(client, creator, march):
    """Likes, boosts, replies, reactions and quotes in one period: each gets
    its own layer of the stacked chart and its own entry in the legend."""
    mural, _ = march
    record(creator, "reaction", "kai", post=mural, when="2025-03-06 10:00", emoji="🎨")
    record(creator, "quote", "max", post=mural, when="2025-03-07 10:00")
    client.force_login(creator.user)
    post_page = reverse("analytics:post", kwargs={"handle": "alice", "pk": mural.pk})

    for url in (creator_url(), post_page):
        response = client.get(url)

        assert response.status_code == 200
        page = response.content.decode()
        chart = page[page.index('<figure class="chart') :]
        chart = chart[: chart.index("</figure>")]
        legend = re.findall(r'chart-swatch (chart-s\d)"></span>(\w+)', chart)
        assert legend == [
            ("chart-s1", "Likes"),
            ("chart-s2", "Boosts"),
            ("chart-s3", "Replies"),
            ("chart-s4", "Reactions"),
            ("chart-s5", "Quotes"),
        ]
        wide = chart[: chart.index("</svg>")]
        assert wide.count("chart-area chart-stacked") == 5


def test_quotes_have_their_own_card_and_column_as_the_other_kinds(
    client, creator, march
):
    """Counted and charted, quotes also get a card with its trend, a column
    in the top posts (on the page and its print version) and the CSV's."""
    mural, _ = march
    record(creator, "quote", "max", post=mural, when="2025-03-07 10:00")
    record(creator, "quote", "kai", post=mural, when="2025-03-08 10:00")
    client.force_login(creator.user)

    for url in (creator_url(), creator_url() + "&print=1"):
        response = client.get(url)
        text = text_of(response)
        assert "Interactions 8 " in text
        assert "Quotes 2 " in text  # the card
        table = response.content.decode().split("Top posts", 1)[1]
        head = re.findall(r'<th scope="col"[^>]*>(\w+)</th>', table)
        assert head[-2:] == ["Reactions", "Quotes"]
        mural_row = text_of(response).split("The mural", 1)[1]
        # interactions, likes, boosts, replies, reactions, quotes
        assert re.match(r" (?:\d+ \w+ )?7 3 1 1 0 2 ", mural_row), mural_row[:40]
    rows = csv_rows(client.get(creator_csv("creator-posts-csv")))
    assert rows[0]["quotes"] == "2"


def test_another_creator_gets_404(client, creator, other_creator, march):
    mural, _ = march
    client.force_login(other_creator.user)
    assert client.get(creator_url()).status_code == 404
    post_page = reverse("analytics:post", kwargs={"handle": "alice", "pk": mural.pk})
    assert client.get(post_page).status_code == 404


# Agencies ----------------------------------------------------------------------


def agency_url(name="agency", query=MARCH, slug="bright") -> str:
    return f"{reverse(f'analytics:{name}', kwargs={'slug': slug})}?{query}"


def test_an_analyst_sees_the_agency_creators_side_by_side(client, agency):
    _, analyst = agency
    client.force_login(analyst)

    text = text_of(client.get(agency_url()))

    assert f"@alice {ALICE_ROW}" in text

    assert "Creators side by side" in text
    assert text.index("@alice") < text.index("@carol")  # 6 interactions vs 5
    assert "All 2 creators" in text
    by_likes = text_of(client.get(agency_url(query=f"{MARCH}&sort=likes&dir=desc")))
    assert by_likes.index("@alice") < by_likes.index("@carol")  # 4 likes vs 2
    by_boosts = text_of(client.get(agency_url(query=f"{MARCH}&sort=boosts")))
    assert by_boosts.index("@carol") < by_boosts.index("@alice")  # 3 boosts vs 1


def test_the_agency_report_highlights_one_navigation_item(client, agency):
    _, analyst = agency
    client.force_login(analyst)

    for url in (agency_url(), reverse("agency_detail", kwargs={"slug": "bright"})):
        nav = client.get(url).content.decode().split('aria-label="Main"')[1]
        nav = nav[: nav.index("</nav>")]
        current = re.findall(r'aria-current="page">([^<]+)<', nav)
        assert current == (["Analytics"] if "reports" in url else ["Bright Agency"])


def test_the_agency_report_downloads_as_csv(client, agency):
    _, analyst = agency
    client.force_login(analyst)

    response = client.get(agency_url("agency-csv"))

    assert response["Content-Type"].startswith("text/csv")
    assert "bright-2025-03-01-to-2025-03-31.csv" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    by_creator = {row["creator"]: row for row in rows}
    assert by_creator["@alice"]["interactions"] == "6"
    assert by_creator["@alice"]["followers_gained"] == "2"
    assert by_creator["@carol"]["boosts"] == "3"
    assert by_creator["@alice"]["period_start"] == "2025-03-01"
    assert by_creator["@alice"]["engagement_rate_percent"] == RATE_CSV


def test_the_print_version_has_the_charts_and_no_navigation(client, agency):
    _, analyst = agency
    client.force_login(analyst)

    page = client.get(agency_url(query=f"{MARCH}&print=1")).content.decode()

    assert 'class="site-header"' not in page
    # The print button's script is a static file (no inline handler: CSP).
    assert "data-print" in page
    assert "js/print.js" in page
    assert '<span class="chart-title">Interactions by creator</span>' in page
    assert "@carol" in page


def test_someone_outside_the_agency_gets_404(client, agency, other_creator):
    client.force_login(other_creator.user)
    assert client.get(agency_url()).status_code == 404
    assert client.get(agency_url("agency-csv")).status_code == 404


def test_an_analyst_reads_a_creators_full_report_but_not_one_without_a_grant(
    client, agency
):
    _, analyst = agency
    factories.CreatorFactory(handle="dora", user__username="dora")
    client.force_login(analyst)
    assert client.get(creator_url()).status_code == 200
    assert client.get(creator_url("dora")).status_code == 404


def test_the_analytics_link_leads_each_person_to_their_report(client, agency, creator):
    _, analyst = agency
    client.force_login(creator.user)
    assert client.get(reverse("analytics:index")).url == creator_url(query="")[:-1]
    client.force_login(analyst)
    assert client.get(reverse("analytics:index")).url == agency_url(query="")[:-1]


# A creator's analytics as CSV ------------------------------------------------


def creator_csv(name, handle="alice", query=MARCH) -> str:
    return f"{reverse(f'analytics:{name}', kwargs={'handle': handle})}?{query}"


def csv_rows(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_the_creators_page_links_both_csv_exports_for_the_period(
    client, creator, march
):
    client.force_login(creator.user)
    html = client.get(creator_url()).content.decode()
    for name in ("creator-days-csv", "creator-posts-csv"):
        assert f'href="{creator_csv(name).replace("&", "&amp;")}"' in html


def test_the_days_csv_has_every_day_of_the_period_by_kind(client, creator, march):
    client.force_login(creator.user)
    response = client.get(creator_csv("creator-days-csv"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert (
        "alice-days-2025-03-01-to-2025-03-31.csv" in (response["Content-Disposition"])
    )
    rows = csv_rows(response)
    assert len(rows) == 31
    by_date = {row["date"]: row for row in rows}
    assert by_date["2025-03-04"] == {
        "date": "2025-03-04",
        "interactions": "4",
        "likes": "3",
        "boosts": "1",
        "replies": "0",
        "reactions": "0",
        "quotes": "0",
        "follows": "0",
        "unfollows": "0",
        "followers_at_end_of_day": by_date["2025-03-04"]["followers_at_end_of_day"],
    }
    assert by_date["2025-03-05"]["replies"] == "1"
    assert by_date["2025-03-07"]["unfollows"] == "1"
    # The same totals as the page's cards: 6 interactions in March.
    assert sum(int(row["interactions"]) for row in rows) == 6


def test_the_posts_csv_has_each_post_busiest_first(client, creator, march):
    mural, sketch = march
    client.force_login(creator.user)
    rows = csv_rows(client.get(creator_csv("creator-posts-csv")))
    assert [(row["post_id"], row["interactions"]) for row in rows] == [
        (str(mural.pk), "5"),
        (str(sketch.pk), "1"),
    ]
    assert rows[0]["text"] == "The mural"
    assert (rows[0]["likes"], rows[0]["boosts"], rows[0]["replies"]) == ("3", "1", "1")


def test_an_analyst_with_access_downloads_the_creators_csv(
    client, creator, agency_with_analyst, march
):
    client.force_login(agency_with_analyst[1])
    for name in ("creator-days-csv", "creator-posts-csv"):
        assert client.get(creator_csv(name)).status_code == 200


def test_someone_without_access_gets_404_for_the_creators_csv(
    client, creator, other_creator, march
):
    client.force_login(other_creator.user)
    for name in ("creator-days-csv", "creator-posts-csv"):
        assert client.get(creator_csv(name)).status_code == 404
    client.logout()
    for name in ("creator-days-csv", "creator-posts-csv"):
        assert client.get(creator_csv(name)).status_code == 302
