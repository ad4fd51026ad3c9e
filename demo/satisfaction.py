"""Demo course ratings and survey answers, so the dashboards' Satisfaction section shows.

Some active students rate their course (mostly 4–5 stars) and meet the
one-question survey (answered, skipped or still open), at random moments
between their purchase and now, within the last 30 days. Safe to re-run:
each student's draws depend on the seed and their ids only, and students
who already rated or met the survey are left alone.
"""

import random
from datetime import datetime, timedelta

from django.db.models import Count, IntegerField, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from commerce.models import Order
from courses.models import Course, CourseSurvey, Enrollment, Review

REVIEW_SHARE, SURVEY_SHARE = 0.35, 0.5
STAR_WEIGHTS = [3, 4, 10, 30, 53]  # 1..5 stars: course ratings lean high
SCORE_WEIGHTS = [2, 1, 1, 2, 2, 4, 5, 10, 16, 22, 35]  # 0..10
SURVEY_OUTCOMES = (["answered"] * 11) + (["skipped"] * 5) + (["shown"] * 4)


def seed_satisfaction(*, seed: int, now: datetime | None = None) -> dict[str, int]:
    """Add ratings and surveys for active students who have none; return how many."""
    now = now or timezone.now()
    paid_at: dict[tuple[int, int], datetime] = {
        (user_id, course_id): at
        for user_id, course_id, at in Order.objects.filter(paid_at__isnull=False).values_list(
            "user_id", "course_id", "paid_at"
        )
        if at is not None
    }
    rated = set(Review.objects.values_list("author_id", "course_id"))
    asked = set(CourseSurvey.objects.values_list("user_id", "course_id"))
    reviews, surveys = [], []
    students = Enrollment.objects.filter(is_active=True).order_by("pk")
    for user_id, course_id in students.values_list("user_id", "course_id"):
        # draws seeded by the student and course: a re-run decides the same and adds nothing
        rng = random.Random(f"{seed}:{user_id}:{course_id}")
        since = max(paid_at.get((user_id, course_id), now), now - timedelta(days=30))
        span = max((now - since).total_seconds(), 60.0)
        review_at = now - timedelta(seconds=rng.uniform(0, span))
        survey = _survey(rng, user_id, course_id, now - timedelta(seconds=rng.uniform(0, span)))
        stars = rng.choices(range(1, 6), STAR_WEIGHTS)[0]
        rates, meets = rng.random() < REVIEW_SHARE, rng.random() < SURVEY_SHARE
        if rates and (user_id, course_id) not in rated:
            review = Review(course_id=course_id, author_id=user_id, rating=stars)
            reviews.append((review, review_at))
        if meets and (user_id, course_id) not in asked:
            surveys.append(survey)
    created = Review.objects.bulk_create([r for r, _ in reviews], batch_size=2000)
    for review, (_, at) in zip(created, reviews, strict=True):
        review.created_at = review.updated_at = at  # bulk_create stamps now
    Review.objects.bulk_update(created, ["created_at", "updated_at"], batch_size=2000)
    CourseSurvey.objects.bulk_create(surveys, batch_size=2000)
    _recount_ratings()
    return {"reviews": len(created), "surveys": len(surveys)}


def _survey(rng: random.Random, user_id: int, course_id: int, shown_at: datetime) -> CourseSurvey:
    status = rng.choice(SURVEY_OUTCOMES)
    answered = status == "answered"
    return CourseSurvey(
        user_id=user_id,
        course_id=course_id,
        status=status,
        score=rng.choices(range(11), SCORE_WEIGHTS)[0] if answered else None,
        shown_at=shown_at,
        responded_at=shown_at + timedelta(seconds=rng.uniform(5, 90))
        if status != "shown"
        else None,
    )


def _recount_ratings() -> None:
    """Course.rating_sum / rating_count from the reviews, one UPDATE."""
    per_course = Review.objects.filter(course=OuterRef("pk")).order_by().values("course")
    Course.objects.update(
        rating_sum=Coalesce(
            Subquery(per_course.annotate(s=Sum("rating")).values("s"), output_field=IntegerField()),
            0,
        ),
        rating_count=Coalesce(
            Subquery(per_course.annotate(n=Count("pk")).values("n"), output_field=IntegerField()),
            0,
        ),
    )
