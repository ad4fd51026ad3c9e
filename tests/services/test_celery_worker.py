"""A task travels through Redis to a real Celery worker process and changes PostgreSQL.

The ``celery_worker`` fixture lives in tests/conftest.py.
"""

import pytest

from courses.models import MediaAsset
from courses.tasks import media_asset_process_task
from kfplatform.celery import app
from tests.conftest import wait_until
from tests.factories import MediaAssetFactory

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_media_processing_runs_on_a_real_worker(celery_worker: str, make_clip, monkeypatch) -> None:
    # given: an uploaded clip, committed so the worker's connection sees it
    asset = MediaAssetFactory.create(status=MediaAsset.Status.UPLOADED, file=make_clip())
    monkeypatch.setitem(app.conf, "task_always_eager", False)
    # when
    media_asset_process_task.apply_async(kwargs={"asset_id": asset.pk}, queue=celery_worker)
    # then
    assert wait_until(lambda: MediaAsset.objects.get(pk=asset.pk).status == MediaAsset.Status.READY)
    asset.refresh_from_db()
    assert (asset.width, asset.height, asset.video_codec) == (360, 640, "h264")
    assert asset.poster.name
