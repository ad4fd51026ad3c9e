"""Reads of a video's content analysis for viewers and creators (re-exported from selectors).

The lesson player's chapter markers, and the studio's panel: the poster
choice among the keyframes, the cover check, suggested keywords and the
creator's own earlier upload of the same clip.
"""

from __future__ import annotations

from dataclasses import dataclass

from .models import Keyframe, Lesson, VideoAnalysis
from .review_signals import DuplicateOf, asset_own_duplicates, keyframe_image_url


@dataclass(frozen=True)
class ChapterMark:
    """A chapter on the lesson's timeline: where it starts, and its place on the bar in %."""

    start: float
    end: float
    title: str
    left_percent: float
    width_percent: float

    @property
    def query(self) -> str:
        return f"?t={self.start:g}"

    @property
    def clock(self) -> str:
        whole = int(self.start)
        return f"{whole // 60}:{whole % 60:02d}"


def lesson_chapters(*, lesson: Lesson) -> list[ChapterMark]:
    """The lesson video's chapters; empty with fewer than two (a timeline of one says nothing)."""
    if lesson.asset_id is None:
        return []
    found = VideoAnalysis.objects.filter(
        asset_id=lesson.asset_id, status=VideoAnalysis.Status.DONE
    ).values_list("chapters", "duration_seconds")
    row = found.first()
    if row is None:
        return []
    chapters, duration = row
    if len(chapters) < 2 or duration <= 0:
        return []
    return [
        ChapterMark(
            start=float(c["start"]),
            end=float(c["end"]),
            title=str(c["title"]),
            left_percent=round(100 * float(c["start"]) / duration, 3),
            width_percent=round(100 * (float(c["end"]) - float(c["start"])) / duration, 3),
        )
        for c in chapters
    ]


@dataclass(frozen=True)
class PosterOption:
    keyframe_id: int
    image_url: str
    timestamp: float
    problems: tuple[str, ...]
    is_current: bool


@dataclass(frozen=True)
class Suggestion:
    keyword: str
    state: str  # "" (not answered), "accepted" or "ignored"


@dataclass(frozen=True)
class CreatorAnalysis:
    """What the studio shows a creator about one of their videos before publishing."""

    status: str
    poster_options: tuple[PosterOption, ...]
    poster_problems: tuple[str, ...]  # the cover check: "blank" / "blurred"
    poster_chosen_by_creator: bool
    suggestions: tuple[Suggestion, ...]
    own_duplicates: tuple[DuplicateOf, ...]
    chapters: int


def asset_analysis_for_creator(
    *, asset_id: int, taken: frozenset[str] = frozenset()
) -> CreatorAnalysis | None:
    """The studio panel for an asset, ``None`` before it was analysed.

    ``taken`` (lower case): the video's tags and title words; suggestions
    already among them are not offered again.
    """
    analysis = VideoAnalysis.objects.filter(asset_id=asset_id).first()
    if analysis is None:
        return None
    keyframes = list(Keyframe.objects.filter(analysis=analysis).order_by("position"))
    options = tuple(
        PosterOption(
            keyframe_id=k.pk,
            image_url=keyframe_image_url(k.pk),
            timestamp=k.timestamp,
            problems=tuple(k.problems),
            is_current=k.pk == analysis.poster_keyframe_id,
        )
        for k in keyframes
    )
    current = next((o for o in options if o.is_current), None)
    suggestions = tuple(
        Suggestion(keyword=str(s["keyword"]), state=str(s.get("state", "")))
        for s in analysis.suggestions
        if str(s["keyword"]).lower() not in taken or s.get("state")
    )
    return CreatorAnalysis(
        status=analysis.status,
        poster_options=options,
        # No usable keyframe at all is itself a warning: every frame is blank or blurred.
        poster_problems=current.problems if current else _all_problems(keyframes),
        poster_chosen_by_creator=analysis.poster_chosen_by_creator,
        suggestions=suggestions,
        own_duplicates=asset_own_duplicates(asset_id=asset_id),
        chapters=len(analysis.chapters),
    )


def _all_problems(keyframes: list[Keyframe]) -> tuple[str, ...]:
    return tuple(sorted({p for k in keyframes for p in k.problems}))
