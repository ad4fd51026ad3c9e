"""Thin Celery wrappers for work that spans apps."""

from celery import Task, shared_task


@shared_task(acks_late=True)
def dashboard_warm_task() -> None:
    """Rebuild the dashboard's preset reports after the rollups changed."""
    from kfplatform.dashboard.reports import default_today, platform_reports_warm

    platform_reports_warm(today=default_today())


@shared_task(bind=True, ignore_result=True)
def worker_heartbeat_task(self: Task, *, queue: str) -> None:
    """The canary: beat sends one to each queue every 30 s; running it proves
    that queue is being consumed (readiness and metrics read the stamp)."""
    from kfplatform.health import worker_heartbeat_record

    worker_heartbeat_record(queue=queue, hostname=str(self.request.hostname or ""))
