from celery import shared_task

from . import services


@shared_task(bind=True)
def record_worker_heartbeat(self) -> None:
    services.record_worker_heartbeat(hostname=self.request.hostname or "unknown")
