"""What the content analysis tells a moderator and a creator about a video.

Reads only (re-exported from ``courses.selectors``). The moderation queue is
ordered by the pre-screen's risk and shows the keyframes that scored and the
earlier uploads of *other* creators the video duplicates; a creator is told
about their *own* earlier upload of the same clip. None of it decides: a
moderator approves or rejects (docs/studio.md, "Content understanding").
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db.models import FloatField, Max, Prefetch, QuerySet, Value
from django.db.models.functions import Coalesce
from django.urls import reverse

from .models import Course, DuplicateMatch, Keyframe, Lesson, MediaAsset, ShortVideo


@dataclass(frozen=True)
class FlaggedFrame:
    """A keyframe at or over the flag threshold: its picture and what the detector saw."""

    keyframe_id: int
    image_url: str
    timestamp: float
    risk: float
    labels: tuple[str, ...]


@dataclass(frozen=True)
class DuplicateOf:
    """An earlier upload the video's shots were found in, and where it is used."""

    asset_id: int
    similarity: float
    containment: float
    is_same_owner: bool
    title: str  # the matched video's or lesson's title; "" when nothing uses it (yet)
    url: str  # the matched video's page, or the course's; "" when nothing uses it


@dataclass(frozen=True)
class ReviewSignals:
    risk: float
    flagged: tuple[FlaggedFrame, ...]
    duplicates: tuple[DuplicateOf, ...]


def keyframe_image_url(keyframe_id: int) -> str:
    """Keyframes are shown through a view that checks who asks (lessons' are private)."""
    return reverse("courses:keyframe-image", args=[keyframe_id])


def _flagged_prefetch(path: str) -> Prefetch:
    threshold = settings.COURSES_VISION_FLAG_THRESHOLD
    return Prefetch(
        path,
        queryset=Keyframe.objects.filter(risk__gte=threshold).order_by("-risk", "position"),
        to_attr="flagged_keyframes",
    )


def _duplicate_matches() -> QuerySet[DuplicateMatch]:
    """Matches with what ``_duplicate`` reads of the matched asset: two more queries."""
    return (
        DuplicateMatch.objects.select_related("matched")
        .order_by("-containment")
        .prefetch_related(
            Prefetch("matched__short_videos", queryset=ShortVideo.objects.order_by("pk")),
            Prefetch(
                "matched__lessons",
                queryset=Lesson.objects.select_related("course").order_by("pk"),
            ),
        )
    )


def _duplicates_prefetch(path: str) -> Prefetch:
    return Prefetch(path, queryset=_duplicate_matches(), to_attr="duplicate_matches")


def videos_for_review(qs: QuerySet[ShortVideo]) -> QuerySet[ShortVideo]:
    """Videos with ``risk`` annotated and what ``review_signals`` shows prefetched."""
    return qs.annotate(
        risk=Coalesce("asset__analysis__risk", Value(0.0), output_field=FloatField())
    ).prefetch_related(
        _flagged_prefetch("asset__analysis__keyframes"),
        _duplicates_prefetch("asset__duplicates"),
    )


def courses_for_review(qs: QuerySet[Course]) -> QuerySet[Course]:
    """Courses with ``risk`` annotated: their riskiest lesson video's."""
    return qs.annotate(
        risk=Coalesce(Max("lessons__asset__analysis__risk"), Value(0.0), output_field=FloatField())
    )


def video_review_signals(video: ShortVideo) -> ReviewSignals:
    """What a moderator sees of a video from ``videos_for_review`` (no further queries)."""
    asset = video.asset
    analysis = getattr(asset, "analysis", None)
    flagged = getattr(analysis, "flagged_keyframes", []) if analysis is not None else []
    matches = getattr(asset, "duplicate_matches", [])
    return ReviewSignals(
        risk=float(getattr(video, "risk", 0.0) or 0.0),
        flagged=tuple(_flagged(k) for k in flagged),
        duplicates=tuple(_duplicate(m) for m in matches if not m.is_same_owner),
    )


def course_review_signals(course: Course) -> ReviewSignals:
    """The same for a course, over its lessons' videos (three queries; the detail page)."""
    assets = MediaAsset.objects.filter(lessons__course=course).distinct()
    assets = assets.select_related("analysis").prefetch_related(
        _flagged_prefetch("analysis__keyframes"), _duplicates_prefetch("duplicates")
    )
    flagged: list[FlaggedFrame] = []
    duplicates: list[DuplicateOf] = []
    risk = 0.0
    for asset in assets:
        analysis = getattr(asset, "analysis", None)
        if analysis is not None:
            risk = max(risk, analysis.risk)
            flagged += [_flagged(k) for k in analysis.flagged_keyframes]
        matches: list[DuplicateMatch] = getattr(asset, "duplicate_matches", [])
        duplicates += [_duplicate(m) for m in matches if not m.is_same_owner]
    flagged.sort(key=lambda f: -f.risk)
    return ReviewSignals(risk=risk, flagged=tuple(flagged), duplicates=tuple(duplicates))


def asset_own_duplicates(*, asset_id: int) -> tuple[DuplicateOf, ...]:
    """The creator's own earlier uploads this asset repeats (the studio tells them)."""
    matches = _duplicate_matches().filter(asset_id=asset_id, is_same_owner=True)[:5]
    return tuple(_duplicate(m) for m in matches)


def _flagged(keyframe: Keyframe) -> FlaggedFrame:
    labels = tuple(sorted({str(d.get("label", "")) for d in keyframe.detections}))
    return FlaggedFrame(
        keyframe_id=keyframe.pk,
        image_url=keyframe_image_url(keyframe.pk),
        timestamp=keyframe.timestamp,
        risk=keyframe.risk,
        labels=labels,
    )


def _duplicate(match: DuplicateMatch) -> DuplicateOf:
    videos = list(match.matched.short_videos.all())
    lessons = list(match.matched.lessons.all())
    title, url = "", ""
    if videos:
        title, url = videos[0].title, reverse("courses:video-detail", args=[videos[0].pk])
    elif lessons:
        course = lessons[0].course
        title = f"{course.title} · {lessons[0].title}"
        url = reverse("courses:course-detail", args=[course.slug])
    return DuplicateOf(
        asset_id=match.matched_id,
        similarity=match.similarity,
        containment=match.containment,
        is_same_owner=match.is_same_owner,
        title=title,
        url=url,
    )


def keyframe_get_for_viewer(*, keyframe_id: int, user_id: int | None, is_staff: bool) -> Keyframe:
    """A keyframe its asset's owner or a staff member may see; ``DoesNotExist`` otherwise.

    Public videos' keyframes show nothing their video does not, but a
    lesson's are as private as the lesson, so every keyframe goes through
    this one rule.
    """
    keyframes = Keyframe.objects.select_related("analysis__asset")
    if not is_staff:
        keyframes = keyframes.filter(analysis__asset__owner_id=user_id or 0)
    return keyframes.get(pk=keyframe_id)
