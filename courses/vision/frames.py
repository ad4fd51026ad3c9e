"""Decode a video with PyAV and keep a few frames a second for analysis.

Two ways in, one rule for which frames are kept:

* :func:`sample_frames` opens a file and decodes it (one thread by default).
* :class:`FrameSampler` takes ``av.VideoFrame``s from a decode loop that
  already runs, such as the transcoder's, so the analysis costs no second
  decode: the loop calls ``sampler.offer(frame)`` on every frame.

A frame is kept when its time reaches the next multiple of
``every_seconds``, converted to RGB and shrunk so its long side is at most
``max_side`` pixels (720p stays as it is; 1080p becomes 720p).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import av
import numpy as np

from .types import SampledFrame

DEFAULT_EVERY_SECONDS = 1.0
DEFAULT_MAX_SIDE = 1280


class VideoDecodeError(Exception):
    """The file has no decodable video stream."""


def analysis_size(width: int, height: int, *, max_side: int = DEFAULT_MAX_SIDE) -> tuple[int, int]:
    """``(width, height)`` shrunk so the long side is at most ``max_side``; even sides."""
    scale = min(1.0, max_side / max(width, height, 1))
    return max(2, round(width * scale / 2) * 2), max(2, round(height * scale / 2) * 2)


class FrameSampler:
    """Keep one frame every ``every_seconds`` from frames offered in decode order."""

    def __init__(
        self, *, every_seconds: float = DEFAULT_EVERY_SECONDS, max_side: int = DEFAULT_MAX_SIDE
    ) -> None:
        if every_seconds <= 0:
            raise ValueError("every_seconds must be positive")
        self.every_seconds = every_seconds
        self.max_side = max_side
        self._next_due = 0.0
        self.last_time = 0.0
        self.frame_interval = 0.0  # seconds between two offered frames, once seen

    def offer(self, frame: av.VideoFrame) -> SampledFrame | None:
        """Return the frame as a :class:`SampledFrame` if it is due, else ``None``."""
        t = frame.time
        if t is None:
            return None
        if t > self.last_time:
            self.frame_interval = t - self.last_time
        self.last_time = max(self.last_time, t)
        # A small tolerance: frame times are rounded to the stream's time base.
        if t + 1e-6 < self._next_due:
            return None
        self._next_due = (math.floor(t / self.every_seconds + 1e-9) + 1) * self.every_seconds
        width, height = analysis_size(frame.width, frame.height, max_side=self.max_side)
        image = np.asarray(
            frame.to_ndarray(format="rgb24", width=width, height=height), dtype=np.uint8
        )
        return SampledFrame(timestamp=round(float(t), 3), image=image)

    @property
    def duration(self) -> float:
        """Seconds covered by the frames offered so far (last time + one frame)."""
        return self.last_time + self.frame_interval


def sample_frames(
    path: Path,
    *,
    every_seconds: float = DEFAULT_EVERY_SECONDS,
    max_side: int = DEFAULT_MAX_SIDE,
    decode_threads: int = 1,
    sampler: FrameSampler | None = None,
) -> Iterator[SampledFrame]:
    """Yield frames of the first video stream, one every ``every_seconds``.

    ``decode_threads`` bounds FFmpeg's decoder threads (a media worker
    shares its cores). Pass ``sampler`` to read its ``duration`` afterwards.
    Raises :class:`VideoDecodeError` when the file cannot be decoded.
    """
    sampler = sampler or FrameSampler(every_seconds=every_seconds, max_side=max_side)
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise VideoDecodeError(f"{path.name} has no video stream")
            stream = container.streams.video[0]
            stream.codec_context.thread_count = decode_threads
            for frame in container.decode(stream):
                sampled = sampler.offer(frame)
                if sampled is not None:
                    yield sampled
    except (av.FFmpegError, OSError) as exc:
        raise VideoDecodeError(f"{path.name} could not be decoded") from exc
