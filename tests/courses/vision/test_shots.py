"""Shot boundaries: found at slide changes, not inside a moving shot."""

from pathlib import Path

import numpy as np
import pytest

from courses.vision import AnalysisOptions, CutDetector, SampledFrame, VideoAnalysis, analyse_video
from demo.clips import ClipSpec, render_clip
from demo.slides import SHORT_SIZE, Deck, render_deck, topic_deck

pytestmark = pytest.mark.xdist_group("vision")

EVERY = AnalysisOptions().every_seconds


def _assert_cuts_at(found: list[float], expected: tuple[float, ...]) -> None:
    """One cut per expected change, each within one sample of it."""
    assert len(found) == len(expected), (found, expected)
    for got, want in zip(found, expected, strict=True):
        assert abs(got - want) <= EVERY + 1e-6, (found, expected)


def test_lesson_shots_start_at_the_slide_changes(
    lesson_analysis: VideoAnalysis, lesson_deck: Deck
) -> None:
    starts = [shot.start for shot in lesson_analysis.shots]
    assert starts[0] == 0.0
    _assert_cuts_at(starts[1:], lesson_deck.slide_starts()[1:])
    assert lesson_analysis.shots[-1].end == pytest.approx(lesson_deck.seconds, abs=0.3)
    for shot in lesson_analysis.shots:
        assert shot.start <= shot.keyframe_time < shot.end


def test_portrait_short_video_cuts_are_found(vision_dir: Path) -> None:
    deck = topic_deck("web", seed=4, n_slides=3, size=SHORT_SIZE, seconds_per_slide=4.0)
    path = vision_dir / "short-web.mp4"
    render_deck(deck, path)
    analysis = analyse_video(path, options=AnalysisOptions(ocr=False))
    _assert_cuts_at([s.start for s in analysis.shots[1:]], deck.slide_starts()[1:])


def test_continuous_motion_is_one_shot(vision_dir: Path) -> None:
    """The demo clips move a large disc across the frame for 6 s: no cut."""
    path = vision_dir / "motion.mp4"
    render_clip(ClipSpec(caption="Motion 运动", hue=0.1, seconds=6.0), path)
    analysis = analyse_video(path, options=AnalysisOptions(ocr=False))
    assert len(analysis.shots) == 1


def _frame(t: float, image: np.ndarray) -> SampledFrame:
    return SampledFrame(timestamp=t, image=image)


def test_threshold_adapts_to_a_moving_shot() -> None:
    """A panning texture differs a lot frame to frame; a cut to a new picture still stands out."""
    rng = np.random.default_rng(3)
    texture = (rng.random((90, 400, 3)) * 255).astype(np.uint8)
    texture = np.repeat(np.repeat(texture, 4, axis=0), 4, axis=1)  # blocky: survives thumbnailing
    other = np.full((360, 640, 3), (30, 160, 60), dtype=np.uint8)
    other[100:260, 200:440] = (250, 250, 250)
    detector = CutDetector()
    frames = [_frame(i * 0.5, texture[:, i * 24 : i * 24 + 640]) for i in range(20)]
    frames += [_frame(10 + i * 0.5, other) for i in range(6)]
    cuts = [f.timestamp for f in frames if detector.push(f)]
    moving_scores = [score for t, score in detector.scores if t < 10]
    assert min(moving_scores) > 2 * detector.options.min_score  # every pan step is "large"
    assert cuts == [10.0]


def test_no_cut_closer_than_the_minimum_shot() -> None:
    detector = CutDetector()
    black = np.zeros((72, 128, 3), dtype=np.uint8)
    white = np.full((72, 128, 3), 255, dtype=np.uint8)
    pushed = [
        detector.push(_frame(t, image))
        for t, image in ((0.0, black), (0.5, black), (1.0, white), (1.5, black), (2.0, black))
    ]
    # The flash at 1.0 s cuts; the return 0.5 s later is within min_shot_seconds.
    assert pushed == [False, False, True, False, False]
