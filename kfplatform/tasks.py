"""Thin Celery wrappers for work that spans apps."""

from celery import shared_task


@shared_task(acks_late=True)
def dashboard_warm_task() -> None:
    """Rebuild the dashboard's preset reports after the rollups changed."""
    from kfplatform.dashboard.reports import default_today, platform_reports_warm

    platform_reports_warm(today=default_today())
