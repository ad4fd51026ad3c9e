"""Processing: transcode when needed, retry after failure, recover from a killed worker."""

from datetime import timedelta
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings
from django.utils import timezone

from common.exceptions import ApplicationError
from courses.media.probe import is_fast_start, probe
from courses.media.services import (
    media_asset_is_retryable,
    media_asset_process,
    media_asset_retry,
    media_assets_requeue_stale,
)
from courses.models import MediaAsset
from demo.clips import ClipSpec, render_clip
from tests.factories import MediaAssetFactory

from .conftest import media_files

pytestmark = pytest.mark.django_db


def _incoming_asset(owner, data: bytes | None = None, *, path: Path | None = None, **fields):
    """An uploaded asset whose file waits in private/incoming/, as an upload leaves it."""
    name = f"private/incoming/test-{MediaAsset.objects.count()}-{timezone.now():%H%M%S%f}"
    target = Path(settings.MEDIA_ROOT) / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data if data is not None else path.read_bytes())  # type: ignore[union-attr]
    return MediaAssetFactory.create(owner=owner, status="uploaded", file=name, **fields)


def test_a_large_source_is_transcoded_to_720p_fast_start_h264(creator, tmp_path) -> None:
    # given: a 1080×1920 portrait clip (short side over 720)
    source = tmp_path / "big.mp4"
    render_clip(ClipSpec(caption="big", hue=0.1, seconds=1.0, width=1080, height=1920), source)
    asset = _incoming_asset(creator, path=source)
    # when
    media_asset_process(asset_id=asset.pk)
    # then
    asset.refresh_from_db()
    assert asset.status == MediaAsset.Status.READY
    assert (asset.width, asset.height) == (720, 1280)
    out = Path(asset.file.path)
    info = probe(out)
    assert (info.video_codec, info.audio_codec) == ("h264", "aac")
    assert is_fast_start(out)
    assert info.duration_seconds == pytest.approx(1.0, abs=0.15)


def test_a_playable_source_is_moved_not_transcoded(creator, clip_bytes) -> None:
    asset = _incoming_asset(creator, clip_bytes)
    with mock.patch("courses.media.services.transcode") as transcode:
        media_asset_process(asset_id=asset.pk)
    asset.refresh_from_db()
    transcode.assert_not_called()
    assert asset.file.name.startswith("videos/")
    assert Path(asset.file.path).read_bytes() == clip_bytes


def test_processing_twice_changes_nothing(
    creator, clip_bytes, django_capture_on_commit_callbacks
) -> None:
    asset = _incoming_asset(creator, clip_bytes)
    with django_capture_on_commit_callbacks(execute=True):
        first = media_asset_process(asset_id=asset.pk)
    files = media_files()
    second = media_asset_process(asset_id=asset.pk)
    assert (first.file.name, first.poster.name) == (second.file.name, second.poster.name)
    assert media_files() == files


def test_an_unexpected_error_keeps_the_file_and_the_retry_button_works(
    creator, clip_bytes, django_capture_on_commit_callbacks
) -> None:
    # given: the poster step crashes once
    asset = _incoming_asset(creator, clip_bytes)
    with (
        mock.patch("courses.media.services.poster_frame", side_effect=RuntimeError("boom")),
        pytest.raises(RuntimeError),
    ):
        media_asset_process(asset_id=asset.pk)
    asset.refresh_from_db()
    assert asset.status == MediaAsset.Status.FAILED
    assert asset.failure_reason == "Processing stopped unexpectedly; try again."
    assert Path(asset.file.path).is_file()
    assert media_asset_is_retryable(asset, now=timezone.now())
    # when
    with django_capture_on_commit_callbacks(execute=True):
        media_asset_retry(asset=asset)
    # then
    asset.refresh_from_db()
    assert asset.status == MediaAsset.Status.READY
    assert asset.failure_reason == ""


def test_a_worker_killed_mid_job_leaves_a_retryable_asset(
    creator, clip_bytes, django_capture_on_commit_callbacks
) -> None:
    # given: claimed ("processing") long ago, then the worker died
    asset = _incoming_asset(creator, clip_bytes)
    long_ago = timezone.now() - timedelta(seconds=settings.COURSES_MEDIA_STALE_SECONDS + 5)
    MediaAsset.objects.filter(pk=asset.pk).update(status="processing", updated_at=long_ago)
    asset.refresh_from_db()
    # then: it counts as stuck, and the periodic sweep finishes it
    assert media_asset_is_retryable(asset, now=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        assert media_assets_requeue_stale() == 1
    asset.refresh_from_db()
    assert asset.status == MediaAsset.Status.READY


def test_a_job_in_progress_is_not_retried(creator, clip_bytes) -> None:
    asset = _incoming_asset(creator, clip_bytes)
    MediaAsset.objects.filter(pk=asset.pk).update(status="processing")
    asset.refresh_from_db()
    with pytest.raises(ApplicationError) as error:
        media_asset_retry(asset=asset)
    assert error.value.code == "not_retryable"
    assert media_assets_requeue_stale() == 0


def test_a_webm_upload_is_transcoded(creator, tmp_path) -> None:
    # given: a VP9 WebM written with PyAV
    import av
    import numpy as np

    source = tmp_path / "clip.webm"
    with av.open(str(source), mode="w", format="webm") as out:
        stream = out.add_stream("libvpx-vp9", rate=12)
        stream.width, stream.height, stream.pix_fmt = 160, 120, "yuv420p"
        for i in range(12):
            rgb = np.full((120, 160, 3), i * 20, dtype=np.uint8)
            out.mux(stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")))
        out.mux(stream.encode())
    asset = _incoming_asset(creator, path=source)
    # when
    media_asset_process(asset_id=asset.pk)
    # then
    asset.refresh_from_db()
    assert (asset.status, asset.video_codec) == (MediaAsset.Status.READY, "h264")
    assert asset.file.name.endswith(".mp4")
