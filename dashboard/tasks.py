"""Thin Celery wrappers for the dashboards."""

from celery import shared_task


# The name is explicit: beat rows and queued messages use the name this task had
# before it moved out of kfplatform/.
@shared_task(name="kfplatform.tasks.dashboard_warm_task", acks_late=True)
def dashboard_warm_task() -> None:
    """Rebuild the dashboard's preset reports after the rollups changed."""
    from dashboard.reports import default_today, platform_reports_warm

    platform_reports_warm(today=default_today())
