"""Chapter markers from the content analysis on the lesson player's timeline, and a
search result for on-screen text opening the video at that second (issue 19)."""

import pytest

from courses.models import ScreenTextLine
from courses.search.index import search_text_refresh
from tests.e2e.conftest import wait_for_js
from tests.factories import LessonFactory, ShortVideoFactory, VideoAnalysisFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CHAPTERS = [
    {"start": 0.0, "end": 3.0, "title": "Python 编程入门"},
    {"start": 3.0, "end": 6.0, "title": "勾股定理 Pythagoras"},
    {"start": 6.0, "end": 10.0, "title": ""},
]


def test_chapter_markers_sit_on_the_timeline_and_seek(live_server, page, make_clip) -> None:
    # given: a free preview lesson of 10 s whose analysis found three chapters
    lesson = LessonFactory.create(
        is_preview=True,
        duration_seconds=10,
        asset__file=make_clip(seconds=10.0),
        asset__duration_seconds=10.0,
    )
    VideoAnalysisFactory.create(asset=lesson.asset, duration_seconds=10.0, chapters=CHAPTERS)
    # when
    page.goto(f"{live_server.url}/lessons/{lesson.pk}/")
    wait_for_js(page, "document.querySelector('#player').readyState >= 1")
    # then: three markers, placed along the bar by their start times
    bar = page.locator("#chapter-bar").bounding_box()
    marks = [m.bounding_box() for m in page.locator(".chapter-mark").all()]
    assert bar is not None
    assert len(marks) == 3
    starts = [(m["x"] - bar["x"]) / bar["width"] for m in marks if m is not None]
    assert starts == pytest.approx([0.0, 0.3, 0.6], abs=0.02)
    assert page.locator(".chapter-list li").nth(2).inner_text().endswith("Chapter 3")
    # when: the student clicks the second chapter in the list
    page.locator(".chapter-list a").nth(1).click()
    # then: the player seeks there, without leaving the page, and marks it as playing
    wait_for_js(page, "document.querySelector('#player').currentTime >= 2.9")
    assert page.url.endswith(f"/lessons/{lesson.pk}/")
    wait_for_js(page, "document.querySelectorAll('.chapter-mark')[1].classList.contains('current')")


def test_a_chapter_link_opens_the_lesson_at_its_second(live_server, page, make_clip) -> None:
    lesson = LessonFactory.create(
        is_preview=True,
        duration_seconds=10,
        asset__file=make_clip(seconds=10.0),
        asset__duration_seconds=10.0,
    )
    VideoAnalysisFactory.create(asset=lesson.asset, duration_seconds=10.0, chapters=CHAPTERS)
    page.goto(f"{live_server.url}/lessons/{lesson.pk}/?t=6")
    wait_for_js(page, "document.querySelector('#player').currentTime >= 5.9")


def test_a_search_result_for_on_screen_text_opens_the_video_at_that_second(
    live_server, page, make_clip
) -> None:
    # given: a video titled generically whose slide at 6 s shows the word
    video = ShortVideoFactory.create(
        title="Lesson 3",
        duration_seconds=10.0,
        asset__file=make_clip(seconds=10.0),
        asset__duration_seconds=10.0,
    )
    analysis = VideoAnalysisFactory.create(asset=video.asset, screen_text="勾股定理 Pythagoras")
    ScreenTextLine.objects.create(
        analysis=analysis, timestamp=7, shown_from=6, text="勾股定理 Pythagoras", confidence=0.9
    )
    search_text_refresh(video_id=video.pk)
    # when
    page.goto(f"{live_server.url}/search/?q=Pythagoras")
    page.locator(".screen-moment a").first.click()
    # then
    page.wait_for_url(f"{live_server.url}/v/{video.pk}/?t=6")
    wait_for_js(page, "document.querySelector('#player').currentTime >= 5.9")
