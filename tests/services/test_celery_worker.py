"""A task travels through Redis to a real Celery worker process and changes PostgreSQL."""

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator

import pytest
from django.conf import settings
from django.db import connection

from courses.models import MediaAsset
from courses.tasks import media_asset_process_task
from kfplatform.celery import app
from tests.factories import MediaAssetFactory

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def _database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


@pytest.fixture
def celery_worker(postgres, broker_url: str) -> Iterator[str]:
    """Start a worker on a queue of its own, pointed at this test's database."""
    queue = f"test-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "kfplatform.settings.test",
        "DATABASE_URL": _database_url(),
        "DJANGO_MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "CELERY_BROKER_URL": broker_url,
    }
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "kfplatform",
            "worker",
            "-Q",
            queue,
            "--concurrency",
            "1",
            "--pool",
            "prefork",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-l",
            "warning",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        yield queue
    finally:
        worker.terminate()
        output, _ = worker.communicate(timeout=30)
        sys.stderr.write(output)  # pytest shows it when the test fails


def _wait_for(predicate, timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.25)
    return False


def test_media_processing_runs_on_a_real_worker(celery_worker: str, make_clip, monkeypatch) -> None:
    # given: an uploaded clip, committed so the worker's connection sees it
    asset = MediaAssetFactory.create(status=MediaAsset.Status.UPLOADED, file=make_clip())
    monkeypatch.setitem(app.conf, "task_always_eager", False)
    # when
    media_asset_process_task.apply_async(kwargs={"asset_id": asset.pk}, queue=celery_worker)
    # then
    assert _wait_for(lambda: MediaAsset.objects.get(pk=asset.pk).status == MediaAsset.Status.READY)
    asset.refresh_from_db()
    assert (asset.width, asset.height, asset.video_codec) == (360, 640, "h264")
    assert asset.poster.name
