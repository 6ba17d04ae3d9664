"""Celery tasks of federation: thin, idempotent, ids and strings only."""

import logging

from celery import shared_task

from . import client, remote

logger = logging.getLogger(__name__)


@shared_task(
    autoretry_for=(client.RemoteUnavailable,),
    retry_backoff=60,
    retry_backoff_max=600,
    max_retries=3,
)
def fetch_instance_info(domain: str) -> None:
    """Learn a server's software from its NodeInfo (analytics groups by it)."""
    try:
        remote.refresh_instance_info(domain)
    except (
        remote.ResolveError,
        client.UnsafeURL,
        client.ResponseTooLarge,
        client.TooManyRedirects,
    ) as exc:
        logger.info("no NodeInfo for %s: %s", domain, exc)
