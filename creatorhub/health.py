"""/healthz: is this instance able to do its work right now?"""

import logging
from datetime import timedelta

from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .celery import app as celery_app
from .models import WorkerHeartbeat

logger = logging.getLogger(__name__)

# Beat records a heartbeat every 30 s; three missed beats means trouble.
WORKER_STALE_AFTER = timedelta(seconds=90)


def check_database() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # any failure means "not reachable"
        logger.warning("healthz: database unreachable: %s", exc)
        return f"unreachable: {exc.__class__.__name__}"
    return None


def check_broker() -> str | None:
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception as exc:  # any failure means "not reachable"
        logger.warning("healthz: broker unreachable: %s", exc)
        return f"unreachable: {exc.__class__.__name__}"
    return None


def describe_workers() -> dict:
    latest = WorkerHeartbeat.objects.order_by("-seen_at").first()
    if latest is None:
        return {"status": "unknown", "detail": "no worker heartbeat recorded yet"}
    age = timezone.now() - latest.seen_at
    return {
        "status": "ok" if age <= WORKER_STALE_AFTER else "stale",
        "last_seen_seconds_ago": int(age.total_seconds()),
        "hostname": latest.hostname,
    }


@login_not_required
@never_cache
@require_GET
def healthz(request):
    """200 when the database and broker answer, 503 otherwise.

    Worker liveness is reported but does not fail the check: a load balancer
    should keep sending traffic to web processes while workers restart.
    """
    problems = {"database": check_database(), "broker": check_broker()}
    checks = {name: problem or "ok" for name, problem in problems.items()}
    healthy = not any(problems.values())
    if problems["database"] is None:
        checks["workers"] = describe_workers()
    body = {"status": "ok" if healthy else "unavailable", "checks": checks}
    return JsonResponse(body, status=200 if healthy else 503)
