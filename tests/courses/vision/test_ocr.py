"""On-screen text: RapidOCR reads drawn Chinese and English, and titles are found."""

from difflib import SequenceMatcher

import numpy as np
import pytest

from courses.vision import TextLine, VideoAnalysis, read_text, title_line
from demo.slides import Slide, render_slide

pytestmark = pytest.mark.xdist_group("vision")


def _similar(a: str, b: str) -> float:
    """Similarity of two strings, ignoring spaces (OCR drops some between words)."""
    return SequenceMatcher(None, a.replace(" ", ""), b.replace(" ", "")).ratio()


def _best(lines: tuple[TextLine, ...], expected: str) -> TextLine:
    return max(lines, key=lambda line: _similar(line.text, expected))


@pytest.mark.parametrize(
    ("size", "slide"),
    [
        (
            (1280, 720),
            Slide("机器学习 Machine Learning", ("梯度下降 gradient descent", "过拟合 与 正则化")),
        ),
        ((360, 640), Slide("番茄炒蛋 做法", ("鸡蛋 3个 打散", "Tomato and eggs"))),
    ],
)
def test_reads_drawn_chinese_and_english(size: tuple[int, int], slide: Slide) -> None:
    image = render_slide(slide, width=size[0], height=size[1])
    lines = read_text(image, timestamp=12.5)
    for expected in (slide.title, *slide.body):
        line = _best(lines, expected)
        # One misread glyph is allowed; the line must still be the drawn one.
        assert _similar(line.text, expected) >= 0.8, (expected, [x.text for x in lines])
        assert line.timestamp == 12.5
        assert 0.5 <= line.confidence <= 1.0
    text = "".join(line.text for line in lines)
    chinese = [ch for ch in slide.title + "".join(slide.body) if "\u4e00" <= ch <= "\u9fff"]
    assert sum(ch in text for ch in chinese) >= len(chinese) - 1
    latin_words = [
        w for w in " ".join((slide.title, *slide.body)).split() if w.isascii() and w.isalpha()
    ]
    assert all(w.lower() in text.lower() for w in latin_words)


def test_boxes_are_fractions_of_the_frame_in_reading_order() -> None:
    image = render_slide(
        Slide("Title 标题", ("first line 第一行", "second line 第二行")), width=1280, height=720
    )
    lines = read_text(image, timestamp=0.0)
    assert len(lines) >= 3
    for line in lines:
        x, y, w, h = line.box
        assert 0 <= x < 1
        assert 0 <= y < 1
        assert 0 < w <= 1
        assert 0 < h <= 1
    tops = [line.box[1] for line in lines]
    assert tops == sorted(tops)


def test_a_blank_frame_has_no_text() -> None:
    assert read_text(np.full((360, 640, 3), 200, dtype=np.uint8), timestamp=0.0) == ()


def _line(text: str, *, y: float, h: float) -> TextLine:
    return TextLine(text=text, confidence=0.99, box=(0.1, y, 0.5, h), timestamp=0.0)


def test_title_is_the_tallest_line_in_the_upper_half() -> None:
    title = _line("导数 Derivative", y=0.12, h=0.08)
    lines = (
        _line("2 / 5", y=0.02, h=0.03),
        title,
        _line("f'(x) = lim", y=0.3, h=0.05),
        _line("字幕 subtitles burned in", y=0.85, h=0.09),  # taller, but at the bottom
    )
    assert title_line(lines) == title


def test_title_tie_goes_to_the_topmost_line() -> None:
    upper = _line("第一章 Chapter One", y=0.1, h=0.07)
    lower = _line("副标题 Subtitle", y=0.2, h=0.075)
    assert title_line((lower, upper)) == upper
    assert title_line((_line("•", y=0.1, h=0.1),)) is None
    assert title_line(()) is None


def test_the_lesson_keyframes_carry_their_slide_text(lesson_analysis: VideoAnalysis) -> None:
    from .conftest import LESSON_SLIDES

    assert len(lesson_analysis.keyframes) == len(LESSON_SLIDES)
    for keyframe, slide in zip(lesson_analysis.keyframes, LESSON_SLIDES, strict=True):
        title = title_line(keyframe.lines)
        assert title is not None
        assert _similar(title.text, slide.title) >= 0.8, (title.text, slide.title)
        assert all(line.timestamp == keyframe.timestamp for line in keyframe.lines)
