import pytest
from django.db import IntegrityError

from courses.models import Enrollment, Like
from courses.services import enrollment_grant, enrollment_revoke
from tests.factories import CourseFactory, LikeFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_grant_twice_returns_the_same_enrollment() -> None:
    # given
    user, course = UserFactory.create(), CourseFactory.create()
    # when
    first = enrollment_grant(user_id=user.pk, course=course)
    second = enrollment_grant(user_id=user.pk, course=course)
    # then
    assert first.pk == second.pk
    assert Enrollment.objects.filter(user=user, course=course).count() == 1
    course.refresh_from_db()
    assert course.enrollment_count == 1


def test_grant_reactivates_a_revoked_enrollment() -> None:
    user, course = UserFactory.create(), CourseFactory.create()
    enrollment = enrollment_grant(user_id=user.pk, course=course)
    Enrollment.objects.filter(pk=enrollment.pk).update(is_active=False)
    assert enrollment_grant(user_id=user.pk, course=course).is_active


def test_a_user_likes_a_video_once() -> None:
    like = LikeFactory.create()
    with pytest.raises(IntegrityError):
        Like.objects.create(user=like.user, video=like.video)


def test_enrollment_count_is_the_active_students() -> None:
    # given a course with one student
    course = CourseFactory.create()
    student = UserFactory.create()
    enrollment_grant(user_id=student.pk, course=course)
    # when a refund ends access, then a new purchase restores it
    enrollment_revoke(user_id=student.pk, course_id=course.pk)
    course.refresh_from_db()
    after_refund = course.enrollment_count
    enrollment_grant(user_id=student.pk, course=course)
    enrollment_grant(user_id=student.pk, course=course)  # webhook and redirect both grant
    course.refresh_from_db()
    # then
    assert (after_refund, course.enrollment_count) == (0, 1)
