"""On-screen text (Chinese and English) with RapidOCR's PP-OCRv4 ONNX models.

``rapidocr-onnxruntime`` 1.4.4 carries its models inside the wheel (the 3.x
line downloads them at run time, which fails without network). The engine
is loaded once per process, lazily, on first use (about 1 s), with a
bounded number of ONNX Runtime and OpenCV threads: a media worker shares
its cores.

Text *detection* costs in proportion to the pixels, so it runs on the frame
shrunk to ``det_max_side`` (640: a 720p frame's detection costs a third of
960's, and found the same lines on the bench's slides; text under about
12 px at 720p is missed sooner); *recognition* then reads the found lines
cropped from the full frame, so small text keeps its detail. Lines are
recognised one at a time: in a batch every crop is padded to the widest,
which cost a third more CPU for the same text (bench/vision_processing.py). This calls the engine's detector, cropper and
recogniser one by one (``text_det``, ``get_crop_img_list``, ``text_rec``:
RapidOCR's own ``__call__`` does the same in one go at one resolution),
which the exact version pin keeps stable. The angle classifier is off:
slides, captions and screen recordings are upright.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from .types import TextLine

DET_MAX_SIDE = 640
MIN_CONFIDENCE = 0.5
# A title must sit in the upper part of the frame: burned-in subtitles are
# as large, but at the bottom.
TITLE_MAX_TOP = 0.5

_lock = threading.Lock()
_engines: dict[int, Any] = {}


def ocr_engine(*, threads: int = 1) -> Any:
    """The process-wide RapidOCR engine with this thread bound, loaded on first call."""
    with _lock:
        engine = _engines.get(threads)
        if engine is None:
            import cv2
            from rapidocr_onnxruntime import RapidOCR

            # OpenCV (crops, resizing inside RapidOCR) gets the same bound.
            cv2.setNumThreads(threads)
            engine = RapidOCR(
                intra_op_num_threads=threads,
                inter_op_num_threads=1,
                use_cls=False,
                # "min" with a small side: detect at the size it is given.
                det_limit_type="min",
                det_limit_side_len=32,
                rec_batch_num=1,  # no padding to the batch's widest line
            )
            _engines[threads] = engine
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
    bounds of the detected quadrilaterals, as fractions of the frame.
    """
    engine = ocr_engine(threads=threads)
    height, width = image.shape[:2]
    scale = min(1.0, det_max_side / max(height, width))
    small = image
    if scale < 1:
        size = (max(32, round(width * scale)), max(32, round(height * scale)))
        small = np.asarray(Image.fromarray(image).resize(size, Image.Resampling.BILINEAR))
    with _lock:  # one engine per process; its calls are not thread-safe
        quads, _ = engine.text_det(np.ascontiguousarray(small[:, :, ::-1]))  # OpenCV's BGR
        if quads is None or len(quads) == 0:
            return ()
        quads = [
            (
                np.asarray(q, dtype=np.float64) * (width / small.shape[1], height / small.shape[0])
            ).astype(np.float32)
            for q in engine.sorted_boxes(quads)
        ]
        crops = engine.get_crop_img_list(np.ascontiguousarray(image[:, :, ::-1]), quads)
        recognised, _ = engine.text_rec(crops)
    lines = []
    for quad, (text, confidence) in zip(quads, recognised, strict=True):
        text = str(text).strip()
        if not text or float(confidence) < min_confidence:
            continue
        x0, y0 = np.clip(quad.min(axis=0), 0, None)
        x1, y1 = quad.max(axis=0)
        x1, y1 = min(x1, width), min(y1, height)
        box = (
            round(float(x0) / width, 4),
            round(float(y0) / height, 4),
            round(float(x1 - x0) / width, 4),
            round(float(y1 - y0) / height, 4),
        )
        lines.append(
            TextLine(
                text=text, confidence=round(float(confidence), 3), box=box, timestamp=timestamp
            )
        )
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
