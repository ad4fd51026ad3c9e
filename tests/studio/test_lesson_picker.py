"""The course builder's lesson video picker names videos, not database ids."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from courses.models import MediaAsset
from studio.forms import AssetChoiceField, LessonForm
from studio.models import UploadSession
from tests.factories import CourseFactory, LessonFactory, MediaAssetFactory

pytestmark = pytest.mark.django_db


def _asset(owner, filename: str = "", **fields) -> MediaAsset:
    asset = MediaAssetFactory.create(owner=owner, is_private=True, **fields)
    if filename:
        UploadSession.objects.create(
            owner=owner, purpose="lesson", filename=filename, size_bytes=10, offset=10,
            expires_at=timezone.now() + timedelta(hours=1), asset=asset,
        )  # fmt: skip
    return asset


def _options(html: str, select_id: str) -> list[str]:
    select = re.search(rf'<select id="{select_id}"[^>]*>(.*?)</select>', html, re.S)
    assert select, select_id
    return [label.strip() for label in re.findall(r"<option[^>]*>([^<]*)</option>", select[1])]


def test_picker_names_videos_by_lesson_title_or_uploaded_file(creator) -> None:
    course = CourseFactory.create(creator=creator)
    used = _asset(creator, "raw-take-3.mp4", duration_seconds=125.4)
    LessonFactory.create(section__course=course, title="Variables and types", asset=used)
    _asset(creator, "loops lesson.mov", duration_seconds=61)
    _asset(creator, "", status=MediaAsset.Status.PROCESSING, duration_seconds=0)
    client = Client()
    client.force_login(creator)

    html = client.get(f"/studio/courses/{course.pk}/").content.decode()

    section = course.sections.get()
    labels = _options(html, f"lesson{section.pk}-asset")
    assert labels[0] == "No video yet"
    newest_first = labels[1:]
    assert newest_first[1:] == ["loops lesson · 1:01", "Variables and types · 2:05"]
    # No upload record: the stored file's name, and the status while it is not ready.
    assert re.fullmatch(r"clip-\d+ · Processing", newest_first[0])
    assert not any(label.startswith("#") for label in newest_first)


def test_picker_queries_do_not_grow_with_videos(creator) -> None:
    course = CourseFactory.create(creator=creator)
    client = Client()
    client.force_login(creator)

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(f"/studio/courses/{course.pk}/").status_code == 200
        return len(ctx)

    lesson = LessonFactory.create(section__course=course, asset=_asset(creator, "one.mp4"))
    before = queries()
    for n in range(4):
        _asset(creator, f"more-{n}.mp4")
    html = client.get(f"/studio/courses/{course.pk}/").content.decode()
    assert len(_options(html, f"lesson{lesson.section_id}-asset")) == 1 + 5
    assert queries() == before


def test_lesson_form_labels_its_choices_the_same_way(creator) -> None:
    _asset(creator, "intro.mp4", duration_seconds=59.6)
    form = LessonForm(creator_id=creator.pk)
    field = form.fields["asset"]
    assert isinstance(field, AssetChoiceField)
    assert field.queryset is not None
    labels = [field.label_from_instance(asset) for asset in field.queryset]
    assert labels == ["intro · 1:00"]
