"""Frozen value types of the vision package: what the Django glue stores and shows.

Times are seconds from the start of the video (floats). Boxes are fractions
of the frame's width and height, ``(x, y, width, height)`` with the origin
top left, so they hold at any resolution the frame is shown at. Everything
but :class:`SampledFrame` and the JPEG bytes of a :class:`Keyframe` is
plain data: ``VideoAnalysis.as_json()`` gives a ``json.dumps``-able dict.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class SampledFrame:
    """One decoded frame kept for analysis.

    Attributes:
        timestamp: seconds from the start of the video.
        image: ``(height, width, 3)`` uint8 RGB, at most
            ``AnalysisOptions.max_side`` pixels on its long side.
    """

    timestamp: float
    image: NDArray[np.uint8] = field(repr=False, compare=False)


@dataclass(frozen=True)
class Shot:
    """A run of frames between two cuts: ``start <= t < end`` seconds."""

    index: int
    start: float
    end: float
    keyframe_time: float


@dataclass(frozen=True)
class FrameQuality:
    """How usable a frame is as a picture (a cover, a poster, a keyframe).

    Attributes:
        luminance_mean: mean grey level, 0–255.
        luminance_std: standard deviation of the grey level; near 0 for a
            blank (single-colour) frame.
        sharpness: variance of the Laplacian in the most detailed sixteenth
            of the grey frame (scaled to a 360-pixel short side); low for a
            blurred frame.
        entropy: Shannon entropy of the grey histogram in bits (0–8), how
            much there is to see.
        problems: ``"blank"`` and/or ``"blurred"``; empty when usable.
    """

    luminance_mean: float
    luminance_std: float
    sharpness: float
    entropy: float
    problems: tuple[str, ...] = ()

    @property
    def is_blank(self) -> bool:
        return "blank" in self.problems

    @property
    def is_blurred(self) -> bool:
        return "blurred" in self.problems

    @property
    def is_usable(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class TextLine:
    """One line of on-screen text read by OCR from a keyframe."""

    text: str
    confidence: float
    box: Box
    timestamp: float


@dataclass(frozen=True)
class Detection:
    """One region the unsafe-content detector found: a NudeNet label and its score."""

    label: str
    score: float
    box: Box


@dataclass(frozen=True)
class FrameRisk:
    """Risk of one keyframe in [0, 1] and the detections that made it."""

    timestamp: float
    risk: float
    detections: tuple[Detection, ...] = ()


@dataclass(frozen=True)
class ClipRisk:
    """Risk of a clip: the riskiest keyframe's risk, and the frames at or over the threshold.

    ``needs_review`` only orders the moderation queue: a person decides.
    """

    risk: float
    needs_review: bool
    flagged: tuple[FrameRisk, ...] = ()  # riskiest first


@dataclass(frozen=True)
class Keyframe:
    """The frame that stands for one shot, with everything read from it.

    ``jpeg`` is the frame at analysis size for storage (poster, moderation
    thumbnails); it is left out of ``as_json``.
    """

    shot_index: int
    timestamp: float
    width: int
    height: int
    quality: FrameQuality
    phash: str  # 256-bit perceptual hash of the shot (courses.vision.hashing), 64 hex digits
    lines: tuple[TextLine, ...]
    risk: FrameRisk
    jpeg: bytes = field(repr=False, compare=False, default=b"")


@dataclass(frozen=True)
class Chapter:
    """A lesson chapter: ``start <= t < end`` seconds; ``title`` is "" if none was on screen."""

    start: float
    end: float
    title: str


@dataclass(frozen=True)
class Fingerprint:
    """Perceptual hashes of a clip's shots, in time order, for duplicate search.

    ``timestamps`` are the shots' start times.
    """

    duration: float
    timestamps: tuple[float, ...]
    hashes: tuple[str, ...]  # 64 hex digits each


@dataclass(frozen=True)
class ClipMatch:
    """How much of one clip is in another.

    Attributes:
        similarity: matched shots of both clips over all their shots.
        containment: share of the clip with fewer shots found in the other
            (a re-upload of a part scores high here, not in ``similarity``).
        is_duplicate: ``containment`` at or over the threshold, with at least
            ``min(2, shots of the shorter clip)`` matched shots.
        pairs: ``(shot start in a, shot start in b, Hamming distance)`` of
            each shot of ``a`` found in ``b``.
    """

    similarity: float
    containment: float
    is_duplicate: bool
    pairs: tuple[tuple[float, float, int], ...] = ()


@dataclass(frozen=True)
class KeywordSuggestion:
    """A tag or title keyword suggested from on-screen text; the creator accepts or ignores it."""

    keyword: str
    score: float
    count: int


@dataclass(frozen=True)
class VideoAnalysis:
    """Everything the vision pipeline found in one video.

    Attributes:
        duration: seconds of video analysed.
        shots, keyframes: one keyframe per shot, same order.
        poster_index: index into ``keyframes`` of the best poster, ``None``
            if every keyframe is blank or blurred.
        chapters: lesson chapters from shot boundaries and on-screen titles.
        risk: the unsafe-content pre-screen of the keyframes.
        fingerprint: perceptual hashes for duplicate search.
        stage_seconds: CPU seconds spent per stage (decode, shots, ocr,
            hashes, prescreen, chapters), for logs and benchmarks.
    """

    duration: float
    width: int
    height: int
    shots: tuple[Shot, ...]
    keyframes: tuple[Keyframe, ...]
    poster_index: int | None
    chapters: tuple[Chapter, ...]
    risk: ClipRisk
    fingerprint: Fingerprint
    stage_seconds: Mapping[str, float] = field(default_factory=dict, compare=False)

    @property
    def lines(self) -> tuple[TextLine, ...]:
        """Every text line of every keyframe, in time order."""
        return tuple(line for keyframe in self.keyframes for line in keyframe.lines)

    @property
    def poster(self) -> Keyframe | None:
        return None if self.poster_index is None else self.keyframes[self.poster_index]

    def as_json(self) -> dict[str, Any]:
        """A ``json.dumps``-able dict of everything but the JPEG bytes."""
        data = asdict(self)
        for keyframe in data["keyframes"]:
            del keyframe["jpeg"]
        data["stage_seconds"] = dict(self.stage_seconds)
        return data
