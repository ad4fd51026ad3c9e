"""Thin Celery wrappers around catalogue services.

Media tasks are named ``media_*`` so ``CELERY_TASK_ROUTES`` sends them to
the ``media`` queue. acks_late + reject_on_worker_lost (settings) make a
task whose worker dies run again; the service is safe to repeat.
"""

from celery import shared_task
from django.db import OperationalError


@shared_task(acks_late=True)
def media_asset_process_task(*, asset_id: int) -> None:
    """Probe a new upload and make it ready (or failed, with a reason); safe to repeat."""
    from courses.media.services import media_asset_process

    media_asset_process(asset_id=asset_id)


@shared_task(acks_late=True)
def media_asset_analyse_task(*, asset_id: int) -> None:
    """Analyse a ready video (keyframes, on-screen text, risk, duplicates); safe to repeat."""
    from courses.media.analysis import media_asset_analyse

    media_asset_analyse(asset_id=asset_id)


@shared_task
def media_assets_requeue_stale_task() -> int:
    """Queue again the assets a lost task or a killed worker left behind."""
    from courses.media.services import media_assets_requeue_stale

    return media_assets_requeue_stale()


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def trending_refresh_task() -> int:
    """Recompute every published video's trending score (beat: every ten minutes)."""
    from courses.trending import trending_refresh

    return trending_refresh()
