"""The weekly digest: each agency's members get last week's numbers, once."""

from datetime import date

import pytest
from django.core import mail

from analytics import digests, tasks
from analytics.models import AgencyDigest
from tests import factories
from tests.analytics.conftest import record
from tests.analytics_ui.conftest import make_post

pytestmark = pytest.mark.django_db

WEEK = digests.week_starting(date(2025, 3, 10))  # Monday 10 – Sunday 16 March


@pytest.fixture
def busy_week(creator, agency_with_analyst):
    agency, analyst = agency_with_analyst
    analyst.email = "analyst@agency.example"
    analyst.save()
    post = make_post(creator, published="2025-03-11 09:00", body="Big news")
    for who in ("bob", "zoe", "kai"):
        record(creator, "like", who, post=post, when="2025-03-12 10:00")
    record(creator, "follow", "bob", when="2025-03-12 11:00")
    record(creator, "like", "max", post=post, when="2025-03-05 10:00")  # before
    return agency, analyst


def test_last_week_is_the_monday_to_sunday_before_this_one():
    assert digests.last_week(date(2025, 3, 19)) == WEEK  # a Wednesday
    assert digests.last_week(date(2025, 3, 17)) == WEEK  # the Monday after


def test_members_get_the_weeks_numbers_and_a_link_to_the_report(busy_week, creator):
    agency, analyst = busy_week

    assert digests.agency_digest_send(agency=agency, period=WEEK) == 1

    [message] = mail.outbox
    assert message.to == ["analyst@agency.example"]
    assert (
        "Bright Agency" in message.subject and "10 Mar – 16 Mar 2025" in message.subject
    )
    assert "@alice (" in message.body
    assert "3 interactions (1 the week before)" in message.body
    assert "/agencies/bright/reports/?start=2025-03-10&end=2025-03-16" in message.body
    html, kind = message.alternatives[0]
    assert kind == "text/html"
    assert "Open the full report" in html


def test_a_digest_goes_out_once_however_often_the_task_runs(busy_week):
    agency, _ = busy_week
    tasks.send_agency_digest(agency.pk, WEEK.first.isoformat())
    tasks.send_agency_digest(agency.pk, WEEK.first.isoformat())  # a retry
    assert len(mail.outbox) == 1
    digest = AgencyDigest.objects.get()
    assert digest.recipients == 1 and digest.sent_at is not None


def test_members_without_an_email_and_agencies_without_creators_get_nothing(
    busy_week,
):
    agency, analyst = busy_week
    lonely = factories.AgencyFactory(name="Lonely", slug="lonely")
    factories.MembershipFactory(agency=lonely, user=analyst, role="analyst")
    analyst.email = ""
    analyst.save()
    assert digests.agency_digest_send(agency=agency, period=WEEK) == 0
    assert digests.agency_digest_send(agency=lonely, period=WEEK) == 0
    assert mail.outbox == []


def test_the_weekly_run_queues_a_digest_for_agencies_with_creators(
    busy_week, settings, monkeypatch
):
    agency, _ = busy_week
    factories.AgencyFactory(name="Empty", slug="empty")  # no creator: skipped
    queued = []
    monkeypatch.setattr(
        tasks.send_agency_digest, "delay", lambda *args: queued.append(args)
    )
    assert tasks.send_weekly_digests() == 1
    assert queued == [(agency.pk, digests.last_week().first.isoformat())]
