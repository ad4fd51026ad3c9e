"""Blank and blurred frames, and the poster choice among keyframes."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageFilter

from courses.media.probe import poster_frame
from courses.vision import (
    FrameQuality,
    FrameRisk,
    Keyframe,
    TextLine,
    VideoAnalysis,
    choose_poster,
    cover_check,
)
from demo.clips import ClipSpec, render_clip
from demo.slides import TOPIC_SLIDES, render_slide

pytestmark = pytest.mark.xdist_group("vision")


def _blur(image: np.ndarray, sigma: float) -> np.ndarray:
    return np.asarray(Image.fromarray(image).filter(ImageFilter.GaussianBlur(sigma)))


@pytest.mark.parametrize("size", [(1280, 720), (360, 640)])
def test_a_sharp_slide_is_usable_and_its_blurred_copy_is_not(size: tuple[int, int]) -> None:
    slide = render_slide(TOPIC_SLIDES["history"][0], width=size[0], height=size[1])
    sharp = cover_check(slide)
    assert sharp.is_usable
    blurred = cover_check(_blur(slide, 4 * max(size) / 1280))
    assert blurred.problems == ("blurred",)
    assert blurred.sharpness < sharp.sharpness / 10


def test_a_demo_clip_frame_is_usable(tmp_path: Path) -> None:
    """A caption over a smooth gradient: sharp where it has detail."""
    path = tmp_path / "clip.mp4"
    render_clip(ClipSpec(caption="摄影 Photo", hue=0.4, seconds=1.0), path)
    assert cover_check(np.asarray(poster_frame(path))).is_usable


@pytest.mark.parametrize("colour", [(0, 0, 0), (255, 255, 255), (40, 90, 200)])
def test_single_colour_frames_are_blank(colour: tuple[int, int, int]) -> None:
    rng = np.random.default_rng(0)
    frame = np.clip(np.full((360, 640, 3), colour) + rng.normal(0, 2, (360, 640, 3)), 0, 255)
    quality = cover_check(frame.astype(np.uint8))
    assert quality.problems == ("blank",)
    assert quality.is_blank
    assert not quality.is_usable


def _keyframe(quality: FrameQuality, *, text: bool = False) -> Keyframe:
    lines = (TextLine("标题", 0.9, (0.1, 0.1, 0.3, 0.1), 0.0),) if text else ()
    return Keyframe(0, 0.0, 640, 360, quality, "0" * 64, lines, FrameRisk(0.0, 0.0))


def test_poster_skips_unusable_frames_and_prefers_text() -> None:
    blank = FrameQuality(0, 0, 0, 0, ("blank",))
    busy = FrameQuality(120, 60, 3000, 7.5)
    plain = FrameQuality(120, 40, 900, 6.9)
    assert choose_poster([_keyframe(blank), _keyframe(busy), _keyframe(plain)]) == 1
    assert choose_poster([_keyframe(busy), _keyframe(plain, text=True)]) == 1
    assert choose_poster([_keyframe(blank)]) is None
    assert choose_poster([]) is None


def test_lesson_poster_is_a_usable_keyframe_with_text(lesson_analysis: VideoAnalysis) -> None:
    poster = lesson_analysis.poster
    assert poster is not None
    assert poster.quality.is_usable
    assert poster.lines
    image = Image.open(__import__("io").BytesIO(poster.jpeg))
    assert image.size == (1280, 720)
