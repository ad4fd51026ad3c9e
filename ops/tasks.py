"""Thin Celery wrappers for operations."""

from celery import Task, shared_task


# The name is explicit: it is a wire contract (beat rows, queued messages, the
# ``task`` label of the metrics) older than the move of this task out of kfplatform/.
@shared_task(name="kfplatform.tasks.worker_heartbeat_task", bind=True, ignore_result=True)
def worker_heartbeat_task(self: Task, *, queue: str) -> None:
    """The canary: beat sends one to each queue every 30 s; running it proves
    that queue is being consumed (readiness and metrics read the stamp)."""
    from ops.health import worker_heartbeat_record

    worker_heartbeat_record(queue=queue, hostname=str(self.request.hostname or ""))
