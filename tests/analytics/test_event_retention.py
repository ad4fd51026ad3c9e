"""Retention by day, week or month cohorts of any start and return event (issue 17, item 3)."""

from datetime import date, timedelta

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext

from analytics import selectors
from analytics.services import rollups_backfill
from tests.factories import UserFactory

from .helpers import T, at, ev, later

pytestmark = pytest.mark.django_db
D = date(2026, 3, 2)  # a Monday


def _bought_then_watched() -> None:
    for subject, day in (("a", 0), ("b", 0), ("c", 1), ("a", 2)):
        ev(T.PURCHASE, at(D + timedelta(days=day)), subject, course_id=50, value=100)
    for subject, day in (("a", 1), ("a", 7), ("c", 1), ("c", 3)):
        ev(T.LESSON_COMPLETE, at(D + timedelta(days=day), 15), subject, course_id=50)
    rollups_backfill(first=D, last=D + timedelta(days=12), now=later())


def test_day_cohorts_of_buyers_returning_to_lessons():
    # given buyers on day 0 (a, b) and day 1 (c), and their lessons afterwards
    _bought_then_watched()
    # when
    with CaptureQueriesContext(connection) as queries:
        table = selectors.event_retention_table(
            start_event=T.PURCHASE,
            return_event=T.LESSON_COMPLETE,
            first=D,
            last=D + timedelta(days=1),
            today=D + timedelta(days=60),
        )
    # then two queries, and each cohort's returns k days after its start
    assert len(queries) == 2
    first, second = table.rows
    assert (first["cohort"], first["size"], first["p0"]) == (D.isoformat(), 2, 1.0)
    assert (first["p1"], first["p2"], first["p7"]) == (0.5, 0.0, 0.5)
    # c's lesson on its purchase day is day 0, not a return
    assert (second["size"], second["p1"], second["p2"]) == (1, 0.0, 1.0)


def test_week_cohorts_and_cells_in_progress():
    _bought_then_watched()
    weekly = selectors.event_retention_table(
        start_event=T.PURCHASE,
        return_event=T.LESSON_COMPLETE,
        grain="week",
        first=D,
        last=D + timedelta(days=6),
        today=D + timedelta(days=60),
    )
    assert [(r["size"], r["p1"], r["p2"]) for r in weekly.rows] == [(3, 1 / 3, 0.0)]
    # read on day 5: day 4 is complete, day 5 is not
    early = selectors.event_retention_table(
        start_event=T.PURCHASE,
        return_event=T.LESSON_COMPLETE,
        first=D,
        last=D,
        today=D + timedelta(days=5),
    )
    assert early.rows[0]["p4"] == 0.0
    assert early.rows[0]["p5"] is None


@pytest.mark.parametrize("grain", ["day", "week", "month"])
def test_the_default_range_shows_mature_cells_only(grain):
    today = date(2026, 9, 17)
    first, last = selectors.event_retention_default_range(grain, today)
    assert first <= last
    ev(T.SIGNUP, at(last), "s")
    ev(T.LOGIN, at(last + timedelta(days=1)), "s")
    rollups_backfill(first=last, last=last + timedelta(days=1), now=at(today))
    table = selectors.event_retention_table(
        start_event=T.SIGNUP, return_event=T.LOGIN, grain=grain, today=today
    )
    assert table.rows
    assert all(value is not None for row in table.rows for value in row.values())


def test_unknown_events_and_grains_are_refused():
    with pytest.raises(ValueError, match="known types"):
        selectors.event_retention_table(start_event="nope", return_event=T.LOGIN)
    with pytest.raises(ValueError, match="Grain"):
        selectors.event_retention_table(start_event=T.LOGIN, return_event=T.LOGIN, grain="year")


def test_retention_api_answers_staff_and_rejects_bad_input(api_client):
    _bought_then_watched()
    staff = UserFactory.create()
    staff.user_permissions.add(Permission.objects.get(codename="view_dashboard"))
    api_client.force_authenticate(staff)
    url = "/api/v1/analytics/retention"
    query = {
        "start_event": T.PURCHASE,
        "return_event": T.LESSON_COMPLETE,
        "first": D,
        "last": D + timedelta(days=1),
    }
    response = api_client.get(url, query)
    assert response.status_code == 200
    assert [row["size"] for row in response.json()["rows"]] == [2, 1]
    assert api_client.get(url, {**query, "grain": "year"}).status_code == 400
    only_first = {k: v for k, v in query.items() if k != "last"}
    assert api_client.get(url, only_first).status_code == 400
    assert api_client.get(url, {**query, "start_event": "x"}).status_code == 400
