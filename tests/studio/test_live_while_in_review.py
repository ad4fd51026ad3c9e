"""A course that was approved stays live while a change is reviewed (services level).

The viewer-facing walk (pages, media, search) is in
tests/security/test_moderation_matrix.py under production settings.
"""

import io
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from courses.models import Course
from courses.selectors import course_changes_in_review, course_get_published
from studio import services
from tests.factories import CourseFactory, LessonFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def moderation_required(settings: Any) -> None:
    settings.STUDIO_MODERATION_REQUIRED = True


def _jpeg(colour: str) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (320, 180), colour).save(out, "JPEG")
    return out.getvalue()


def _update(course: Course, **change: Any) -> Course:
    fields: dict[str, Any] = {
        "title": course.title,
        "category": course.category,
        "summary": course.summary,
    }
    return services.course_update(course=course, **(fields | change))


def test_edited_details_and_cover_wait_while_the_approved_ones_stay_live(
    moderation_required: None,
) -> None:
    course = CourseFactory.create(title="Live", summary="Old summary", moderation="approved")
    LessonFactory.create(section__course=course)
    _update(course, cover=_jpeg("orange"))
    services.moderation_decide(item=Course.objects.get(pk=course.pk), approve=True)
    approved_cover = Course.objects.get(pk=course.pk).cover.name
    assert approved_cover  # the first cover, approved

    _update(
        Course.objects.get(pk=course.pk),
        title="Edited",
        summary="New summary",
        description="New text",
        cover=_jpeg("blue"),
    )
    live = course_get_published(slug=course.slug)
    assert live is not None  # still on the site, as approved
    assert (live.title, live.summary, live.description) == ("Live", "Old summary", "")
    assert live.cover.name == approved_cover
    assert live.moderation == "pending"
    assert live.pending_cover.name

    services.moderation_decide(item=Course.objects.get(pk=course.pk), approve=True)
    live = course_get_published(slug=course.slug)
    assert live is not None
    assert (live.title, live.summary, live.description) == ("Edited", "New summary", "New text")
    assert live.cover.name not in ("", approved_cover)
    assert not live.pending_cover
    assert live.pending == {}


def test_held_back_tags_and_search_text_apply_on_approval(moderation_required: None) -> None:
    course = CourseFactory.create(title="Live", moderation="approved")
    _update(course, title="Rust ownership", tags="rust")
    course.refresh_from_db()
    assert list(course.tags.values_list("name", flat=True)) == []
    assert "rust" not in course.search_text.lower()
    services.moderation_decide(item=course, approve=True)
    course.refresh_from_db()
    assert list(course.tags.values_list("name", flat=True)) == ["rust"]
    assert "rust" in course.search_text.lower()


def test_without_moderation_required_an_edit_applies_at_once() -> None:
    course = CourseFactory.create(title="Live", moderation="approved")
    _update(course, title="Edited")
    course.refresh_from_db()
    assert (course.title, course.moderation, course.pending) == ("Edited", "approved", {})


def test_a_never_approved_course_is_edited_in_place_and_stays_off_the_site(
    moderation_required: None,
) -> None:
    course = CourseFactory.create(title="Draft", moderation="pending")
    _update(course, title="Draft 2")
    course.refresh_from_db()
    assert (course.title, course.pending, course.approved_at) == ("Draft 2", {}, None)
    assert course_get_published(slug=course.slug) is None


def test_the_queue_lists_changes_in_a_fixed_number_of_queries(moderation_required: None) -> None:
    course = CourseFactory.create(title="Live", moderation="approved")
    section = LessonFactory.create(section__course=course).section
    for n in range(5):
        services.lesson_create(section=section, title=f"New {n}")
    _update(course, title="Edited")
    course = Course.objects.get(pk=course.pk)
    with CaptureQueriesContext(connection) as queries:
        changes = course_changes_in_review(course)
    assert len(changes) == 6  # the title and five lessons
    assert len(queries) == 3


def test_a_lesson_held_back_for_review_does_not_count_against_the_buyer() -> None:
    from courses.models import LessonProgress
    from courses.selectors import course_watched_ratio
    from tests.factories import UserFactory

    watched = LessonFactory.create(duration_seconds=60)
    LessonFactory.create(section=watched.section, duration_seconds=60, moderation="pending")
    student = UserFactory.create()
    LessonProgress.objects.create(
        user=student, lesson=watched, course=watched.course, watched_seconds=60
    )
    ratio = course_watched_ratio(user_id=student.pk, course_id=watched.course_id)
    assert ratio == 1.0  # the pending lesson cannot be watched yet, so it is not owed
