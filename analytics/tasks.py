"""Thin Celery tasks of analytics: the weekly digest to each agency."""

from datetime import date

from celery import shared_task

from accounts.models import Agency
from analytics import digests


@shared_task(name="analytics.tasks.send_weekly_digests")
def send_weekly_digests() -> int:
    """Beat, Monday morning: queue last week's digest for every agency with
    at least one creator's grant. Returns how many were queued."""
    week = digests.last_week()
    agencies = Agency.objects.filter(
        creator_grants__isnull=False, creator_grants__revoked_at__isnull=True
    ).distinct()
    for agency_id in agencies.values_list("pk", flat=True):
        send_agency_digest.delay(agency_id, week.first.isoformat())
    return agencies.count()


@shared_task(name="analytics.tasks.send_agency_digest")
def send_agency_digest(agency_id: int, week_start: str) -> int:
    agency = Agency.objects.filter(pk=agency_id).first()
    if agency is None:
        return 0
    period = digests.week_starting(date.fromisoformat(week_start))
    return digests.agency_digest_send(agency=agency, period=period)
