"""Media writes: create an asset from an upload, process it, retry it.

``uploaded → processing → ready | failed``. Processing probes the file with
PyAV, refuses what is not a usable video (deleting the file, so no orphan is
left), transcodes to H.264/AAC MP4 ≤720p when the source would not play as
is, writes a poster and moves the result to its public or private folder.
Files go through the storage API (``common.storage``): on an object store
the worker downloads the source to a temporary folder, works there and
uploads the result, so no node keeps a file. The slow work runs outside
transactions; every state change happens under a
row lock, so re-running (a redelivered task, a second click on retry) only
ever finishes the same asset once.

Re-exported from ``courses.services``.
"""

import io
import logging
import tempfile
from contextlib import ExitStack
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile, File
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from common.exceptions import ApplicationError
from common.files import files_delete_on_commit
from common.storage import local_copy, store_local_file, store_move, work_dir_for
from common.tasks import task_send_or_leave_to_sweeper

from ..models import Captions, MediaAsset
from ..tasks import media_asset_analyse_task, media_asset_process_task
from .analysis import SharedAnalysis, analysis_store, keyframe_files_of
from .probe import MediaInfo, MediaProbeError, poster_frame, probe
from .transcode import transcode

logger = logging.getLogger(__name__)

INCOMING_DIR = "private/incoming"
_REASON_MAX = 300


def media_incoming_name(token: str) -> str:
    """Storage name of a file still being uploaded or waiting to be processed."""
    return f"{INCOMING_DIR}/{token}"


@transaction.atomic
def media_asset_create(
    *,
    owner_id: int,
    file: File | None = None,
    stored_name: str | None = None,
    kind: str = MediaAsset.Kind.VIDEO,
    is_private: bool = False,
) -> MediaAsset:
    """Register an uploaded file and queue its processing once the row is committed.

    Args:
        file: a file to copy into storage, or
        stored_name: a file already in storage (a finished resumable upload),
            taken over without copying.
    """
    asset = MediaAsset(owner_id=owner_id, kind=kind, is_private=is_private)
    if stored_name is not None:
        asset.file.name = stored_name
        asset.size_bytes = asset.file.size
    elif file is not None:
        asset.size_bytes = file.size or 0
        asset.file.save(Path(file.name or "upload.mp4").name, file, save=False)
    else:
        raise ApplicationError(_("No file was given."), code="no_file")
    asset.full_clean()
    asset.save()
    transaction.on_commit(
        lambda: task_send_or_leave_to_sweeper(media_asset_process_task, asset_id=asset.pk)
    )
    return asset


def media_asset_process(*, asset_id: int) -> MediaAsset:
    """Probe, check, transcode if needed, make a poster; end ready or failed. Safe to re-run.

    A file that is not a usable video is deleted and the asset fails with a
    reason for the creator. An unexpected error keeps the file, marks the
    asset failed (retryable) and propagates.
    """
    asset = _asset_claim(asset_id=asset_id)
    if asset.status == MediaAsset.Status.READY:
        return asset
    storage, name = asset.file.storage, asset.file.name
    if not name or not storage.exists(name):
        return _asset_fail(asset_id=asset_id, reason="The file is gone; upload it again.")
    shared = None
    with ExitStack() as stack:
        folder = work_dir_for(storage, name) or Path(
            stack.enter_context(tempfile.TemporaryDirectory(prefix="kf-media-"))
        )
        work = folder / f"{Path(name).name.split('.')[0]}.work.mp4"
        try:
            source = stack.enter_context(local_copy(storage, name, work_dir=folder))
            info = probe(source)
            _check_limits(asset, info)
            transcoded = info.needs_transcode
            if transcoded:
                shared = SharedAnalysis() if _vision_wanted(asset) else None
                transcode(source, work, on_video_frame=shared.offer if shared else None)
                info = probe(work)
            poster = _jpeg(work if transcoded else source)
        except MediaProbeError as exc:
            work.unlink(missing_ok=True)
            return _asset_reject(asset_id=asset_id, reason=str(exc))
        except Exception:
            work.unlink(missing_ok=True)
            _asset_fail(asset_id=asset_id, reason="Processing stopped unexpectedly; try again.")
            raise
        asset = _asset_finish(
            asset_id=asset_id, output=work if transcoded else None, info=info, poster=poster
        )
    _analysis_after_processing(asset, shared)
    return asset


def _vision_wanted(asset: MediaAsset) -> bool:
    return settings.COURSES_VISION_ENABLED and asset.kind == MediaAsset.Kind.VIDEO


def _analysis_after_processing(asset: MediaAsset, shared: SharedAnalysis | None) -> None:
    """Store the analysis made on the transcode's decode, or queue one of its own.

    The asset is ready before this runs: a creator never waits on, or
    fails by, the analysis.
    """
    if not asset.is_ready or not _vision_wanted(asset):
        return
    result = shared.finish() if shared is not None else None
    if result is not None:
        try:
            analysis_store(asset_id=asset.pk, result=result)
            return
        except Exception:
            logger.exception("storing the analysis of asset %s failed; queued again", asset.pk)
    transaction.on_commit(
        lambda: task_send_or_leave_to_sweeper(media_asset_analyse_task, asset_id=asset.pk)
    )


def _check_limits(asset: MediaAsset, info: MediaInfo) -> None:
    """Short videos (public assets) and lessons (private) have their own length limits."""
    limit = (
        settings.COURSES_LESSON_MAX_SECONDS
        if asset.is_private
        else settings.COURSES_SHORT_VIDEO_MAX_SECONDS
    )
    if info.duration_seconds > limit:
        kind = "lesson videos" if asset.is_private else "short videos"
        raise MediaProbeError(
            f"The video is {info.duration_seconds:.0f} s long; {kind} may be at most {limit} s."
        )
    if info.duration_seconds <= 0:
        raise MediaProbeError("The video has no duration; is the file complete?")


def _jpeg(path: Path) -> bytes:
    buffer = io.BytesIO()
    poster_frame(path).convert("RGB").save(buffer, format="JPEG", quality=80)
    return buffer.getvalue()


def _final_name(asset: MediaAsset, stem: str) -> str:
    """Where a finished video goes (made unique when stored)."""
    root = "private/videos" if asset.is_private else "videos"
    return f"{root}/{timezone.now():%Y/%m}/{stem}.mp4"


def _asset_finish(
    *, asset_id: int, output: Path | None, info: MediaInfo, poster: bytes
) -> MediaAsset:
    """Put the playable file in place and mark the asset ready, once.

    ``output`` is the transcoded file (``None``: the source plays as is and
    only moves out of the incoming folder).
    """
    with transaction.atomic():
        asset = MediaAsset.objects.select_for_update().get(pk=asset_id)
        if asset.status == MediaAsset.Status.READY:
            if output is not None:
                output.unlink(missing_ok=True)
            return asset
        storage, source = asset.file.storage, asset.file.name
        stem = Path(source).name.split(".")[0]
        if output is not None:
            asset.file.name = store_local_file(storage, output, _final_name(asset, stem))
        elif source.startswith(f"{INCOMING_DIR}/"):
            asset.file.name = store_move(storage, source, _final_name(asset, stem))
        name = asset.file.name
        if not asset.poster:
            asset.poster.save(f"{Path(name).stem}.jpg", ContentFile(poster), save=False)
        asset.status = MediaAsset.Status.READY
        asset.failure_reason = ""
        asset.duration_seconds = round(info.duration_seconds, 3)
        asset.width, asset.height = info.width, info.height
        asset.video_codec, asset.audio_codec = info.video_codec, info.audio_codec
        asset.size_bytes = asset.file.size
        asset.save()
        if source != name:
            files_delete_on_commit(storage=storage, names=[source])
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
    """Mark failed and keep the file, so a retry can run again."""
    asset = MediaAsset.objects.select_for_update().get(pk=asset_id)
    if asset.status == MediaAsset.Status.READY:
        return asset
    asset.status = MediaAsset.Status.FAILED
    asset.failure_reason = reason[:_REASON_MAX]
    asset.save(update_fields=["status", "failure_reason", "updated_at"])
    logger.info("media asset %s failed: %s", asset_id, reason)
    return asset


@transaction.atomic
def _asset_reject(*, asset_id: int, reason: str) -> MediaAsset:
    """Mark failed and delete the file: it is not a video we can serve."""
    asset = MediaAsset.objects.select_for_update().get(pk=asset_id)
    if asset.status == MediaAsset.Status.READY:
        return asset
    files_delete_on_commit(storage=asset.file.storage, names=[asset.file.name])
    asset.file.name = ""
    asset.status = MediaAsset.Status.FAILED
    asset.failure_reason = reason[:_REASON_MAX]
    asset.size_bytes = 0
    asset.save(update_fields=["file", "status", "failure_reason", "size_bytes", "updated_at"])
    logger.info("media asset %s rejected: %s", asset_id, reason)
    return asset


def media_stale_before(*, now: datetime) -> datetime:
    """Assets still ``uploaded``/``processing`` since before this are stuck."""
    return now - timedelta(seconds=settings.COURSES_MEDIA_STALE_SECONDS)


def media_asset_is_retryable(asset: MediaAsset, *, now: datetime) -> bool:
    """Failed with its file kept, or stuck past the worker's time limit."""
    if asset.status == MediaAsset.Status.FAILED:
        return bool(asset.file)
    if asset.status in (MediaAsset.Status.UPLOADED, MediaAsset.Status.PROCESSING):
        return asset.updated_at < media_stale_before(now=now)
    return False


@transaction.atomic
def media_asset_retry(*, asset: MediaAsset, now: datetime | None = None) -> MediaAsset:
    """Queue a failed or stuck asset again; refuse when there is nothing to retry."""
    now = now or timezone.now()
    asset = MediaAsset.objects.select_for_update().get(pk=asset.pk)
    if not media_asset_is_retryable(asset, now=now):
        if asset.status == MediaAsset.Status.FAILED:
            message = _("The file was refused and deleted; upload it again.")
        else:
            message = _("This video is not failed or stuck; nothing to retry.")
        raise ApplicationError(message, code="not_retryable", status=409)
    asset.status = MediaAsset.Status.UPLOADED
    asset.failure_reason = ""
    asset.save(update_fields=["status", "failure_reason", "updated_at"])
    transaction.on_commit(
        lambda: task_send_or_leave_to_sweeper(media_asset_process_task, asset_id=asset.pk)
    )
    return asset


@transaction.atomic
def media_assets_requeue_stale(*, now: datetime | None = None) -> int:
    """Queue again every asset stuck in ``uploaded``/``processing`` (a lost task or worker)."""
    now = now or timezone.now()
    stuck = MediaAsset.objects.select_for_update(skip_locked=True).filter(
        Q(status=MediaAsset.Status.UPLOADED) | Q(status=MediaAsset.Status.PROCESSING),
        updated_at__lt=media_stale_before(now=now),
    )
    ids = list(stuck.values_list("pk", flat=True)[:500])
    MediaAsset.objects.filter(pk__in=ids).update(status=MediaAsset.Status.UPLOADED, updated_at=now)
    for asset_id in ids:
        transaction.on_commit(
            partial(task_send_or_leave_to_sweeper, media_asset_process_task, asset_id=asset_id)
        )
    for asset_id in _unanalysed_ids(now=now):
        transaction.on_commit(
            partial(task_send_or_leave_to_sweeper, media_asset_analyse_task, asset_id=asset_id)
        )
    return len(ids)


def _unanalysed_ids(*, now: datetime) -> list[int]:
    """Ready videos whose analysis task was lost (a broker outage, a killed worker)."""
    if not settings.COURSES_VISION_ENABLED:
        return []
    ready = MediaAsset.objects.filter(
        kind=MediaAsset.Kind.VIDEO,
        status=MediaAsset.Status.READY,
        analysis__isnull=True,
        updated_at__lt=media_stale_before(now=now),
    )
    return list(ready.values_list("pk", flat=True)[:100])


@transaction.atomic
def media_asset_delete(*, asset: MediaAsset) -> None:
    """Delete an asset nothing uses, with its files."""
    asset = MediaAsset.objects.select_for_update().get(pk=asset.pk)
    if asset.short_videos.exists() or asset.lessons.exists():
        raise ApplicationError(
            _("A video or lesson still uses this file; remove it there first."),
            code="asset_in_use",
            status=409,
        )
    names = [f.name for f in (asset.file, asset.poster) if f]
    names += keyframe_files_of(asset_ids=[asset.pk])
    asset.delete()
    files_delete_on_commit(storage=MediaAsset._meta.get_field("file").storage, names=names)


CAPTIONS_MAX_BYTES = 200_000


@transaction.atomic
def media_asset_captions_set(
    *, asset: MediaAsset, vtt: bytes | None, language: str = Captions.Language.ZH_HANS
) -> Captions | None:
    """Attach WebVTT subtitles to a video (``None`` removes them).

    Raises:
        ApplicationError: not a UTF-8 WebVTT file of at most ``CAPTIONS_MAX_BYTES``.
    """
    if vtt is None:
        Captions.objects.filter(asset=asset).delete()
        MediaAsset.objects.filter(pk=asset.pk).update(captions_language="")
        asset.captions_language = ""
        return None
    text = _captions_text(vtt)
    captions, _created = Captions.objects.update_or_create(
        asset=asset, defaults={"vtt": text, "language": language}
    )
    MediaAsset.objects.filter(pk=asset.pk).update(captions_language=language)
    asset.captions_language = language
    return captions


def _captions_text(vtt: bytes) -> str:
    problem = ""
    if len(vtt) > CAPTIONS_MAX_BYTES:
        problem = _("Subtitles are at most 200 KB.")
    else:
        try:
            text = vtt.decode("utf-8-sig")
        except UnicodeDecodeError:
            text, problem = "", _("Subtitles must be UTF-8 text.")
        if not problem and (not text.startswith("WEBVTT") or "\x00" in text):
            problem = _("That is not a WebVTT file: it must start with “WEBVTT”.")
    if problem:
        raise ApplicationError(problem, code="captions_invalid")
    return text
