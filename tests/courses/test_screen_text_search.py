"""On-screen text in search: found by a word only on a slide, linked to that second
(issue 19); ``?t=SECONDS`` honoured by the players."""

import pytest
from django.test import Client

from courses.models import ScreenTextLine
from courses.search.index import search_text_refresh
from courses.selectors import search
from tests.factories import LessonFactory, ShortVideoFactory, VideoAnalysisFactory


def _with_screen_text(video, lines: list[tuple[float, str]]) -> None:
    analysis = VideoAnalysisFactory.create(
        asset=video.asset, screen_text="\n".join(text for _, text in lines)
    )
    ScreenTextLine.objects.bulk_create(
        ScreenTextLine(analysis=analysis, timestamp=t + 1, shown_from=t, text=text, confidence=0.9)
        for t, text in lines
    )
    search_text_refresh(video_id=video.pk)


@pytest.mark.django_db
def test_a_word_only_on_screen_finds_the_video_and_links_to_its_second(client: Client) -> None:
    # given: a generic title; the topic is on the third slide
    video = ShortVideoFactory.create(title="Lesson 3", duration_seconds=20)
    _with_screen_text(video, [(0.0, "Python 编程入门"), (8.5, "勾股定理 Pythagoras")])
    # when
    videos = search(query="pythagoras").videos
    page = client.get("/search/", {"q": "Pythagoras"}).content.decode()
    api = client.get("/api/v1/search", {"q": "勾股定理", "type": "videos"}).json()
    # then
    assert videos is not None
    assert [v.pk for v in videos.results] == [video.pk]
    assert videos.results[0].screen_moment.seconds == 8.5
    assert f'href="/v/{video.pk}/?t=8.5"' in page
    assert "0:08" in page
    found = api["videos"]["results"][0]
    assert (found["id"], found["screen_seconds"]) == (video.pk, 8.5)
    assert "勾股定理" in found["screen_text"]


@pytest.mark.django_db
def test_a_video_found_by_its_title_opens_at_the_start(client: Client) -> None:
    video = ShortVideoFactory.create(title="Pythagoras in five minutes")
    _with_screen_text(video, [(4.0, "Pythagoras")])
    page = client.get("/search/", {"q": "pythagoras"}).content.decode()
    assert f'href="/v/{video.pk}/"' in page
    assert "?t=" not in page


@pytest.mark.django_db
def test_moments_cost_one_query_for_the_page(django_assert_max_num_queries) -> None:
    for n in range(6):
        video = ShortVideoFactory.create(title=f"Lesson {n}")
        _with_screen_text(video, [(2.0 * n, f"Photosynthesis part {n}")])
    with django_assert_max_num_queries(4):  # counts, page, tags, moments
        videos = search(query="photosynthesis", type="videos").videos
    assert videos is not None
    assert len(videos.results) == 6
    assert all(v.screen_moment is not None for v in videos.results)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("given", "start"),
    [("8.5", "8.5"), ("0", "0"), ("12", "12"), ("abc", ""), ("-3", ""), ("1e9", ""), ("999", "")],
)
def test_the_video_page_starts_at_t_when_it_is_a_second_of_the_video(
    client: Client, given: str, start: str
) -> None:
    video = ShortVideoFactory.create(duration_seconds=20)
    response = client.get(f"/v/{video.pk}/", {"t": given})
    assert response.status_code == 200
    assert f'data-start="{start}"' in response.content.decode()


@pytest.mark.django_db
def test_the_lesson_page_draws_chapter_markers_and_honours_t(client: Client) -> None:
    # given: a free preview lesson whose video has three chapters
    lesson = LessonFactory.create(is_preview=True, duration_seconds=30)
    VideoAnalysisFactory.create(
        asset=lesson.asset,
        duration_seconds=30,
        chapters=[
            {"start": 0.0, "end": 10.0, "title": "Python 编程入门"},
            {"start": 10.0, "end": 20.0, "title": ""},
            {"start": 20.0, "end": 30.0, "title": "课后练习 Exercise"},
        ],
    )
    # when
    page = client.get(f"/lessons/{lesson.pk}/", {"t": "10"}).content.decode()
    # then
    assert page.count('class="chapter-mark"') == 3
    assert 'data-left="33.333" data-width="33.333"' in page
    assert "Python 编程入门" in page
    assert "Chapter 2" in page  # an untitled chapter is numbered
    assert 'href="?t=20"' in page
    assert 'data-start="10"' in page
