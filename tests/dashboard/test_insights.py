"""Staff dashboard: KPI splits, event retention curves, A/B statistics, paid conversion."""

import csv
import io
import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.utils import timezone

from analytics import selectors as a
from analytics.models import Event
from analytics.rollups import local_today
from analytics.services import rollups_backfill
from dashboard import views
from recommendations.experiments import (
    CONTROL,
    TREATMENT,
    ExperimentReport,
    VariantResult,
)
from recommendations.models import Experiment
from tests.analytics.helpers import at, ev
from tests.factories import CourseFactory, ShortVideoFactory, UserFactory

pytestmark = pytest.mark.django_db
T = Event.Type


@pytest.fixture
def staff(client):
    client.force_login(UserFactory.create(is_staff=True, is_superuser=True))
    return client


def _visit(video, subject: str, day, platform: str) -> None:
    ids = {"video_id": video.pk, "creator_id": video.creator_id, "context": {"platform": platform}}
    ev(T.PLAY, at(day, 9), subject, **ids)
    ev(T.PROGRESS, at(day, 9, 0, 6), subject, value=6, **ids)


@pytest.fixture
def data():
    """Yesterday: three app viewers and one web viewer, one app viewer buys a course."""
    day = local_today() - timedelta(days=1)
    video = ShortVideoFactory.create(title="Split clip")
    course = CourseFactory.create(title="Split course", creator=video.creator)
    for n in range(3):
        _visit(video, f"app{n}", day, "app")
    _visit(video, "web0", day, "web")
    ev(
        T.PURCHASE,
        at(day, 10),
        "app0",
        value=9900,
        course_id=course.pk,
        creator_id=course.creator_id,
        context={"platform": "app"},
    )
    rollups_backfill(first=day - timedelta(days=2), last=day)
    return SimpleNamespace(video=video, course=course, day=day)


def _csv(response) -> list[dict[str, str]]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(body)))


@pytest.mark.parametrize(
    "query",
    [
        "split=country",
        "split=platform&metric=profit",
        "r_start=user.teleported",
        "r_return=video",
        "r_grain=year",
        "split=platform&from=2026-13-01",
    ],
)
def test_bad_split_and_retention_choices_get_a_form_error_not_a_500(staff, query):
    # when
    page = staff.get(f"/dashboard/?{query}")
    export = staff.get(f"/dashboard/export/breakdown.csv?{query}")
    # then
    assert page.status_code == 400
    assert b'role="alert"' in page.content
    assert export.status_code == 400
    assert export.content.strip()


def test_split_by_platform_shows_a_card_per_platform_and_its_daily_chart(staff, data):
    # when
    html = staff.get(f"/dashboard/?split=platform&metric=plays&from={data.day}&to={data.day}")
    html = html.content.decode()
    # then one card per platform, largest first, with its share of all plays
    cards = html[html.index('id="split-cards"') : html.index('id="chart-split"')]
    assert re.search(r"<div>app</div><div class=\"kf-value\">3</div>\s*<div>75.0% of total", cards)
    assert cards.index(">app<") < cards.index(">web<")
    assert 'id="chart-split" class="kf-chart" role="img"' in html
    assert "Plays by platform" in html


def test_split_csv_equals_the_breakdown_selector(staff, data):
    # when
    query = f"split=platform&metric=avg_dau&from={data.day}&to={data.day}"
    rows = _csv(staff.get(f"/dashboard/export/breakdown.csv?{query}"))
    series = _csv(staff.get(f"/dashboard/export/breakdown_series.csv?{query}"))
    # then
    expected = a.kpi_breakdown(
        metric="avg_dau", dimension="platform", first=data.day, last=data.day
    )
    assert [(r["value"], float(r["current"])) for r in rows] == [
        (r["value"], r["current"]) for r in expected.rows
    ]
    assert {r["value"]: float(r["current"]) for r in rows} == {"app": 3.0, "web": 1.0}
    assert series == [
        {"day": data.day.isoformat(), "app": "3.0000", "web": "1.0000", "in_progress": "0"}
    ]


def test_split_by_course_names_the_course_and_shows_money_in_yuan(staff, data):
    html = staff.get(f"/dashboard/?split=course&metric=gmv_minor&from={data.day}&to={data.day}")
    html = html.content.decode()
    cards = html[html.index('id="split-cards"') : html.index('id="chart-split"')]
    assert "Split course" in cards
    assert "¥99.00" in cards
    assert "9,900" not in cards


def test_a_split_with_nothing_to_show_says_so_instead_of_failing(staff):
    # given a week without a single event (found by bench/analytics_bench.py: a 500)
    last = local_today() - timedelta(days=1)
    span = f"from={last - timedelta(days=6)}&to={last}"
    rollups_backfill(first=last - timedelta(days=6), last=last)
    # when the page is split by a dimension with no rows in the range
    response = staff.get(f"/dashboard/?split=category&metric=gmv_minor&{span}")
    # then it renders, and the split section says there is nothing to split
    assert response.status_code == 200
    assert "No activity to split in this period." in response.content.decode()


def test_breakdown_csv_without_a_split_is_404(staff):
    assert staff.get("/dashboard/export/breakdown.csv").status_code == 404


def test_event_retention_follows_the_chosen_events_and_period(staff, data):
    # given viewers who signed up three days ago and one who came back to play a day later
    start = data.day - timedelta(days=2)
    for subject in ("r1", "r2"):
        ev(T.SIGNUP, at(start, 8), subject)
    ev(T.PLAY, at(start + timedelta(days=1), 8), "r1", video_id=data.video.pk)
    rollups_backfill(first=start, last=data.day)
    query = "r_start=user.signed_up&r_return=video.played&r_grain=day"
    # when
    html = staff.get(f"/dashboard/?{query}").content.decode()
    rows = _csv(staff.get(f"/dashboard/export/event_retention.csv?{query}"))
    # then the table and CSV hold the selector's cohorts over its mature default range
    expected = a.event_retention_table(
        start_event="user.signed_up", return_event="video.played", grain="day", today=local_today()
    )
    assert [r["cohort"] for r in rows] == expected.column("cohort")
    assert 'id="chart-event-retention"' in html
    assert 'id="table-event_retention"' in html
    assert "Signup → Play" in html


def test_event_retention_curve_averages_mature_cohorts_by_size(staff, monkeypatch):
    # given two weekly cohorts: 10 subjects, 5 back in week 1; 30 subjects, 3 back
    table = a.Table(
        "event_retention",
        "x",
        [("cohort", "Cohort"), ("size", "Size"), ("p0", "W0"), ("p1", "W1"), ("p2", "W2")],
        [
            {"cohort": "2026-01-05", "size": 10, "p0": 1.0, "p1": 0.5, "p2": 0.2},
            {"cohort": "2026-01-12", "size": 30, "p0": 1.0, "p1": 0.1, "p2": None},
        ],
    )
    monkeypatch.setattr(a, "event_retention_table", lambda **kw: table)
    # when
    html = staff.get("/dashboard/?r_grain=week").content.decode()
    # then week 1 is (5 + 3) / 40 and week 2 only counts the mature cohort
    average = re.search(r'id="event-retention-average">([^<]+)<', html)
    assert average is not None
    assert average.group(1).split(" · ") == ["100.0%", "20.0%", "20.0%"]


def test_ab_statistics_table_shows_the_verdict(staff, monkeypatch):
    # given a decided 50/50 test (10 % against 13 % conversion over 20,000 viewers each)
    now = timezone.now()
    report = ExperimentReport(
        Experiment(name="decided", treatment_percent=50, status=Experiment.Status.RUNNING),
        now - timedelta(days=14),
        now,
        [
            VariantResult(CONTROL, 20_000, 400_000, 40_000, 1e6, 2000),
            VariantResult(TREATMENT, 20_000, 400_000, 40_400, 1e6, 2600),
        ],
    )
    monkeypatch.setattr(views, "experiment_report_latest", lambda: report)
    # when
    html = staff.get("/dashboard/").content.decode()
    # then
    table = html[html.index('id="table-ab-statistics"') :]
    table = table[: table.index("</table>")]
    assert "+30.0% (+23.8% – +36.2%)" in table
    assert re.search(r"<td>ship\b", table)
    assert "always-valid (mSPRT)" in html


def test_paid_conversion_card_is_paying_over_active_users(staff, data):
    html = staff.get(f"/dashboard/?from={data.day}&to={data.day}").content.decode()
    card = html[html.index("Paid conversion (paying / active users)") :]
    assert re.match(r"[^<]*</div><div class=\"kf-value\">25.0%</div>", card)  # 1 of 4


def test_split_and_retention_queries_do_not_grow_with_rows(
    staff, data, django_assert_max_num_queries
):
    from django.core.cache import cache

    url = f"/dashboard/?split=course&metric=plays&from={data.day}&to={data.day}&r_grain=day"
    cache.clear()
    # 51 measured: the split adds 5 to a cold page, the charts' previous period 1
    with django_assert_max_num_queries(54) as few:
        staff.get(url)
    # when six more courses are watched and bought
    for n in range(6):
        course = CourseFactory.create()
        ev(
            T.COURSE_VIEW,
            at(data.day, 11),
            f"c{n}",
            course_id=course.pk,
            creator_id=course.creator_id,
        )
        ev(T.SIGNUP, at(data.day - timedelta(days=3), 8), f"c{n}")
    rollups_backfill(first=data.day - timedelta(days=3), last=data.day)
    cache.clear()
    # then the page issues no more queries
    with django_assert_max_num_queries(len(few.captured_queries)):
        staff.get(url)
