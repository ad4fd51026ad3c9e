"""The demo's ratings and survey answers: some of each, counters exact, safe to re-run."""

import pytest

from courses.models import Course, CourseSurvey, Review
from courses.services import enrollment_grant
from demo.satisfaction import seed_satisfaction
from tests.factories import CourseFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_seeds_ratings_and_surveys_once_with_exact_counters():
    # given 40 students of two courses
    courses = [CourseFactory.create(), CourseFactory.create()]
    for n in range(40):
        enrollment_grant(user_id=UserFactory.create().pk, course=courses[n % 2])
    # when seeded twice
    first = seed_satisfaction(seed=3)
    second = seed_satisfaction(seed=3)
    # then some ratings and surveys exist, at most one per student and course
    assert first["reviews"] > 0
    assert first["surveys"] > 0
    assert second == {"reviews": 0, "surveys": 0}
    assert Review.objects.count() == first["reviews"]
    assert CourseSurvey.objects.count() == first["surveys"]
    # and each course's stored rating equals its reviews
    for course in Course.objects.all():
        ratings = list(Review.objects.filter(course=course).values_list("rating", flat=True))
        assert (course.rating_sum, course.rating_count) == (sum(ratings), len(ratings))
    # and every answered survey has a score, the others none
    for survey in CourseSurvey.objects.all():
        assert (survey.score is not None) == (survey.status == "answered")
