"""Satisfaction rollup and selectors against brute force over the review and survey rows."""

import random
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta

import pytest

from analytics.models import DirtyDay, SatisfactionDaily
from analytics.rollups import local_date_of
from analytics.selectors import (
    satisfaction_by_course_table,
    satisfaction_daily_table,
    satisfaction_figures,
    satisfaction_get,
    satisfaction_summary_table,
)
from analytics.services import rollups_backfill, rollups_refresh_recent
from courses.engagement import review_upsert
from courses.models import Course, CourseSurvey, Review
from courses.services import enrollment_grant
from tests.analytics.helpers import at
from tests.factories import CourseFactory, UserFactory

pytestmark = pytest.mark.django_db

FIRST = date(2026, 3, 1)
DAYS = 5
NOW = datetime(2026, 4, 1, tzinfo=UTC)  # long after every fixture day


def _random_moment(rng: random.Random) -> datetime:
    """Any second of the fixture days, boundaries of local days included."""
    start = at(FIRST, 0) - timedelta(hours=2)
    return start + timedelta(seconds=rng.randrange((DAYS * 24 + 4) * 3600))


def _random_rows(seed: int) -> list[Course]:
    """Courses of two creators with random reviews and surveys spread over the days."""
    rng = random.Random(seed)
    creators = [UserFactory.create(), UserFactory.create()]
    courses = [CourseFactory.create(creator=creators[i % 2]) for i in range(4)]
    for _ in range(30):
        user = UserFactory.create()
        for course in rng.sample(courses, rng.randint(0, 3)):
            if rng.random() < 0.7:
                review = Review.objects.create(course=course, author=user, rating=rng.randint(1, 5))
                Review.objects.filter(pk=review.pk).update(created_at=_random_moment(rng))
            if rng.random() < 0.8:
                status = rng.choice(list(CourseSurvey.Status))
                CourseSurvey.objects.create(
                    user=user,
                    course=course,
                    status=status,
                    score=rng.randint(0, 10) if status == CourseSurvey.Status.ANSWERED else None,
                    shown_at=_random_moment(rng),
                )
    return courses


def _brute_force_rows() -> dict[tuple[date, int], dict[str, int]]:
    """Per (local day, course): counters straight from the rows, in Python."""
    rows: dict[tuple[date, int], Counter[str]] = defaultdict(Counter)
    for review in Review.objects.all():
        rows[(local_date_of(review.created_at), review.course_id)][f"stars_{review.rating}"] += 1
    for survey in CourseSurvey.objects.all():
        counter = rows[(local_date_of(survey.shown_at), survey.course_id)]
        counter["prompts_shown"] += 1
        if survey.status == CourseSurvey.Status.ANSWERED:
            counter[f"score_{survey.score}"] += 1
        elif survey.status == CourseSurvey.Status.SKIPPED:
            counter["skips"] += 1
    return {key: dict(counter) for key, counter in rows.items()}


def _stored_rows() -> dict[tuple[date, int], dict[str, int]]:
    names = [
        f.name for f in SatisfactionDaily._meta.fields if f.name.startswith(("stars", "score"))
    ]
    names += ["prompts_shown", "skips"]
    return {
        (row.local_date, row.course_id): {n: getattr(row, n) for n in names if getattr(row, n)}
        for row in SatisfactionDaily.objects.all()
    }


def _expected(scope: list[dict]) -> dict[str, float | None]:
    """Average, share 4–5, NPS and response rate by their textbook definitions."""
    stars = [s for row in scope for s in row["stars"]]
    scores = [s for row in scope for s in row["scores"]]
    shown = sum(row["shown"] for row in scope)
    return {
        "average_rating": sum(stars) / len(stars) if stars else None,
        "high_share": sum(1 for s in stars if s >= 4) / len(stars) if stars else None,
        "nps": (
            100
            * (sum(1 for s in scores if s >= 9) - sum(1 for s in scores if s <= 6))
            / len(scores)
            if scores
            else None
        ),
        "response_rate": len(scores) / shown if shown else None,
    }


def _raw(first: date, last: date, course_ids: set[int]) -> list[dict]:
    out = []
    for review in Review.objects.filter(course_id__in=course_ids):
        if first <= local_date_of(review.created_at) <= last:
            out.append({"stars": [review.rating], "scores": [], "shown": 0})
    for survey in CourseSurvey.objects.filter(course_id__in=course_ids):
        if first <= local_date_of(survey.shown_at) <= last:
            scores = [survey.score] if survey.score is not None else []
            out.append({"stars": [], "scores": scores, "shown": 1})
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_rollup_and_selectors_equal_brute_force_over_the_rows(seed):
    # given random reviews and surveys over a few local days
    courses = _random_rows(seed)
    # when the days are rolled up
    rollups_backfill(first=FIRST - timedelta(days=1), last=FIRST + timedelta(days=DAYS), now=NOW)
    # then every stored row equals the counts over the raw rows
    assert _stored_rows() == _brute_force_rows()
    # and the range figures for the platform, each creator and each course
    first, last = FIRST, FIRST + timedelta(days=2)
    scopes: list[tuple[dict[str, int], set[int]]] = [({}, {c.pk for c in courses})]
    for creator_id in {c.creator_id for c in courses}:
        ids = {c.pk for c in courses if c.creator_id == creator_id}
        scopes.append(({"creator_id": creator_id}, ids))
    scopes += [({"course_id": c.pk}, {c.pk}) for c in courses]
    for scope, ids in scopes:
        figures = satisfaction_get(first=first, last=last, **scope)
        expected = _expected(_raw(first, last, ids))
        for key, value in expected.items():
            assert getattr(figures, key) == pytest.approx(value), (scope, key)


def test_a_review_counts_on_the_local_day_it_was_first_written():
    # given reviews 1 s either side of Shanghai midnight (16:00 UTC)
    course = CourseFactory.create()
    late, early = UserFactory.create(), UserFactory.create()
    for user, moment, stars in (
        (late, datetime(2026, 3, 1, 15, 59, 59, tzinfo=UTC), 2),
        (early, datetime(2026, 3, 1, 16, 0, 0, tzinfo=UTC), 5),
    ):
        review = Review.objects.create(course=course, author=user, rating=stars)
        Review.objects.filter(pk=review.pk).update(created_at=moment)
    # when
    rollups_backfill(first=date(2026, 3, 1), last=date(2026, 3, 2), now=NOW)
    # then
    rows = {r.local_date: (r.stars_2, r.stars_5) for r in SatisfactionDaily.objects.all()}
    assert rows == {date(2026, 3, 1): (1, 0), date(2026, 3, 2): (0, 1)}


def test_an_edited_review_marks_its_day_dirty_and_the_next_refresh_corrects_it():
    # given a 2-star review written three days ago, rolled up
    student, course = UserFactory.create(), CourseFactory.create()

    enrollment_grant(user_id=student.pk, course=course)
    review = review_upsert(author_id=student.pk, course=course, rating=2)
    written = datetime.now(UTC) - timedelta(days=3)
    Review.objects.filter(pk=review.pk).update(created_at=written)
    day = local_date_of(written)
    rollups_backfill(first=day, last=day)
    assert SatisfactionDaily.objects.get(local_date=day).stars_2 == 1
    # when the student changes it to 5 stars today
    DirtyDay.objects.all().delete()
    review_upsert(author_id=student.pk, course=course, rating=5)
    # then the day it was written is dirty, and the next refresh moves the star
    assert set(DirtyDay.objects.values_list("local_date", flat=True)) == {day}
    rollups_refresh_recent(days=1)
    row = SatisfactionDaily.objects.get(local_date=day)
    assert (row.stars_2, row.stars_5) == (0, 1)
    assert _stored_rows() == _brute_force_rows()


def test_a_day_rolled_up_twice_stores_the_same_rows():
    _random_rows(7)
    last = FIRST + timedelta(days=DAYS)
    rollups_backfill(first=FIRST, last=last, now=NOW)
    once = _stored_rows()
    rollups_backfill(first=FIRST, last=last, now=NOW)
    assert _stored_rows() == once


def test_zero_denominators_are_none_not_zero():
    figures = satisfaction_figures({})
    assert (figures.average_rating, figures.nps, figures.response_rate) == (None, None, None)
    # all passives: NPS 0, a real zero
    assert satisfaction_figures({"score_7": 2, "prompts_shown": 4}).nps == 0
    assert satisfaction_figures({"score_7": 2, "prompts_shown": 4}).response_rate == 0.5


def test_nps_is_promoters_minus_detractors_in_points():
    # 3 promoters (9, 10, 10), 1 passive (8), 1 detractor (6): (3 - 1) / 5 = 40 points
    figures = satisfaction_figures({"score_9": 1, "score_10": 2, "score_8": 1, "score_6": 1})
    assert figures.nps == pytest.approx(40.0)
    assert figures.responses == 5


def test_tables_take_a_fixed_number_of_queries_whatever_the_rows(django_assert_num_queries):
    # given many courses with rows
    _random_rows(11)
    first, last = FIRST - timedelta(days=1), FIRST + timedelta(days=DAYS)
    rollups_backfill(first=first, last=last, now=NOW)
    today = NOW.date()
    # then each table is one query (the summary two: this period and the previous)
    with django_assert_num_queries(2):
        summary = satisfaction_summary_table(first=first, last=last, today=today)
    with django_assert_num_queries(1):
        daily = satisfaction_daily_table(first=first, last=last, today=today)
    with django_assert_num_queries(1):
        by_course = satisfaction_by_course_table(first=first, last=last, today=today)
    assert len(daily.rows) == DAYS + 2
    assert len(by_course.rows) == 4
    ratings = next(r for r in summary.rows if r["key"] == "ratings")["value"]
    assert ratings == Review.objects.count()
    assert not any(row["in_progress"] for row in daily.rows)  # every day is complete
