"""On-screen text (Chinese and English) with RapidOCR's PP-OCRv4 ONNX models.

``rapidocr-onnxruntime`` 1.4.4 carries its models inside the wheel (the 3.x
line downloads them at run time, which fails without network). The engine
is loaded once per process, lazily, on first use (about 1 s), with a
bounded number of ONNX Runtime threads: a media worker shares its cores.

Detection runs on the frame shrunk to ``det_max_side`` on its long side
(960: slide text stays readable, and a 720p frame costs a third of
RapidOCR's default, which enlarges the short side to 736).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .types import TextLine

DET_MAX_SIDE = 960
MIN_CONFIDENCE = 0.5
# A title must sit in the upper part of the frame: burned-in subtitles are
# as large, but at the bottom.
TITLE_MAX_TOP = 0.5

_lock = threading.Lock()
_engines: dict[tuple[int, int], Any] = {}


def ocr_engine(*, threads: int = 1, det_max_side: int = DET_MAX_SIDE) -> Any:
    """The process-wide RapidOCR engine for these settings, loaded on first call."""
    key = (threads, det_max_side)
    with _lock:
        engine = _engines.get(key)
        if engine is None:
            import cv2
            from rapidocr_onnxruntime import RapidOCR

            # OpenCV (resizing, warping crops) gets the same bound as ONNX Runtime.
            cv2.setNumThreads(threads)
            engine = RapidOCR(
                intra_op_num_threads=threads,
                inter_op_num_threads=1,
                det_limit_type="max",
                det_limit_side_len=det_max_side,
            )
            _engines[key] = engine
        return engine


def read_text(
    image: NDArray[np.uint8],
    *,
    timestamp: float,
    min_confidence: float = MIN_CONFIDENCE,
    threads: int = 1,
    det_max_side: int = DET_MAX_SIDE,
) -> tuple[TextLine, ...]:
    """Read the text lines of an RGB frame, top to bottom, left to right.

    Lines under ``min_confidence`` are dropped; boxes are the axis-aligned
    bounds of RapidOCR's quadrilaterals, as fractions of the frame.
    """
    engine = ocr_engine(threads=threads, det_max_side=det_max_side)
    bgr = np.ascontiguousarray(image[:, :, ::-1])  # RapidOCR takes arrays in OpenCV's BGR
    with _lock:  # one engine per process; its calls are not thread-safe
        result, _elapsed = engine(bgr, text_score=min_confidence)
    height, width = image.shape[:2]
    lines = []
    for quad, text, confidence in result or ():
        text = str(text).strip()
        if not text or float(confidence) < min_confidence:
            continue
        points = np.asarray(quad, dtype=np.float64)
        x0, y0 = points.min(axis=0)
        x1, y1 = points.max(axis=0)
        box = (
            round(max(x0, 0) / width, 4),
            round(max(y0, 0) / height, 4),
            round((min(x1, width) - max(x0, 0)) / width, 4),
            round((min(y1, height) - max(y0, 0)) / height, 4),
        )
        lines.append(TextLine(text=text, confidence=round(float(confidence), 3), box=box,
                              timestamp=timestamp))  # fmt: skip
    return tuple(lines)


def title_line(lines: Sequence[TextLine], *, max_top: float = TITLE_MAX_TOP) -> TextLine | None:
    """The frame's title: the tallest line in the upper part, the topmost of near-ties.

    Lines at least 85 % as tall as the tallest count as ties (a title and
    a same-size subtitle); lines with no letter or digit are skipped.
    """
    candidates = [
        line
        for line in lines
        if line.box[1] < max_top and sum(ch.isalnum() for ch in line.text) >= 2
    ]
    if not candidates:
        return None
    tallest = max(line.box[3] for line in candidates)
    near = [line for line in candidates if line.box[3] >= 0.85 * tallest]
    return min(near, key=lambda line: (line.box[1], line.box[0]))
