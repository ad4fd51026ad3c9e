"""An upload is processed by a real Celery worker over Redis, against PostgreSQL."""

from pathlib import Path

import pytest

from courses.media.probe import probe
from courses.models import MediaAsset
from courses.tasks import media_asset_process_task
from demo.clips import ClipSpec, render_clip
from kfplatform.celery import app
from tests.conftest import wait_until

from .helpers import upload_all

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_an_upload_is_transcoded_on_a_real_worker(
    celery_worker: str, creator_api, monkeypatch, tmp_path
) -> None:
    # given: tasks go through the broker to the test's own worker queue
    monkeypatch.setitem(app.conf, "task_always_eager", False)
    monkeypatch.setattr(
        media_asset_process_task,
        "delay",
        lambda **kwargs: media_asset_process_task.apply_async(kwargs=kwargs, queue=celery_worker),
    )
    source = tmp_path / "tall.mp4"
    render_clip(ClipSpec(caption="worker", hue=0.3, seconds=1.0, width=1080, height=1920), source)
    # when: uploaded in chunks
    response = upload_all(creator_api, source.read_bytes(), chunk=256 * 1024)
    # then: the request returns at once; the worker transcodes to 720 wide
    assert response.status_code == 201
    asset_id = response.json()["asset"]["id"]
    assert wait_until(
        lambda: MediaAsset.objects.get(pk=asset_id).status == MediaAsset.Status.READY,
        timeout=180,  # a loaded CI machine starts the worker slowly
    ), MediaAsset.objects.get(pk=asset_id).failure_reason
    asset = MediaAsset.objects.get(pk=asset_id)
    assert (asset.width, asset.height, asset.video_codec) == (720, 1280, "h264")
    assert probe(Path(asset.file.path)).is_fast_start
    assert asset.poster.name
