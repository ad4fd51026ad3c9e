"""A cell reads "in progress", and a CSV row is flagged, only where a figure can still change."""

import csv
import io
from datetime import date, timedelta

import pytest
from django.utils import translation

from analytics import selectors as a
from analytics.models import Event
from analytics.rollups import local_today
from analytics.selectors import Table
from analytics.services import rollups_backfill
from dashboard import reports
from tests.analytics.helpers import at, ev
from tests.dashboard.test_views import data, staff  # noqa: F401 (fixtures)
from tests.factories import CourseFactory, ShortVideoFactory

pytestmark = pytest.mark.django_db
T = Event.Type


@pytest.fixture(autouse=True)
def in_english():
    """Labels compared below are the English ones, whatever an earlier test activated."""
    with translation.override("en"):
        yield


def _csv(table: Table) -> list[dict[str, str]]:
    text = "".join(reports.csv_rows(table)).lstrip("\ufeff")
    return list(csv.DictReader(io.StringIO(text)))


def _funnel(*, windows_open: bool) -> Table:
    """The platform funnel of a day with two viewers, one of whom opens the course."""
    day = local_today() - timedelta(days=10)
    video = ShortVideoFactory.create(course=CourseFactory.create())
    ids = {"video_id": video.pk, "creator_id": video.creator_id, "course_id": video.course_id}
    for subject in ("a", "b"):
        ev(T.PLAY, at(day, 9), subject, **ids)
        ev(T.PROGRESS, at(day, 9, 0, 6), subject, value=6, **ids)
    ev(T.COURSE_VIEW, at(day, 10), "a", course_id=video.course_id, creator_id=video.creator_id)
    rollups_backfill(first=day, last=day)
    today = day + timedelta(days=2) if windows_open else local_today()
    return a.funnel_table(first=day, last=day, today=today)


@pytest.mark.parametrize("windows_open", [True, False])
def test_the_funnels_first_step_has_no_step_rate_and_is_not_in_progress(windows_open):
    funnel = _funnel(windows_open=windows_open)
    first = funnel.rows[0]
    # the first step has no previous step: its rate is not applicable, never "in progress"
    assert first["step_rate"] is None
    assert reports.display(funnel, first, "step_rate") == "—"
    assert reports.display(funnel, first, "overall_rate") == "100.0%"
    first_4_step = next(r for r in funnel.rows if str(r["step"]).startswith("4-step"))
    assert reports.display(funnel, first_4_step, "step_rate") == "—"
    # a later step after an empty one reads "in progress" only while windows are open
    empty_after_empty = next(r for r in funnel.rows[1:5] if r["step_rate"] is None)
    expected = "in progress" if windows_open else "—"
    assert reports.display(funnel, empty_after_empty, "step_rate") == expected
    flags = {row["step"]: row["in_progress"] for row in _csv(funnel)}
    assert set(flags.values()) == {"1" if windows_open else "0"}


def test_a_csv_row_is_flagged_in_progress_only_when_it_is():
    # given an empty cell that is final (a ratio over zero in a top list) ...
    videos = Table("videos", "Top videos", [("video_id", "Video"), ("ctr", "CTR")])
    videos.rows = [{"video_id": 1, "ctr": None}, {"video_id": 2, "ctr": 0.5}]
    # ... one whose window is still open (a young cohort's day 30) ...
    retention = Table("retention", "Cohorts", [("cohort", "Cohort"), ("d1", "D1"), ("d30", "D30")])
    retention.rows = [
        {"cohort": "2026-10-01", "d1": 0.5, "d30": 0.1},
        {"cohort": "2026-11-30", "d1": 0.4, "d30": None},
    ]
    # ... and rows that say for themselves (a closed custom funnel's first step)
    custom = Table("funnel_custom", "Custom", [("step", "Step"), ("step_rate", "From previous")])
    custom.rows = [
        {"step": 1, "step_rate": None, "not_applicable": ("step_rate",), "in_progress": False},
        {"step": 2, "step_rate": None, "in_progress": True},
    ]
    # then only the open window is flagged, and the page agrees with the file
    assert [r["in_progress"] for r in _csv(videos)] == ["0", "0"]
    assert reports.display(videos, videos.rows[0], "ctr") == "—"
    assert [r["in_progress"] for r in _csv(retention)] == ["0", "1"]
    assert reports.display(retention, retention.rows[1], "d30") == "in progress"
    assert [r["in_progress"] for r in _csv(custom)] == ["0", "1"]
    assert reports.display(custom, custom.rows[0], "step_rate") == "—"


def test_previous_period_is_the_same_length_just_before():
    assert a.previous_period(date(2026, 11, 1), date(2026, 11, 30)) == (
        date(2026, 10, 2),
        date(2026, 10, 31),
    )
    assert a.previous_period(date(2026, 11, 1), date(2026, 11, 1)) == (
        date(2026, 10, 31),
        date(2026, 10, 31),
    )
