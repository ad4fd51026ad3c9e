"""Thin Celery wrappers around analytics services (queue ``analytics``)."""

from datetime import date

from celery import shared_task
from django.db import OperationalError


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def rollups_refresh_recent_task(*, days: int = 1) -> int:
    """Rebuild today's (and the previous days') rollups; idempotent per day."""
    from analytics.services import rollups_refresh_recent

    return len(rollups_refresh_recent(days=days))


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def rollups_refresh_dates_task(*, dates: list[str]) -> int:
    """Rebuild the rollups of the given ISO local dates (late data, merges)."""
    from analytics.services import rollups_refresh_dates

    return len(rollups_refresh_dates(dates=[date.fromisoformat(d) for d in dates]))


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def event_partitions_task() -> list[str]:
    """Create the coming months' event partitions; move stray old rows out of the default."""
    from analytics.partitions import event_partitions_ensure_ahead, event_partitions_split_default

    return event_partitions_ensure_ahead() + event_partitions_split_default()
