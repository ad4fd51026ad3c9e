"""Lesson chapters from shots and on-screen titles."""

from difflib import SequenceMatcher

import pytest

from courses.vision import Chapter, Shot, VideoAnalysis, chapters_from

from .conftest import LESSON_SLIDES

pytestmark = pytest.mark.xdist_group("vision")


def _shots(*starts: float, duration: float) -> list[Shot]:
    ends = [*starts[1:], duration]
    return [Shot(i, s, e, s) for i, (s, e) in enumerate(zip(starts, ends, strict=True))]


def test_each_titled_slide_is_a_chapter() -> None:
    shots = _shots(0, 20, 45, duration=70)
    chapters = chapters_from(
        shots, ["导数 Derivative", "积分 Integral", "小结 Summary"], duration=70
    )
    assert chapters == (
        Chapter(0.0, 20.0, "导数 Derivative"),
        Chapter(20.0, 45.0, "积分 Integral"),
        Chapter(45.0, 70.0, "小结 Summary"),
    )


def test_same_title_and_untitled_shots_continue_the_chapter() -> None:
    shots = _shots(0, 15, 30, 50, 65, duration=90)
    titles = ["导数 Derivative", "导数 Derivatlve", "", "积分 Integral", "积分 Integral"]
    assert chapters_from(shots, titles, duration=90) == (
        Chapter(0.0, 50.0, "导数 Derivative"),  # a misread glyph is the same title
        Chapter(50.0, 90.0, "积分 Integral"),
    )


def test_short_chapters_join_a_neighbour() -> None:
    shots = _shots(0, 3, 30, 34, duration=60)
    titles = ["Logo", "第一节 Basics", "闪现 Flash", "第二节 More"]
    assert chapters_from(shots, titles, duration=60, min_seconds=10) == (
        Chapter(0.0, 34.0, "第一节 Basics"),  # the 3 s opening takes the next title
        Chapter(34.0, 60.0, "第二节 More"),  # "Flash" (4 s) joined the chapter before
    )


def test_untitled_opening_is_its_own_chapter_when_long() -> None:
    shots = _shots(0, 40, duration=80)
    assert chapters_from(shots, ["", "正文 Main"], duration=80) == (
        Chapter(0.0, 40.0, ""),
        Chapter(40.0, 80.0, "正文 Main"),
    )
    assert chapters_from([], [], duration=0) == ()
    with pytest.raises(ValueError, match="one title per shot"):
        chapters_from(shots, ["only one"], duration=80)


def test_lesson_chapters_follow_the_slides(lesson_analysis: VideoAnalysis) -> None:
    chapters = lesson_analysis.chapters
    assert len(chapters) == len(LESSON_SLIDES)
    assert chapters[0].start == 0.0
    assert chapters[-1].end == lesson_analysis.duration
    for chapter, shot, slide in zip(chapters, lesson_analysis.shots, LESSON_SLIDES, strict=True):
        assert chapter.start == shot.start
        ratio = SequenceMatcher(
            None, chapter.title.replace(" ", ""), slide.title.replace(" ", "")
        ).ratio()
        assert ratio >= 0.8, (chapter.title, slide.title)
