"""Content understanding, the glue: run courses.vision on a ready video and store what it found.

``media_asset_process`` shares its transcode's decode with a
:class:`~courses.vision.VideoAnalyser` when the upload needs transcoding, and
stores the result as soon as the asset is ready; an upload that plays as is
(nothing to decode for the transcoder) is analysed by its own task on the
``media`` queue afterwards. Either way the video is ``ready`` whatever the
analysis does: a failed analysis is recorded, never a failed upload.

Stored per asset (``VideoAnalysis``): keyframes with their JPEG, time, hash
and risk; the on-screen text lines with the second they appear; chapters; the
perceptual fingerprint; suggestions for the creator. Written in bulk, in one
transaction that replaces an earlier analysis whole, so a re-run (a
redelivered task) leaves the same rows. The risk only orders the moderation
queue and duplicate matches only inform: a moderator decides.

Re-exported from ``courses.services``.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models.fields.files import FieldFile
from django.utils.translation import gettext as _

from common.exceptions import ApplicationError
from common.files import files_delete_on_commit
from common.storage import local_copy

from ..models import (
    Course,
    DuplicateMatch,
    Keyframe,
    MediaAsset,
    PublishStatus,
    ScreenTextLine,
    ShortVideo,
    VideoAnalysis,
)
from ..search.index import search_text_refresh
from ..vision import (
    AnalysisOptions,
    Fingerprint,
    PrescreenOptions,
    VideoAnalyser,
    VideoDecodeError,
    analyse_video,
    clip_similarity,
    document_frequencies,
    screen_text,
    suggest_keywords,
)
from ..vision import VideoAnalysis as Analysis

if TYPE_CHECKING:
    import av

logger = logging.getLogger(__name__)

_DOC_FREQ_CACHE_KEY = "courses:vision:document-frequencies"
_DOC_FREQ_TTL_SECONDS = 3600  # the catalogue's vocabulary moves slowly
_LINE_MAX = 300


def vision_options() -> AnalysisOptions:
    """The pipeline's knobs from the COURSES_VISION_* settings."""
    threads = settings.COURSES_VISION_THREADS
    return AnalysisOptions(
        every_seconds=settings.COURSES_VISION_EVERY_SECONDS,
        threads=threads,
        min_chapter_seconds=settings.COURSES_VISION_MIN_CHAPTER_SECONDS,
        prescreen=PrescreenOptions(
            flag_threshold=settings.COURSES_VISION_FLAG_THRESHOLD,
            min_detection_score=settings.COURSES_VISION_MIN_DETECTION_SCORE,
            threads=threads,
        ),
    )


class SharedAnalysis:
    """An analyser riding on the transcoder's decode that never breaks the transcode.

    A failure inside the analysis (a model that will not load, say) is
    logged and the analyser dropped; the asset is then analysed by its own
    task after it is ready.
    """

    def __init__(self) -> None:
        self._analyser: VideoAnalyser | None = VideoAnalyser(vision_options())

    def offer(self, frame: av.VideoFrame) -> None:
        if self._analyser is None:
            return
        try:
            self._analyser.offer(frame)
        except SoftTimeLimitExceeded:
            raise  # the task's own deadline: stop the transcode too, as without analysis
        except Exception:
            logger.exception("analysis on the transcode's decode failed; left to its own task")
            self._analyser = None

    def finish(self) -> Analysis | None:
        if self._analyser is None:
            return None
        try:
            return self._analyser.finish()
        except Exception:
            logger.exception("analysis on the transcode's decode failed; left to its own task")
            return None


def media_asset_analyse(*, asset_id: int, force: bool = False) -> VideoAnalysis | None:
    """Analyse a ready video asset and store the result; safe to repeat.

    Returns the stored analysis, or ``None`` for an asset that is gone, not
    a ready video, or when analysis is switched off. An asset analysed
    before is left as it is unless ``force``.
    """
    asset = MediaAsset.objects.filter(pk=asset_id).select_related("analysis").first()
    if asset is None or not _analysable(asset):
        return None
    existing = getattr(asset, "analysis", None)
    if existing is not None and existing.status == VideoAnalysis.Status.DONE and not force:
        return existing
    try:
        result = _analyse_stored(asset.file)
    except (VideoDecodeError, OSError) as exc:
        return _analysis_fail(asset_id=asset_id, reason=str(exc) or type(exc).__name__)
    return analysis_store(asset_id=asset_id, result=result)


def _analyse_stored(file: FieldFile) -> Analysis:
    """``analyse_video`` on a stored file: in place on the local disk, else on a
    downloaded copy that is removed afterwards (the object store)."""
    with (
        tempfile.TemporaryDirectory(prefix="kf-vision-") as folder,
        local_copy(file.storage, str(file.name), work_dir=Path(folder)) as path,
    ):
        return analyse_video(path, options=vision_options())


def _analysable(asset: MediaAsset) -> bool:
    return (
        settings.COURSES_VISION_ENABLED
        and asset.kind == MediaAsset.Kind.VIDEO
        and asset.status == MediaAsset.Status.READY
        and bool(asset.file)
    )


@transaction.atomic
def _analysis_fail(*, asset_id: int, reason: str) -> VideoAnalysis | None:
    """Record that the video could not be analysed (it stays ready and playable)."""
    if not MediaAsset.objects.select_for_update().filter(pk=asset_id).exists():
        return None
    analysis, _created = VideoAnalysis.objects.update_or_create(
        asset_id=asset_id,
        defaults={"status": VideoAnalysis.Status.FAILED, "failure_reason": reason[:300]},
    )
    logger.info("media asset %s not analysed: %s", asset_id, reason)
    return analysis


def analysis_store(*, asset_id: int, result: Analysis) -> VideoAnalysis | None:
    """Replace the asset's stored analysis with ``result`` (bulk writes, one transaction).

    Keeps a creator's poster choice (by shot position) across a re-run,
    records duplicate matches against every other stored fingerprint and
    refreshes the search text of the videos showing the asset. Keyframe
    files written before an error are deleted again.
    """
    written: list[str] = []
    try:
        with transaction.atomic():
            return _analysis_store(asset_id=asset_id, result=result, written=written)
    except Exception:
        storage = Keyframe._meta.get_field("image").storage
        for name in written:
            storage.delete(name)
        raise


def _analysis_store(*, asset_id: int, result: Analysis, written: list[str]) -> VideoAnalysis | None:
    asset = MediaAsset.objects.select_for_update().filter(pk=asset_id).first()
    if asset is None:
        return None
    chosen_position = _previous_poster_choice(asset)
    _analysis_delete(asset)
    analysis = VideoAnalysis(
        asset=asset,
        duration_seconds=result.duration,
        risk=min(max(result.risk.risk, 0.0), 1.0),
        needs_review=result.risk.needs_review,
        chapters=[{"start": c.start, "end": c.end, "title": c.title} for c in result.chapters],
        fingerprint={
            "duration": result.fingerprint.duration,
            "timestamps": list(result.fingerprint.timestamps),
            "hashes": list(result.fingerprint.hashes),
        },
        screen_text=_screen_text(result),
        stage_seconds=dict(result.stage_seconds),
    )
    analysis.full_clean(exclude=["poster_keyframe"])
    analysis.save()
    keyframes = _keyframes_create(analysis, result, written)
    ScreenTextLine.objects.bulk_create(
        ScreenTextLine(
            analysis=analysis,
            timestamp=round(line.timestamp, 3),
            shown_from=round(shot.start, 3),
            text=line.text[:_LINE_MAX],
            confidence=round(line.confidence, 4),
        )
        for keyframe, shot in zip(result.keyframes, result.shots, strict=True)
        for line in keyframe.lines
    )
    analysis.suggestions = _suggestions(analysis.screen_text)
    poster = _poster_pick(keyframes, result.poster_index, chosen_position)
    analysis.poster_keyframe = poster
    analysis.poster_chosen_by_creator = poster is not None and poster.position == chosen_position
    analysis.save(update_fields=["suggestions", "poster_keyframe", "poster_chosen_by_creator"])
    # Posters are public files: a paid lesson's best frame would show what is sold.
    if poster is not None and not asset.is_private:
        _asset_poster_set(asset, poster)
    _duplicates_record(asset, result.fingerprint)
    for video_id in ShortVideo.objects.filter(asset=asset).values_list("pk", flat=True):
        search_text_refresh(video_id=video_id)
    return analysis


def _screen_text(result: Analysis) -> str:
    return screen_text(result.lines)


def _previous_poster_choice(asset: MediaAsset) -> int | None:
    """The shot position the creator chose as poster in an earlier analysis, if any."""
    previous = VideoAnalysis.objects.filter(asset=asset, poster_chosen_by_creator=True)
    return previous.values_list("poster_keyframe__position", flat=True).first()


def keyframe_files_of(*, asset_ids: list[int]) -> list[str]:
    """The stored keyframe images of these assets (deleting an asset deletes them too)."""
    keyframes = Keyframe.objects.filter(analysis__asset_id__in=asset_ids)
    return list(keyframes.values_list("image", flat=True))


def _analysis_delete(asset: MediaAsset) -> None:
    """Drop an earlier analysis, its rows and (after commit) its keyframe files."""
    names = list(Keyframe.objects.filter(analysis__asset=asset).values_list("image", flat=True))
    VideoAnalysis.objects.filter(asset=asset).delete()
    DuplicateMatch.objects.filter(asset=asset).delete()
    files_delete_on_commit(storage=Keyframe._meta.get_field("image").storage, names=names)


def _keyframes_create(
    analysis: VideoAnalysis, result: Analysis, written: list[str]
) -> list[Keyframe]:
    rows = []
    stem = f"asset{analysis.asset_id}"
    for keyframe, shot in zip(result.keyframes, result.shots, strict=True):
        row = Keyframe(
            analysis=analysis,
            position=keyframe.shot_index,
            start_seconds=shot.start,
            end_seconds=shot.end,
            timestamp=keyframe.timestamp,
            phash=keyframe.phash,
            risk=round(keyframe.risk.risk, 4),
            detections=[
                {"label": d.label, "score": round(d.score, 4), "box": list(d.box)}
                for d in keyframe.risk.detections
            ],
            problems=list(keyframe.quality.problems),
        )
        row.image.save(f"{stem}-{keyframe.shot_index}.jpg", ContentFile(keyframe.jpeg), save=False)
        rows.append(row)
    written.extend(row.image.name for row in rows)
    return Keyframe.objects.bulk_create(rows)


def _poster_pick(
    keyframes: list[Keyframe], poster_index: int | None, chosen_position: int | None
) -> Keyframe | None:
    by_position = {k.position: k for k in keyframes}
    if chosen_position is not None and chosen_position in by_position:
        return by_position[chosen_position]
    if poster_index is not None and poster_index < len(keyframes):
        return keyframes[poster_index]
    return None


def _asset_poster_set(asset: MediaAsset, keyframe: Keyframe) -> None:
    """Make ``keyframe`` the asset's poster (a copy, so the keyframe can be replaced)."""
    old = asset.poster.name
    with keyframe.image.open("rb") as image:
        asset.poster.save(f"asset{asset.pk}-poster.jpg", ContentFile(image.read()), save=False)
    asset.save(update_fields=["poster", "updated_at"])
    if old and old != asset.poster.name:
        files_delete_on_commit(storage=asset.poster.storage, names=[old])


def _duplicates_record(asset: MediaAsset, fingerprint: Fingerprint) -> None:
    """Compare with every other stored fingerprint; keep the matches that are duplicates.

    A linear scan (about 20 µs a pair): fine to tens of thousands of videos;
    past that, index the shot hashes (multi-index hashing) first.
    """
    others = (
        VideoAnalysis.objects.filter(status=VideoAnalysis.Status.DONE)
        .exclude(asset=asset)
        .values_list("asset_id", "asset__owner_id", "fingerprint")
    )
    matches = []
    for other_id, owner_id, stored in others.iterator(chunk_size=500):
        if not stored or not stored.get("hashes"):
            continue
        other = Fingerprint(
            duration=stored["duration"],
            timestamps=tuple(stored["timestamps"]),
            hashes=tuple(stored["hashes"]),
        )
        match = clip_similarity(
            fingerprint,
            other,
            max_distance=settings.COURSES_VISION_MAX_HASH_DISTANCE,
            duplicate_containment=settings.COURSES_VISION_DUPLICATE_CONTAINMENT,
        )
        if match.is_duplicate:
            matches.append(
                DuplicateMatch(
                    asset=asset,
                    matched_id=other_id,
                    similarity=match.similarity,
                    containment=match.containment,
                    is_same_owner=owner_id == asset.owner_id,
                )
            )
    DuplicateMatch.objects.bulk_create(matches)


def _suggestions(text: str) -> list[dict[str, object]]:
    """Tag and title keywords from the on-screen text, TF-IDF against the catalogue."""
    if not text:
        return []
    frequencies, n_documents = catalogue_document_frequencies()
    return [
        {"keyword": s.keyword, "score": round(s.score, 4), "count": s.count}
        for s in suggest_keywords(
            text, document_frequencies=frequencies, n_documents=max(n_documents, 1)
        )
    ]


def catalogue_document_frequencies() -> tuple[dict[str, int], int]:
    """Keyword → how many published videos and courses use it (title, description); cached."""
    cached = cache.get(_DOC_FREQ_CACHE_KEY)
    if cached is not None:
        return cached
    documents = _catalogue_documents()
    value = (document_frequencies(documents), len(documents))
    cache.set(_DOC_FREQ_CACHE_KEY, value, _DOC_FREQ_TTL_SECONDS)
    return value


def _catalogue_documents() -> list[str]:
    published = {"status": PublishStatus.PUBLISHED}
    videos: Iterable[tuple[str, str]] = ShortVideo.objects.filter(**published).values_list(
        "title", "description"
    )
    courses: Iterable[tuple[str, str]] = Course.objects.filter(**published).values_list(
        "title", "summary"
    )
    return [f"{title} {text}" for title, text in [*videos, *courses]]


@transaction.atomic
def asset_poster_choose(*, asset: MediaAsset, keyframe_id: int) -> VideoAnalysis:
    """The creator's poster: one of the video's own keyframes (kept across re-analysis).

    A frame of the video shows viewers nothing the reviewed video did not,
    so the choice does not send the video back to review.

    Raises:
        ApplicationError: the video is not analysed or the frame is not one of its own.
    """
    analysis = VideoAnalysis.objects.select_for_update().filter(asset=asset).first()
    keyframe = (
        Keyframe.objects.filter(analysis=analysis, pk=keyframe_id).first() if analysis else None
    )
    if analysis is None or keyframe is None:
        raise ApplicationError(_("Choose one of this video's frames."), code="keyframe_invalid")
    analysis.poster_keyframe = keyframe
    analysis.poster_chosen_by_creator = True
    analysis.save(update_fields=["poster_keyframe", "poster_chosen_by_creator", "updated_at"])
    _asset_poster_set(asset, keyframe)
    return analysis


SuggestionState = Literal["accepted", "ignored"]


@transaction.atomic
def analysis_suggestion_answer(
    *, asset: MediaAsset, keyword: str, state: SuggestionState
) -> VideoAnalysis:
    """Record that the creator accepted or ignored one suggested keyword (not offered again).

    Raises:
        ApplicationError: no such suggestion for this video.
    """
    analysis = VideoAnalysis.objects.select_for_update().filter(asset=asset).first()
    suggestions = list(analysis.suggestions) if analysis else []
    for i, suggestion in enumerate(suggestions):
        if suggestion.get("keyword") == keyword:
            suggestions[i] = {**suggestion, "state": state}
            break
    else:
        raise ApplicationError(_("That keyword was not suggested."), code="suggestion_invalid")
    assert analysis is not None  # found a suggestion
    analysis.suggestions = suggestions
    analysis.save(update_fields=["suggestions", "updated_at"])
    return analysis


def media_assets_analyse_missing(
    *, force: bool = False, limit: int | None = None, log: Callable[[str], None] | None = None
) -> int:
    """Analyse every ready video without an analysis (all of them with ``force``).

    For a backlog (videos uploaded before analysis existed) and the demo,
    whose many rows share a few rendered files: each distinct file is
    decoded and read once and its analysis stored for every asset using it,
    oldest asset first (so a later copy is the one matched as a duplicate).

    Returns:
        How many assets were analysed.
    """
    assets = MediaAsset.objects.filter(
        kind=MediaAsset.Kind.VIDEO, status=MediaAsset.Status.READY
    ).exclude(file="")
    if not force:
        assets = assets.exclude(analysis__status=VideoAnalysis.Status.DONE)
    ids_by_file: dict[str, list[int]] = {}
    for asset_id, name in assets.order_by("pk").values_list("pk", "file")[:limit]:
        ids_by_file.setdefault(name, []).append(asset_id)
    done = 0
    for name, asset_ids in ids_by_file.items():
        first = MediaAsset.objects.get(pk=asset_ids[0])
        try:
            result = _analyse_stored(first.file)
        except (VideoDecodeError, OSError) as exc:
            for asset_id in asset_ids:
                _analysis_fail(asset_id=asset_id, reason=str(exc) or type(exc).__name__)
            continue
        for asset_id in asset_ids:
            analysis_store(asset_id=asset_id, result=result)
        done += len(asset_ids)
        if log is not None:
            log(
                f"{name}: {len(result.keyframes)} shots, {len(result.lines)} lines, "
                f"{len(asset_ids)} asset(s)"
            )
    return done
