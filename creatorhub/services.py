from django.db.models import F
from django.utils import timezone

from .models import WorkerHeartbeat


def record_worker_heartbeat(*, hostname: str) -> WorkerHeartbeat:
    """Note that the worker on `hostname` is alive and running tasks."""
    heartbeat, created = WorkerHeartbeat.objects.get_or_create(
        hostname=hostname, defaults={"seen_at": timezone.now(), "beats": 1}
    )
    if not created:
        WorkerHeartbeat.objects.filter(pk=heartbeat.pk).update(
            seen_at=timezone.now(), beats=F("beats") + 1
        )
        heartbeat.refresh_from_db()
    return heartbeat
