from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from courses.services import enrollment_grant
from tests.factories import CourseFactory, LessonFactory, ShortVideoFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_pages_render(client: Client) -> None:
    video = ShortVideoFactory.create()
    lesson = LessonFactory.create(is_preview=True)
    assert client.get("/").status_code == 200
    assert video.title in client.get(f"/v/{video.pk}/").content.decode()
    page = client.get(f"/c/{lesson.course.slug}/").content.decode()
    assert lesson.title in page
    assert "Free preview" in page


@pytest.mark.parametrize(
    "url",
    ["/v/999999/", "/c/no-such-slug/", "/c/%E4%B8%AD%E6%96%87/", "/lessons/999999/", "/nowhere/"],
)
def test_unknown_ids_and_slugs_give_404_pages(client: Client, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


@pytest.mark.parametrize("url", ["/c/%00/", "/?q=%00", "/v/1/?x=a%00b"])
def test_null_characters_are_refused_not_crashed_on(client: Client, url: str) -> None:
    assert client.get(url).status_code == 400


def test_lesson_media_streams_to_students_only(client: Client, make_clip) -> None:
    # given
    lesson = LessonFactory.create(asset__file=make_clip("private/videos/test/l.mp4"))
    student = UserFactory.create()
    enrollment_grant(user_id=student.pk, course=lesson.course)
    url = f"/lessons/{lesson.pk}/media"
    # then: anonymous and strangers get nothing
    assert client.get(url).status_code == 404
    client.force_login(UserFactory.create())
    assert client.get(url).status_code == 404
    assert client.get(f"/lessons/{lesson.pk}/").status_code == 403
    # and the student streams with Range support
    client.force_login(student)
    response = client.get(url, headers={"Range": "bytes=0-99"})
    assert response.status_code == 206
    assert len(response.getvalue()) == 100


def test_private_media_is_never_served_publicly(client: Client, make_clip) -> None:
    name = make_clip("private/videos/test/secret.mp4")
    assert (Path(settings.MEDIA_ROOT) / name).exists()
    assert client.get(f"/media/{name}").status_code == 404
    assert client.get("/media/videos/../private/videos/test/secret.mp4").status_code == 404
    assert client.get(f"/media/{make_clip()}").status_code == 200


def test_course_page_shows_access_to_the_buyer(client: Client) -> None:
    course = CourseFactory.create()
    buyer = UserFactory.create()
    enrollment_grant(user_id=buyer.pk, course=course)
    client.force_login(buyer)
    assert "You have access" in client.get(f"/c/{course.slug}/").content.decode()


def _count_queries(client: Client, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_course_page_queries_do_not_grow_with_the_syllabus(client: Client) -> None:
    # given: two courses, one with three lessons and one with twelve
    small, large = CourseFactory.create(), CourseFactory.create()
    for course, lessons in ((small, 3), (large, 12)):
        for _ in range(lessons):
            LessonFactory.create(section__course=course)
    client.force_login(UserFactory.create())
    # then
    assert _count_queries(client, f"/c/{small.slug}/") == _count_queries(
        client, f"/c/{large.slug}/"
    )


def test_video_page_and_home_queries_do_not_grow_with_content(client: Client) -> None:
    first = ShortVideoFactory.create()
    before = _count_queries(client, "/")
    for _ in range(6):
        ShortVideoFactory.create(creator=first.creator)
    assert _count_queries(client, "/") == before
    assert _count_queries(client, f"/v/{first.pk}/") <= 12
