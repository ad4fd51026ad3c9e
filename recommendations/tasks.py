"""Thin Celery wrappers for the recommender (queue ``ml``)."""

from celery import Task, shared_task


@shared_task(acks_late=True, bind=True, max_retries=5, default_retry_delay=60)
def recommender_retrain_task(self: Task) -> None:
    """Retrain and publish a new version; a crash leaves the old one serving.

    When another retrain holds the lock, try again in a minute (up to five
    times): a run whose worker was just killed frees it within moments.
    """
    from recommendations.services import RetrainAlreadyRunning, recommender_retrain

    try:
        recommender_retrain()
    except RetrainAlreadyRunning as exc:
        raise self.retry(exc=exc) from exc
