"""Unsafe-content pre-screen: slides score low; the scoring rules on injected detections."""

import pytest

from courses.vision import (
    Detection,
    FrameRisk,
    PrescreenOptions,
    VideoAnalysis,
    clip_risk,
    detect,
    frame_risk,
)
from demo.slides import TOPIC_SLIDES, render_slide

pytestmark = pytest.mark.xdist_group("vision")

OPTIONS = PrescreenOptions()
BOX = (0.1, 0.1, 0.2, 0.2)


def _d(label: str, score: float) -> Detection:
    return Detection(label=label, score=score, box=BOX)


def test_slides_have_low_risk(lesson_analysis: VideoAnalysis) -> None:
    assert lesson_analysis.risk.risk < 0.1
    assert not lesson_analysis.risk.needs_review
    assert lesson_analysis.risk.flagged == ()
    for keyframe in lesson_analysis.keyframes:
        assert keyframe.risk.timestamp == keyframe.timestamp


def test_the_real_detector_runs_on_a_frame_and_returns_fractions() -> None:
    image = render_slide(TOPIC_SLIDES["fitness"][1], width=360, height=640)
    detections = detect(image)
    assert isinstance(detections, tuple)
    for d in detections:
        assert 0 <= d.score <= 1
        assert all(0 <= v <= 1 for v in d.box)
    assert frame_risk(detections, timestamp=1.0, options=OPTIONS).risk < 0.1


def test_an_exposed_region_makes_a_frame_risky_and_faces_do_not() -> None:
    risky = frame_risk(
        [_d("FACE_FEMALE", 0.95), _d("FEMALE_BREAST_EXPOSED", 0.9)], timestamp=3.0, options=OPTIONS
    )
    assert risky.risk == pytest.approx(0.9)
    assert [d.label for d in risky.detections] == ["FEMALE_BREAST_EXPOSED"]  # faces weigh 0
    assert (
        frame_risk(
            [_d("FACE_MALE", 0.99), _d("FEET_EXPOSED", 0.9)], timestamp=0, options=OPTIONS
        ).risk
        == 0
    )


def test_weak_detections_add_up_and_very_weak_ones_are_ignored() -> None:
    two = frame_risk(
        [_d("BUTTOCKS_EXPOSED", 0.5), _d("FEMALE_GENITALIA_COVERED", 0.8)],
        timestamp=0,
        options=OPTIONS,
    )
    # noisy-or: 1 - (1 - 0.8 * 0.5) * (1 - 0.3 * 0.8)
    assert two.risk == pytest.approx(1 - 0.6 * 0.76)
    assert two.detections[0].label == "BUTTOCKS_EXPOSED"  # the heavier first
    ignored = frame_risk([_d("ANUS_EXPOSED", 0.29)], timestamp=0, options=OPTIONS)
    assert ignored.risk == 0
    assert ignored.detections == ()


def test_clip_risk_flags_frames_over_the_threshold_riskiest_first() -> None:
    frames = [
        FrameRisk(timestamp=1.0, risk=0.2),
        FrameRisk(timestamp=5.0, risk=0.7, detections=(_d("BUTTOCKS_EXPOSED", 0.875),)),
        FrameRisk(timestamp=9.0, risk=0.95, detections=(_d("MALE_GENITALIA_EXPOSED", 0.95),)),
    ]
    result = clip_risk(frames, options=OPTIONS)
    assert result.risk == 0.95
    assert result.needs_review
    assert [f.timestamp for f in result.flagged] == [9.0, 5.0]
    strict = clip_risk(frames, options=PrescreenOptions(flag_threshold=0.96))
    assert not strict.needs_review
    assert strict.flagged == ()
    assert strict.risk == 0.95
    assert clip_risk([], options=OPTIONS).risk == 0.0


def test_label_weights_are_a_parameter() -> None:
    options = PrescreenOptions(label_weights={"FEET_EXPOSED": 1.0})
    assert frame_risk(
        [_d("FEET_EXPOSED", 0.8)], timestamp=0, options=options
    ).risk == pytest.approx(0.8)
