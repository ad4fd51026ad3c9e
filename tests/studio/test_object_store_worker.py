"""A real Celery worker transcodes an upload it reads from the object store and
writes back there; nothing lands on the local disk (tests/media_store.py)."""

from typing import Any

import pytest

from courses.models import MediaAsset
from courses.tasks import media_asset_process_task
from demo.clips import ClipSpec, render_clip
from kfplatform.celery import app
from tests.conftest import wait_until

from .conftest import media_files
from .helpers import upload_all

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker_env(object_store: Any) -> dict[str, str]:
    """The worker process reads the store's settings from its environment."""
    return {
        "KF_MEDIA_STORAGE": "s3",
        "KF_S3_BUCKET": object_store.bucket_name,
        "KF_S3_ENDPOINT_URL": object_store.endpoint_url,
        "KF_S3_ACCESS_KEY_ID": object_store.access_key,
        "KF_S3_SECRET_ACCESS_KEY": object_store.secret_key,
        "KF_S3_ADDRESSING_STYLE": "path",
        "KF_S3_LOCATION": object_store.location,
    }


def test_a_worker_transcodes_from_the_store_into_the_store(
    object_store: Any, celery_worker: str, creator_api, monkeypatch, tmp_path
) -> None:
    # given: tasks go through the broker to the test's own worker queue
    monkeypatch.setitem(app.conf, "task_always_eager", False)
    monkeypatch.setattr(
        media_asset_process_task,
        "delay",
        lambda **kwargs: media_asset_process_task.apply_async(kwargs=kwargs, queue=celery_worker),
    )
    source = tmp_path / "tall.mp4"
    render_clip(ClipSpec(caption="store", hue=0.7, seconds=1.0, width=1080, height=1920), source)
    local_before = media_files()
    # when: uploaded in chunks (assembled in the store)
    response = upload_all(creator_api, source.read_bytes(), chunk=256 * 1024)
    # then: the worker reads the upload from the store and writes the 720p result there
    assert response.status_code == 201
    asset_id = response.json()["asset"]["id"]
    assert wait_until(
        lambda: MediaAsset.objects.get(pk=asset_id).status == MediaAsset.Status.READY,
        timeout=180,  # a loaded CI machine starts the worker slowly
    ), MediaAsset.objects.get(pk=asset_id).failure_reason
    asset = MediaAsset.objects.get(pk=asset_id)
    assert (asset.width, asset.height, asset.video_codec) == (720, 1280, "h264")
    assert object_store.exists(asset.file.name)
    assert object_store.exists(asset.poster.name)
    assert object_store.size(asset.file.name) == asset.size_bytes
    assert list(object_store.bucket.objects.filter(Prefix=object_store.key("private/"))) == []
    assert media_files() == local_before
