"""Thin Celery wrappers around catalogue services."""

from celery import shared_task


@shared_task(acks_late=True)
def media_asset_process_task(*, asset_id: int) -> None:
    """Probe a new upload and make it ready (or failed, with a reason); safe to repeat."""
    from courses.services import media_asset_process

    media_asset_process(asset_id=asset_id)
