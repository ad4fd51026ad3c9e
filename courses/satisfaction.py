"""The once-per-course survey ("How likely are you to recommend this course?", 0–10).

A student sees it on a lesson page of a course once they have completed at
least one of its lessons (not only the last: most students never finish,
and an early answer is the one a creator can still act on). The survey row
is created the first time the prompt is shown; answering or skipping
closes it, and a closed survey is never shown or accepted again. Both are
recorded as analytics events. Re-exported from courses.services.

Ratings and surveys reach the analytics rollups through
:func:`satisfaction_counts_between`, registered in ``CoursesConfig.ready``.
"""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Count, F
from django.utils import timezone
from django.utils.translation import gettext

from analytics.services import (
    EventType,
    SatisfactionCount,
    event_record,
    moments_mark_dirty,
)
from common.exceptions import ApplicationError

from .models import Course, CourseSurvey, Enrollment, LessonProgress, Review

SCORE_MIN, SCORE_MAX = 0, 10


def _is_student(user_id: int, course: Course) -> bool:
    """An active enrollment (bought, or claimed free); the creator is never asked."""
    return (
        course.creator_id != user_id
        and Enrollment.objects.filter(user_id=user_id, course=course, is_active=True).exists()
    )


def _has_completed_a_lesson(user_id: int, course: Course) -> bool:
    return LessonProgress.objects.filter(
        user_id=user_id, course=course, completed_at__isnull=False
    ).exists()


def survey_prompt_for(
    *, user_id: int | None, course: Course, now: datetime | None = None
) -> CourseSurvey | None:
    """The open survey to show this student on a lesson page, or None.

    The first showing creates the row (so prompts shown are counted once
    per student and course, however many pages show it until answered).
    """
    if user_id is None:
        return None
    survey = CourseSurvey.objects.filter(user_id=user_id, course=course).first()
    if survey is not None and survey.status != CourseSurvey.Status.SHOWN:
        return None
    if not _is_student(user_id, course):  # refunded since it was shown: no longer asked
        return None
    if survey is not None:
        return survey
    if not _has_completed_a_lesson(user_id, course):
        return None
    try:
        with transaction.atomic():
            return CourseSurvey.objects.create(
                user_id=user_id, course=course, shown_at=now or timezone.now()
            )
    except IntegrityError:  # another tab showed it first
        return CourseSurvey.objects.get(user_id=user_id, course=course)


@transaction.atomic
def survey_answer(
    *, user_id: int, course: Course, score: int, now: datetime | None = None
) -> CourseSurvey:
    """Record a student's 0–10 answer; refused when not a student, not due, or closed."""
    if not SCORE_MIN <= score <= SCORE_MAX:
        raise ApplicationError(
            gettext("Choose a score from 0 to 10."),
            code="score_out_of_range",
            extra={"fields": {"score": [gettext("Choose a score from 0 to 10.")]}},
        )
    return _survey_close(user_id, course, CourseSurvey.Status.ANSWERED, score, now)


@transaction.atomic
def survey_skip(*, user_id: int, course: Course, now: datetime | None = None) -> CourseSurvey:
    """Close the survey without an answer: it is not asked again."""
    return _survey_close(user_id, course, CourseSurvey.Status.SKIPPED, None, now)


def _survey_close(
    user_id: int, course: Course, status: str, score: int | None, now: datetime | None
) -> CourseSurvey:
    now = now or timezone.now()
    if not _is_student(user_id, course):
        raise ApplicationError(
            gettext("Only students of this course can answer its survey."),
            code="not_a_student",
            status=403,
        )
    # The course row is the lock, as for reviews: two answers sent at once
    # (two tabs, a double click) must not both find the survey open.
    Course.objects.select_for_update().only("pk").get(pk=course.pk)
    survey = CourseSurvey.objects.filter(user_id=user_id, course=course).first()
    if survey is None:
        if not _has_completed_a_lesson(user_id, course):
            raise ApplicationError(
                gettext("The survey opens once you have completed a lesson of this course."),
                code="survey_not_due",
                status=409,
            )
        survey = CourseSurvey(user_id=user_id, course=course, shown_at=now)
    elif survey.status != CourseSurvey.Status.SHOWN:
        raise ApplicationError(
            gettext("You have already answered or skipped this survey."),
            code="survey_closed",
            status=409,
        )
    survey.status, survey.score, survey.responded_at = status, score, now
    survey.full_clean(validate_constraints=False)
    survey.save()
    moments_mark_dirty(moments=[survey.shown_at], now=now)  # counted on the day it was shown
    event_record(
        type=EventType.SURVEY_ANSWER if score is not None else EventType.SURVEY_SKIP,
        user_id=user_id,
        course_id=course.pk,
        creator_id=course.creator_id,
        value=score or 0,
        ts=now,
    )
    return survey


def satisfaction_counts_between(start: datetime, end: datetime) -> list[SatisfactionCount]:
    """Ratings first written and surveys first shown in ``[start, end)``, per course.

    Two grouped queries; the analytics rollup of a day folds them into one
    row per course (``analytics.rollups.satisfaction``).
    """
    ratings = (
        Review.objects.filter(created_at__gte=start, created_at__lt=end)
        .values("course_id", "rating")
        .annotate(creator_id=F("course__creator_id"), n=Count("pk"))
        .order_by()
    )
    surveys = (
        CourseSurvey.objects.filter(shown_at__gte=start, shown_at__lt=end)
        .values("course_id", "status", "score")
        .annotate(creator_id=F("course__creator_id"), n=Count("pk"))
        .order_by()
    )
    kinds = {
        CourseSurvey.Status.ANSWERED: "score",
        CourseSurvey.Status.SKIPPED: "skip",
        CourseSurvey.Status.SHOWN: "shown",
    }
    return [
        SatisfactionCount(r["course_id"], r["creator_id"], "stars", r["rating"], r["n"])
        for r in ratings
    ] + [
        SatisfactionCount(
            s["course_id"], s["creator_id"], kinds[s["status"]], s["score"] or 0, s["n"]
        )
        for s in surveys
    ]
