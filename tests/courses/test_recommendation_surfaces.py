"""The video and course pages carry hidden containers for the recommendation surfaces.

static/js/surfaces.js fills them from the similar-items API after load; the page views
themselves never ask the recommender (courses may not import recommendations).
"""

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.factories import CourseFactory, LessonFactory, ShortVideoFactory

pytestmark = pytest.mark.django_db


def _tag(html: str, element_id: str) -> str:
    """The opening tag of the element with ``element_id``."""
    match = re.search(rf'<[a-z]+\b[^>]*\bid="{element_id}"[^>]*>', html)
    assert match, element_id
    return match.group(0)


def _scripts(html: str) -> list[str]:
    return re.findall(r'<script src="/static/js/([a-z]+\.js)"', html)


def test_video_page_without_a_course_has_hidden_similar_list_and_recommended_cta(
    client: Client,
) -> None:
    # given a video that links no course
    video = ShortVideoFactory.create(course=None)
    # when
    html = client.get(f"/v/{video.pk}/").content.decode()
    # then both surfaces are there, hidden until the script fills them
    similar = _tag(html, "similar-videos")
    assert 'data-rec-surface="similar"' in similar
    assert f'data-rec-item="v{video.pk}"' in similar
    assert " hidden" in similar
    assert "data-rec-list" in html
    cta = _tag(html, "cta-recommended")
    assert " hidden" in cta
    assert 'data-free="Free"' in cta
    assert 'id="rec-video-card"' in html
    assert 'id="cta"' not in html
    assert _scripts(html) == ["site.js", "kf.js", "surfaces.js", "video.js"]


def test_the_creators_own_course_stays_the_call_to_action(client: Client) -> None:
    # given a video whose creator links their course
    course = CourseFactory.create(title="Python from zero")
    video = ShortVideoFactory.create(course=course, creator=course.creator)
    # when
    html = client.get(f"/v/{video.pk}/").content.decode()
    # then the creator's CTA is rendered and no recommended one is offered
    cta = _tag(html, "cta")
    assert f"/c/{course.slug}/?from_video={video.pk}" in cta
    assert "Python from zero" in html
    assert 'id="cta-recommended"' not in html
    assert 'id="similar-videos"' in html


def test_course_page_has_hidden_also_bought_and_related_videos(client: Client) -> None:
    # given a published course
    course = LessonFactory.create(is_preview=True).course
    # when
    html = client.get(f"/c/{course.slug}/").content.decode()
    # then
    also = _tag(html, "also-bought")
    assert 'data-rec-surface="also_bought"' in also
    assert f'data-rec-item="c{course.pk}"' in also
    assert " hidden" in also
    related = _tag(html, "related-videos")
    assert 'data-rec-surface="similar"' in related
    assert " hidden" in related
    assert 'id="rec-course-card"' in html
    assert f'data-course-id="{course.pk}"' in _tag(html, "course-page")
    # and the page view is sent by course.js, no longer by an inline script
    assert _scripts(html) == ["site.js", "kf.js", "surfaces.js", "course.js"]
    assert "KF.track" not in html


@pytest.mark.parametrize("page", ["video", "course"])
def test_the_pages_never_query_the_recommender(client: Client, page: str) -> None:
    # given a video and a course page
    video = ShortVideoFactory.create(course=None)
    course = CourseFactory.create()
    url = f"/v/{video.pk}/" if page == "video" else f"/c/{course.slug}/"
    # when
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    # then the surfaces cost the page nothing: the browser asks the API
    assert not [q["sql"] for q in queries if "recommendations_" in q["sql"]]


def test_surface_headings_are_translated(client: Client) -> None:
    # given
    video = ShortVideoFactory.create(course=None)
    course = CourseFactory.create()
    zh = {"accept-language": "zh-hans"}
    # when
    video_html = client.get(f"/v/{video.pk}/", headers=zh).content.decode()
    course_html = client.get(f"/c/{course.slug}/", headers=zh).content.decode()
    # then
    assert "相似视频" in video_html
    assert "推荐课程：" in video_html
    assert "学员还购买了" in course_html
    assert "相关视频" in course_html
    assert "Similar videos" not in video_html
