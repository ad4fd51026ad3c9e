"""Writes for the catalogue: media processing, publishing and enrollment."""

import io
import logging
from pathlib import Path

from django.core.files.base import ContentFile, File
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from common.exceptions import ApplicationError

from .media_probe import MediaProbeError, poster_frame, probe
from .models import Course, Enrollment, MediaAsset, PublishStatus, ShortVideo
from .search_text import segment
from .tasks import media_asset_process_task

logger = logging.getLogger(__name__)


@transaction.atomic
def media_asset_create(
    *, owner_id: int, file: File, kind: str = MediaAsset.Kind.VIDEO
) -> MediaAsset:
    """Store an uploaded file and queue its processing once the row is committed."""
    asset = MediaAsset(owner_id=owner_id, kind=kind, size_bytes=file.size or 0)
    asset.file.save(Path(file.name or "upload.mp4").name, file, save=False)
    asset.full_clean()
    asset.save()
    transaction.on_commit(lambda: media_asset_process_task.delay(asset_id=asset.pk))
    return asset


def media_asset_process(*, asset_id: int) -> MediaAsset:
    """Probe an asset, make its poster and mark it ready or failed. Safe to re-run.

    The slow probe runs outside any transaction; the state moves under a row
    lock so two workers never both process one asset to different ends.
    """
    asset = _asset_claim(asset_id=asset_id)
    if asset.status == MediaAsset.Status.READY:
        return asset
    path = Path(asset.file.path)
    try:
        info = probe(path)
        if not info.is_browser_playable:
            raise MediaProbeError(
                f"{info.video_codec or 'unknown'} video in {info.container} is not "
                "H.264 MP4; upload an H.264 MP4 file."
            )
        poster = poster_frame(path)
    except MediaProbeError as exc:
        return _asset_fail(asset_id=asset_id, reason=str(exc))
    buffer = io.BytesIO()
    poster.convert("RGB").save(buffer, format="JPEG", quality=80)
    with transaction.atomic():
        asset = MediaAsset.objects.select_for_update().get(pk=asset_id)
        if not asset.poster:
            asset.poster.save(f"{path.stem}.jpg", ContentFile(buffer.getvalue()), save=False)
        asset.status = MediaAsset.Status.READY
        asset.failure_reason = ""
        asset.duration_seconds = round(info.duration_seconds, 3)
        asset.width, asset.height = info.width, info.height
        asset.video_codec, asset.audio_codec = info.video_codec, info.audio_codec
        asset.size_bytes = path.stat().st_size
        asset.save()
    return asset


@transaction.atomic
def _asset_claim(*, asset_id: int) -> MediaAsset:
    asset = MediaAsset.objects.select_for_update().get(pk=asset_id)
    if asset.status != MediaAsset.Status.READY:
        asset.status = MediaAsset.Status.PROCESSING
        asset.save(update_fields=["status", "updated_at"])
    return asset


@transaction.atomic
def _asset_fail(*, asset_id: int, reason: str) -> MediaAsset:
    asset = MediaAsset.objects.select_for_update().get(pk=asset_id)
    asset.status = MediaAsset.Status.FAILED
    asset.failure_reason = reason[:300]
    asset.save(update_fields=["status", "failure_reason", "updated_at"])
    logger.info("media asset %s failed: %s", asset_id, reason)
    return asset


def short_video_search_text(video: ShortVideo, tag_names: list[str]) -> str:
    """The segmented text search matches a video by."""
    return segment(" ".join([video.title, video.description, *tag_names]))


def course_search_text(course: Course, tag_names: list[str]) -> str:
    """The segmented text search matches a course by."""
    return segment(" ".join([course.title, course.summary, course.description, *tag_names]))


@transaction.atomic
def short_video_publish(*, video: ShortVideo) -> ShortVideo:
    """Publish a video whose media is ready; moderation still decides visibility."""
    video = ShortVideo.objects.select_for_update().select_related("asset").get(pk=video.pk)
    if video.asset.status != MediaAsset.Status.READY:
        raise ApplicationError("The video is still processing.", code="media_not_ready")
    video.status = PublishStatus.PUBLISHED
    video.published_at = video.published_at or timezone.now()
    video.duration_seconds = video.asset.duration_seconds
    video.save(update_fields=["status", "published_at", "duration_seconds", "updated_at"])
    return video


@transaction.atomic
def enrollment_grant(
    *, user_id: int, course: Course, source: str = Enrollment.Source.PURCHASE
) -> Enrollment:
    """Give a user access to a course. Safe to call twice (webhook and redirect both do)."""
    enrollment, created = Enrollment.objects.select_for_update().get_or_create(
        user_id=user_id, course=course, defaults={"source": source}
    )
    if not created and enrollment.is_active:
        return enrollment
    if created:
        Course.objects.filter(pk=course.pk).update(enrollment_count=F("enrollment_count") + 1)
    else:
        enrollment.is_active = True
        enrollment.save(update_fields=["is_active", "updated_at"])
    return enrollment
