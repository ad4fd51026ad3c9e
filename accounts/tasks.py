"""Thin Celery wrappers around accounts services (default queue)."""

from celery import shared_task
from django.db import OperationalError


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def followers_notify_task(
    *, creator_id: int, kind: str, video_id: int | None = None, course_id: int | None = None
) -> int:
    """Tell a creator's followers about a new video or course; safe to repeat."""
    from accounts.notifications import followers_notify

    return followers_notify(
        creator_id=creator_id, kind=kind, video_id=video_id, course_id=course_id
    )
