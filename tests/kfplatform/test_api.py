from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from tests.factories import CourseFactory, LessonFactory, ShortVideoFactory

pytestmark = pytest.mark.django_db


def test_health(api_client: APIClient) -> None:
    assert api_client.get("/api/v1/health").json()["status"] == "ok"


def test_video_list_pages_by_cursor_and_stays_stable_when_videos_are_published(
    api_client: APIClient,
) -> None:
    # given
    videos = [
        ShortVideoFactory.create(published_at=timezone.now() - timedelta(minutes=i))
        for i in range(5)
    ]
    # when
    first = api_client.get("/api/v1/videos?limit=2").json()
    ShortVideoFactory.create()  # published between page loads
    second = api_client.get(first["next"]).json()
    # then
    assert [v["id"] for v in first["results"]] == [videos[0].pk, videos[1].pk]
    assert [v["id"] for v in second["results"]] == [videos[2].pk, videos[3].pk]


def test_invalid_filter_gets_a_400_naming_the_field(api_client: APIClient) -> None:
    body = api_client.get("/api/v1/videos?category=not a slug!").json()
    assert body["code"] == "invalid"
    assert "category" in body["extra"]["fields"]


def test_unknown_course_gets_the_error_shape(api_client: APIClient) -> None:
    response = api_client.get("/api/v1/courses/nope")
    assert response.status_code == 404
    assert set(response.json()) == {"code", "message", "extra"}


def test_course_detail_has_its_syllabus(api_client: APIClient) -> None:
    course = CourseFactory.create()
    LessonFactory.create(section__course=course, is_preview=True)
    body = api_client.get(f"/api/v1/courses/{course.slug}").json()
    assert body["sections"][0]["lessons"][0]["is_preview"] is True


def test_schema_generates_without_warnings(tmp_path) -> None:
    call_command("spectacular", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    assert "/api/v1/videos" in (tmp_path / "schema.yaml").read_text()


def test_logged_out_list_pages_are_served_from_cache(
    api_client: APIClient, django_assert_max_num_queries
) -> None:
    # given: a first page served once
    for _ in range(3):
        ShortVideoFactory.create()
    first = api_client.get("/api/v1/videos?sort=trending&limit=2").json()
    # then: the same page again reads no table, and the cursor still works
    with django_assert_max_num_queries(0):
        assert api_client.get("/api/v1/videos?sort=trending&limit=2").json() == first
    assert len(api_client.get(first["next"]).json()["results"]) == 1
