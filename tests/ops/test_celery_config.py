"""The Celery configuration production runs: every beat entry runs something, somewhere."""

from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone

from courses.models import ShortVideo
from courses.tasks import trending_refresh_task
from kfplatform.celery import app
from ops.config import beat_schedule
from ops.models import WorkerHeartbeat
from ops.tasks import worker_heartbeat_task
from tests.factories import ShortVideoFactory


@pytest.fixture(scope="module")
def registered() -> set[str]:
    app.loader.import_default_modules()  # what a worker imports at start
    return set(app.tasks)


def test_every_beat_entry_names_a_registered_task(registered: set[str]) -> None:
    unknown = {
        name: entry["task"]
        for name, entry in settings.CELERY_BEAT_SCHEDULE.items()
        if entry["task"] not in registered
    }
    assert unknown == {}


def test_every_beat_entry_goes_to_a_queue_that_has_workers(registered: set[str]) -> None:
    schedule: dict[str, dict[str, Any]] = settings.CELERY_BEAT_SCHEDULE
    for name, entry in schedule.items():
        options = dict(entry.get("options", {}))
        route = app.amqp.router.route(options, entry["task"], (), entry.get("kwargs", {}))
        assert route["queue"].name in settings.KF_WORKER_QUEUES, name


def test_the_redis_visibility_timeout_outlasts_every_task_and_retry(registered: set[str]) -> None:
    # A Redis broker hands an unacknowledged task to another worker after the
    # visibility timeout: a task still running then would run twice.
    timeout = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    ours = [app.tasks[name] for name in registered if not name.startswith("celery.")]
    for task in ours:
        hard = task.time_limit or settings.CELERY_TASK_TIME_LIMIT
        assert hard < timeout, task.name
        backoff = (
            getattr(task, "retry_backoff_max", 0) if getattr(task, "retry_backoff", False) else 0
        )
        assert max(backoff, task.default_retry_delay or 0) < timeout, task.name
    assert settings.CELERY_TASK_SOFT_TIME_LIMIT < settings.CELERY_TASK_TIME_LIMIT


@pytest.mark.django_db
def test_trending_refresh_runs_as_a_task() -> None:
    # given: a video published today, never scored
    video = ShortVideoFactory.create(status="published", published_at=timezone.now())
    ShortVideo.objects.filter(pk=video.pk).update(trending_score=0)
    # when: beat's entry runs
    changed = trending_refresh_task.apply().get()
    # then: the new-video boost is stored
    assert changed >= 1
    assert ShortVideo.objects.get(pk=video.pk).trending_score > 0


@pytest.mark.django_db
def test_the_heartbeat_task_stamps_its_queue() -> None:
    worker_heartbeat_task.apply(kwargs={"queue": "media"})
    beat = WorkerHeartbeat.objects.get(queue="media")
    assert timezone.now() - beat.seen_at < timedelta(seconds=30)
    worker_heartbeat_task.apply(kwargs={"queue": "media"})
    assert WorkerHeartbeat.objects.count() == 1


def test_heartbeats_go_every_heartbeat_interval_and_a_late_one_expires_before_the_next() -> None:
    schedule = beat_schedule(["media"], heartbeat_seconds=6)
    entry = schedule["worker-heartbeat-media"]
    assert entry["schedule"] == timedelta(seconds=6)
    assert entry["options"] == {"queue": "media", "expires": 5}
    default = beat_schedule(["media"])["worker-heartbeat-media"]
    assert (default["schedule"], default["options"]["expires"]) == (timedelta(seconds=30), 25)
