"""Thin Celery wrappers for the recommender (queue ``ml``)."""

from celery import shared_task


@shared_task(acks_late=True)
def recommender_retrain_task() -> None:
    """Retrain and publish a new version; a crash leaves the old one serving."""
    from recommendations.services import recommender_retrain

    recommender_retrain()
