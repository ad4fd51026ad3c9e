"""Clips with known slides, rendered once per test process, and their analysis.

Every vision test module runs in one xdist group, so the OCR and detector
models load once per test run.
"""

from pathlib import Path

import pytest

from courses.vision import AnalysisOptions, VideoAnalysis, analyse_video
from demo.slides import Deck, Slide, render_deck

LESSON_SLIDES = (
    Slide("Python 编程入门", ("变量 与 类型", "print('hello')")),
    Slide("列表推导式 List Comprehension", ("squares = [x * x for x in range(10)]",), "code"),
    Slide("勾股定理 Pythagoras", ("a² + b² = c²", "直角三角形"), "formula"),
    Slide("课后练习 Exercise", ("动手 试一试", "评论区 交作业")),
)
SECONDS_PER_SLIDE = 4.0


@pytest.fixture(scope="session")
def lesson_deck() -> Deck:
    """Four 1280×720 slides of 4 s each at 4 fps: 16 s, cuts at 4, 8 and 12 s."""
    return Deck(slides=LESSON_SLIDES, seconds_per_slide=SECONDS_PER_SLIDE, hue=0.58)


@pytest.fixture(scope="session")
def lesson_clip(tmp_path_factory: pytest.TempPathFactory, lesson_deck: Deck) -> Path:
    path = tmp_path_factory.mktemp("vision") / "lesson.mp4"
    render_deck(lesson_deck, path)
    return path


@pytest.fixture(scope="session")
def lesson_analysis(lesson_clip: Path) -> VideoAnalysis:
    """The whole pipeline on the lesson clip; chapters as short as its slides."""
    return analyse_video(lesson_clip, options=AnalysisOptions(min_chapter_seconds=3.0))


@pytest.fixture(scope="session")
def vision_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("vision-clips")
