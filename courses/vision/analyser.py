"""The whole pipeline: sampled frames in, a :class:`VideoAnalysis` out.

Frames stream through :class:`VideoAnalyser` in time order. The cut detector
tells when a shot ends; its keyframe (the most informative sample of the
shot) is then read (OCR), hashed, pre-screened and stored as a JPEG, and
its pixels are dropped, so memory stays bounded by one frame per open shot
whatever the video's length.

Two ways to feed it:

* ``analyse_video(path)`` decodes the file itself (a second decode when it
  runs after the transcode);
* inside a decode loop that already runs, such as the transcoder's, call
  ``analyser.offer(av_frame)`` on every decoded (or scaled) video frame and
  ``analyser.finish()`` at the end: the analysis then shares that decode
  (bench/vision_processing.py measures both).
"""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

import av
import numpy as np
from numpy.typing import NDArray
from PIL import Image

from .chapters import MIN_CHAPTER_SECONDS, chapters_from
from .frames import DEFAULT_EVERY_SECONDS, DEFAULT_MAX_SIDE, FrameSampler, sample_frames
from .hashing import ShotHasher, fingerprint, hamming
from .ocr import DET_MAX_SIDE, MIN_CONFIDENCE, read_text, title_line
from .prescreen import PrescreenOptions, clip_risk, prescreen_frame
from .quality import BLANK_STD, BLUR_VARIANCE, choose_poster, grey, grey_quality, informativeness
from .shots import CutDetector, ShotOptions
from .types import (
    FrameQuality,
    FrameRisk,
    Keyframe,
    SampledFrame,
    Shot,
    TextLine,
    VideoAnalysis,
)

STAGES = ("decode", "shots", "ocr", "hashes", "prescreen", "jpeg", "chapters")
# A shot whose hash is this close to an earlier one's shows the same picture,
# whose text is reused. Measured: a slide shown again after a cut, with the
# pointer elsewhere, 4-8 bits; the same slide with one more bullet line, 18-32;
# different slides, 30 or more.
REUSE_TEXT_DISTANCE = 10


@dataclass(frozen=True)
class AnalysisOptions:
    """Every knob of the pipeline; the glue builds one from settings.

    Attributes:
        every_seconds: sampling interval (a frame a second by default: cuts
            land within a second, which chapters need, at half the cost of two).
        max_side: analysis frames are shrunk to this long side (pixels).
        threads: bound on decoder, OCR and detector threads.
        ocr: read on-screen text (off: no text, no chapter titles).
        min_text_confidence: OCR lines under this are dropped.
        det_max_side: OCR text detection runs at this long side.
        min_chapter_seconds: shorter chapters are merged.
        blank_std, blur_variance: see :mod:`courses.vision.quality`.
        jpeg_quality: of the stored keyframes.
    """

    every_seconds: float = DEFAULT_EVERY_SECONDS
    max_side: int = DEFAULT_MAX_SIDE
    threads: int = 1
    shots: ShotOptions = field(default_factory=ShotOptions)
    ocr: bool = True
    min_text_confidence: float = MIN_CONFIDENCE
    det_max_side: int = DET_MAX_SIDE
    prescreen: PrescreenOptions = field(default_factory=PrescreenOptions)
    min_chapter_seconds: float = MIN_CHAPTER_SECONDS
    blank_std: float = BLANK_STD
    blur_variance: float = BLUR_VARIANCE
    jpeg_quality: int = 85


@dataclass
class _Candidate:
    timestamp: float
    image: NDArray[np.uint8]
    quality: FrameQuality
    score: float


class VideoAnalyser:
    """Incremental analysis: :meth:`push` samples (or :meth:`offer` raw frames), then :meth:`finish`."""

    # A later sample replaces the shot's keyframe only if clearly more informative.
    _BETTER_BY = 0.05

    def __init__(self, options: AnalysisOptions | None = None) -> None:
        self.options = options or AnalysisOptions()
        self.sampler = FrameSampler(
            every_seconds=self.options.every_seconds, max_side=self.options.max_side
        )
        self.cpu_seconds = dict.fromkeys(STAGES, 0.0)
        self._cuts = CutDetector(self.options.shots)
        self._shots: list[Shot] = []
        self._keyframes: list[Keyframe] = []
        self._shot_start: float | None = None
        self._candidate: _Candidate | None = None
        self._hasher = ShotHasher()
        self._last_time = 0.0
        self._size = (0, 0)

    @contextmanager
    def _stage(self, name: str) -> Iterator[None]:
        started = time.process_time()
        try:
            yield
        finally:
            self.cpu_seconds[name] += time.process_time() - started

    def offer(self, frame: av.VideoFrame) -> None:
        """Take a frame from someone else's decode loop; keep it if it is due."""
        with self._stage("decode"):
            sampled = self.sampler.offer(frame)
        if sampled is not None:
            self.push(sampled)

    def push_all(self, frames: Iterator[SampledFrame]) -> None:
        """Push every frame of an iterator; the time spent producing them counts as decode."""
        while True:
            with self._stage("decode"):
                frame = next(frames, None)
            if frame is None:
                return
            self.push(frame)

    def push(self, frame: SampledFrame) -> None:
        """Add the next sample (time order)."""
        options = self.options
        with self._stage("shots"):
            is_cut = self._cuts.push(frame)
            luma = grey(frame.image)
            quality = grey_quality(
                luma, blank_std=options.blank_std, blur_variance=options.blur_variance
            )
        self._size = (frame.image.shape[1], frame.image.shape[0])
        self._last_time = frame.timestamp
        if self._shot_start is None:
            self._shot_start = frame.timestamp
        elif is_cut:
            self._close_shot(end=frame.timestamp)
            self._shot_start = frame.timestamp
        with self._stage("hashes"):
            self._hasher.add(luma)
        score = informativeness(quality)
        if self._candidate is None or score > self._candidate.score + self._BETTER_BY:
            self._candidate = _Candidate(frame.timestamp, frame.image, quality, score)

    def _close_shot(self, *, end: float) -> None:
        candidate, self._candidate = self._candidate, None
        hasher, self._hasher = self._hasher, ShotHasher()
        if candidate is None or self._shot_start is None:
            return
        options = self.options
        image = candidate.image
        with self._stage("hashes"):
            hash_hex = hasher.digest()
        lines: tuple[TextLine, ...] = ()
        risk = FrameRisk(timestamp=candidate.timestamp, risk=0.0)
        if not candidate.quality.is_blank:  # nothing to read or to see in one colour
            if options.ocr:
                with self._stage("ocr"):
                    lines = self._read(image, hash_hex, timestamp=candidate.timestamp)
            with self._stage("prescreen"):
                risk = prescreen_frame(
                    image, timestamp=candidate.timestamp, options=options.prescreen
                )
        with self._stage("jpeg"):
            jpeg = _jpeg(image, quality=options.jpeg_quality)
        index = len(self._shots)
        self._shots.append(
            Shot(index=index, start=self._shot_start, end=end, keyframe_time=candidate.timestamp)
        )
        self._keyframes.append(
            Keyframe(
                shot_index=index,
                timestamp=candidate.timestamp,
                width=image.shape[1],
                height=image.shape[0],
                quality=candidate.quality,
                phash=hash_hex,
                lines=lines,
                risk=risk,
                jpeg=jpeg,
            )
        )

    def _read(
        self, image: NDArray[np.uint8], hash_hex: str, *, timestamp: float
    ) -> tuple[TextLine, ...]:
        """OCR the keyframe, or take the text of an earlier shot showing the same picture.

        Lessons cut back and forth between the speaker and the same slide;
        reading it again would cost OCR's time for the same lines.
        """
        for earlier in self._keyframes:
            if earlier.lines and hamming(earlier.phash, hash_hex) <= REUSE_TEXT_DISTANCE:
                return tuple(replace(line, timestamp=timestamp) for line in earlier.lines)
        options = self.options
        return read_text(
            image,
            timestamp=timestamp,
            min_confidence=options.min_text_confidence,
            threads=options.threads,
            det_max_side=options.det_max_side,
        )

    def finish(self, *, duration: float | None = None) -> VideoAnalysis:
        """Close the last shot and assemble the analysis.

        ``duration`` defaults to what the offered frames covered (or the last
        sample plus one interval when samples were pushed directly).
        """
        if duration is None:
            duration = self.sampler.duration or self._last_time + self.options.every_seconds
        duration = round(max(duration, self._last_time), 3)
        self._close_shot(end=duration)
        keyframes = tuple(self._keyframes)
        with self._stage("chapters"):
            titles = []
            for keyframe in keyframes:
                title = title_line(keyframe.lines)
                titles.append(title.text if title is not None else "")
            chapters = chapters_from(
                self._shots, titles, duration=duration, min_seconds=self.options.min_chapter_seconds
            )
        return VideoAnalysis(
            duration=duration,
            width=self._size[0],
            height=self._size[1],
            shots=tuple(self._shots),
            keyframes=keyframes,
            poster_index=choose_poster(keyframes),
            chapters=chapters,
            risk=clip_risk([k.risk for k in keyframes], options=self.options.prescreen),
            fingerprint=fingerprint(self._shots, keyframes, duration=duration),
            stage_seconds={k: round(v, 3) for k, v in self.cpu_seconds.items()},
        )


def analyse_video(path: Path, *, options: AnalysisOptions | None = None) -> VideoAnalysis:
    """Decode ``path`` (one frame every ``every_seconds``) and analyse it.

    Raises :class:`courses.vision.frames.VideoDecodeError` for a file with
    no decodable video.
    """
    analyser = VideoAnalyser(options)
    analyser.push_all(
        sample_frames(path, decode_threads=analyser.options.threads, sampler=analyser.sampler)
    )
    return analyser.finish()


def _jpeg(image: NDArray[np.uint8], *, quality: int) -> bytes:
    out = io.BytesIO()
    Image.fromarray(image).save(out, format="JPEG", quality=quality)
    return out.getvalue()
