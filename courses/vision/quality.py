"""Is a frame worth showing? Blank and blurred checks, and the poster choice.

Measured on the grey frame scaled to a 360-pixel short side, so the
thresholds hold at any resolution:

* blank: the grey level hardly varies (a black, white or single-colour
  frame, or the middle of a fade);
* blurred: the variance of the Laplacian (second derivative) is low; a
  sharp frame has strong edges somewhere (text, outlines, texture).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from .types import FrameQuality, Keyframe

MEASURE_SHORT_SIDE = 360
TILE_GRID = 8
# Grey-level standard deviation (0–255) under which a frame is blank.
BLANK_STD = 6.0
# Laplacian variance (of the most detailed tiles) under which a frame is
# blurred. Measured at 360p: drawn slides score 3,900-10,400 and a demo clip
# frame (a caption over a smooth gradient) 770; a Gaussian blur of sigma 4 px
# at 720p brings them to 8-78 (tests/courses/vision/test_quality.py).
BLUR_VARIANCE = 100.0
# Added to a keyframe's informativeness (entropy 0-8 + log10 sharpness 0-5)
# when it shows text: a readable topic beats a slightly busier picture.
TEXT_BONUS = 2.0


def grey(image: NDArray[np.uint8], *, short_side: int = MEASURE_SHORT_SIDE) -> NDArray[np.float32]:
    """The ITU-R 601 luminance of an RGB frame, resized to ``short_side`` (float32, 0–255)."""
    picture = Image.fromarray(image).convert("L")
    scale = short_side / min(picture.size)
    if abs(scale - 1) > 0.01:
        size = (max(1, round(picture.width * scale)), max(1, round(picture.height * scale)))
        picture = picture.resize(size, Image.Resampling.BILINEAR)
    return np.asarray(picture, dtype=np.float32)


def laplacian_variance(luma: NDArray[np.float32], *, grid: int = TILE_GRID) -> float:
    """Variance of the 4-neighbour Laplacian in the frame's most detailed tiles.

    The frame is cut into ``grid × grid`` tiles and the variances of the
    top sixteenth of tiles are averaged: a sharp frame whose detail is in
    one place (a caption over a smooth gradient) is still sharp, while a
    global variance would drown that place in flat areas.
    """
    lap = luma[:-2, 1:-1] + luma[2:, 1:-1] + luma[1:-1, :-2] + luma[1:-1, 2:] - 4 * luma[1:-1, 1:-1]
    height, width = lap.shape
    rows, cols = height // grid, width // grid
    if rows < 2 or cols < 2:
        return float(lap.var())
    tiles = lap[: rows * grid, : cols * grid].reshape(grid, rows, grid, cols)
    variances = np.sort(tiles.var(axis=(1, 3)).ravel())
    return float(variances[-max(1, variances.size // 16) :].mean())


def entropy(luma: NDArray[np.float32]) -> float:
    """Shannon entropy in bits of the 256-bin grey histogram."""
    counts = np.bincount(np.clip(luma, 0, 255).astype(np.uint8).ravel(), minlength=256)
    p = counts[counts > 0] / counts.sum()
    return float(-(p * np.log2(p)).sum())


def frame_quality(
    image: NDArray[np.uint8], *, blank_std: float = BLANK_STD, blur_variance: float = BLUR_VARIANCE
) -> FrameQuality:
    """Measure a frame and name its problems (``"blank"``, ``"blurred"``)."""
    return grey_quality(grey(image), blank_std=blank_std, blur_variance=blur_variance)


def grey_quality(
    luma: NDArray[np.float32], *, blank_std: float = BLANK_STD, blur_variance: float = BLUR_VARIANCE
) -> FrameQuality:
    """:func:`frame_quality` of a frame already made grey by :func:`grey`.

    A blank frame is not also called blurred: it has nothing to be sharp.
    """
    std = float(luma.std())
    sharpness = laplacian_variance(luma)
    problems: tuple[str, ...] = ()
    if std < blank_std:
        problems = ("blank",)
    elif sharpness < blur_variance:
        problems = ("blurred",)
    return FrameQuality(
        luminance_mean=round(float(luma.mean()), 2),
        luminance_std=round(std, 2),
        sharpness=round(sharpness, 1),
        entropy=round(entropy(luma), 3),
        problems=problems,
    )


def cover_check(
    image: NDArray[np.uint8], *, blank_std: float = BLANK_STD, blur_variance: float = BLUR_VARIANCE
) -> FrameQuality:
    """Check a cover the creator chose or uploaded: usable, blank or blurred.

    The same measure as keyframes get; the studio shows ``problems`` as a
    warning the creator may ignore.
    """
    return frame_quality(image, blank_std=blank_std, blur_variance=blur_variance)


def informativeness(quality: FrameQuality) -> float:
    """How much a frame shows: grey entropy plus the log of its sharpness.

    Ranks candidates of one video against each other; 0 for an unusable frame.
    """
    if not quality.is_usable:
        return 0.0
    return quality.entropy + float(np.log10(1 + quality.sharpness))


def choose_poster(keyframes: Sequence[Keyframe]) -> int | None:
    """Index of the best poster: usable, most informative, on-screen text preferred.

    Text counts because a knowledge video's best cover names its topic. The
    first frames of a clip are often a logo or a fade; nothing is assumed
    about position. ``None`` when every keyframe is blank or blurred.
    """
    best, best_score = None, 0.0
    for index, keyframe in enumerate(keyframes):
        score = informativeness(keyframe.quality)
        if score <= 0:
            continue
        score += TEXT_BONUS if keyframe.lines else 0.0
        if score > best_score:
            best, best_score = index, score
    return best
