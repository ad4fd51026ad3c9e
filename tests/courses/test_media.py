from pathlib import Path

import pytest
from django.conf import settings

from courses.media.probe import MediaProbeError, probe
from courses.models import MediaAsset
from courses.services import media_asset_process
from tests.factories import MediaAssetFactory


def test_probe_reads_a_real_clip(make_clip) -> None:
    info = probe(Path(settings.MEDIA_ROOT) / make_clip())
    assert (info.width, info.height) == (360, 640)
    assert info.video_codec == "h264"
    assert info.audio_codec == "aac"
    assert info.duration_seconds == pytest.approx(2.0, abs=0.1)
    assert info.is_browser_playable


@pytest.mark.parametrize(
    "content", [b"", b"just some text, named .mp4", b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64]
)
def test_probe_refuses_what_is_not_a_video(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "fake.mp4"
    path.write_bytes(content)
    with pytest.raises(MediaProbeError):
        probe(path)


@pytest.mark.django_db
def test_processing_makes_a_real_clip_ready_with_a_poster(make_clip) -> None:
    # given
    asset = MediaAssetFactory.create(status=MediaAsset.Status.UPLOADED, file=make_clip())
    # when
    media_asset_process(asset_id=asset.pk)
    # then
    asset.refresh_from_db()
    assert asset.status == MediaAsset.Status.READY
    assert (asset.width, asset.height, asset.video_codec) == (360, 640, "h264")
    assert asset.poster
    assert (Path(settings.MEDIA_ROOT) / asset.poster.name).stat().st_size > 0


@pytest.mark.django_db
def test_processing_twice_changes_nothing(make_clip) -> None:
    asset = MediaAssetFactory.create(status=MediaAsset.Status.UPLOADED, file=make_clip())
    first = media_asset_process(asset_id=asset.pk)
    second = media_asset_process(asset_id=asset.pk)
    assert (first.poster.name, first.status) == (second.poster.name, second.status)


@pytest.mark.django_db
def test_a_truncated_file_fails_with_a_reason(make_clip) -> None:
    # given: the first 2 KB of a real clip
    whole = (Path(settings.MEDIA_ROOT) / make_clip()).read_bytes()
    cut = Path(settings.MEDIA_ROOT) / "videos/test/cut.mp4"
    cut.write_bytes(whole[:2048])
    asset = MediaAssetFactory.create(status=MediaAsset.Status.UPLOADED, file="videos/test/cut.mp4")
    # when
    media_asset_process(asset_id=asset.pk)
    # then
    asset.refresh_from_db()
    assert asset.status == MediaAsset.Status.FAILED
    assert "not a readable video" in asset.failure_reason
