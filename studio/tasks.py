"""Thin Celery wrappers around studio services (default queue)."""

from celery import shared_task


@shared_task
def scheduled_publish_due_task() -> int:
    """Publish the courses and videos whose scheduled time has come."""
    from studio.services import scheduled_publish_due

    return scheduled_publish_due()


@shared_task
def upload_sessions_expire_task() -> int:
    """End expired upload sessions and delete their partial files."""
    from studio.services import upload_sessions_expire

    return upload_sessions_expire()
