"""Perceptual hashes of shots and clip-to-clip matching, for re-uploads.

The hash is ImageHash's DCT pHash at ``hash_size=16`` (256 bits): the
64-bit default cannot tell two slides of one template apart (their
distance is often 0-2 bits), while 256 bits keep a re-encoded, resized
copy within a few bits and different slides tens of bits apart (the
measured distributions are in docs/benchmarks.md).

A shot's hash is the pHash of the mean of its samples' 64×64 grey
thumbnails (first and last sample left out when there are four or more):
whatever moves inside the shot (a pointer, a progress bar, a speaker)
averages out the same way in a copy, and a cut found one sample later in
the copy does not change it. A single keyframe's hash would depend on
which sample was chosen: within one slide the samples differ by 12-24
bits, a re-encoded copy of the same sample by at most 8.

A clip's fingerprint is its shots' hashes in time order. Two clips
match where a shot of one has a shot of the other within ``max_distance``
bits; ``containment`` is the share of the clip with fewer shots that is
found in the other.
"""

from __future__ import annotations

from collections.abc import Sequence

import imagehash
import numpy as np
from numpy.typing import NDArray
from PIL import Image

from .quality import grey
from .types import ClipMatch, Fingerprint, Keyframe, Shot

HASH_SIZE = 16
HASH_BITS = HASH_SIZE * HASH_SIZE
# Bits (of 256) within which two shots are the same picture.
MAX_DISTANCE = 16
DUPLICATE_CONTAINMENT = 0.6


THUMB_SIDE = HASH_SIZE * 4  # ImageHash's pHash resizes to 4 × hash_size


def thumbnail(image: NDArray[np.uint8]) -> NDArray[np.float32]:
    """The 64×64 grey picture pHash is computed from (as ImageHash resizes it)."""
    return grey_thumbnail(grey(image))


def grey_thumbnail(luma: NDArray[np.float32]) -> NDArray[np.float32]:
    """:func:`thumbnail` of a frame already made grey (at 360p) by ``quality.grey``.

    Shrinking the 360p grey frame rather than the full RGB one costs a
    quarter as much and gives the same hash within a bit or two.
    """
    picture = Image.fromarray(np.clip(np.rint(luma), 0, 255).astype(np.uint8), mode="L")
    small = picture.resize((THUMB_SIDE, THUMB_SIDE), Image.Resampling.LANCZOS)
    return np.asarray(small, dtype=np.float32)


def thumbnail_phash(thumb: NDArray[np.float32]) -> str:
    """pHash of a 64×64 grey thumbnail (or a mean of several), as 64 hex digits."""
    picture = Image.fromarray(np.clip(np.rint(thumb), 0, 255).astype(np.uint8), mode="L")
    return str(imagehash.phash(picture, hash_size=HASH_SIZE))


def phash(image: NDArray[np.uint8]) -> str:
    """The 256-bit perceptual hash of one RGB frame, as 64 hex digits."""
    return thumbnail_phash(thumbnail(image))


class ShotHasher:
    """Accumulates a shot's thumbnails; :meth:`digest` hashes their trimmed mean."""

    def __init__(self) -> None:
        self._sum = np.zeros((THUMB_SIDE, THUMB_SIDE), dtype=np.float64)
        self._first: NDArray[np.float32] | None = None
        self._last: NDArray[np.float32] | None = None
        self.count = 0

    def add(self, luma: NDArray[np.float32]) -> None:
        """Add a sample, made grey at 360p by ``quality.grey``."""
        thumb = grey_thumbnail(luma)
        self._sum += thumb
        self._first = thumb if self._first is None else self._first
        self._last = thumb
        self.count += 1

    def digest(self) -> str:
        """Hash of the shot; raises ValueError when nothing was added."""
        if self._first is None or self._last is None:
            raise ValueError("no frame in the shot")
        if self.count >= 4:
            mean = (self._sum - self._first - self._last) / (self.count - 2)
        else:
            mean = self._sum / self.count
        return thumbnail_phash(mean.astype(np.float32))


def hamming(a: str, b: str) -> int:
    """Number of differing bits between two hex hashes of equal length."""
    return (int(a, 16) ^ int(b, 16)).bit_count()


def fingerprint(
    shots: Sequence[Shot], keyframes: Sequence[Keyframe], *, duration: float
) -> Fingerprint:
    """The clip's fingerprint: each shot's start and hash (blank shots left out: every fade matches)."""
    kept = [(s, k) for s, k in zip(shots, keyframes, strict=True) if not k.quality.is_blank]
    return Fingerprint(
        duration=round(duration, 3),
        timestamps=tuple(s.start for s, _ in kept),
        hashes=tuple(k.phash for _, k in kept),
    )


def distance_matrix(a: Sequence[str], b: Sequence[str]) -> NDArray[np.int64]:
    """``(len(a), len(b))`` Hamming distances."""
    return np.array([[hamming(x, y) for y in b] for x in a], dtype=np.int64).reshape(len(a), len(b))


def clip_similarity(
    a: Fingerprint,
    b: Fingerprint,
    *,
    max_distance: int = MAX_DISTANCE,
    duplicate_containment: float = DUPLICATE_CONTAINMENT,
) -> ClipMatch:
    """How much of ``a`` is in ``b`` and back; ``is_duplicate`` by ``duplicate_containment``."""
    if not a.hashes or not b.hashes:
        return ClipMatch(similarity=0.0, containment=0.0, is_duplicate=False)
    distances = distance_matrix(a.hashes, b.hashes)
    best_in_b = distances.argmin(axis=1)
    matched_a = distances.min(axis=1) <= max_distance
    matched_b = distances.min(axis=0) <= max_distance
    similarity = (matched_a.sum() + matched_b.sum()) / (len(a.hashes) + len(b.hashes))
    shorter = matched_a if len(a.hashes) <= len(b.hashes) else matched_b
    containment = float(shorter.mean())
    enough = int(shorter.sum()) >= min(2, shorter.size)
    pairs = tuple(
        (a.timestamps[i], b.timestamps[int(best_in_b[i])], int(distances[i, best_in_b[i]]))
        for i in np.flatnonzero(matched_a)
    )
    return ClipMatch(
        similarity=round(float(similarity), 4),
        containment=round(containment, 4),
        is_duplicate=enough and containment >= duplicate_containment,
        pairs=pairs,
    )
