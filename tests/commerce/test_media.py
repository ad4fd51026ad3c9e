"""Signed lesson-media links, Range answers and the nginx X-Accel-Redirect path."""

import time
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from courses.media.urls import media_query
from courses.services import enrollment_grant
from tests.factories import LessonFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(make_clip):
    lesson = LessonFactory.create(asset__file=make_clip("private/videos/test/r.mp4"))
    student = UserFactory.create()
    enrollment_grant(user_id=student.pk, course=lesson.course)
    client = Client()
    client.force_login(student)
    return lesson, student, client


def _url(lesson, user_id, **kw) -> str:
    return f"/lessons/{lesson.pk}/media?" + media_query(user_id=user_id, lesson_id=lesson.pk, **kw)


def test_range_answers_206_and_416(setup) -> None:
    lesson, student, client = setup
    size = (Path(settings.MEDIA_ROOT) / lesson.asset.file.name).stat().st_size
    tail = client.get(_url(lesson, student.pk), headers={"Range": "bytes=-500"})
    assert tail.status_code == 206
    assert tail["Content-Range"] == f"bytes {size - 500}-{size - 1}/{size}"
    assert tail["Cache-Control"] == "private, no-store"
    beyond = client.get(_url(lesson, student.pk), headers={"Range": "bytes=999999999-"})
    assert beyond.status_code == 416
    assert beyond["Content-Range"] == f"bytes */{size}"


def test_tampered_expired_and_foreign_links(setup) -> None:
    lesson, student, client = setup
    good = _url(lesson, student.pk)
    assert client.get(good.replace("&s=", "&s=x")).status_code == 403
    expired = _url(lesson, student.pk, now=time.time() - 10 * 3600)
    assert client.get(expired).status_code == 410
    other = _url(lesson, student.pk + 999)
    assert client.get(other).status_code == 403  # signed for somebody else
    # a link made for the student does not play for another signed-in user
    stranger = Client()
    stranger.force_login(UserFactory.create())
    assert stranger.get(good).status_code == 403
    # the link for another lesson does not open this one
    twin = LessonFactory.create(section=lesson.section, asset=lesson.asset)
    foreign = f"/lessons/{twin.pk}/media?" + media_query(user_id=student.pk, lesson_id=lesson.pk)
    assert client.get(foreign).status_code == 403


def test_link_lifetime_is_bounded_by_lesson_length(setup) -> None:
    lesson, student, _ = setup
    now = 1_000_000
    query = media_query(user_id=student.pk, lesson_id=lesson.pk, duration_seconds=60, now=now)
    assert f"e={now + 60 + 15 * 60}" in query


def test_production_hands_the_bytes_to_nginx(setup, settings) -> None:
    lesson, student, client = setup
    settings.COURSES_MEDIA_ACCEL_PREFIX = "/protected/"
    response = client.get(_url(lesson, student.pk), headers={"Range": "bytes=0-99"})
    assert response.status_code == 200
    assert response["X-Accel-Redirect"] == f"/protected/{lesson.asset.file.name}"
    assert response["Content-Type"] == "video/mp4"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response.content == b""
    # and nobody else gets the header
    settings.COURSES_MEDIA_ACCEL_PREFIX = "/protected/"
    assert "X-Accel-Redirect" not in Client().get(_url(lesson, None))


def test_free_preview_plays_for_anonymous_with_an_unbound_link(make_clip) -> None:
    lesson = LessonFactory.create(
        is_preview=True, asset__file=make_clip("private/videos/test/p.mp4")
    )
    page = Client().get(f"/lessons/{lesson.pk}/").content.decode()
    assert "u=0" in page
    response = Client().get(_url(lesson, None), headers={"Range": "bytes=0-9"})
    assert response.status_code == 206
