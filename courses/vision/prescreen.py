"""Unsafe-content pre-screen of keyframes with NudeNet's 320n ONNX detector.

``nudenet`` 3.4.2 carries its detector in the wheel. It finds body-part
regions with a label (``FEMALE_BREAST_EXPOSED``, ``FACE_MALE``, …) and a
score. A frame's risk combines its detections as a noisy-or of
``weight(label) × score``: one confident exposed region is enough, and
several weaker ones add up. Faces, feet and covered parts weigh nothing
or little. A clip's risk is its riskiest frame's.

This only orders the moderation queue and shows the moderator which frames
scored: no upload is rejected without a person (docs/decisions.md).
Thresholds and weights are parameters; the glue reads them from settings.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .types import ClipRisk, Detection, FrameRisk

# NudeNet's labels; what is not listed weighs 0 (faces, feet, covered belly…).
DEFAULT_LABEL_WEIGHTS: Mapping[str, float] = {
    "FEMALE_GENITALIA_EXPOSED": 1.0,
    "MALE_GENITALIA_EXPOSED": 1.0,
    "ANUS_EXPOSED": 1.0,
    "FEMALE_BREAST_EXPOSED": 1.0,
    "BUTTOCKS_EXPOSED": 0.8,
    "FEMALE_GENITALIA_COVERED": 0.3,
    "BUTTOCKS_COVERED": 0.15,
    "FEMALE_BREAST_COVERED": 0.15,
    "ANUS_COVERED": 0.15,
    "MALE_BREAST_EXPOSED": 0.05,
    "BELLY_EXPOSED": 0.05,
}


@dataclass(frozen=True)
class PrescreenOptions:
    """Pre-screen thresholds (settings in the glue).

    Attributes:
        min_detection_score: detections scoring lower are ignored.
        flag_threshold: a frame at or over this risk is shown to the
            moderator; a clip with such a frame needs review.
        label_weights: how much each NudeNet label counts, 0–1.
        threads: ONNX Runtime threads for the detector.
    """

    min_detection_score: float = 0.3
    flag_threshold: float = 0.5
    label_weights: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_LABEL_WEIGHTS))
    threads: int = 1


_lock = threading.Lock()
_detectors: dict[int, Any] = {}


def detector(*, threads: int = 1) -> Any:
    """The process-wide NudeNet detector, loaded on first call with bounded threads."""
    with _lock:
        found = _detectors.get(threads)
        if found is None:
            import nudenet
            import onnxruntime

            found = nudenet.NudeDetector()
            # NudeDetector takes no session options: rebuild its session with
            # a thread bound (the model file is the one it just loaded).
            options = onnxruntime.SessionOptions()
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
            model = Path(nudenet.__file__).parent / "320n.onnx"
            found.onnx_session = onnxruntime.InferenceSession(
                str(model), sess_options=options, providers=["CPUExecutionProvider"]
            )
            _detectors[threads] = found
        return found


def detect(image: NDArray[np.uint8], *, threads: int = 1) -> tuple[Detection, ...]:
    """Run the detector on an RGB frame; boxes as fractions of the frame."""
    bgr = np.ascontiguousarray(image[:, :, ::-1])  # NudeNet reads arrays as OpenCV's BGR
    found = detector(threads=threads)
    with _lock:
        raw = found.detect(bgr)
    height, width = image.shape[:2]
    return tuple(
        Detection(
            label=str(d["class"]),
            score=round(float(d["score"]), 4),
            box=(
                round(d["box"][0] / width, 4),
                round(d["box"][1] / height, 4),
                round(d["box"][2] / width, 4),
                round(d["box"][3] / height, 4),
            ),
        )
        for d in raw
    )


def frame_risk(
    detections: Sequence[Detection], *, timestamp: float, options: PrescreenOptions
) -> FrameRisk:
    """Noisy-or of ``weight × score`` over the detections that count; 0 without any."""
    kept = []
    safe = 1.0
    for d in detections:
        weight = options.label_weights.get(d.label, 0.0)
        if weight <= 0 or d.score < options.min_detection_score:
            continue
        kept.append(d)
        safe *= 1 - min(1.0, weight * d.score)
    kept.sort(key=lambda d: -options.label_weights[d.label] * d.score)
    return FrameRisk(timestamp=timestamp, risk=round(1 - safe, 4), detections=tuple(kept))


def clip_risk(frames: Sequence[FrameRisk], *, options: PrescreenOptions) -> ClipRisk:
    """The clip's risk is its riskiest frame's; frames at or over the threshold are flagged."""
    flagged = sorted((f for f in frames if f.risk >= options.flag_threshold), key=lambda f: -f.risk)
    risk = max((f.risk for f in frames), default=0.0)
    return ClipRisk(risk=risk, needs_review=bool(flagged), flagged=tuple(flagged))


def prescreen_frame(
    image: NDArray[np.uint8], *, timestamp: float, options: PrescreenOptions
) -> FrameRisk:
    """Detect and score one frame."""
    return frame_risk(detect(image, threads=options.threads), timestamp=timestamp, options=options)
