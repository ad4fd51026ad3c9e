"""Shot boundaries from frame differences, with a threshold that adapts to motion.

Each sampled frame is reduced to a signature: a small grey thumbnail and a
colour histogram. The difference of consecutive signatures mixes the share
of thumbnail pixels whose grey level changed by more than a tenth of the
range (weight 3/4: a new slide changes its text, a pointer moving on it
does not) and the half-L1 distance of the histograms (weight 1/4: a cut
between two scenes changes the colours, motion inside one hardly does);
both are in [0, 1]. A cut is declared when the difference is

* over ``min_score`` (an absolute floor: a pointer moving on a slide, or
  encoder noise, never reaches it), and
* over the recent differences' ``mean × (1 + relative) + sigmas × std``
  (so a handheld or panning shot, whose every difference is large, does
  not cut on each frame), and
* at least ``min_shot_seconds`` after the previous cut.

Slides differ only in their text, so the thumbnail keeps enough pixels
(96 on the long side) for a changed title to count.

The detector is incremental: push samples in time order, and it tells
when a shot has ended, so keyframes can be analysed (and their pixels
dropped) while the video is still decoding.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from .types import SampledFrame

THUMB_LONG_SIDE = 96
HIST_BINS = 16
PIXEL_CHANGE = 0.1  # of the grey range: what counts as a changed thumbnail pixel


@dataclass(frozen=True)
class ShotOptions:
    """Tuning of the cut detector; the defaults suit a sample a second.

    Attributes:
        min_score: absolute floor of a cut's difference score.
        sigmas, relative: a difference must exceed the recent mean by
            ``relative × mean + sigmas × std`` (the spread at least
            ``min_score / 8``, so a still shot's tiny spread does not make
            every flicker a cut).
        window: how many recent non-cut differences the mean and spread
            use (6 s at a sample a second): after a moving shot, a cut
            between two still ones is missed until they have filled it.
        min_shot_seconds: no cut closer than this to the previous one.
    """

    min_score: float = 0.025
    sigmas: float = 6.0
    relative: float = 0.25
    window: int = 6
    min_shot_seconds: float = 1.0


@dataclass(frozen=True)
class Signature:
    thumb: NDArray[np.float32]  # grey, 0–1
    hist: NDArray[np.float32]  # 3 × HIST_BINS, each channel sums to 1


def signature(image: NDArray[np.uint8]) -> Signature:
    """Reduce an RGB frame to what the cut detector compares."""
    picture = Image.fromarray(image)
    scale = THUMB_LONG_SIDE / max(picture.size)
    size = (max(1, round(picture.width * scale)), max(1, round(picture.height * scale)))
    small = np.asarray(picture.resize(size, Image.Resampling.BOX), dtype=np.float32)
    thumb = (small @ np.array([0.299, 0.587, 0.114], dtype=np.float32) / 255).astype(np.float32)
    bins = (small.reshape(-1, 3) * (HIST_BINS / 256)).astype(np.int64).clip(0, HIST_BINS - 1)
    hist = np.stack([np.bincount(bins[:, c], minlength=HIST_BINS) for c in range(3)])
    hist = hist.astype(np.float32) / bins.shape[0]
    return Signature(thumb=thumb, hist=hist)


def difference(a: Signature, b: Signature) -> float:
    """How different two frames look, in [0, 1]."""
    if a.thumb.shape != b.thumb.shape:
        return 1.0
    changed = float((np.abs(a.thumb - b.thumb) > PIXEL_CHANGE).mean())
    colours = float(np.abs(a.hist - b.hist).sum(axis=1).mean() / 2)
    return 0.75 * changed + 0.25 * colours


class CutDetector:
    """Feed samples in time order; :meth:`push` returns True when a new shot starts there."""

    def __init__(self, options: ShotOptions | None = None) -> None:
        self.options = options or ShotOptions()
        self._previous: Signature | None = None
        self._recent: deque[float] = deque(maxlen=self.options.window)
        self._shot_start = 0.0
        self.scores: list[tuple[float, float]] = []  # (time, difference), for tuning and tests

    def push(self, frame: SampledFrame) -> bool:
        current = signature(frame.image)
        previous, self._previous = self._previous, current
        if previous is None:
            self._shot_start = frame.timestamp
            return False
        score = difference(previous, current)
        self.scores.append((frame.timestamp, score))
        if self._is_cut(score, frame.timestamp):
            # The history is kept across the cut: a moving shot followed by
            # another must not cut on every sample while the history refills.
            self._shot_start = frame.timestamp
            return True
        self._recent.append(score)
        return False

    def _is_cut(self, score: float, timestamp: float) -> bool:
        options = self.options
        if score < options.min_score or not self._recent:
            return False
        if timestamp - self._shot_start < options.min_shot_seconds:
            return False
        recent = np.fromiter(self._recent, dtype=np.float64)
        mean = float(recent.mean())
        spread = max(float(recent.std()), options.min_score / 8)
        return score > mean * (1 + options.relative) + options.sigmas * spread
