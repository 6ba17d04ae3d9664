"""Compose's "Suggested times": the creator's best slots, ready to fill the
schedule's date and time."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.analytics.conftest import make_post, record

pytestmark = pytest.mark.django_db


def test_the_fragment_offers_the_busiest_slots_as_dates_and_times(client, creator):
    creator.time_zone = "UTC"
    creator.save()
    post = make_post(creator, published="2020-01-01 09:00")
    # Engagement yesterday at 15:xx UTC.
    moment = (timezone.now() - timedelta(days=1)).strftime("%Y-%m-%d")
    for who in ("bob", "zoe", "kai"):
        record(creator, "like", who, post=post, when=f"{moment} 15:20")
    client.force_login(creator.user)

    page = client.get(
        reverse("analytics:suggested-times", kwargs={"handle": creator.handle})
    )

    text = page.content.decode()
    assert "Suggested times" in text
    assert 'data-suggest-time="15:00"' in text
    assert "low confidence: 3 interactions over 8 weeks" in text


def test_without_engagement_it_says_why_nothing_is_suggested(client, creator):
    client.force_login(creator.user)
    page = client.get(
        reverse("analytics:suggested-times", kwargs={"handle": creator.handle})
    )
    assert b"appear once your posts have drawn some engagement" in page.content


def test_compose_loads_the_suggestions(client, creator):
    client.force_login(creator.user)
    page = client.get(reverse("posts:compose", kwargs={"handle": creator.handle}))
    assert page.status_code == 200
    assert (
        reverse("analytics:suggested-times", kwargs={"handle": creator.handle})
        in page.content.decode()
    )
    assert b"js/suggested-times.js" in page.content


def test_strangers_get_404(client, creator, other_creator):
    client.force_login(other_creator.user)
    page = client.get(
        reverse("analytics:suggested-times", kwargs={"handle": creator.handle})
    )
    assert page.status_code == 404
