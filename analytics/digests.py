"""The weekly email to each agency: how its creators did last week.

Sent by Celery beat on Monday morning (analytics.tasks). Each agency gets
one digest a week at most: the row in AgencyDigest is claimed before any
mail goes out, so a task that runs twice (a retry, a second scheduler)
sends nothing the second time. The price is the other way round: a worker
killed between the claim and the sending leaves that week's digest unsent,
which beats mailing everyone twice.
"""

import logging
import zoneinfo
from datetime import date, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.models import Agency, User
from analytics import reports
from analytics.models import AgencyDigest

logger = logging.getLogger(__name__)

UTC = zoneinfo.ZoneInfo("UTC")


def week_starting(monday: date) -> reports.Period:
    """Monday to Sunday, in UTC (the agency report's days)."""
    return reports.Period(first=monday, last=monday + timedelta(days=6), tz=UTC)


def last_week(today: date | None = None) -> reports.Period:
    """The week before `today`'s."""
    today = today or timezone.now().astimezone(UTC).date()
    return week_starting(today - timedelta(days=today.weekday() + 7))


def digest_recipients(agency: Agency) -> list[User]:
    """Active members of the agency who have an email address."""
    return list(
        User.objects.filter(agency_memberships__agency=agency, is_active=True).exclude(
            email=""
        )
    )


def agency_digest_send(*, agency: Agency, period: reports.Period) -> int:
    """Email `period`'s report to the agency's members, once per week.

    Returns how many emails went out: 0 when this week's digest was sent
    (or claimed) already, or there is nobody to send it to.
    """
    recipients = digest_recipients(agency)
    if not recipients:
        return 0
    try:
        with transaction.atomic():
            digest = AgencyDigest.objects.create(agency=agency, week_start=period.first)
    except IntegrityError:
        return 0  # sent, or being sent, by another run
    sent = 0
    for user in recipients:
        rows = reports.agency_report(user=user, agency=agency, period=period)
        if not rows:
            continue
        _message(agency=agency, period=period, rows=rows, user=user).send()
        sent += 1
    digest.recipients = sent
    digest.sent_at = timezone.now()
    digest.save(update_fields=["recipients", "sent_at"])
    logger.info("weekly digest of %s sent to %d people", agency.slug, sent)
    return sent


def _message(*, agency, period, rows, user) -> EmailMultiAlternatives:
    report_path = reverse("analytics:agency", kwargs={"slug": agency.slug})
    query = f"start={period.first.isoformat()}&end={period.last.isoformat()}"
    context = {
        "agency": agency,
        "period": period,
        "rows": rows,
        "user": user,
        "totals": {
            "interactions": sum(row.summary.interactions for row in rows),
            "net_followers": sum(row.summary.net_followers for row in rows),
        },
        "report_url": f"{_site()}{report_path}?{query}",
        "site_name": settings.CREATORHUB_NAME,
    }
    subject = (
        f"{agency.name}: your creators' week, "
        f"{period.first:%-d %b} – {period.last:%-d %b %Y}"
    )
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("analytics/email/digest.txt", context),
        to=[user.email],
    )
    message.attach_alternative(
        render_to_string("analytics/email/digest.html", context), "text/html"
    )
    return message


def _site() -> str:
    return f"{settings.CREATORHUB_SCHEME}://{settings.CREATORHUB_DOMAIN}"
