"""Campaign pages as a creator, an agency and a sponsor use them."""

import csv
import io
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from analytics import campaigns
from analytics.models import Campaign, SponsorLink
from tests import factories
from tests.analytics.conftest import record
from tests.analytics_ui.conftest import make_post

pytestmark = pytest.mark.django_db


@pytest.fixture
def launch(creator, march):
    mural, sketch = march
    return campaigns.campaign_create(
        by=creator.user,
        creator=creator,
        agency=None,
        name="Mural week",
        starts_on=date(2025, 3, 1),
        ends_on=date(2025, 3, 31),
        post_ids=[mural.pk],
    )


def _sponsor_url(campaign, **fields) -> str:
    _, token = campaigns.sponsor_link_create(
        by=campaign.creator.user, campaign=campaign, **fields
    )
    return reverse("analytics:sponsor-report", kwargs={"token": token})


def test_a_creator_starts_a_campaign_from_their_posts(client, creator, march):
    mural, sketch = march
    client.force_login(creator.user)
    url = reverse("analytics:campaigns", kwargs={"handle": creator.handle})

    page = client.get(url)
    assert b"The mural" in page.content  # offered as a choice

    response = client.post(
        url,
        {
            "name": "Mural week",
            "starts_on": "2025-03-01",
            "ends_on": "2025-03-31",
            "posts": [mural.pk, sketch.pk],
            "agency": "",
        },
    )
    campaign = Campaign.objects.get()
    assert response.url == reverse("analytics:campaign", kwargs={"pk": campaign.pk})
    assert set(campaign.posts.all()) == {mural, sketch}


def test_the_report_shows_reach_interactions_and_followers_earned(
    client, creator, launch
):
    client.force_login(creator.user)
    page = client.get(reverse("analytics:campaign", kwargs={"pk": launch.pk}))
    text = page.content.decode()
    assert page.status_code == 200
    assert "Mural week" in text
    assert "Reach (estimate)" in text
    assert "followers of yours on the 0 servers it was delivered to" in text
    assert "Posts that earned followers" in text
    assert "Interactions by platform" in text
    assert "Make a sponsor link" in text


def test_the_campaign_csv_has_a_row_per_post_and_the_total(client, creator, launch):
    client.force_login(creator.user)
    response = client.get(reverse("analytics:campaign-csv", kwargs={"pk": launch.pk}))
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert response["Content-Type"].startswith("text/csv")
    [post_row, total] = rows
    assert post_row["campaign"] == "Mural week"
    assert post_row["text"] == "The mural"
    # March: 3 likes, a boost and a reply on the mural (February's like not).
    assert (post_row["interactions"], post_row["likes"], post_row["boosts"]) == (
        "5",
        "3",
        "1",
    )
    # Zoe replied on the 5th and followed on the 6th; Bob followed before.
    assert post_row["followers_earned"] == "1"
    assert (total["post_id"], total["interactions"]) == ("all", "5")
    assert post_row["reach_estimate"] == "0"
    assert (post_row["boosters"], post_row["boosters_known"]) == ("1", "0")


def test_the_campaign_csv_adds_the_boosters_followers(client, creator, launch):
    known_followers("bob", "mastodon.social", 40)
    client.force_login(creator.user)
    response = client.get(reverse("analytics:campaign-csv", kwargs={"pk": launch.pk}))
    [post_row, total] = list(csv.DictReader(io.StringIO(response.content.decode())))
    for row in (post_row, total):
        assert (row["followers_on_servers"], row["booster_followers"]) == ("0", "40")
        assert (row["boosters"], row["boosters_known"]) == ("1", "1")
        assert row["reach_estimate"] == "40"


def test_the_print_view_is_there_to_save_as_pdf(client, creator, launch):
    client.force_login(creator.user)
    page = client.get(
        reverse("analytics:campaign", kwargs={"pk": launch.pk}), {"print": 1}
    )
    assert b"Print or save as PDF" in page.content
    assert b"print-sheet" in page.content


def test_a_sponsor_opens_the_report_without_an_account(client, launch):
    url = _sponsor_url(launch, label="Paint Co.")
    page = client.get(url)
    assert page.status_code == 200
    assert b"Mural week" in page.content
    assert b"read-only" in page.content
    assert b"Make a sponsor link" not in page.content
    assert page["X-Robots-Tag"] == "noindex, nofollow"
    csv_page = client.get(url + "report.csv")
    assert csv_page.status_code == 200
    assert b"Mural week" in csv_page.content


def test_an_expired_sponsor_link_is_refused_in_words(client, launch):
    url = _sponsor_url(launch, days=1)
    SponsorLink.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    page = client.get(url)
    assert page.status_code == 410
    assert b"no longer opens" in page.content
    assert b"expired" in page.content
    assert b"The mural" not in page.content
    assert client.get(url + "report.csv").status_code == 410


def test_a_revoked_sponsor_link_is_refused(client, creator, launch):
    url = _sponsor_url(launch)
    link = SponsorLink.objects.get()
    client.force_login(creator.user)
    client.post(
        reverse(
            "analytics:sponsor-link-revoke",
            kwargs={"pk": launch.pk, "link_pk": link.pk},
        )
    )
    client.logout()
    page = client.get(url)
    assert page.status_code == 410
    assert b"withdrawn" in page.content


def test_a_tampered_sponsor_link_is_not_found(client, launch):
    url = _sponsor_url(launch)
    token = url.strip("/").split("/")[-1]
    forged = token[:-3] + ("abc" if not token.endswith("abc") else "xyz")
    page = client.get(reverse("analytics:sponsor-report", kwargs={"token": forged}))
    assert page.status_code == 404
    assert b"The mural" not in page.content


def test_making_a_sponsor_link_shows_it_once(client, creator, launch):
    client.force_login(creator.user)
    report = reverse("analytics:campaign", kwargs={"pk": launch.pk})
    client.post(
        reverse("analytics:sponsor-link-create", kwargs={"pk": launch.pk}),
        {"label": "Paint Co.", "days": 14},
    )
    first = client.get(report).content.decode()
    assert "/sponsor/" in first and "Sponsor link ready" in first
    assert "Sponsor link ready" not in client.get(report).content.decode()
    link = SponsorLink.objects.get()
    assert timedelta(days=13) < link.expires_at - timezone.now() <= timedelta(days=14)


def test_another_agencys_member_gets_404(client, creator, manager, march):
    mural, _ = march
    [agency] = campaigns.agencies_running_for(manager, creator)
    campaign = campaigns.campaign_create(
        by=manager,
        creator=creator,
        agency=agency,
        name="Agency run",
        starts_on=date(2025, 3, 1),
        ends_on=date(2025, 3, 31),
        post_ids=[mural.pk],
    )
    rival = factories.AgencyFactory(slug="rival")
    outsider = factories.MembershipFactory(agency=rival, role="owner").user
    factories.AgencyAccessFactory(creator=creator, agency=rival)
    client.force_login(outsider)
    for name in (
        "analytics:campaign",
        "analytics:campaign-csv",
        "analytics:campaign-edit",
    ):
        assert client.get(reverse(name, kwargs={"pk": campaign.pk})).status_code == 404
    response = client.post(
        reverse("analytics:sponsor-link-create", kwargs={"pk": campaign.pk}),
        {"days": 5},
    )
    assert response.status_code == 404
    assert not SponsorLink.objects.exists()
    listing = client.get(reverse("analytics:campaigns", kwargs={"handle": "alice"}))
    assert b"Agency run" not in listing.content


def test_an_analyst_reads_but_cannot_share(
    client, creator, agency_with_analyst, launch
):
    _, analyst = agency_with_analyst
    client.force_login(analyst)
    page = client.get(reverse("analytics:campaign", kwargs={"pk": launch.pk}))
    assert page.status_code == 200
    assert b"Make a sponsor link" not in page.content
    response = client.post(
        reverse("analytics:sponsor-link-create", kwargs={"pk": launch.pk}),
        {"days": 5},
    )
    assert response.status_code == 403
    assert not SponsorLink.objects.exists()


def test_the_creators_page_shows_posts_that_earned_followers_and_best_times(
    client, creator, march
):
    client.force_login(creator.user)
    page = client.get(
        reverse("analytics:creator", kwargs={"handle": creator.handle}),
        {"start": "2025-03-01", "end": "2025-03-31"},
    )
    text = page.content.decode()
    assert "Posts that earned followers" in text
    assert "threads.net (1)" in text  # Zoe, after replying to the mural
    assert "Best times to post" in text


def test_the_post_page_says_the_reach_is_an_estimate(client, creator, march):
    mural, _ = march
    record(creator, "boost", "zoe", post=mural, when="2025-03-05 10:00")
    client.force_login(creator.user)
    page = client.get(
        reverse("analytics:post", kwargs={"handle": creator.handle, "pk": mural.pk})
    )
    text = page.content.decode()
    assert "Reach (estimate)" in text
    assert "An estimate: the 0 followers of yours on the 0 servers" in text
    # Neither booster's server has said how many follow them.
    assert (
        "The 2 people who boosted it carried it further, but their own "
        "followers are not counted: their servers have not said how many "
        "follow them." in text
    )


def known_followers(who: str, domain: str, count: int | None) -> None:
    """A booster whose server said how many follow them (None: would not)."""
    from federation.models import RemoteActor, RemoteInstance

    instance, _ = RemoteInstance.objects.get_or_create(domain=domain)
    RemoteActor.objects.create(
        ap_id=f"https://{domain}/users/{who}",
        instance=instance,
        username=who,
        inbox_url=f"https://{domain}/users/{who}/inbox",
        public_key_id=f"https://{domain}/users/{who}#main-key",
        public_key_pem="-",
        followers_count=count,
        followers_count_at=timezone.now(),
    )


def test_the_reach_adds_the_boosters_followers_where_known(client, creator, march):
    mural, _ = march
    record(creator, "boost", "zoe", post=mural, when="2025-03-05 10:00")
    known_followers("bob", "mastodon.social", 1500)
    known_followers("zoe", "threads.net", None)  # a hidden network
    client.force_login(creator.user)
    page = client.get(
        reverse("analytics:post", kwargs={"handle": creator.handle, "pk": mural.pk})
    )
    text = page.content.decode()
    assert "1,500" in text  # the estimate: 0 on the servers + 1,500
    assert "plus 1,500 following 1 booster" in text
    assert (
        "plus about 1,500 followers of the 2 people who boosted it (1 of them; "
        "the others&#x27; counts are not known)" in text
    )


def test_an_unrelated_post_cannot_join_a_campaign_through_the_form(
    client, creator, other_creator, march
):
    theirs = make_post(other_creator, published="2025-03-02 10:00")
    client.force_login(creator.user)
    response = client.post(
        reverse("analytics:campaigns", kwargs={"handle": creator.handle}),
        {
            "name": "Sneaky",
            "starts_on": "2025-03-01",
            "ends_on": "2025-03-31",
            "posts": [theirs.pk],
        },
    )
    assert response.status_code == 200
    assert not Campaign.objects.exists()


def test_an_agency_not_allowed_to_read_analytics_sees_no_campaign(
    client, creator, launch
):
    drafting = factories.AgencyFactory(slug="drafting")
    member = factories.MembershipFactory(agency=drafting, role="owner").user
    factories.AgencyAccessFactory(
        creator=creator, agency=drafting, read_analytics=False, draft_posts=True
    )
    client.force_login(member)
    assert (
        client.get(reverse("analytics:campaign", kwargs={"pk": launch.pk})).status_code
        == 404
    )
    assert (
        client.get(
            reverse("analytics:campaigns", kwargs={"handle": creator.handle})
        ).status_code
        == 404
    )


def test_the_report_downloads_as_a_pdf(client, creator, launch):
    client.force_login(creator.user)
    response = client.get(reverse("analytics:campaign-pdf", kwargs={"pk": launch.pk}))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        'attachment; filename="campaign-mural-week.pdf"'
    )
    assert response.content.startswith(b"%PDF-")
    assert len(response.content) > 5_000  # text, charts and tables, not a blank page


def test_a_sponsor_downloads_the_pdf_until_the_link_ends(client, launch):
    url = _sponsor_url(launch)
    response = client.get(url + "report.pdf")
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF-")
    SponsorLink.objects.update(revoked_at=timezone.now())
    assert client.get(url + "report.pdf").status_code == 410


def test_without_weasyprint_the_pdf_link_opens_the_print_view(
    client, creator, launch, monkeypatch
):
    from analytics import pdf

    def unavailable(html):
        raise pdf.PdfUnavailable("no Pango here")

    monkeypatch.setattr(pdf, "html_to_pdf", unavailable)
    client.force_login(creator.user)
    response = client.get(reverse("analytics:campaign-pdf", kwargs={"pk": launch.pk}))
    assert response.status_code == 302
    assert response.url == f"/dashboard/campaigns/{launch.pk}/?print=1"


def test_the_pdf_reads_only_static_files(settings):
    from analytics import pdf

    body, media_type = pdf._static_file(f"{pdf.BASE_URL}static/css/charts.css")
    assert media_type == "text/css" and b".best-time-list" in body
    for url in (
        "https://mastodon.social/avatar.png",
        f"{pdf.BASE_URL}static/../creatorhub/settings.py",
        "file:///etc/passwd",
    ):
        with pytest.raises(ValueError):
            pdf._static_file(url)
