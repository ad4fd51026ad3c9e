import pytest

from courses.selectors import (
    course_get_published,
    lesson_can_play,
    user_has_course_access,
    video_list_published,
)
from courses.services import enrollment_grant
from courses.viewer import lesson_after
from tests.factories import (
    CourseFactory,
    LessonFactory,
    SectionFactory,
    ShortVideoFactory,
    TagFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def test_video_list_shows_published_ready_approved_only() -> None:
    visible = ShortVideoFactory.create()
    ShortVideoFactory.create(status="draft", published_at=None)
    ShortVideoFactory.create(moderation="rejected")
    ShortVideoFactory.create(asset__status="processing")
    assert list(video_list_published()) == [visible]


def test_video_list_is_one_query_plus_tags_whatever_its_size(django_assert_num_queries) -> None:
    for _ in range(5):
        ShortVideoFactory.create().tags.add(TagFactory.create())
    with django_assert_num_queries(2):  # videos with joins, then all their tags
        cards = [
            (
                v.creator.public_name,
                v.category.name,
                v.asset.file.name,
                [t.name for t in v.tags.all()],
            )
            for v in video_list_published()
        ]
    assert len(cards) == 5


def test_course_syllabus_loads_in_fixed_queries(django_assert_num_queries) -> None:
    course = CourseFactory.create()
    for _ in range(4):
        LessonFactory.create(section__course=course)
    with django_assert_num_queries(4):  # course, tags, sections, lessons (+assets joined)
        loaded = course_get_published(slug=course.slug)
        assert loaded is not None
        titles = [
            lesson.asset and lesson.asset.file.name
            for s in loaded.sections.all()
            for lesson in s.lessons.all()
        ]
    assert len(titles) == 4


def test_unknown_or_draft_course_is_none() -> None:
    draft = CourseFactory.create(status="draft", published_at=None)
    assert course_get_published(slug=draft.slug) is None
    assert course_get_published(slug="no-such-course") is None


def test_access_for_buyer_and_creator_only() -> None:
    # given
    course = CourseFactory.create()
    buyer, stranger = UserFactory.create(), UserFactory.create()
    enrollment_grant(user_id=buyer.pk, course=course)
    # then
    assert user_has_course_access(user_id=buyer.pk, course=course)
    assert user_has_course_access(user_id=course.creator_id, course=course)
    assert not user_has_course_access(user_id=stranger.pk, course=course)
    assert not user_has_course_access(user_id=None, course=course)


def test_previews_play_for_anyone_and_other_lessons_for_students() -> None:
    preview = LessonFactory.create(is_preview=True)
    locked = LessonFactory.create(section=preview.section)
    assert lesson_can_play(user_id=None, lesson=preview)
    assert not lesson_can_play(user_id=None, lesson=locked)


def test_the_next_lesson_follows_syllabus_order_across_sections() -> None:
    # given: section 0 with lessons at positions 1 and 0, then section 1
    first_section = SectionFactory.create(position=0)
    second = LessonFactory.create(section=first_section, position=1)
    first = LessonFactory.create(section=first_section, position=0)
    third = LessonFactory.create(
        section=SectionFactory.create(course=first_section.course, position=1)
    )
    # then
    assert lesson_after(lesson=first) == second
    assert lesson_after(lesson=second) == third
    assert lesson_after(lesson=third) is None
