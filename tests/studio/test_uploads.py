"""The resumable upload protocol and every hostile or broken input it must refuse."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from courses.models import MediaAsset
from studio.models import UploadSession
from studio.services import upload_sessions_expire

from .conftest import media_files
from .helpers import chunk_put, upload_all, upload_open

pytestmark = pytest.mark.django_db


def test_chunked_upload_ends_ready_with_no_partial_file_left(
    creator_api, clip_bytes, django_capture_on_commit_callbacks
) -> None:
    # given
    before = media_files()
    # when: four chunks
    response = upload_all(
        creator_api,
        clip_bytes,
        chunk=len(clip_bytes) // 4 + 1,
        on_commit=django_capture_on_commit_callbacks,
    )
    # then: created, processed (eager), moved out of incoming/
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "complete"
    assert body["offset"] == len(clip_bytes)
    asset = MediaAsset.objects.get(pk=body["asset"]["id"])
    assert asset.status == MediaAsset.Status.READY
    assert asset.file.name.startswith("videos/")
    assert (asset.width, asset.height, asset.video_codec) == (360, 640, "h264")
    assert media_files() - before == {asset.file.name, asset.poster.name}


def test_session_reports_the_acknowledged_offset_for_resuming(creator_api, clip_bytes) -> None:
    # given: one chunk acknowledged, the second never sent
    url = upload_open(creator_api, len(clip_bytes)).json()["upload_url"]
    chunk_put(creator_api, url, clip_bytes[:1000], 0, len(clip_bytes))
    # when
    response = creator_api.get(url)
    # then
    assert response.json()["offset"] == 1000
    assert response["Upload-Offset"] == "1000"
    assert response["Range"] == "bytes=0-999"
    # and the rest resumes from there
    done = chunk_put(creator_api, url, clip_bytes[1000:], 1000, len(clip_bytes))
    assert done.status_code == 201


def test_chunk_at_the_wrong_offset_is_refused_and_writes_nothing(creator_api, clip_bytes) -> None:
    # given
    url = upload_open(creator_api, len(clip_bytes)).json()["upload_url"]
    chunk_put(creator_api, url, clip_bytes[:1000], 0, len(clip_bytes))
    # when: a chunk that skips bytes, and one that repeats them
    ahead = chunk_put(creator_api, url, clip_bytes[2000:3000], 2000, len(clip_bytes))
    behind = chunk_put(creator_api, url, clip_bytes[500:1500], 500, len(clip_bytes))
    # then
    for response in (ahead, behind):
        assert response.status_code == 409
        assert response.json()["code"] == "offset_mismatch"
        assert response.json()["extra"]["offset"] == 1000
    session = UploadSession.objects.get()
    partial = Path(settings.MEDIA_ROOT) / "private/incoming" / str(session.id)
    assert partial.stat().st_size == 1000


@pytest.mark.parametrize("method", ["get", "put", "delete"])
def test_someone_elses_session_is_not_found(creator_api, other_api, clip_bytes, method) -> None:
    # given
    url = upload_open(creator_api, len(clip_bytes)).json()["upload_url"]
    chunk_put(creator_api, url, clip_bytes[:1000], 0, len(clip_bytes))
    # when
    kwargs = {}
    if method == "put":
        kwargs = {
            "data": clip_bytes[1000:2000],
            "content_type": "application/octet-stream",
            "HTTP_CONTENT_RANGE": f"bytes 1000-1999/{len(clip_bytes)}",
        }
    response = getattr(other_api, method)(url, **kwargs)
    # then
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    session = UploadSession.objects.get()
    assert (session.offset, session.status) == (1000, "active")


def test_text_file_named_mp4_is_refused_on_the_first_chunk(
    creator_api, django_capture_on_commit_callbacks
) -> None:
    # given
    before = media_files()
    text = b"just some text, named like a video\n" * 20
    # when
    response = upload_all(creator_api, text, on_commit=django_capture_on_commit_callbacks)
    # then
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_type"
    assert "not a video" in response.json()["message"]
    assert UploadSession.objects.get().status == "failed"
    assert not MediaAsset.objects.exists()
    assert media_files() == before


def test_truncated_mp4_fails_with_a_reason_and_its_file_is_deleted(
    creator_api, clip_bytes, django_capture_on_commit_callbacks
) -> None:
    # given: the first 3 KB of a real clip (passes the header sniff)
    before = media_files()
    # when
    response = upload_all(
        creator_api, clip_bytes[:3000], on_commit=django_capture_on_commit_callbacks
    )
    # then
    assert response.status_code == 201
    asset = MediaAsset.objects.get()
    assert asset.status == MediaAsset.Status.FAILED
    assert "not a readable video" in asset.failure_reason
    shown = creator_api.get(f"/api/v1/studio/assets/{asset.pk}").json()
    assert (shown["status"], shown["retryable"]) == ("failed", False)
    assert not asset.file
    assert media_files() == before


def test_zero_byte_file_is_refused(creator_api) -> None:
    response = upload_open(creator_api, 0)
    assert response.status_code == 400
    assert response.json()["code"] == "empty_file"
    assert not UploadSession.objects.exists()


def test_oversized_file_is_refused_before_any_byte(creator_api, settings) -> None:
    # given
    settings.STUDIO_UPLOAD_MAX_BYTES = 10_000
    # when
    response = upload_open(creator_api, 10_001)
    # then
    assert response.status_code == 413
    assert response.json()["code"] == "file_too_large"
    assert response.json()["extra"]["max_bytes"] == 10_000
    assert not UploadSession.objects.exists()


def test_bytes_beyond_the_announced_size_are_refused(creator_api, clip_bytes) -> None:
    # given
    url = upload_open(creator_api, 1000).json()["upload_url"]
    # when: a chunk claiming a bigger total, and one running past the end
    bigger = chunk_put(creator_api, url, clip_bytes[:1000], 0, 2000)
    past = creator_api.put(
        url,
        data=clip_bytes[:1500],
        content_type="application/octet-stream",
        HTTP_CONTENT_RANGE="bytes 0-1499/1000",
    )
    # then
    assert bigger.status_code == 400
    assert bigger.json()["code"] == "size_mismatch"
    assert past.status_code == 400
    assert past.json()["code"] == "bad_content_range"
    assert UploadSession.objects.get().offset == 0


def test_too_long_short_video_fails_with_the_limit_and_leaves_no_file(
    creator_api, clip_bytes, settings, django_capture_on_commit_callbacks
) -> None:
    # given: a 2 s clip against a 1 s limit
    settings.COURSES_SHORT_VIDEO_MAX_SECONDS = 1
    before = media_files()
    # when
    response = upload_all(creator_api, clip_bytes, on_commit=django_capture_on_commit_callbacks)
    # then
    asset = MediaAsset.objects.get(pk=response.json()["asset"]["id"])
    assert asset.status == MediaAsset.Status.FAILED
    assert "at most 1 s" in asset.failure_reason
    assert media_files() == before


def test_lesson_video_may_be_longer_and_stays_private(
    creator_api, clip_bytes, settings, django_capture_on_commit_callbacks
) -> None:
    settings.COURSES_SHORT_VIDEO_MAX_SECONDS = 1
    response = upload_all(
        creator_api, clip_bytes, purpose="lesson", on_commit=django_capture_on_commit_callbacks
    )
    asset = MediaAsset.objects.get(pk=response.json()["asset"]["id"])
    assert asset.status == MediaAsset.Status.READY
    assert asset.is_private
    assert asset.file.name.startswith("private/videos/")


def test_chunk_whose_length_differs_from_its_range_is_refused(creator_api, clip_bytes) -> None:
    url = upload_open(creator_api, len(clip_bytes)).json()["upload_url"]
    response = creator_api.put(
        url,
        data=clip_bytes[:500],
        content_type="application/octet-stream",
        HTTP_CONTENT_RANGE=f"bytes 0-999/{len(clip_bytes)}",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "length_mismatch"
    assert UploadSession.objects.get().offset == 0


@pytest.mark.parametrize("header", [None, "bytes=0-10", "bytes 5-1/100", "bytes a-b/c"])
def test_malformed_content_range_is_a_400(creator_api, clip_bytes, header) -> None:
    url = upload_open(creator_api, len(clip_bytes)).json()["upload_url"]
    extra = {"HTTP_CONTENT_RANGE": header} if header else {}
    response = creator_api.put(
        url, data=clip_bytes[:100], content_type="application/octet-stream", **extra
    )
    assert response.status_code == 400
    assert response.json()["code"] == "bad_content_range"


def test_expired_session_refuses_chunks_and_the_sweep_deletes_its_file(
    creator_api, clip_bytes, django_capture_on_commit_callbacks
) -> None:
    # given: a session with bytes on disk, past its expiry
    before = media_files()
    url = upload_open(creator_api, len(clip_bytes)).json()["upload_url"]
    chunk_put(creator_api, url, clip_bytes[:1000], 0, len(clip_bytes))
    UploadSession.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    # when
    response = chunk_put(creator_api, url, clip_bytes[1000:2000], 1000, len(clip_bytes))
    with django_capture_on_commit_callbacks(execute=True):
        swept = upload_sessions_expire()
    # then
    assert response.status_code == 410
    assert response.json()["code"] == "upload_expired"
    assert swept == 1
    assert UploadSession.objects.get().status == "expired"
    assert media_files() == before


def test_session_expiry_follows_the_setting(creator_api, settings) -> None:
    settings.STUDIO_UPLOAD_SESSION_HOURS = 3
    upload_open(creator_api, 100)
    session = UploadSession.objects.get()
    lifetime = session.expires_at - session.created_at
    assert abs(lifetime - timedelta(hours=3)) < timedelta(seconds=5)


def test_cancel_deletes_the_partial_file(
    creator_api, clip_bytes, django_capture_on_commit_callbacks
) -> None:
    before = media_files()
    url = upload_open(creator_api, len(clip_bytes)).json()["upload_url"]
    chunk_put(creator_api, url, clip_bytes[:1000], 0, len(clip_bytes))
    with django_capture_on_commit_callbacks(execute=True):
        response = creator_api.delete(url)
    assert response.json()["status"] == "cancelled"
    assert media_files() == before
    again = chunk_put(creator_api, url, clip_bytes[1000:2000], 1000, len(clip_bytes))
    assert again.status_code == 409
    assert again.json()["code"] == "upload_closed"


def test_viewers_without_a_creator_profile_cannot_upload(api_client, user) -> None:
    api_client.force_authenticate(user)
    response = upload_open(api_client, 100)
    assert response.status_code == 403
    assert response.json()["message"] == "Open a creator profile first."


def test_anonymous_cannot_upload(api_client) -> None:
    assert upload_open(api_client, 100).status_code == 403
