"""The Satisfaction section on the staff and creator dashboards, and its CSV."""

import csv
import io
from datetime import timedelta

import pytest

from analytics.rollups import local_today
from analytics.services import rollups_backfill
from courses.models import CourseSurvey, Review
from tests.analytics.helpers import at
from tests.factories import CourseFactory, CreatorProfileFactory, UserFactory

pytestmark = pytest.mark.django_db


def _rate(course, day, stars: list[int], scores: list[int | None], open_: int = 0) -> None:
    """Reviews with ``stars`` and surveys answered with ``scores`` (None = skipped) on ``day``."""
    for n in stars:
        review = Review.objects.create(course=course, author=UserFactory.create(), rating=n)
        Review.objects.filter(pk=review.pk).update(created_at=at(day, 10))
    outcomes = [("answered", s) if s is not None else ("skipped", None) for s in scores]
    for status, score in [*outcomes, *[("shown", None)] * open_]:
        CourseSurvey.objects.create(
            user=UserFactory.create(),
            course=course,
            status=status,
            score=score,
            shown_at=at(day, 11),
        )


@pytest.fixture
def rated():
    """Yesterday: 4 ratings (5, 5, 4, 2) and 5 prompts (10, 9, 3, a skip, one open) of one
    course, and a 1-star rating of another creator's course."""
    day = local_today() - timedelta(days=1)
    mine = CourseFactory.create(title="Rated course")
    CreatorProfileFactory.create(user=mine.creator)
    _rate(mine, day, [5, 5, 4, 2], [10, 9, 3, None], open_=1)
    theirs = CourseFactory.create(title="Other course")
    _rate(theirs, day, [1], [])
    rollups_backfill(first=day, last=day)
    return mine, day


def _section(html: str) -> str:
    start = html.index('id="h-satisfaction"')
    return html[start : html.index("</section>", start)]


def test_staff_dashboard_shows_the_satisfaction_figures(client, rated):
    # given
    client.force_login(UserFactory.create(is_staff=True, is_superuser=True))
    _mine, day = rated
    # when
    html = _section(client.get(f"/dashboard/?from={day}&to={day}").content.decode())
    # then: 5 ratings, mean 17/5; 3 of 5 are 4-5 stars; NPS (2 - 1) / 3; 3 answers / 5 shown
    assert '<div class="kf-value">3.40</div>' in html
    assert '<div class="kf-value">60.0%</div>' in html  # 4-5 share and response rate
    assert '<div class="kf-value">33.33</div>' in html
    assert "Rated course" in html
    assert "Other course" in html
    assert 'aria-label="Ratings by stars' in html


def test_creator_sees_only_their_own_courses_satisfaction(client, rated):
    mine, day = rated
    client.force_login(mine.creator)
    html = _section(client.get(f"/dashboard/creator/?from={day}&to={day}").content.decode())
    assert "Rated course" in html
    assert "Other course" not in html
    assert '<div class="kf-value">4.00</div>' in html  # (5 + 5 + 4 + 2) / 4
    assert '<div class="kf-value">75.0%</div>' in html
    body = b"".join(
        client.get(
            f"/dashboard/creator/export/satisfaction_courses.csv?from={day}&to={day}"
        ).streaming_content
    ).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(body)))
    assert [r["title"] for r in rows] == ["Rated course"]
    assert rows[0]["ratings"] == "4"
    assert rows[0]["average_rating"] == "4.0000"
    assert rows[0]["nps"] == "33.3333"
    assert rows[0]["response_rate"] == "0.6000"
    assert rows[0]["in_progress"] == "0"


def test_staff_csv_of_scores_and_per_day_equal_the_page(client, rated):
    client.force_login(UserFactory.create(is_staff=True, is_superuser=True))
    _mine, day = rated
    query = f"from={day}&to={day}"
    scores = b"".join(
        client.get(f"/dashboard/export/score_distribution.csv?{query}").streaming_content
    ).decode("utf-8-sig")
    answers = {r["score"]: r["answers"] for r in csv.DictReader(io.StringIO(scores))}
    assert (answers["10"], answers["9"], answers["3"], answers["5"]) == ("1", "1", "1", "0")
    daily = b"".join(
        client.get(f"/dashboard/export/satisfaction_daily.csv?{query}").streaming_content
    ).decode("utf-8-sig")
    (row,) = csv.DictReader(io.StringIO(daily))
    assert (row["period"], row["ratings"], row["prompts_shown"], row["skips"]) == (
        day.isoformat(),
        "5",
        "5",
        "1",
    )


def test_satisfaction_does_not_add_queries_per_course(client, django_assert_max_num_queries):
    # given one rated course, rendered once
    client.force_login(UserFactory.create(is_staff=True, is_superuser=True))
    day = local_today() - timedelta(days=1)
    _rate(CourseFactory.create(), day, [4], [8])
    rollups_backfill(first=day, last=day)
    url = f"/dashboard/?from={day}&to={day}"
    with django_assert_max_num_queries(80) as few:
        client.get(url)
    # when five more courses of other creators are rated
    for _ in range(5):
        _rate(CourseFactory.create(), day, [3, 5], [9, None])
    rollups_backfill(first=day, last=day)
    # then the page takes no more queries
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url)
