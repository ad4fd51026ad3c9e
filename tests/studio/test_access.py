"""Studio pages and APIs are for the creator's own content: anyone else gets a 404."""

import pytest
from django.test import Client

from courses.models import Course, Lesson, MediaAsset, Section, ShortVideo
from studio.models import UploadSession
from tests.factories import (
    CourseFactory,
    LessonFactory,
    MediaAssetFactory,
    SectionFactory,
    ShortVideoFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def owned(creator):
    """One of each studio object, owned by ``creator``, all drafts."""
    course = CourseFactory.create(creator=creator, status="draft", published_at=None)
    section = SectionFactory.create(course=course)
    lesson = LessonFactory.create(section=section)
    video = ShortVideoFactory.create(creator=creator, status="draft", published_at=None)
    asset = MediaAssetFactory.create(owner=creator, status="failed", failure_reason="x")
    session = UploadSession.objects.create(
        owner=creator, purpose="short", filename="a.mp4", size_bytes=10,
        expires_at="2100-01-01T00:00:00Z",
    )  # fmt: skip
    return {"course": course, "section": section, "lesson": lesson, "video": video,
            "asset": asset, "session": session}  # fmt: skip


PAGES = [
    ("get", "/studio/videos/{video}/"),
    ("post", "/studio/videos/{video}/"),
    ("post", "/studio/videos/{video}/publish"),
    ("post", "/studio/videos/{video}/unpublish"),
    ("get", "/studio/courses/{course}/"),
    ("post", "/studio/courses/{course}/"),
    ("post", "/studio/courses/{course}/publish"),
    ("post", "/studio/courses/{course}/unpublish"),
    ("post", "/studio/courses/{course}/sections"),
    ("post", "/studio/sections/{section}/lessons"),
    ("post", "/studio/sections/{section}/up"),
    ("post", "/studio/sections/{section}/rename"),
    ("post", "/studio/sections/{section}/delete"),
    ("post", "/studio/lessons/{lesson}/down"),
    ("post", "/studio/lessons/{lesson}/edit"),
    ("post", "/studio/lessons/{lesson}/delete"),
    ("post", "/studio/assets/{asset}/retry"),
    ("post", "/studio/assets/{asset}/delete"),
]

APIS = [
    ("get", "/api/v1/studio/uploads/{session}"),
    ("put", "/api/v1/studio/uploads/{session}"),
    ("delete", "/api/v1/studio/uploads/{session}"),
    ("get", "/api/v1/studio/assets/{asset}"),
    ("post", "/api/v1/studio/assets/{asset}/retry"),
]


def _ids(owned) -> dict[str, object]:
    return {name: obj.pk for name, obj in owned.items()}


def _snapshot() -> list[object]:
    return [
        list(Course.objects.values_list("title", "status", "slug").order_by("pk")),
        list(Section.objects.values_list("title", "position").order_by("pk")),
        list(Lesson.objects.values_list("title", "position", "is_preview").order_by("pk")),
        list(ShortVideo.objects.values_list("title", "status").order_by("pk")),
        list(MediaAsset.objects.values_list("status").order_by("pk")),
        list(UploadSession.objects.values_list("status", "offset").order_by("pk")),
    ]


@pytest.mark.parametrize(("method", "url"), PAGES)
def test_pages_refuse_another_creators_objects(owned, other_creator, method, url) -> None:
    # given
    client = Client()
    client.force_login(other_creator)
    before = _snapshot()
    # when
    data = {"title": "hijack", "section-title": "hijack", "category": 1, "price": "1"}
    response = getattr(client, method)(url.format(**_ids(owned)), data)
    # then
    assert response.status_code == 404
    assert _snapshot() == before


@pytest.mark.parametrize(("method", "url"), PAGES)
def test_pages_work_for_the_owner(owned, creator, method, url) -> None:
    client = Client()
    client.force_login(creator)
    response = getattr(client, method)(url.format(**_ids(owned)), {})
    assert response.status_code in (200, 302)


@pytest.mark.parametrize(("method", "url"), APIS)
def test_apis_refuse_another_creators_objects(owned, other_api, method, url) -> None:
    before = _snapshot()
    response = getattr(other_api, method)(url.format(**_ids(owned)))
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert _snapshot() == before


@pytest.mark.parametrize(
    "url", ["/studio/", "/studio/library/", "/studio/videos/new/", "/studio/courses/new/"]
)
def test_studio_pages_send_viewers_to_open_a_creator_profile(url) -> None:
    client = Client()
    client.force_login(UserFactory.create())
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == "/studio/become/"


def test_studio_pages_ask_anonymous_visitors_to_log_in() -> None:
    response = Client().get("/studio/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
